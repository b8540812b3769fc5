-- Exchange rates as fetched through the rates provider (souk:rates/exchange). Each fetch is a
-- snapshot: a checkout keeps the id of the one it converted with, so every later conversion of
-- that order uses the same rates.
--
-- rate_snapshot
--   base          the currency the provider quoted against (ISO 4217)
--   published_at  when the provider published the rates; fetched_at when Souk fetched them;
--                 next_at when the provider says it publishes next
-- exchange_rate
--   rate          how many units of `currency` one unit of the base buys, in units of 10⁻¹²
--                 (whole units, not minor units), exact as the provider published it
CREATE TABLE common.rate_snapshot (
    id            uuid PRIMARY KEY,
    base          text NOT NULL CONSTRAINT rate_snapshot_base_valid CHECK (base ~ '^[A-Z]{3}$'),
    source        text NOT NULL,
    published_at  timestamptz NOT NULL,
    next_at       timestamptz,
    fetched_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rate_snapshot_latest ON common.rate_snapshot (fetched_at DESC);

CREATE TABLE common.exchange_rate (
    snapshot_id   uuid NOT NULL REFERENCES common.rate_snapshot (id),
    currency      text NOT NULL CONSTRAINT exchange_rate_currency_valid
                      CHECK (currency ~ '^[A-Z]{3}$'),
    rate          int8 NOT NULL CONSTRAINT exchange_rate_positive CHECK (rate > 0),
    PRIMARY KEY (snapshot_id, currency)
);

-- The payment and shipping options a checkout offers: the platform's (owner_id NULL) and each
-- seller's own. A checkout lists the enabled ones of the platform and of the seller, by
-- priority.
--
--   provider       the gateway or carrier id its module knows it by (`vnpay`, `sepay`, `ghtk`),
--                  or a built-in (`wallet`, `cod`)
--   method         payment: any, qr, bank, card; shipping: express, standard, economy
--   config         public configuration (shown to everyone)
--   secrets        the option's credentials, AES-256-GCM-sealed with `options_encryption_key`
--                  (12-byte nonce, then ciphertext and tag; the option id is the associated
--                  data, so a sealed value moved to another row does not open); never returned
CREATE TABLE common.service_option (
    id            uuid PRIMARY KEY,
    kind          text NOT NULL CONSTRAINT service_option_kind_known
                      CHECK (kind IN ('payment', 'shipping')),
    provider      text NOT NULL CONSTRAINT service_option_provider_valid
                      CHECK (provider ~ '^[a-z0-9][a-z0-9-]{0,31}$'),
    method        text NOT NULL,
    owner_id      uuid,
    display_name  text NOT NULL CONSTRAINT service_option_name_length
                      CHECK (length(display_name) BETWEEN 1 AND 100),
    enabled       boolean NOT NULL DEFAULT true,
    priority      int4 NOT NULL DEFAULT 0,
    config        jsonb NOT NULL DEFAULT '{}',
    secrets       bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT service_option_method_known CHECK (
        (kind = 'payment' AND method IN ('any', 'qr', 'bank', 'card'))
        OR (kind = 'shipping' AND method IN ('express', 'standard', 'economy'))),
    CONSTRAINT service_option_once UNIQUE NULLS NOT DISTINCT (kind, provider, method, owner_id)
);
CREATE INDEX service_option_listing ON common.service_option (kind, owner_id, priority DESC, id);

-- Cashback: what a checkout's cashback promotions give is credited to the buyer's wallet once,
-- when order says every payout of the checkout was released
-- (POST /internal/redemptions/:reference/cashback), through promotion's outbox to account.
--
--   currency          the checkout's currency (ISO 4217), which cashback is paid in; reserve
--                     requires it when a line is a cashback promotion's
--   cashback_minor    the sum of the cashback promotions' lines, fixed when reserved
--   cashback_paid_at  when the credit was written to the outbox; set once, on a committed
--                     redemption only
ALTER TABLE promotion.redemption
    ADD COLUMN currency text CONSTRAINT redemption_currency_valid CHECK (currency ~ '^[A-Z]{3}$'),
    ADD COLUMN cashback_minor int8 NOT NULL DEFAULT 0
        CONSTRAINT redemption_cashback_not_negative CHECK (cashback_minor >= 0),
    ADD COLUMN cashback_paid_at timestamptz,
    ADD CONSTRAINT redemption_cashback_has_currency_and_buyer
        CHECK (cashback_minor = 0 OR (currency IS NOT NULL AND buyer_id IS NOT NULL)),
    ADD CONSTRAINT redemption_cashback_paid_when_committed
        CHECK (cashback_paid_at IS NULL OR status = 'committed');

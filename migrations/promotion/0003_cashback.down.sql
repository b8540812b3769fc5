ALTER TABLE promotion.redemption
    DROP CONSTRAINT redemption_cashback_paid_when_committed,
    DROP CONSTRAINT redemption_cashback_has_currency_and_buyer,
    DROP COLUMN cashback_paid_at,
    DROP COLUMN cashback_minor,
    DROP COLUMN currency;

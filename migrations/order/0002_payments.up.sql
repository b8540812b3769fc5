-- Payment attempts: one try at collecting an amount through a payment gateway (a provider in
-- one of order's gateway slots), the callbacks the gateways sent about them, and the refunds
-- made of them. The wallet and cash on delivery are not gateways and have no attempts.
--
-- payment_attempt
--   reference           what the gateway knows the attempt by: the id without dashes, as
--                       VNPay takes letters and digits only
--   owner               what the money is for (a checkout, a confirmation fee), for its owner
--                       to find its attempts; order's own reference, never shown to gateways
--   status              pending, then once: paid, failed, cancelled, expired — or paid_late,
--                       a payment the gateway took after Souk had given the attempt up, which
--                       is money to give back
--   next_step           what the buyer was given to pay (redirect, form or QR), as JSON
--   transaction_id      the gateway's id of the payment, once paid
-- payment_callback
--   every callback a gateway sent, believed or not: the verdict it got, and why a refused one
--   was refused; an audit trail of what each gateway said, in arrival order
-- payment_refund
--   reference           unique per refund; a retried refund request finds its row by it
--   status              done, or pending while the gateway, having accepted it, finishes;
--                       both count against what can still be refunded (a refund the gateway
--                       refused is never stored: it fails in its Idempotency-Key's transaction)
CREATE TABLE "order".payment_attempt (
    id                 uuid PRIMARY KEY,
    reference          text NOT NULL CONSTRAINT payment_attempt_reference_key UNIQUE,
    owner              text NOT NULL,
    gateway            text NOT NULL,
    method             text NOT NULL,
    amount_minor       int8 NOT NULL CONSTRAINT payment_attempt_amount_positive
                           CHECK (amount_minor > 0),
    currency           text NOT NULL CONSTRAINT payment_attempt_currency_valid
                           CHECK (currency ~ '^[A-Z]{3}$'),
    status             text NOT NULL DEFAULT 'pending' CONSTRAINT payment_attempt_status_known
                           CHECK (status IN ('pending', 'paid', 'failed', 'cancelled', 'expired',
                                             'paid_late')),
    next_step          jsonb NOT NULL,
    provider_reference text,
    transaction_id     text,
    code               text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    expires_at         timestamptz NOT NULL,
    settled_at         timestamptz,
    CONSTRAINT payment_attempt_expires_after_creation CHECK (expires_at > created_at),
    CONSTRAINT payment_attempt_settled_when_final
        CHECK ((status = 'pending') = (settled_at IS NULL))
);
CREATE INDEX payment_attempt_owner ON "order".payment_attempt (owner, created_at);

CREATE TABLE "order".payment_callback (
    id             uuid PRIMARY KEY,
    gateway        text NOT NULL,
    attempt_id     uuid REFERENCES "order".payment_attempt (id),
    reference      text,
    outcome        text,
    amount_minor   int8,
    currency       text,
    transaction_id text,
    verdict        text NOT NULL CONSTRAINT payment_callback_verdict_known
                       CHECK (verdict IN ('accepted', 'unknown_attempt', 'amount_mismatch',
                                          'already_settled', 'refused')),
    reason         text,
    received_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_callback_attempt ON "order".payment_callback (attempt_id, received_at);

CREATE TABLE "order".payment_refund (
    id             uuid PRIMARY KEY,
    attempt_id     uuid NOT NULL REFERENCES "order".payment_attempt (id),
    reference      text NOT NULL CONSTRAINT payment_refund_reference_key UNIQUE,
    amount_minor   int8 NOT NULL CONSTRAINT payment_refund_amount_positive
                       CHECK (amount_minor > 0),
    status         text NOT NULL DEFAULT 'pending' CONSTRAINT payment_refund_status_known
                       CHECK (status IN ('pending', 'done')),
    reason         text NOT NULL,
    requested_by   text NOT NULL,
    transaction_id text,
    code           text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    settled_at     timestamptz
);
CREATE INDEX payment_refund_attempt ON "order".payment_refund (attempt_id);

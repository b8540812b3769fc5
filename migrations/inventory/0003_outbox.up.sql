-- Inventory's outbox (see kit::outbox): messages to other modules — today, telling a seller
-- that a SKU sold out — written in the transaction of the change that causes them, and
-- relayed at least once with their idempotency key.
CREATE TABLE inventory.outbox (
    id              uuid PRIMARY KEY,              -- UUIDv7: relayed in order
    target          text NOT NULL,                 -- the receiving module
    path            text NOT NULL,                 -- its internal route
    body            jsonb NOT NULL,
    idempotency_key text NOT NULL CONSTRAINT outbox_idempotency_key_key UNIQUE,
    status          text NOT NULL DEFAULT 'pending' CONSTRAINT outbox_status_valid CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        int4 NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz
);
CREATE INDEX outbox_due_idx ON inventory.outbox (next_attempt_at, id) WHERE status = 'pending';

-- A module's outbox (see kit::outbox): messages to other modules — notifications, stock
-- levels, re-indexing — written in the transaction of the change that causes them, and relayed
-- at least once with their idempotency key, so the receiver applies each exactly once.
-- souk-migrate renders this file into the schema of every module whose migrations folder
-- declares `outbox` in its kit.features, with the schema quoted ("order" is a reserved word).
--
-- IF NOT EXISTS: before this feature existed each module created the same table in its own
-- migration; a database that applied those adopts its table (and its messages) unchanged.
CREATE TABLE IF NOT EXISTS {{schema}}.outbox (
    id              uuid PRIMARY KEY,              -- UUIDv7: relayed in order
    target          text NOT NULL,                 -- the receiving module
    path            text NOT NULL,                 -- its internal route
    body            jsonb NOT NULL,
    -- Derived from the cause, so one cause never yields two messages (enqueue skips a repeat).
    idempotency_key text NOT NULL CONSTRAINT outbox_idempotency_key_key UNIQUE,
    -- pending until delivered; dead after a client error or too many attempts, with last_error.
    status          text NOT NULL DEFAULT 'pending'
                    CONSTRAINT outbox_status_valid CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        int4 NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),  -- backoff, or the lease of the relay holding it
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz
);
-- What a relay claims: due pending messages, oldest first.
CREATE INDEX IF NOT EXISTS outbox_due_idx ON {{schema}}.outbox (next_attempt_at, id)
    WHERE status = 'pending';

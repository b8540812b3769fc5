-- Catalog's outbox (see kit::outbox): today, re-embedding a product whose text changed, off the
-- request path; later, seller notifications about reviews.
CREATE TABLE catalog.outbox (
    id              uuid PRIMARY KEY,
    target          text NOT NULL,
    path            text NOT NULL,
    body            jsonb NOT NULL,
    idempotency_key text NOT NULL CONSTRAINT outbox_idempotency_key_key UNIQUE,
    status          text NOT NULL DEFAULT 'pending' CONSTRAINT outbox_status_valid CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        int4 NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz
);
CREATE INDEX outbox_due_idx ON catalog.outbox (next_attempt_at, id) WHERE status = 'pending';

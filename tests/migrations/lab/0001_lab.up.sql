-- The test-only `lab` component's schema: the workflow journal every module with workflows
-- copies (invocation, invocation_step, workflow_signal — see kit::workflow), plus a ledger the
-- lab's workflows write to so tests can count effects.
CREATE SCHEMA IF NOT EXISTS lab;

CREATE TABLE lab.invocation (
    id              uuid PRIMARY KEY,              -- UUIDv7
    workflow        text NOT NULL,
    start_key       text NOT NULL CONSTRAINT invocation_start_key_key UNIQUE,
    input           jsonb NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CONSTRAINT invocation_status_valid
                    CHECK (status IN ('pending', 'waiting', 'compensating', 'completed', 'rolled_back', 'failed', 'cancelled')),
    output          jsonb,
    error           jsonb,                         -- {status, code, message}: the last or final error
    rollback_cause  jsonb,                         -- set once the invocation is rolling back
    attempts        int4 NOT NULL DEFAULT 0,       -- runs started
    failures        int4 NOT NULL DEFAULT 0,       -- failed runs since the last retry/rollback
    next_attempt_at timestamptz,                   -- when it is due; NULL: only a signal wakes it
    waiting_for     text,                          -- the signal it waits for
    lease           uuid,                          -- the run that owns it
    lease_until     timestamptz,
    faults_fired    text[] NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);
CREATE INDEX invocation_due_idx ON lab.invocation (next_attempt_at)
    WHERE status IN ('pending', 'waiting', 'compensating');
CREATE INDEX invocation_waiting_for_idx ON lab.invocation (waiting_for) WHERE status = 'waiting';
CREATE INDEX invocation_created_idx ON lab.invocation (created_at DESC, id DESC);

CREATE TABLE lab.invocation_step (
    invocation_id uuid NOT NULL REFERENCES lab.invocation ON DELETE CASCADE,
    name          text NOT NULL,
    seq           int4 NOT NULL,
    kind          text NOT NULL CONSTRAINT invocation_step_kind_valid CHECK (kind IN ('step', 'timer', 'signal', 'undo')),
    status        text NOT NULL CONSTRAINT invocation_step_status_valid CHECK (status IN ('waiting', 'done', 'failed')),
    result        jsonb,
    undo          jsonb,                           -- what undoing the step needs
    error         jsonb,
    due_at        timestamptz,                     -- timers and signal deadlines
    attempt       int4 NOT NULL,
    started_at    timestamptz NOT NULL,
    finished_at   timestamptz,
    PRIMARY KEY (invocation_id, name)
);

CREATE TABLE lab.workflow_signal (
    name        text PRIMARY KEY,
    payload     jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE lab.ledger (
    id            bigserial PRIMARY KEY,
    invocation_id uuid,
    entry         text NOT NULL,
    amount        int8,
    at            timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX ledger_invocation_idx ON lab.ledger (invocation_id, id);

CREATE TABLE lab.switch (
    name text PRIMARY KEY,
    enabled boolean NOT NULL
);

-- The outbox and idempotency records every module with an outbox has (see kit::outbox and
-- kit::idempotency); the outbox benchmark relays messages from lab to its own sink.
CREATE TABLE lab.idempotency_key (
    caller       text NOT NULL,
    key          text NOT NULL,
    request_hash text NOT NULL,
    status       int4,
    body         bytea,
    content_type text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (caller, key)
);
CREATE INDEX idempotency_key_expiry_idx ON lab.idempotency_key (expires_at);

CREATE TABLE lab.outbox (
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
CREATE INDEX outbox_due_idx ON lab.outbox (next_attempt_at, id) WHERE status = 'pending';

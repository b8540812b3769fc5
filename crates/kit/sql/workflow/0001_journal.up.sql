-- The workflow journal (see kit::workflow): a module's invocations, the journal of their steps
-- (each step's row is committed with the step's database effects, so a step happens exactly
-- once), and the signals they wait for. souk-migrate renders this file into the schema of
-- every module whose migrations folder declares `workflow` in its kit.features, with the
-- schema quoted ("order" is a reserved word).
--
-- IF NOT EXISTS: before this feature existed the journal was created by the module's own
-- migration; a database that applied it adopts its tables (and its invocations) unchanged.
-- States are text with CHECKs: Spin's Postgres interface neither reads nor binds enum types.
CREATE TABLE IF NOT EXISTS {{schema}}.invocation (
    id              uuid PRIMARY KEY,              -- UUIDv7
    workflow        text NOT NULL,
    -- The starter's idempotency key: starting twice with it yields the same invocation.
    start_key       text NOT NULL CONSTRAINT invocation_start_key_key UNIQUE,
    input           jsonb NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CONSTRAINT invocation_status_valid
                    CHECK (status IN ('pending', 'waiting', 'compensating', 'completed', 'rolled_back',
                                      'failed', 'cancelled')),
    output          jsonb,
    error           jsonb,                         -- {status, code, message}: the last or final error
    rollback_cause  jsonb,                         -- set once the invocation is rolling back
    attempts        int4 NOT NULL DEFAULT 0,       -- runs started
    failures        int4 NOT NULL DEFAULT 0,       -- failed runs since the last retry/rollback
    next_attempt_at timestamptz,                   -- when it is due; NULL: only a signal wakes it
    waiting_for     text,                          -- the signal it waits for
    lease           uuid,                          -- the run that owns it
    lease_until     timestamptz,                   -- past it, another run may take over
    faults_fired    text[] NOT NULL DEFAULT '{}',  -- durable_faults points already fired (once each)
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);
-- What the sweep runs: due invocations that are not finished.
CREATE INDEX IF NOT EXISTS invocation_due_idx ON {{schema}}.invocation (next_attempt_at)
    WHERE status IN ('pending', 'waiting', 'compensating');
-- Who a signal wakes.
CREATE INDEX IF NOT EXISTS invocation_waiting_for_idx ON {{schema}}.invocation (waiting_for)
    WHERE status = 'waiting';
-- The operators' list, newest first.
CREATE INDEX IF NOT EXISTS invocation_created_idx ON {{schema}}.invocation (created_at DESC, id DESC);

-- One row per finished (or waiting) step, timer, signal wait and undo of an invocation; a
-- re-run replays these instead of running them again.
CREATE TABLE IF NOT EXISTS {{schema}}.invocation_step (
    invocation_id uuid NOT NULL REFERENCES {{schema}}.invocation ON DELETE CASCADE,
    name          text NOT NULL,                   -- unique in the invocation: the replay key
    seq           int4 NOT NULL,                   -- the order steps ran in; undos run it backwards
    kind          text NOT NULL
                  CONSTRAINT invocation_step_kind_valid CHECK (kind IN ('step', 'timer', 'signal', 'undo')),
    status        text NOT NULL
                  CONSTRAINT invocation_step_status_valid CHECK (status IN ('waiting', 'done', 'failed')),
    result        jsonb,
    undo          jsonb,                           -- what undoing the step needs
    error         jsonb,                           -- a terminal error, replayed as the step's result
    due_at        timestamptz,                     -- timers and signal deadlines
    attempt       int4 NOT NULL,                   -- the invocation's run that recorded it
    started_at    timestamptz NOT NULL,
    finished_at   timestamptz,
    PRIMARY KEY (invocation_id, name)
);

-- Signals by name; one sent before anyone waits is kept, and the first payload wins.
CREATE TABLE IF NOT EXISTS {{schema}}.workflow_signal (
    name        text PRIMARY KEY,
    payload     jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

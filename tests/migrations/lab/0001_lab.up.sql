-- supersedes sha256:7db3d77f337d211bdc56eedcc1ebd64dd1712473e1c6046644e7a6073d7f40ff
-- The test-only `lab` component's schema: a ledger the lab's workflows write to so tests can
-- count effects, and switches they read. Its workflow journal, outbox (which the outbox
-- benchmark relays to lab's own sink) and idempotency records are kit features, declared in
-- kit.features.
CREATE SCHEMA IF NOT EXISTS lab;

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

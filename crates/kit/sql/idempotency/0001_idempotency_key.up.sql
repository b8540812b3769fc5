-- Idempotency records (see kit::idempotency), one table per module schema so that a record is
-- written in the same transaction, on the same database, as the effect it answers for.
-- souk-migrate renders this file into the schema of every module whose migrations folder
-- declares `idempotency` in its kit.features, with the schema quoted ("order" is a reserved
-- word).
--
-- IF NOT EXISTS: before this feature existed each module created the same table in its own
-- migration; a database that applied those adopts its table (and its rows) unchanged.
CREATE TABLE IF NOT EXISTS {{schema}}.idempotency_key (
    caller       text NOT NULL,                  -- scopes keys: an account id, or `internal`
    key          text NOT NULL,                  -- the Idempotency-Key header as sent
    request_hash text NOT NULL,                  -- SHA-256 of the request: another one → 422
    status       int4,                           -- the stored response; NULL while the first runs
    body         bytea,
    content_type text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,           -- + idempotency_ttl_hours; then the key is new again
    PRIMARY KEY (caller, key)                    -- a repeat waits on the first one's row lock
);
-- Expired records are purged a batch at a time by later writes.
CREATE INDEX IF NOT EXISTS idempotency_key_expiry_idx
    ON {{schema}}.idempotency_key (expires_at);

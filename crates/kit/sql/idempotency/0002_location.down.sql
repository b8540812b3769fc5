ALTER TABLE {{schema}}.idempotency_key DROP COLUMN IF EXISTS location;

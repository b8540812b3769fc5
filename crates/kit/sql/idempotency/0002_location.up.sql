-- A replayed answer carries the `Location` of the first one (a created resource's address).
ALTER TABLE {{schema}}.idempotency_key ADD COLUMN IF NOT EXISTS location text;

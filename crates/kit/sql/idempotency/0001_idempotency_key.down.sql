DROP TABLE IF EXISTS {{schema}}.idempotency_key;

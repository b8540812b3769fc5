-- The durable module owns this schema and nothing outside it: other modules reach the journal
-- only through durable's internal API, never with a query or a foreign key.
CREATE SCHEMA IF NOT EXISTS durable;

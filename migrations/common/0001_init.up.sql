-- The common module owns this schema and nothing outside it: other modules reach shared resources
-- only through common's internal API, never with a query or a foreign key.
CREATE SCHEMA IF NOT EXISTS common;

-- The account module owns this schema and nothing outside it: other modules reach accounts
-- only through account's internal API, never with a query or a foreign key.
CREATE SCHEMA IF NOT EXISTS account;

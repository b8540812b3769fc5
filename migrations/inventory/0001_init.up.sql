-- The inventory module owns this schema and nothing outside it: other modules reach stock
-- only through inventory's internal API, never with a query or a foreign key.
CREATE SCHEMA IF NOT EXISTS inventory;

-- The promotion module owns this schema and nothing outside it: other modules reach promotions
-- only through promotion's internal API, never with a query or a foreign key.
CREATE SCHEMA IF NOT EXISTS promotion;

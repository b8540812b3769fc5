-- The analytic module owns this schema and nothing outside it: other modules reach analytics
-- only through analytic's internal API, never with a query or a foreign key.
CREATE SCHEMA IF NOT EXISTS analytic;

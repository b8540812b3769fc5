-- The chat module owns this schema and nothing outside it: other modules reach conversations
-- only through chat's internal API, never with a query or a foreign key.
CREATE SCHEMA IF NOT EXISTS chat;

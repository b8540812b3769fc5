-- The catalog module owns this schema and nothing outside it: other modules reach the catalog
-- only through catalog's internal API, never with a query or a foreign key.
CREATE SCHEMA IF NOT EXISTS catalog;
-- pgvector, for product embeddings. Created here because catalog is its first user; the
-- extension is database-wide, so rolling catalog back leaves it in place.
CREATE EXTENSION IF NOT EXISTS vector;

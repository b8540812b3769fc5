-- Search queries' embeddings, so a query asked again is not run through the model again.
-- Keyed by the model that made the vector (vectors of different models are not comparable)
-- and the query's normalised words. Entries older than a week are purged as new ones arrive.
CREATE TABLE catalog.query_embedding (
    model text NOT NULL,
    query text NOT NULL,
    embedding vector(384) NOT NULL,
    created_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    PRIMARY KEY (model, query)
);
CREATE INDEX query_embedding_created_idx ON catalog.query_embedding (created_at);

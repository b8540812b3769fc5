DROP TABLE IF EXISTS catalog.query_embedding;

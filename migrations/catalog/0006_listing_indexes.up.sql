-- Listing performance at catalog scale.
-- 1. Embeddings (1.5 kB each, pgvector's storage is already `external`) move out of line once a
--    row passes 256 bytes, so the rows that listings and full-text ranking read stay small; the
--    HNSW index keeps its own copy of every vector.
ALTER TABLE catalog.product SET (toast_tuple_target = 256);
-- 2. One index per sort, on exactly the key the listing orders by, so a sorted, filtered page
--    is read in order and stops after one page instead of sorting every match.
DROP INDEX catalog.product_price_idx;
DROP INDEX catalog.product_rating_idx;
DROP INDEX catalog.product_sold_idx;
CREATE INDEX product_price_asc_idx ON catalog.product ((coalesce(min_price, 10000000000000)::float8), id)
    WHERE deleted_at IS NULL AND enabled;
CREATE INDEX product_price_desc_idx ON catalog.product ((coalesce(min_price, -1)::float8) DESC, id DESC)
    WHERE deleted_at IS NULL AND enabled;
CREATE INDEX product_rating_idx ON catalog.product ((coalesce(rating_sum::float8 / nullif(rating_count, 0), 0)) DESC, id DESC)
    WHERE deleted_at IS NULL AND enabled;
CREATE INDEX product_sold_idx ON catalog.product ((sold::float8) DESC, id DESC)
    WHERE deleted_at IS NULL AND enabled;

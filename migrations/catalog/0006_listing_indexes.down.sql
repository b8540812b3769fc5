DROP INDEX IF EXISTS catalog.product_sold_idx;
DROP INDEX IF EXISTS catalog.product_rating_idx;
DROP INDEX IF EXISTS catalog.product_price_desc_idx;
DROP INDEX IF EXISTS catalog.product_price_asc_idx;
CREATE INDEX product_price_idx ON catalog.product (min_price, id) WHERE deleted_at IS NULL AND enabled;
CREATE INDEX product_rating_idx ON catalog.product ((rating_sum::float8 / nullif(rating_count, 0)), id)
    WHERE deleted_at IS NULL AND enabled;
CREATE INDEX product_sold_idx ON catalog.product (sold DESC, id DESC) WHERE deleted_at IS NULL AND enabled;
ALTER TABLE catalog.product RESET (toast_tuple_target);

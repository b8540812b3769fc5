DROP INDEX IF EXISTS catalog.product_rating_idx;
ALTER TABLE catalog.product DROP COLUMN IF EXISTS rating_count, DROP COLUMN IF EXISTS rating_sum;
DROP TABLE IF EXISTS catalog.review_vote;
DROP TABLE IF EXISTS catalog.review_reply;
DROP TABLE IF EXISTS catalog.review;

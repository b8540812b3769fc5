DROP TABLE IF EXISTS catalog.search_word;
ALTER TABLE IF EXISTS catalog.product DROP CONSTRAINT IF EXISTS product_featured_sku_fkey;
DROP TABLE IF EXISTS catalog.sku;
DROP TABLE IF EXISTS catalog.product;
DROP TABLE IF EXISTS catalog.tag;
DROP TABLE IF EXISTS catalog.category;

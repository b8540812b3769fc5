DROP INDEX IF EXISTS catalog.product_sold_idx;
ALTER TABLE catalog.product DROP COLUMN IF EXISTS sold, DROP COLUMN IF EXISTS in_stock;
ALTER TABLE catalog.sku DROP COLUMN IF EXISTS available, DROP COLUMN IF EXISTS sold, DROP COLUMN IF EXISTS stock_version;

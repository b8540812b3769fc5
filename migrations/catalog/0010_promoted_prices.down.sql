-- Price ranges over the SKUs' own prices again, without promoted prices.
ALTER TABLE catalog.sku
    DROP CONSTRAINT sku_promoted_price_within_price,
    DROP COLUMN priced_at,
    DROP COLUMN promoted_price;
UPDATE catalog.product p
SET min_price = s.lo, max_price = s.hi
FROM (SELECT product_id, min(price) AS lo, max(price) AS hi
      FROM catalog.sku WHERE deleted_at IS NULL GROUP BY product_id) s
WHERE s.product_id = p.id;

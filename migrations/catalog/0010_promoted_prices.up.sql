-- The price a shopper pays now for one unit of a SKU, after the automatic promotions running
-- now, as promotion last priced it (POST /internal/skus/reprice, sent through promotion's
-- outbox when a promotion changes and by its timers when a schedule opens or closes). Listings
-- filter and sort by it and cards show it, so the price a shopper sees is the price the list
-- is ordered by. Checkout asks promotion afresh; docs/promotions.md says how fresh this is.
--
--   promoted_price  NULL: no promotion lowers it (the SKU's own price applies). A promotion
--                   never raises a price, so it lies between 0 and the price (CHECK); a price
--                   change clears it until promotion prices the SKU again.
--   priced_at       the instant promotion's answer holds at: an answer older than the stored
--                   one is not applied, so messages overtaking each other leave the newest.
ALTER TABLE catalog.sku
    ADD COLUMN promoted_price int8,
    ADD COLUMN priced_at timestamptz,
    ADD CONSTRAINT sku_promoted_price_within_price
        CHECK (promoted_price IS NULL OR (promoted_price >= 0 AND promoted_price <= price));

-- A product's price range (min_price / max_price, which the price sorts and the price filter
-- read) is from now on over what its live SKUs cost after promotions (catalog's
-- product::refresh_prices); with no promoted price stored yet, today's ranges already are.

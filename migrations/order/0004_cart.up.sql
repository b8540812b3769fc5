-- Buyers' carts: one line per SKU, its quantity, and when it was added. A line names a SKU
-- only: its price, name and availability are read from catalog and inventory whenever the
-- cart is shown, so a cart never shows a stale price.
CREATE TABLE "order".cart_line (
    buyer_id  uuid NOT NULL,
    sku_id    uuid NOT NULL,
    quantity  int4 NOT NULL CONSTRAINT cart_line_quantity_range CHECK (quantity BETWEEN 1 AND 99),
    added_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (buyer_id, sku_id)
);

ALTER TABLE "order".checkout DROP CONSTRAINT checkout_cod_assigned_bounded;
ALTER TABLE "order".checkout DROP COLUMN cod_assigned_minor;
ALTER TABLE "order".checkout_shipment DROP COLUMN order_id;
DROP INDEX "order".checkout_item_order;
ALTER TABLE "order".checkout_item DROP CONSTRAINT checkout_item_order_set;
ALTER TABLE "order".checkout_item DROP COLUMN cancelled_by;
ALTER TABLE "order".checkout_item DROP COLUMN order_id;
ALTER TABLE "order".checkout_item DROP CONSTRAINT checkout_item_status_known;
ALTER TABLE "order".checkout_item ADD CONSTRAINT checkout_item_status_known
    CHECK (status IN ('pending', 'awaiting_seller', 'cancelled'));
DROP TABLE "order".order_part;
DROP TABLE "order".seller_order;

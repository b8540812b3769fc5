DROP TABLE IF EXISTS "order".ledger_entry;
DROP TABLE IF EXISTS "order".checkout_shipment;
DROP TABLE IF EXISTS "order".checkout_item;
DROP TABLE IF EXISTS "order".checkout;

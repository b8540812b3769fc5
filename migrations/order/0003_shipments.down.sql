DROP TABLE IF EXISTS "order".shipment_event;
DROP TABLE IF EXISTS "order".shipment;

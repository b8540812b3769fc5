DROP TABLE inventory.outbox;

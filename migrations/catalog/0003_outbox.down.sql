DROP TABLE IF EXISTS catalog.outbox;

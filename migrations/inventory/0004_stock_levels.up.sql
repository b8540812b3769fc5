-- Every change of a SKU's counts bumps its version and tells catalog the new levels (through
-- the outbox), so catalog can filter by availability and sort by units sold; the version lets
-- catalog ignore a level older than the one it has.
ALTER TABLE inventory.stock ADD COLUMN version int8 NOT NULL DEFAULT 0;

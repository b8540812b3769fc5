ALTER TABLE inventory.stock DROP COLUMN IF EXISTS version;

ALTER TABLE inventory.reservation_line DROP COLUMN IF EXISTS released;

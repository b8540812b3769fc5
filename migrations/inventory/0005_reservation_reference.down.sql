ALTER TABLE inventory.reservation DROP CONSTRAINT reservation_reference_key;

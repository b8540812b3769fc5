-- A reservation's lines can be released one by one (a buyer cancels one paid item before its
-- seller confirms, a seller rejects its part of a checkout): a released line's units are back
-- on sale, the reservation holds the rest, and it is released once no line is held.
ALTER TABLE inventory.reservation_line ADD COLUMN released bool NOT NULL DEFAULT false;

-- One reservation per reference (the checkout, or the workflow step, that holds the units).
-- The idempotency record of a reservation expires; this does not. A reserve retried after its
-- record is gone (an operator retrying a failed checkout days later) would otherwise hold the
-- units a second time: now it is refused with 409 `reservation_exists`, never applied twice.
--
-- References repeated before this migration are kept apart by the reservation's id, so the
-- history they appear in stays readable (at most 163 + 1 + 36 = 200 characters).
UPDATE inventory.reservation r
SET reference = left(r.reference, 163) || '#' || r.id::text
WHERE EXISTS (
    SELECT 1 FROM inventory.reservation o
    WHERE o.reference = r.reference AND o.id < r.id
);
ALTER TABLE inventory.reservation
    ADD CONSTRAINT reservation_reference_key UNIQUE (reference);

-- Refunds after delivery, in two stages, and disputes over refunds that failed.
--
-- order_refund
--   the buyer asks (requested) within the hold after delivery; the order's seller accepts
--   (stage 1: accepted, a return shipment booked from the buyer — `address` for a pick-up,
--   else the delivery address, where the buyer drops it off — back to the seller) and, once it
--   is back or on inspection, approves (stage 2: approved, the order's amount refunded to the
--   buyer's wallet, its payout cancelled) or rejects at either stage with a note (rejected).
--   A refund its seller leaves unanswered — requested for `refund_answer_secs`, or accepted
--   for that long after its return was delivered — is approved by the timeout (decided_by
--   `timeout`). One active (requested or accepted) refund per order. refund_to: the money
--   goes back to the buyer's wallet, or (`original`) through the gateway that took it where
--   the gateway makes refunds (the rest, and what the wallet paid, to the wallet)
--   round: the refund workflow's wait counter, signalled `refund:<id>:<round>`
-- dispute
--   the buyer or the seller of a rejected refund opens one with a note; an operator resolves
--   it in the buyer's favour (a refund of `refund_minor`, all or part of what is left of the
--   order) or the seller's. One open dispute per refund; while one is open the payout waits.
CREATE TABLE "order".order_refund (
    id                  uuid PRIMARY KEY,
    order_id            uuid NOT NULL REFERENCES "order".seller_order (id),
    buyer_id            uuid NOT NULL,
    seller_id           uuid NOT NULL,
    status              text NOT NULL DEFAULT 'requested' CONSTRAINT order_refund_status_known
                            CHECK (status IN ('requested', 'accepted', 'approved', 'rejected')),
    method              text NOT NULL CONSTRAINT order_refund_method_known
                            CHECK (method IN ('pick_up', 'drop_off')),
    reason              text NOT NULL,
    refund_to           text NOT NULL DEFAULT 'wallet' CONSTRAINT order_refund_to_known
                            CHECK (refund_to IN ('wallet', 'original')),
    address             jsonb,
    return_shipment_id  uuid REFERENCES "order".shipment (id),
    amount_minor        int8 CHECK (amount_minor >= 0),
    currency            text NOT NULL,
    rejection_note      text,
    rejected_at_stage   int4 CHECK (rejected_at_stage IN (1, 2)),
    decided_by          text CONSTRAINT order_refund_decided_by_known
                            CHECK (decided_by IN ('seller', 'timeout')),
    round               int4 NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now(),
    accepted_at         timestamptz,
    returned_at         timestamptz,
    decided_at          timestamptz,
    CONSTRAINT order_refund_pick_up_has_address CHECK (method <> 'pick_up' OR address IS NOT NULL),
    CONSTRAINT order_refund_approved_has_amount CHECK ((status = 'approved') = (amount_minor IS NOT NULL))
);
CREATE UNIQUE INDEX order_refund_one_active ON "order".order_refund (order_id)
    WHERE status IN ('requested', 'accepted');
CREATE INDEX order_refund_buyer ON "order".order_refund (buyer_id, created_at DESC, id DESC);
CREATE INDEX order_refund_seller ON "order".order_refund (seller_id, created_at DESC, id DESC);

CREATE TABLE "order".dispute (
    id               uuid PRIMARY KEY,
    refund_id        uuid NOT NULL REFERENCES "order".order_refund (id),
    order_id         uuid NOT NULL REFERENCES "order".seller_order (id),
    opened_by        uuid NOT NULL,
    opener           text NOT NULL CONSTRAINT dispute_opener_known
                         CHECK (opener IN ('buyer', 'seller')),
    reason           text NOT NULL,
    note             text NOT NULL,
    status           text NOT NULL DEFAULT 'open' CONSTRAINT dispute_status_known
                         CHECK (status IN ('open', 'resolved')),
    favour           text CONSTRAINT dispute_favour_known CHECK (favour IN ('buyer', 'seller')),
    refund_minor     int8 CHECK (refund_minor >= 0),
    resolution_note  text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    resolved_at      timestamptz,
    CONSTRAINT dispute_resolution_complete
        CHECK ((status = 'resolved') = (favour IS NOT NULL AND resolved_at IS NOT NULL))
);
CREATE UNIQUE INDEX dispute_one_open ON "order".dispute (refund_id) WHERE status = 'open';
CREATE INDEX dispute_open ON "order".dispute (status, created_at, id);

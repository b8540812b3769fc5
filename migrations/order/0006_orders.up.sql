-- Orders: what one seller ships to one buyer, made when the seller confirms paid items, and
-- the escrow of what the buyer paid for them until it is paid out to the seller.
--
-- checkout_item
--   status gains `confirming` (a seller's confirmation holds it) and `confirmed` (it is in
--   order `order_id`); `cancelled_by` says who cancelled a paid item: its buyer, its seller
--   (rejected) or the deadline (its seller did not confirm in time)
-- checkout_shipment
--   order_id: the order that took this seller's shipping (the first of its orders for the
--   checkout); the shipping the buyer paid is paid out with that order
-- checkout
--   cod_assigned_minor: cash on delivery already put on orders' shipments
-- The references to seller_order are checked at commit: a confirmation claims its items
-- before it knows what the order comes to, and writes the order in the same transaction.
-- seller_order
--   status          confirming (the confirmation runs), confirmed (booked with the carrier),
--                   delivered, completed (paid out), refunded (in full, its payout cancelled),
--                   or failed (the confirmation was refused: its items await the seller again;
--                   `reason`)
--   currency        the buyer's (the checkouts'): items_minor and shipping_minor are what the
--                   buyer paid for this order's items and the shipping it took; cod_minor is
--                   collected by the courier on delivery
--   payout_currency the seller's wallet's: gross_minor is items + shipping converted by each
--                   checkout's rate snapshot; commission_minor = commission_bps of the items'
--                   part, rounded down; fee_minor is the confirmation fee (the carrier's quote
--                   plus platform_fee_bps of the items' part, rounded up), taken from the
--                   seller's wallet, through a gateway (`fee_gateway`, by attempts owned by
--                   `order:<id>:fee` until `fee_expires_at`; the seller's asks set
--                   cancel_requested / wants_attempt) or, fee_source `payout`, from the payout;
--                   payout_minor = gross − commission − (the fee when taken from the payout)
--                   − cut
--   payout_status   held until the hold after delivery (or the deadline after confirmation)
--                   ends, then released to the seller's wallet
--   refunded_minor  what was refunded to the buyer after delivery (a refund, a dispute), in
--                   the order's currency; cut_minor what a partial refund took off the payout
--   round           the wait counter of the confirmation's fee payment (`confirm:<id>:<round>`)
--                   and then of the payout (`payout:<id>:<round>`): whatever concerns the wait
--                   (a payment settled, the seller's ask, a delivery) locks this row and signals
--                   it
CREATE TABLE "order".seller_order (
    id                uuid PRIMARY KEY,
    seller_id         uuid NOT NULL,
    buyer_id          uuid NOT NULL,
    buyer_name        text NOT NULL,
    status            text NOT NULL DEFAULT 'confirming' CONSTRAINT seller_order_status_known
                          CHECK (status IN ('confirming', 'confirmed', 'delivered', 'completed',
                                            'refunded', 'failed')),
    reason            text,
    service           text NOT NULL,
    delivery          jsonb NOT NULL,
    note              text NOT NULL DEFAULT '',
    currency          text NOT NULL CONSTRAINT seller_order_currency_valid
                          CHECK (currency ~ '^[A-Z]{3}$'),
    items_minor       int8 NOT NULL CHECK (items_minor >= 0),
    shipping_minor    int8 NOT NULL CHECK (shipping_minor >= 0),
    cod_minor         int8 NOT NULL CHECK (cod_minor >= 0),
    payout_currency   text NOT NULL CONSTRAINT seller_order_payout_currency_valid
                          CHECK (payout_currency ~ '^[A-Z]{3}$'),
    gross_minor       int8 NOT NULL CHECK (gross_minor >= 0),
    commission_bps    int4 NOT NULL CHECK (commission_bps BETWEEN 0 AND 10000),
    commission_minor  int8 NOT NULL CHECK (commission_minor >= 0),
    fee_minor         int8 NOT NULL CHECK (fee_minor >= 0),
    fee_source        text NOT NULL CONSTRAINT seller_order_fee_source_known
                          CHECK (fee_source IN ('wallet', 'payout', 'gateway')),
    fee_gateway       text,
    fee_method        text,
    fee_attempts      int4 NOT NULL DEFAULT 0,
    fee_expires_at    timestamptz,
    cancel_requested  bool NOT NULL DEFAULT false,
    wants_attempt     bool NOT NULL DEFAULT false,
    return_url        text NOT NULL DEFAULT '',
    client_ip         text NOT NULL DEFAULT '',
    payout_minor      int8 NOT NULL CHECK (payout_minor >= 0),
    refunded_minor    int8 NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0),
    cut_minor         int8 NOT NULL DEFAULT 0 CHECK (cut_minor >= 0),
    payout_status     text NOT NULL DEFAULT 'held' CONSTRAINT seller_order_payout_status_known
                          CHECK (payout_status IN ('held', 'released', 'cancelled')),
    shipment_id       uuid REFERENCES "order".shipment (id),
    round             int4 NOT NULL DEFAULT 0,
    invocation_id     uuid NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    confirmed_at      timestamptz,
    delivered_at      timestamptz,
    released_at       timestamptz,
    CONSTRAINT seller_order_fee_gateway_named
        CHECK ((fee_source = 'gateway') = (fee_gateway IS NOT NULL AND fee_expires_at IS NOT NULL)),
    CONSTRAINT seller_order_payout_adds_up
        CHECK (payout_minor = gross_minor - commission_minor
                              - CASE fee_source WHEN 'payout' THEN fee_minor ELSE 0 END
                              - cut_minor)
);
-- order_part
--   what one checkout contributed to an order: its items' and the shipping's amounts as the
--   buyer paid them, and the cash on delivery the order's shipment collects for it; a refund
--   gives each part back to its checkout's ledger (refunded_minor: how much of it so far)
CREATE TABLE "order".order_part (
    order_id        uuid NOT NULL REFERENCES "order".seller_order (id),
    checkout_id     uuid NOT NULL REFERENCES "order".checkout (id),
    items_minor     int8 NOT NULL CHECK (items_minor >= 0),
    shipping_minor  int8 NOT NULL CHECK (shipping_minor >= 0),
    cod_minor       int8 NOT NULL CHECK (cod_minor >= 0),
    refunded_minor  int8 NOT NULL DEFAULT 0,
    PRIMARY KEY (order_id, checkout_id),
    CONSTRAINT order_part_refund_bounded
        CHECK (refunded_minor BETWEEN 0 AND items_minor + shipping_minor)
);

CREATE INDEX seller_order_seller ON "order".seller_order (seller_id, created_at DESC, id DESC);
CREATE INDEX seller_order_buyer ON "order".seller_order (buyer_id, created_at DESC, id DESC);

ALTER TABLE "order".checkout_item DROP CONSTRAINT checkout_item_status_known;
ALTER TABLE "order".checkout_item ADD CONSTRAINT checkout_item_status_known
    CHECK (status IN ('pending', 'awaiting_seller', 'confirming', 'confirmed', 'cancelled'));
ALTER TABLE "order".checkout_item ADD COLUMN order_id uuid
    REFERENCES "order".seller_order (id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "order".checkout_item ADD COLUMN cancelled_by text
    CONSTRAINT checkout_item_cancelled_by_known CHECK (cancelled_by IN ('buyer', 'seller', 'deadline'));
ALTER TABLE "order".checkout_item ADD CONSTRAINT checkout_item_order_set
    CHECK ((status IN ('confirming', 'confirmed')) = (order_id IS NOT NULL));
CREATE INDEX checkout_item_order ON "order".checkout_item (order_id) WHERE order_id IS NOT NULL;

ALTER TABLE "order".checkout_shipment ADD COLUMN order_id uuid
    REFERENCES "order".seller_order (id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE "order".checkout ADD COLUMN cod_assigned_minor int8 NOT NULL DEFAULT 0;
ALTER TABLE "order".checkout ADD CONSTRAINT checkout_cod_assigned_bounded
    CHECK (cod_assigned_minor >= 0 AND cod_assigned_minor + cod_waived_minor <= cod_minor);

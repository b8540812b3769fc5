-- Checkouts: what a buyer asked to buy, priced once, and how it is paid. A checkout is driven
-- by its `checkout` workflow (kit::workflow, one invocation per checkout); these rows are what
-- the workflow's steps write, so the buyer's views read them and never the journal.
--
-- checkout
--   status          pending (reserving, pricing), awaiting_payment (a gateway attempt is
--                   out), paid, then nothing more; or cancelled (by the buyer), expired (the
--                   session ran out) or failed (a step was refused: out of stock, a limit,
--                   the wallet short), with `reason`
--   currency        the buyer's: every amount of the checkout, its items and its shipping is
--                   in it; `rate_snapshot_id` names the exchange-rate snapshot lines in other
--                   currencies were converted with (null when none needed converting)
--   wallet_minor    taken from the buyer's wallet; gateway_minor through `gateway`;
--                   cod_minor collected on delivery. wallet + gateway + cod = total
--   cancelled_minor what the buyer's cancelled items (and a seller's shipping, once all its
--                   items are cancelled) came to; of it, refunded_minor went back to the
--                   wallet and cod_waived_minor was cash on delivery no longer due
--   reservation_id  inventory's reservation of the checkout's stock: held until each seller
--                   confirms (its lines are released one by one when items are cancelled)
--   round           the workflow's wait counter: whatever concerns a waiting checkout (a
--                   payment settled, the buyer cancelled or asked for a new payment URL)
--                   locks this row and signals `checkout:<id>:<round>`
--   cancel_requested, wants_attempt  the buyer's asks, read by the workflow's next look
--   redeemed        whether promotions were redeemed under the reference `checkout:<id>`
--   invocation_id   the checkout workflow's invocation
-- checkout_item
--   one line: the SKU as it was priced. unit_price_minor is the seller's price converted to
--   the checkout's currency; total_minor = unit_price_minor × quantity − discount_minor.
--   status: pending until the checkout is paid, then awaiting_seller; cancelled when the
--   checkout ends without payment, or when the buyer cancels the paid item before its seller
--   confirms (cancelled_at)
-- checkout_shipment
--   one per seller: the carrier's quote for that seller's lines (in the carrier's currency
--   and converted), and what promotions took off it
-- ledger_entry
--   order's append-only money ledger: money taken for a checkout (`kind`: from the wallet,
--   through a gateway) and money given back (`kind`: the way it went back — to the wallet, or
--   through the gateway), each give-back naming the entry it reverses; several partial
--   give-backs may reverse one entry, never more than it took. For every checkout,
--   taken − given back = what order holds for it: wallet + gateway − refunded_minor when paid,
--   0 when it ended unpaid. The wallet rows match the buyer's wallet entries for the checkout.
CREATE TABLE "order".checkout (
    id                      uuid PRIMARY KEY,
    buyer_id                uuid NOT NULL,
    invocation_id           uuid NOT NULL,
    status                  text NOT NULL DEFAULT 'pending' CONSTRAINT checkout_status_known
                                CHECK (status IN ('pending', 'awaiting_payment', 'paid',
                                                  'cancelled', 'expired', 'failed')),
    source                  text NOT NULL CONSTRAINT checkout_source_known
                                CHECK (source IN ('cart', 'buy_now')),
    currency                text NOT NULL CONSTRAINT checkout_currency_valid
                                CHECK (currency ~ '^[A-Z]{3}$'),
    rate_snapshot_id        uuid,
    subtotal_minor          int8 NOT NULL CHECK (subtotal_minor >= 0),
    discount_minor          int8 NOT NULL CHECK (discount_minor >= 0),
    shipping_minor          int8 NOT NULL CHECK (shipping_minor >= 0),
    shipping_discount_minor int8 NOT NULL CHECK (shipping_discount_minor >= 0),
    total_minor             int8 NOT NULL CHECK (total_minor >= 0),
    cashback_minor          int8 NOT NULL DEFAULT 0 CHECK (cashback_minor >= 0),
    wallet_minor            int8 NOT NULL CHECK (wallet_minor >= 0),
    gateway_minor           int8 NOT NULL CHECK (gateway_minor >= 0),
    cod_minor               int8 NOT NULL CHECK (cod_minor >= 0),
    gateway                 text,
    method                  text,
    delivery                jsonb NOT NULL,
    codes                   jsonb NOT NULL DEFAULT '[]',
    redeemed                bool NOT NULL DEFAULT false,
    return_url              text NOT NULL,
    buyer_ip                text NOT NULL,
    cancelled_minor         int8 NOT NULL DEFAULT 0 CHECK (cancelled_minor >= 0),
    refunded_minor          int8 NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0),
    cod_waived_minor        int8 NOT NULL DEFAULT 0 CHECK (cod_waived_minor >= 0),
    reservation_id          uuid,
    round                   int4 NOT NULL DEFAULT 0,
    attempts                int4 NOT NULL DEFAULT 0,
    cancel_requested        bool NOT NULL DEFAULT false,
    wants_attempt           bool NOT NULL DEFAULT false,
    reason                  text,
    created_at              timestamptz NOT NULL DEFAULT now(),
    expires_at              timestamptz NOT NULL,
    paid_at                 timestamptz,
    ended_at                timestamptz,
    CONSTRAINT checkout_amounts_add_up
        CHECK (subtotal_minor - discount_minor + shipping_minor - shipping_discount_minor
               = total_minor),
    CONSTRAINT checkout_split_adds_up
        CHECK (wallet_minor + gateway_minor + cod_minor = total_minor),
    CONSTRAINT checkout_gateway_named CHECK ((gateway_minor > 0) = (gateway IS NOT NULL)),
    CONSTRAINT checkout_cancellations_add_up
        CHECK (cancelled_minor = refunded_minor + cod_waived_minor
               AND cancelled_minor <= total_minor AND cod_waived_minor <= cod_minor
               AND refunded_minor <= wallet_minor + gateway_minor)
);
CREATE INDEX checkout_buyer ON "order".checkout (buyer_id, created_at DESC, id DESC);

CREATE TABLE "order".checkout_item (
    id                 uuid PRIMARY KEY,
    checkout_id        uuid NOT NULL REFERENCES "order".checkout (id),
    seller_id          uuid NOT NULL,
    sku_id             uuid NOT NULL,
    product_id         uuid NOT NULL,
    name               text NOT NULL,
    quantity           int4 NOT NULL CHECK (quantity > 0),
    seller_currency    text NOT NULL,
    seller_unit_minor  int8 NOT NULL CHECK (seller_unit_minor >= 0),
    unit_price_minor   int8 NOT NULL CHECK (unit_price_minor >= 0),
    discount_minor     int8 NOT NULL CHECK (discount_minor >= 0),
    total_minor        int8 NOT NULL CHECK (total_minor >= 0),
    status             text NOT NULL DEFAULT 'pending' CONSTRAINT checkout_item_status_known
                           CHECK (status IN ('pending', 'awaiting_seller', 'cancelled')),
    cancelled_at       timestamptz,
    CONSTRAINT checkout_item_total_adds_up
        CHECK (unit_price_minor * quantity - discount_minor = total_minor),
    UNIQUE (checkout_id, sku_id)
);
CREATE INDEX checkout_item_seller ON "order".checkout_item (seller_id, status, id);

CREATE TABLE "order".checkout_shipment (
    checkout_id        uuid NOT NULL REFERENCES "order".checkout (id),
    seller_id          uuid NOT NULL,
    service            text NOT NULL,
    carrier            text NOT NULL,
    carrier_fee_minor  int8 NOT NULL CHECK (carrier_fee_minor >= 0),
    carrier_currency   text NOT NULL,
    fee_minor          int8 NOT NULL CHECK (fee_minor >= 0),
    discount_minor     int8 NOT NULL CHECK (discount_minor >= 0),
    pickup             jsonb NOT NULL,
    parcel             jsonb NOT NULL,
    PRIMARY KEY (checkout_id, seller_id),
    CONSTRAINT checkout_shipment_discount_bounded CHECK (discount_minor <= fee_minor)
);

CREATE TABLE "order".ledger_entry (
    id            uuid PRIMARY KEY,
    checkout_id   uuid NOT NULL REFERENCES "order".checkout (id),
    kind          text NOT NULL CONSTRAINT ledger_entry_kind_known
                      CHECK (kind IN ('wallet', 'gateway', 'cash_on_delivery')),
    direction     text NOT NULL CONSTRAINT ledger_entry_direction_known
                      CHECK (direction IN ('taken', 'given_back')),
    amount_minor  int8 NOT NULL CONSTRAINT ledger_entry_amount_positive CHECK (amount_minor > 0),
    currency      text NOT NULL,
    reverses_id   uuid REFERENCES "order".ledger_entry (id),
    reference     text NOT NULL CONSTRAINT ledger_entry_reference_key UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ledger_entry_reversal_gives_back
        CHECK ((direction = 'given_back') = (reverses_id IS NOT NULL))
);
CREATE INDEX ledger_entry_checkout ON "order".ledger_entry (checkout_id, created_at);

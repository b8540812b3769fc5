-- Shipments booked with the carrier (the provider in order's `souk:shipping/carrier`
-- dependency), where each stands, and everything the carrier said about each.
--
-- shipment
--   reference       what the carrier knows it by besides its tracking code (GHTK's partner
--                   order id): the id without dashes
--   owner           what it ships (an order), for its owner to find it
--   state           Souk's shipment states (wit/shipping: booked … delivered, returned,
--                   cancelled, lost); moved only forward by the rule in model/shipment.rs
--   final           the carrier says nothing can follow
--   fee_minor       what the carrier charges, insurance included; cod_minor what the courier
--                   collects from the buyer (0: nothing)
-- shipment_event
--   every status the carrier reported, by webhook or when asked, applied or not: `applied` is
--   false for a report that came out of order or after a final state; shipment_id is NULL for
--   a webhook naming a tracking code Souk never booked (recorded, then ignored)
CREATE TABLE "order".shipment (
    id              uuid PRIMARY KEY,
    reference       text NOT NULL CONSTRAINT shipment_reference_key UNIQUE,
    owner           text NOT NULL,
    carrier         text NOT NULL,
    tracking_code   text NOT NULL,
    label           text NOT NULL,
    service         text NOT NULL CONSTRAINT shipment_service_known
                        CHECK (service IN ('express', 'standard', 'economy')),
    state           text NOT NULL CONSTRAINT shipment_state_known
                        CHECK (state IN ('booked', 'picking_up', 'pickup_failed', 'picked_up',
                                         'out_for_delivery', 'delivery_failed', 'delivered',
                                         'returning', 'returned', 'cancelled', 'lost')),
    final           boolean NOT NULL DEFAULT false,
    currency        text NOT NULL CONSTRAINT shipment_currency_valid CHECK (currency ~ '^[A-Z]{3}$'),
    fee_minor       int8 NOT NULL CONSTRAINT shipment_fee_not_negative CHECK (fee_minor >= 0),
    cod_minor       int8 NOT NULL CONSTRAINT shipment_cod_not_negative CHECK (cod_minor >= 0),
    pickup_at       timestamptz,
    deliver_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT shipment_tracking_key UNIQUE (carrier, tracking_code)
);
CREATE INDEX shipment_owner ON "order".shipment (owner, created_at);

CREATE TABLE "order".shipment_event (
    id              uuid PRIMARY KEY,
    shipment_id     uuid REFERENCES "order".shipment (id),
    carrier         text NOT NULL,
    tracking_code   text NOT NULL,
    state           text NOT NULL,
    carrier_status  text NOT NULL,
    detail          text NOT NULL,
    delayed         boolean NOT NULL,
    applied         boolean NOT NULL,
    source          text NOT NULL CONSTRAINT shipment_event_source_known
                        CHECK (source IN ('booking', 'webhook', 'poll')),
    reported_at     timestamptz,
    received_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shipment_event_shipment ON "order".shipment_event (shipment_id, received_at);

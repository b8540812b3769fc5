-- supersedes sha256:f51c9ff8209a641097bd440d19869fa753a9837fcec3c37600634f6c18c874da
-- (idempotency_key, once created here too, is kit's `idempotency` feature now: see kit.features.)
-- Stock of each catalog SKU, its serial numbers, reservations, and the history of every change.
--
-- Invariants the database itself enforces, so no code path can break them:
--   * available, reserved and sold never go negative (CHECKs): a reservation is one
--     conditional UPDATE of `available`, so racing checkouts can never oversell;
--   * a serial belongs to one SKU, is unique within it, and is tied to a reservation exactly
--     when it is reserved or sold;
--   * a reservation line names a SKU that has stock, once per reservation.
-- States are text with CHECKs rather than enum types: Spin's Postgres interface neither
-- reads nor binds enums, and a CHECK is as strict.

CREATE TABLE inventory.stock (
    sku_id          uuid PRIMARY KEY,         -- catalog's SKU id (no foreign key across modules)
    seller_id       uuid NOT NULL,            -- the account that owns the SKU and may change it
    available       int8 NOT NULL DEFAULT 0 CONSTRAINT stock_available_not_negative CHECK (available >= 0),
    reserved        int8 NOT NULL DEFAULT 0 CONSTRAINT stock_reserved_not_negative CHECK (reserved >= 0),
    sold            int8 NOT NULL DEFAULT 0 CONSTRAINT stock_sold_not_negative CHECK (sold >= 0),
    serial_required bool NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stock_seller_idx ON inventory.stock (seller_id);
-- Best sellers for recommendations.
CREATE INDEX stock_sold_idx ON inventory.stock (sold DESC, sku_id);

CREATE TABLE inventory.reservation (
    id          uuid PRIMARY KEY,
    reference   text NOT NULL CHECK (length(reference) BETWEEN 1 AND 200),  -- e.g. the checkout
    status      text NOT NULL CONSTRAINT reservation_status_valid CHECK (status IN ('held', 'released', 'committed')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE inventory.reservation_line (
    reservation_id uuid NOT NULL REFERENCES inventory.reservation (id) ON DELETE CASCADE,
    sku_id         uuid NOT NULL REFERENCES inventory.stock (sku_id),
    quantity       int8 NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (reservation_id, sku_id)
);

CREATE TABLE inventory.serial (
    sku_id         uuid NOT NULL REFERENCES inventory.stock (sku_id) ON DELETE CASCADE,
    serial         text NOT NULL CONSTRAINT serial_length CHECK (length(serial) BETWEEN 1 AND 100),
    status         text NOT NULL DEFAULT 'active'
                   CONSTRAINT serial_status_valid CHECK (status IN ('active', 'inactive', 'reserved', 'sold', 'damaged')),
    reservation_id uuid REFERENCES inventory.reservation (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT serial_pkey PRIMARY KEY (sku_id, serial),
    CONSTRAINT serial_reservation_matches_status
        CHECK ((status IN ('reserved', 'sold')) = (reservation_id IS NOT NULL))
);
-- Reservations take the oldest active serials first, skipping rows other reservations hold.
CREATE INDEX serial_active_idx ON inventory.serial (sku_id, created_at, serial) WHERE status = 'active';
CREATE INDEX serial_reservation_idx ON inventory.serial (reservation_id) WHERE reservation_id IS NOT NULL;

-- Every change of a SKU's counts, append-only: what changed, why, and on whose behalf.
CREATE TABLE inventory.history (
    id              uuid PRIMARY KEY,          -- UUIDv7: its order is the order of changes
    sku_id          uuid NOT NULL REFERENCES inventory.stock (sku_id) ON DELETE CASCADE,
    kind            text NOT NULL CONSTRAINT history_kind_valid
                    CHECK (kind IN ('create', 'import', 'adjust', 'serial', 'reserve', 'release', 'commit')),
    available_delta int8 NOT NULL DEFAULT 0,
    reserved_delta  int8 NOT NULL DEFAULT 0,
    sold_delta      int8 NOT NULL DEFAULT 0,
    reason          text,
    reference       text,                      -- reservation id, checkout, …
    actor           text NOT NULL,             -- account id, or `internal`
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX history_sku_idx ON inventory.history (sku_id, id DESC);

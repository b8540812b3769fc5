-- Promotions, their use counters and the redemptions checkouts reserve against them.
--
-- Invariants the database itself enforces, so no code path can break them:
--   * a seller's promotion names its seller, a platform's names nobody (CHECK);
--   * a percentage lies in 1..100, an amount is positive, an end comes after its start;
--   * a code is unique, case-insensitively, among live promotions (partial unique index on
--     lower(code)): an ended promotion gives its code back, so a seller can run "SUMMER" again
--     next year while the old one keeps its history;
--   * uses never exceed the total use limit, spend never exceeds the budget, a buyer's uses
--     never exceed the per-buyer limit (CHECKs on the counter rows, which carry their limits:
--     a CHECK cannot read another table, so the limits live where the counts do);
--   * a redemption is for one checkout reference, once, whatever its state.
-- States and kinds are text with CHECKs rather than enum types: Spin's Postgres interface
-- neither reads nor binds enums, and a CHECK is as strict.

CREATE TABLE promotion.promotion (
    id              uuid PRIMARY KEY,                 -- UUIDv7: lists page by it, oldest first
    owner_kind      text NOT NULL CONSTRAINT promotion_owner_kind_valid CHECK (owner_kind IN ('seller', 'platform')),
    owner_id        uuid,                             -- the seller's account id; NULL for the platform
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- What it gives. `kind` is a column of its own (lists filter by it, the counters need to
    -- know whether spend is counted); its parameters (percent, amount, X and Y, bundle price…)
    -- are `terms`, the serialised form of the rules' kind, read back by the same type.
    kind            text NOT NULL CONSTRAINT promotion_kind_valid
                    CHECK (kind IN ('percentage', 'fixed', 'shipping', 'buy_x_get_y', 'bundle', 'cashback')),
    terms           jsonb NOT NULL CHECK (jsonb_typeof(terms) = 'object'),
    -- What it applies to: all of the owner's products, or the listed products, SKUs or
    -- categories (subcategories included at quote time, from the ancestry the caller gives).
    -- Typed so that lists filter by an id with the GIN index; catalog's ids, no foreign key.
    target_kind     text NOT NULL CONSTRAINT promotion_target_kind_valid
                    CHECK (target_kind IN ('all', 'products', 'skus', 'categories')),
    target_ids      uuid[] NOT NULL DEFAULT '{}',
    CONSTRAINT promotion_target_ids_match_kind
        CHECK ((target_kind = 'all') = (cardinality(target_ids) = 0)),
    -- The conditions the quote checks (minimum spend, maximum discount, first order only);
    -- the limits counted at reservation are columns of promotion.usage.
    conditions      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(conditions) = 'object'),
    -- NULL: automatic. Otherwise a voucher the shopper types, matched case-insensitively.
    code            text CONSTRAINT promotion_code_format CHECK (code ~ '^[A-Za-z0-9_-]{3,32}$'),
    priority        int4 NOT NULL DEFAULT 0 CHECK (priority BETWEEN -1000 AND 1000),
    exclusive       bool NOT NULL DEFAULT false,
    -- Minor units of `currency` for every amount in terms, conditions and the budget.
    currency        text CONSTRAINT promotion_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
    -- The schedule: always a start, an optional end, optional recurring windows (rules'
    -- schedule type, in its IANA timezone). Start and end are columns so that the status
    -- filter (scheduled / active / ended) is an indexed comparison.
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz,
    CONSTRAINT promotion_ends_after_start CHECK (ends_at IS NULL OR ends_at > starts_at),
    schedule        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(schedule) = 'object'),
    -- Set when the owner deletes a promotion that has been redeemed (it is ended, not deleted,
    -- so orders keep their history), or ends it early. An ended promotion is never live again.
    ended_at        timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT promotion_owner_matches_kind CHECK ((owner_kind = 'seller') = (owner_id IS NOT NULL))
);
CREATE UNIQUE INDEX promotion_code_key ON promotion.promotion (lower(code))
    WHERE code IS NOT NULL AND ended_at IS NULL;
CREATE INDEX promotion_owner_idx ON promotion.promotion (owner_kind, owner_id, id);
CREATE INDEX promotion_targets_idx ON promotion.promotion USING gin (target_ids);
-- The quote reads the live automatic promotions of a handful of sellers and the platform.
CREATE INDEX promotion_live_idx ON promotion.promotion (owner_id, starts_at) WHERE ended_at IS NULL;

-- One row per promotion: its limits and what has been taken of them. Reservations lock this
-- row (in promotion id order, so two checkouts never deadlock), so concurrent checkouts take
-- uses and budget one after the other; the CHECKs are the backstop.
CREATE TABLE promotion.usage (
    promotion_id    uuid PRIMARY KEY REFERENCES promotion.promotion (id) ON DELETE CASCADE,
    total_limit     int8 CONSTRAINT usage_total_limit_positive CHECK (total_limit > 0),
    per_buyer_limit int8 CONSTRAINT usage_per_buyer_limit_positive CHECK (per_buyer_limit > 0),
    budget_minor    int8 CONSTRAINT usage_budget_positive CHECK (budget_minor > 0),
    -- Held by reserved and committed redemptions; a release gives them back.
    uses            int8 NOT NULL DEFAULT 0 CONSTRAINT usage_uses_not_negative CHECK (uses >= 0),
    spent_minor     int8 NOT NULL DEFAULT 0 CONSTRAINT usage_spent_not_negative CHECK (spent_minor >= 0),
    -- Ever reserved, never given back: a promotion that has been redeemed is ended, not deleted.
    redeemed        bool NOT NULL DEFAULT false,
    CONSTRAINT usage_within_total_limit CHECK (total_limit IS NULL OR uses <= total_limit),
    CONSTRAINT usage_within_budget CHECK (budget_minor IS NULL OR spent_minor <= budget_minor)
);

-- A buyer's uses of a promotion, for the per-buyer limit (checked under the usage row's lock).
CREATE TABLE promotion.buyer_usage (
    promotion_id    uuid NOT NULL REFERENCES promotion.usage (promotion_id) ON DELETE CASCADE,
    buyer_id        uuid NOT NULL,                    -- account's id, no foreign key across modules
    uses            int8 NOT NULL DEFAULT 0 CONSTRAINT buyer_usage_uses_not_negative CHECK (uses >= 0),
    PRIMARY KEY (promotion_id, buyer_id)
);

-- A checkout's hold on promotions: reserved while it pays, committed when paid, released when
-- cancelled or expired. One per reference for ever: a reserve retried after its idempotency
-- record expired is refused instead of taking the uses twice.
CREATE TABLE promotion.redemption (
    id          uuid PRIMARY KEY,
    reference   text NOT NULL CONSTRAINT redemption_reference_key UNIQUE
                CHECK (length(reference) BETWEEN 1 AND 200),
    buyer_id    uuid,                                 -- NULL for a guest checkout
    status      text NOT NULL CONSTRAINT redemption_status_valid
                CHECK (status IN ('reserved', 'committed', 'released')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- What a redemption took of each promotion: one use and the discount it gave (minor units of
-- the promotion's currency), given back on release. RESTRICT: a redeemed promotion stays.
CREATE TABLE promotion.redemption_line (
    redemption_id uuid NOT NULL REFERENCES promotion.redemption (id) ON DELETE CASCADE,
    promotion_id  uuid NOT NULL REFERENCES promotion.promotion (id) ON DELETE RESTRICT,
    amount_minor  int8 NOT NULL CONSTRAINT redemption_line_amount_not_negative CHECK (amount_minor >= 0),
    PRIMARY KEY (redemption_id, promotion_id)
);
CREATE INDEX redemption_line_promotion_idx ON promotion.redemption_line (promotion_id);

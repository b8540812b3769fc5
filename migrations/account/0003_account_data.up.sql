-- What an account keeps besides its profile: the wallet ledger, contacts (addresses),
-- favourites, notifications and saved payment methods.
--
-- Invariants held by the database:
--   * the wallet balance never goes negative (CHECK on account.wallet), and every change has
--     an append-only ledger entry with the balance it left;
--   * an account has at most one default contact and one default payment method (partial
--     unique indexes); a product is a favourite at most once;
--   * payment methods hold provider references only — never card numbers.

CREATE TABLE account.wallet_entry (
    id            uuid PRIMARY KEY,                  -- UUIDv7: ledger order
    account_id    uuid NOT NULL REFERENCES account.account (id) ON DELETE CASCADE,
    kind          text NOT NULL CONSTRAINT wallet_entry_kind_valid CHECK (kind IN ('credit', 'debit')),
    amount        int8 NOT NULL CONSTRAINT wallet_entry_amount_positive CHECK (amount > 0),
    currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    balance_after int8 NOT NULL CHECK (balance_after >= 0),
    reason        text NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
    reference     text CHECK (length(reference) <= 200),
    idempotency_key text,                            -- the caller's key: one entry per key
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX wallet_entry_account_idx ON account.wallet_entry (account_id, id DESC);

CREATE TABLE account.contact (
    id           uuid PRIMARY KEY,
    account_id   uuid NOT NULL REFERENCES account.account (id) ON DELETE CASCADE,
    full_name    text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 100),
    phone        text NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{7,14}$'),
    address      text NOT NULL CHECK (length(address) BETWEEN 1 AND 255),
    address_type text NOT NULL CONSTRAINT contact_address_type_valid CHECK (address_type IN ('home', 'work')),
    is_default   bool NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_account_idx ON account.contact (account_id, id);
CREATE UNIQUE INDEX contact_one_default ON account.contact (account_id) WHERE is_default;

CREATE TABLE account.favorite (
    id         uuid NOT NULL UNIQUE,                 -- UUIDv7: listing order
    account_id uuid NOT NULL REFERENCES account.account (id) ON DELETE CASCADE,
    spu_id     uuid NOT NULL,                        -- catalog's product (no cross-module key)
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, spu_id)
);
CREATE INDEX favorite_account_idx ON account.favorite (account_id, id DESC);

CREATE TABLE account.notification (
    id         uuid PRIMARY KEY,                     -- UUIDv7: newest first by id
    account_id uuid NOT NULL REFERENCES account.account (id) ON DELETE CASCADE,
    type       text NOT NULL CHECK (type ~ '^[a-z][a-z_]{0,49}$'),
    channel    text NOT NULL DEFAULT 'in_app' CHECK (channel IN ('in_app')),
    title      text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    content    text NOT NULL DEFAULT '' CHECK (length(content) <= 5000),
    metadata   jsonb,
    is_read    bool NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_account_idx ON account.notification (account_id, id DESC);
CREATE INDEX notification_unread_idx ON account.notification (account_id) WHERE NOT is_read;

CREATE TABLE account.payment_method (
    id                 uuid PRIMARY KEY,
    account_id         uuid NOT NULL REFERENCES account.account (id) ON DELETE CASCADE,
    provider           text NOT NULL CHECK (provider ~ '^[a-z][a-z0-9_-]{1,31}$'),
    provider_reference text NOT NULL CHECK (length(provider_reference) BETWEEN 1 AND 255),
    label              text NOT NULL DEFAULT '' CHECK (length(label) <= 100),
    brand              text CHECK (length(brand) <= 30),
    last4              text CHECK (last4 ~ '^[0-9]{4}$'),
    is_default         bool NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT payment_method_reference_key UNIQUE (account_id, provider, provider_reference)
);
CREATE UNIQUE INDEX payment_method_one_default ON account.payment_method (account_id) WHERE is_default;

-- supersedes sha256:d66f3856daf8681d8f5ae1e7f01a813e6c1cd36735ab26464e2ff0cf3ba6f499
-- (idempotency_key, once created here too, is kit's `idempotency` feature now: see kit.features.)
-- Accounts, their profiles and sign-in sessions.
--
-- Decisions:
--   * username, email and phone are each optional but at least one is required, and each is
--     unique when present (stored normalised: lower-case username and e-mail, E.164 phone), so
--     "duplicate username/email/phone" is a constraint violation the API turns into 409.
--   * The profile lives on the account row (one row, one lock), including the country the
--     account's currency is inferred from; the currency is never stored.
--   * Refresh tokens are stored as SHA-256 hashes, never in clear. Each sign-in starts a
--     family; every refresh rotates the token within its family; presenting a rotated token
--     again revokes the whole family (it was stolen or replayed).
--   * States are text with CHECKs (Spin's Postgres interface does not bind enum types).

CREATE TABLE account.account (
    id                 uuid PRIMARY KEY,
    username           text CONSTRAINT account_username_key UNIQUE,
    email              text CONSTRAINT account_email_key UNIQUE,
    phone              text CONSTRAINT account_phone_key UNIQUE,
    password_hash      text NOT NULL,
    status             text NOT NULL DEFAULT 'active' CONSTRAINT account_status_valid CHECK (status IN ('active', 'suspended')),
    country            text NOT NULL CONSTRAINT account_country_format CHECK (country ~ '^[A-Z]{2}$'),
    name               text NOT NULL DEFAULT '' CHECK (length(name) <= 100),
    gender             text CHECK (gender IN ('male', 'female', 'other')),
    date_of_birth      date CHECK (date_of_birth >= '1900-01-01'),
    avatar_resource_id uuid,
    description        text CHECK (length(description) <= 500),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT account_has_identifier CHECK (username IS NOT NULL OR email IS NOT NULL OR phone IS NOT NULL),
    CONSTRAINT account_username_format CHECK (username ~ '^[a-z][a-z0-9_.]{2,29}$'),
    CONSTRAINT account_email_format CHECK (email = lower(email) AND position('@' in email) > 1),
    CONSTRAINT account_phone_format CHECK (phone ~ '^\+[1-9][0-9]{7,14}$')
);

CREATE TABLE account.refresh_token (
    id          uuid PRIMARY KEY,
    family_id   uuid NOT NULL,                 -- the session: every rotation stays in it
    account_id  uuid NOT NULL REFERENCES account.account (id) ON DELETE CASCADE,
    token_hash  text NOT NULL CONSTRAINT refresh_token_hash_key UNIQUE,
    status      text NOT NULL DEFAULT 'active' CONSTRAINT refresh_token_status_valid CHECK (status IN ('active', 'rotated', 'revoked')),
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_token_family_idx ON account.refresh_token (family_id);
CREATE INDEX refresh_token_account_idx ON account.refresh_token (account_id) WHERE status = 'active';

-- The wallet balance, in the currency of the account's country; its ledger comes with the
-- wallet endpoints. A country change is refused while it is not zero.
CREATE TABLE account.wallet (
    account_id uuid PRIMARY KEY REFERENCES account.account (id) ON DELETE CASCADE,
    balance    int8 NOT NULL DEFAULT 0 CONSTRAINT wallet_balance_not_negative CHECK (balance >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);

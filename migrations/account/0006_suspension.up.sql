-- An operator's suspension of an account: when it began and why, kept on the account row
-- (one row, one lock: sign-in reads the status under the same lock the suspension takes).
--
-- Decisions:
--   * `suspended_at` is set exactly while the status is 'suspended' (the CHECK), so the
--     status and its time never disagree; reinstating clears both.
--   * The reason is the operator's note, shown to operators, never to the account: bounded
--     like a description.
--   * Rows suspended before this migration (the status existed, with no way to set it through
--     the API) are given the migration's time.
ALTER TABLE account.account
    ADD COLUMN suspended_at      timestamptz,
    ADD COLUMN suspension_reason text CONSTRAINT account_suspension_reason_length
        CHECK (length(suspension_reason) <= 500);
UPDATE account.account SET suspended_at = now() WHERE status = 'suspended';
ALTER TABLE account.account ADD CONSTRAINT account_suspended_at_matches_status
    CHECK ((status = 'suspended') = (suspended_at IS NOT NULL));

ALTER TABLE account.account
    DROP CONSTRAINT IF EXISTS account_suspended_at_matches_status,
    DROP COLUMN IF EXISTS suspension_reason,
    DROP COLUMN IF EXISTS suspended_at;

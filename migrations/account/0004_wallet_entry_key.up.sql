-- A ledger entry's idempotency key is unique per account. The idempotency record answers a
-- repeated credit or debit, but it expires (idempotency_ttl_hours), and a workflow an operator
-- retries days later sends the same key again: this index is the backstop that refuses such a
-- movement (409 wallet_entry_exists) instead of applying it twice.
CREATE UNIQUE INDEX wallet_entry_key_unique ON account.wallet_entry (account_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

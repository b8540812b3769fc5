DROP INDEX IF EXISTS account.wallet_entry_key_unique;

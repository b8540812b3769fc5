DROP TRIGGER IF EXISTS wallet_currency_needs_empty ON account.wallet;
DROP FUNCTION IF EXISTS account.wallet_currency_needs_empty();
DROP TRIGGER IF EXISTS wallet_entry_currency_matches ON account.wallet_entry;
DROP FUNCTION IF EXISTS account.wallet_entry_currency_matches();
ALTER TABLE account.wallet DROP COLUMN IF EXISTS currency;

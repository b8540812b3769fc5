DROP TABLE account.wallet;
DROP TABLE account.refresh_token;
DROP TABLE account.account;

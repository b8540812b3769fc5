DROP TABLE account.payment_method;
DROP TABLE account.notification;
DROP TABLE account.favorite;
DROP TABLE account.contact;
DROP TABLE account.wallet_entry;

-- The wallet holds its currency itself. Before, a movement read the currency from the account's
-- country without a lock, so a credit racing a change of country could be checked against the
-- old country and land after the change, in a wallet that now meant another currency. Now:
--
--   * wallet.currency is the wallet's currency. A credit or debit locks the wallet row, then
--     checks the currency it asks for against this column; a change of country locks the same
--     row, and changes this column with the country: the two serialise.
--   * Every ledger entry is in the currency its wallet held when the entry was written
--     (wallet_entry_currency_matches). A trigger rather than a foreign key on (account_id,
--     currency): entries written before a change of currency keep theirs, which a foreign key
--     would have to refuse or rewrite. The trigger reads the wallet FOR SHARE, so a change of
--     currency cannot slip in before the entry's transaction ends.
--   * The currency changes only while the wallet holds nothing (wallet_currency_needs_empty):
--     the balance is always money of the current currency. The API refuses such a change of
--     country first (409 wallet_not_empty).
--
-- Existing wallets take the currency of their account's country (the same table as
-- kit::validate's countries).

ALTER TABLE account.wallet ADD COLUMN currency text;

UPDATE account.wallet w
   SET currency = c.currency
  FROM account.account a
  JOIN (VALUES
    ('AD', 'EUR'), ('AE', 'AED'), ('AF', 'AFN'), ('AG', 'XCD'), ('AI', 'XCD'), ('AL', 'ALL'),
    ('AM', 'AMD'), ('AO', 'AOA'), ('AR', 'ARS'), ('AS', 'USD'), ('AT', 'EUR'), ('AU', 'AUD'),
    ('AW', 'AWG'), ('AX', 'EUR'), ('AZ', 'AZN'), ('BA', 'BAM'), ('BB', 'BBD'), ('BD', 'BDT'),
    ('BE', 'EUR'), ('BF', 'XOF'), ('BG', 'BGN'), ('BH', 'BHD'), ('BI', 'BIF'), ('BJ', 'XOF'),
    ('BL', 'EUR'), ('BM', 'BMD'), ('BN', 'BND'), ('BO', 'BOB'), ('BQ', 'USD'), ('BR', 'BRL'),
    ('BS', 'BSD'), ('BT', 'BTN'), ('BW', 'BWP'), ('BY', 'BYN'), ('BZ', 'BZD'), ('CA', 'CAD'),
    ('CC', 'AUD'), ('CD', 'CDF'), ('CF', 'XAF'), ('CG', 'XAF'), ('CH', 'CHF'), ('CI', 'XOF'),
    ('CK', 'NZD'), ('CL', 'CLP'), ('CM', 'XAF'), ('CN', 'CNY'), ('CO', 'COP'), ('CR', 'CRC'),
    ('CU', 'CUP'), ('CV', 'CVE'), ('CW', 'ANG'), ('CX', 'AUD'), ('CY', 'EUR'), ('CZ', 'CZK'),
    ('DE', 'EUR'), ('DJ', 'DJF'), ('DK', 'DKK'), ('DM', 'XCD'), ('DO', 'DOP'), ('DZ', 'DZD'),
    ('EC', 'USD'), ('EE', 'EUR'), ('EG', 'EGP'), ('EH', 'MAD'), ('ER', 'ERN'), ('ES', 'EUR'),
    ('ET', 'ETB'), ('FI', 'EUR'), ('FJ', 'FJD'), ('FK', 'FKP'), ('FM', 'USD'), ('FO', 'DKK'),
    ('FR', 'EUR'), ('GA', 'XAF'), ('GB', 'GBP'), ('GD', 'XCD'), ('GE', 'GEL'), ('GF', 'EUR'),
    ('GG', 'GBP'), ('GH', 'GHS'), ('GI', 'GIP'), ('GL', 'DKK'), ('GM', 'GMD'), ('GN', 'GNF'),
    ('GP', 'EUR'), ('GQ', 'XAF'), ('GR', 'EUR'), ('GT', 'GTQ'), ('GU', 'USD'), ('GW', 'XOF'),
    ('GY', 'GYD'), ('HK', 'HKD'), ('HN', 'HNL'), ('HR', 'EUR'), ('HT', 'HTG'), ('HU', 'HUF'),
    ('ID', 'IDR'), ('IE', 'EUR'), ('IL', 'ILS'), ('IM', 'GBP'), ('IN', 'INR'), ('IO', 'USD'),
    ('IQ', 'IQD'), ('IR', 'IRR'), ('IS', 'ISK'), ('IT', 'EUR'), ('JE', 'GBP'), ('JM', 'JMD'),
    ('JO', 'JOD'), ('JP', 'JPY'), ('KE', 'KES'), ('KG', 'KGS'), ('KH', 'KHR'), ('KI', 'AUD'),
    ('KM', 'KMF'), ('KN', 'XCD'), ('KP', 'KPW'), ('KR', 'KRW'), ('KW', 'KWD'), ('KY', 'KYD'),
    ('KZ', 'KZT'), ('LA', 'LAK'), ('LB', 'LBP'), ('LC', 'XCD'), ('LI', 'CHF'), ('LK', 'LKR'),
    ('LR', 'LRD'), ('LS', 'LSL'), ('LT', 'EUR'), ('LU', 'EUR'), ('LV', 'EUR'), ('LY', 'LYD'),
    ('MA', 'MAD'), ('MC', 'EUR'), ('MD', 'MDL'), ('ME', 'EUR'), ('MF', 'EUR'), ('MG', 'MGA'),
    ('MH', 'USD'), ('MK', 'MKD'), ('ML', 'XOF'), ('MM', 'MMK'), ('MN', 'MNT'), ('MO', 'MOP'),
    ('MP', 'USD'), ('MQ', 'EUR'), ('MR', 'MRU'), ('MS', 'XCD'), ('MT', 'EUR'), ('MU', 'MUR'),
    ('MV', 'MVR'), ('MW', 'MWK'), ('MX', 'MXN'), ('MY', 'MYR'), ('MZ', 'MZN'), ('NA', 'NAD'),
    ('NC', 'XPF'), ('NE', 'XOF'), ('NF', 'AUD'), ('NG', 'NGN'), ('NI', 'NIO'), ('NL', 'EUR'),
    ('NO', 'NOK'), ('NP', 'NPR'), ('NR', 'AUD'), ('NU', 'NZD'), ('NZ', 'NZD'), ('OM', 'OMR'),
    ('PA', 'PAB'), ('PE', 'PEN'), ('PF', 'XPF'), ('PG', 'PGK'), ('PH', 'PHP'), ('PK', 'PKR'),
    ('PL', 'PLN'), ('PM', 'EUR'), ('PN', 'NZD'), ('PR', 'USD'), ('PS', 'ILS'), ('PT', 'EUR'),
    ('PW', 'USD'), ('PY', 'PYG'), ('QA', 'QAR'), ('RE', 'EUR'), ('RO', 'RON'), ('RS', 'RSD'),
    ('RU', 'RUB'), ('RW', 'RWF'), ('SA', 'SAR'), ('SB', 'SBD'), ('SC', 'SCR'), ('SD', 'SDG'),
    ('SE', 'SEK'), ('SG', 'SGD'), ('SH', 'SHP'), ('SI', 'EUR'), ('SJ', 'NOK'), ('SK', 'EUR'),
    ('SL', 'SLE'), ('SM', 'EUR'), ('SN', 'XOF'), ('SO', 'SOS'), ('SR', 'SRD'), ('SS', 'SSP'),
    ('ST', 'STN'), ('SV', 'USD'), ('SX', 'ANG'), ('SY', 'SYP'), ('SZ', 'SZL'), ('TC', 'USD'),
    ('TD', 'XAF'), ('TG', 'XOF'), ('TH', 'THB'), ('TJ', 'TJS'), ('TK', 'NZD'), ('TL', 'USD'),
    ('TM', 'TMT'), ('TN', 'TND'), ('TO', 'TOP'), ('TR', 'TRY'), ('TT', 'TTD'), ('TV', 'AUD'),
    ('TW', 'TWD'), ('TZ', 'TZS'), ('UA', 'UAH'), ('UG', 'UGX'), ('UM', 'USD'), ('US', 'USD'),
    ('UY', 'UYU'), ('UZ', 'UZS'), ('VA', 'EUR'), ('VC', 'XCD'), ('VE', 'VES'), ('VG', 'USD'),
    ('VI', 'USD'), ('VN', 'VND'), ('VU', 'VUV'), ('WF', 'XPF'), ('WS', 'WST'), ('YE', 'YER'),
    ('YT', 'EUR'), ('ZA', 'ZAR'), ('ZM', 'ZMW'), ('ZW', 'ZWG')
  ) AS c (country, currency) ON c.country = a.country
 WHERE a.id = w.account_id;

ALTER TABLE account.wallet
    ALTER COLUMN currency SET NOT NULL,
    ADD CONSTRAINT wallet_currency_format CHECK (currency ~ '^[A-Z]{3}$');

CREATE FUNCTION account.wallet_entry_currency_matches() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    held text;
BEGIN
    SELECT currency INTO held FROM account.wallet WHERE account_id = NEW.account_id FOR SHARE;
    IF held IS DISTINCT FROM NEW.currency THEN
        RAISE EXCEPTION 'a ledger entry in % for a wallet in %', NEW.currency, held
            USING ERRCODE = 'check_violation', CONSTRAINT = 'wallet_entry_currency_matches';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER wallet_entry_currency_matches
    BEFORE INSERT OR UPDATE OF account_id, currency ON account.wallet_entry
    FOR EACH ROW EXECUTE FUNCTION account.wallet_entry_currency_matches();

CREATE FUNCTION account.wallet_currency_needs_empty() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.currency <> OLD.currency AND (OLD.balance <> 0 OR NEW.balance <> 0) THEN
        RAISE EXCEPTION 'the wallet holds % % and cannot change to %',
                OLD.balance, OLD.currency, NEW.currency
            USING ERRCODE = 'check_violation', CONSTRAINT = 'wallet_currency_needs_empty';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER wallet_currency_needs_empty
    BEFORE UPDATE OF currency ON account.wallet
    FOR EACH ROW EXECUTE FUNCTION account.wallet_currency_needs_empty();

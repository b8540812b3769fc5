DROP TABLE IF EXISTS common.exchange_rate;
DROP TABLE IF EXISTS common.rate_snapshot;

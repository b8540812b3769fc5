DROP TABLE IF EXISTS "order".payment_refund;
DROP TABLE IF EXISTS "order".payment_callback;
DROP TABLE IF EXISTS "order".payment_attempt;

DROP TABLE IF EXISTS "order".cart_line;

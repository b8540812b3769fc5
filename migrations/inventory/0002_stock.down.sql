DROP TABLE inventory.history;
DROP TABLE inventory.serial;
DROP TABLE inventory.reservation_line;
DROP TABLE inventory.reservation;
DROP TABLE inventory.stock;

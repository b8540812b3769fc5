DROP TABLE IF EXISTS common.service_option;

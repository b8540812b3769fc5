DROP TABLE IF EXISTS promotion.redemption_line;
DROP TABLE IF EXISTS promotion.redemption;
DROP TABLE IF EXISTS promotion.buyer_usage;
DROP TABLE IF EXISTS promotion.usage;
DROP TABLE IF EXISTS promotion.promotion;

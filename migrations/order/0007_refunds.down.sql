DROP TABLE "order".dispute;
DROP TABLE "order".order_refund;

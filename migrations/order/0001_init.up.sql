-- The order module owns this schema and nothing outside it: other modules reach orders only
-- through order's internal API, never with a query or a foreign key. `order` is a reserved
-- word, so the schema is always written quoted: "order".item.
CREATE SCHEMA IF NOT EXISTS "order";

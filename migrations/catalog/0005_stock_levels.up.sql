-- Stock levels as inventory last announced them (through its outbox), for filtering by
-- availability and sorting by units sold inside catalog's own queries. Cards and details still
-- ask inventory for the live numbers.
ALTER TABLE catalog.sku
    ADD COLUMN available int8 NOT NULL DEFAULT 0,
    ADD COLUMN sold int8 NOT NULL DEFAULT 0,
    ADD COLUMN stock_version int8 NOT NULL DEFAULT 0;
ALTER TABLE catalog.product
    ADD COLUMN sold int8 NOT NULL DEFAULT 0,
    ADD COLUMN in_stock boolean NOT NULL DEFAULT false;
CREATE INDEX product_sold_idx ON catalog.product (sold DESC, id DESC) WHERE deleted_at IS NULL AND enabled;

-- supersedes sha256:f22f92521b4ce5a5f4fa5f7468d2f60f45f652959003cdda9dd73191d9652f3f
-- (idempotency_key, once created here too, is kit's `idempotency` feature now: see kit.features.)
-- The catalog: a category tree, tags, products (SPUs) with their SKUs, and what search needs.
-- Other modules reach these only through catalog's internal API.

CREATE TABLE catalog.category (
    id          uuid PRIMARY KEY,
    parent_id   uuid REFERENCES catalog.category (id),
    slug        text NOT NULL CONSTRAINT category_slug_key UNIQUE
                CONSTRAINT category_slug_valid CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 100),
    name        text NOT NULL CONSTRAINT category_name_valid CHECK (length(name) BETWEEN 1 AND 100),
    description text NOT NULL DEFAULT '' CONSTRAINT category_description_valid CHECK (length(description) <= 2000),
    image_url   text CONSTRAINT category_image_url_valid CHECK (length(image_url) <= 2000),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX category_parent_idx ON catalog.category (parent_id);

-- Tags are created implicitly by the products that use them; the slug is the id.
CREATE TABLE catalog.tag (
    slug       text PRIMARY KEY CONSTRAINT tag_slug_valid CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 50),
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE catalog.product (
    id              uuid PRIMARY KEY,                      -- UUIDv7: newest first by id
    seller_id       uuid NOT NULL,
    category_id     uuid NOT NULL REFERENCES catalog.category (id),
    slug            text NOT NULL CONSTRAINT product_slug_key UNIQUE,
    name            text NOT NULL CONSTRAINT product_name_valid CHECK (length(name) BETWEEN 1 AND 200),
    description     text NOT NULL DEFAULT '' CONSTRAINT product_description_valid CHECK (length(description) <= 20000),
    currency        text NOT NULL CONSTRAINT product_currency_valid CHECK (currency ~ '^[A-Z]{3}$'),
    enabled         boolean NOT NULL DEFAULT true,
    featured_sku_id uuid,
    specifications  jsonb NOT NULL DEFAULT '[]',           -- [{name, value}]
    images          text[] NOT NULL DEFAULT '{}',          -- URLs, first is the cover
    tags            text[] NOT NULL DEFAULT '{}',          -- tag slugs (all-of filter: tags @> $n)
    min_price       int8,                                  -- over live SKUs, minor units; NULL without SKUs
    max_price       int8,
    -- Full-text document: name (A) > tags and category (B) > description (C), English stemming.
    search          tsvector NOT NULL DEFAULT ''::tsvector,
    embedding       vector(384),                           -- for semantic search
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);
CREATE INDEX product_listing_idx ON catalog.product (id DESC) WHERE deleted_at IS NULL AND enabled;
CREATE INDEX product_seller_idx ON catalog.product (seller_id, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX product_category_idx ON catalog.product (category_id, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX product_price_idx ON catalog.product (min_price, id) WHERE deleted_at IS NULL AND enabled;
CREATE INDEX product_tags_idx ON catalog.product USING gin (tags);
CREATE INDEX product_search_idx ON catalog.product USING gin (search);
CREATE INDEX product_embedding_idx ON catalog.product USING hnsw (embedding vector_cosine_ops);

CREATE TABLE catalog.sku (
    id           uuid PRIMARY KEY,
    product_id   uuid NOT NULL REFERENCES catalog.product (id),
    price        int8 NOT NULL CONSTRAINT sku_price_positive CHECK (price > 0 AND price <= 1000000000000),
    attributes   jsonb NOT NULL DEFAULT '[]',              -- [{name, value}]
    weight_grams int4 CONSTRAINT sku_weight_valid CHECK (weight_grams > 0),
    length_cm    int4 CONSTRAINT sku_length_valid CHECK (length_cm > 0),
    width_cm     int4 CONSTRAINT sku_width_valid CHECK (width_cm > 0),
    height_cm    int4 CONSTRAINT sku_height_valid CHECK (height_cm > 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz
);
CREATE INDEX sku_product_idx ON catalog.sku (product_id) WHERE deleted_at IS NULL;
ALTER TABLE catalog.product ADD CONSTRAINT product_featured_sku_fkey
    FOREIGN KEY (featured_sku_id) REFERENCES catalog.sku (id);

-- Words of product names, tags and categories with their trigrams, so that a misspelt query
-- word finds the words it resembles (built-in GIN over text[]: no extension needed).
CREATE TABLE catalog.search_word (
    word     text PRIMARY KEY,
    trigrams text[] NOT NULL
);
CREATE INDEX search_word_trigrams_idx ON catalog.search_word USING gin (trigrams);

-- A starting category tree; operators add more with POST /api/v1/catalog/categories.
INSERT INTO catalog.category (id, parent_id, slug, name, description) VALUES
    ('01900000-0000-7000-8000-000000000001', NULL, 'electronics', 'Electronics', 'Phones, computers, audio and accessories'),
    ('01900000-0000-7000-8000-000000000002', '01900000-0000-7000-8000-000000000001', 'phones', 'Phones', 'Smartphones and feature phones'),
    ('01900000-0000-7000-8000-000000000003', '01900000-0000-7000-8000-000000000001', 'computers', 'Computers', 'Laptops, desktops and tablets'),
    ('01900000-0000-7000-8000-000000000004', '01900000-0000-7000-8000-000000000001', 'audio', 'Audio', 'Headphones, speakers and microphones'),
    ('01900000-0000-7000-8000-000000000005', '01900000-0000-7000-8000-000000000001', 'accessories', 'Accessories', 'Cases, chargers and cables'),
    ('01900000-0000-7000-8000-000000000006', NULL, 'fashion', 'Fashion', 'Clothing, shoes and bags'),
    ('01900000-0000-7000-8000-000000000007', '01900000-0000-7000-8000-000000000006', 'clothing', 'Clothing', 'Shirts, dresses, jackets and trousers'),
    ('01900000-0000-7000-8000-000000000008', '01900000-0000-7000-8000-000000000006', 'shoes', 'Shoes', 'Sneakers, boots and sandals'),
    ('01900000-0000-7000-8000-000000000009', '01900000-0000-7000-8000-000000000006', 'bags', 'Bags', 'Backpacks, handbags and luggage'),
    ('01900000-0000-7000-8000-00000000000a', NULL, 'home', 'Home & Kitchen', 'Furniture, cookware and decor'),
    ('01900000-0000-7000-8000-00000000000b', '01900000-0000-7000-8000-00000000000a', 'kitchen', 'Kitchen', 'Cookware, appliances and tableware'),
    ('01900000-0000-7000-8000-00000000000c', '01900000-0000-7000-8000-00000000000a', 'furniture', 'Furniture', 'Chairs, tables, beds and storage'),
    ('01900000-0000-7000-8000-00000000000d', NULL, 'books', 'Books', 'Fiction, non-fiction and textbooks'),
    ('01900000-0000-7000-8000-00000000000e', NULL, 'sports', 'Sports & Outdoors', 'Fitness, camping and cycling'),
    ('01900000-0000-7000-8000-00000000000f', NULL, 'beauty', 'Beauty', 'Skincare, makeup and fragrance');

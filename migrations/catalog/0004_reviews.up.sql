-- Reviews (a buyer's score and text for a product they ordered), replies to them, and votes.
CREATE TABLE catalog.review (
    id         uuid PRIMARY KEY,                           -- UUIDv7: newest first by id
    product_id uuid NOT NULL REFERENCES catalog.product (id),
    author_id  uuid NOT NULL,
    order_id   uuid NOT NULL,
    score      int2 NOT NULL CONSTRAINT review_score_valid CHECK (score BETWEEN 1 AND 5),
    body       text NOT NULL DEFAULT '' CONSTRAINT review_body_valid CHECK (length(body) <= 4000),
    images     text[] NOT NULL DEFAULT '{}',
    upvotes    int4 NOT NULL DEFAULT 0 CONSTRAINT review_upvotes_valid CHECK (upvotes >= 0),
    downvotes  int4 NOT NULL DEFAULT 0 CONSTRAINT review_downvotes_valid CHECK (downvotes >= 0),
    replies    int4 NOT NULL DEFAULT 0 CONSTRAINT review_replies_valid CHECK (replies >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
-- One live review per product per order.
CREATE UNIQUE INDEX review_product_order_key ON catalog.review (product_id, order_id) WHERE deleted_at IS NULL;
CREATE INDEX review_product_idx ON catalog.review (product_id, id DESC) WHERE deleted_at IS NULL;

CREATE TABLE catalog.review_reply (
    id         uuid PRIMARY KEY,
    review_id  uuid NOT NULL REFERENCES catalog.review (id),
    author_id  uuid NOT NULL,
    body       text NOT NULL CONSTRAINT review_reply_body_valid CHECK (length(body) BETWEEN 1 AND 2000),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
CREATE INDEX review_reply_review_idx ON catalog.review_reply (review_id, id) WHERE deleted_at IS NULL;

-- One vote per account per review; the review's counters change with it, in one transaction.
CREATE TABLE catalog.review_vote (
    review_id  uuid NOT NULL REFERENCES catalog.review (id),
    account_id uuid NOT NULL,
    vote       int2 NOT NULL CONSTRAINT review_vote_valid CHECK (vote IN (-1, 1)),
    PRIMARY KEY (review_id, account_id)
);

-- A product's rating, kept with every review change.
ALTER TABLE catalog.product
    ADD COLUMN rating_count int4 NOT NULL DEFAULT 0,
    ADD COLUMN rating_sum int4 NOT NULL DEFAULT 0;
CREATE INDEX product_rating_idx ON catalog.product ((rating_sum::float8 / nullif(rating_count, 0)), id)
    WHERE deleted_at IS NULL AND enabled;

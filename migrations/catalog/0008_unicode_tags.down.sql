-- Back to ASCII-only slugs: fails while a tag with another letter exists, as it should.
ALTER TABLE catalog.tag DROP CONSTRAINT tag_slug_valid;
ALTER TABLE catalog.tag ADD CONSTRAINT tag_slug_valid
    CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 50);

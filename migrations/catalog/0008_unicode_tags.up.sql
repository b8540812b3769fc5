-- Tags keep their diacritics: `bàn` (a table) and `bán` (for sale) are two tags, which the
-- ASCII-only slugs before this merged into `ban` or refused. A tag's slug is now its
-- lower-case words, of any script, joined by single hyphens; its name keeps the text as first
-- written. Slugs already stored are ASCII, so they satisfy the new check.
ALTER TABLE catalog.tag DROP CONSTRAINT tag_slug_valid;
ALTER TABLE catalog.tag ADD CONSTRAINT tag_slug_valid CHECK (
    slug = lower(slug)
    AND slug !~ '[[:space:][:cntrl:]]'
    AND slug !~ '(^-|-$|--)'
    AND char_length(slug) BETWEEN 1 AND 50
);

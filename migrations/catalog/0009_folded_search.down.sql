-- Search documents without folded words again; the folded known words stay (a word no product
-- uses only costs a row, see catalog.search_word).
UPDATE catalog.product p
SET search = setweight(to_tsvector('english', p.name), 'A')
    || setweight(to_tsvector('english',
         replace(array_to_string(p.tags, ' '), '-', ' ') || ' ' || c.name), 'B')
    || setweight(to_tsvector('english', p.description), 'C')
FROM catalog.category c
WHERE c.id = p.category_id
  AND catalog.fold(p.name || array_to_string(p.tags, ' ') || c.name || p.description)
      <> p.name || array_to_string(p.tags, ' ') || c.name || p.description;
DROP FUNCTION catalog.search_document(text, text[], text, text);
DROP FUNCTION catalog.fold(text);

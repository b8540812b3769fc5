-- Accent-insensitive search: Vietnamese is mostly typed without its diacritics, so `noi com
-- dien` must find "Nồi cơm điện". The bundled PostgreSQL has no `unaccent`, so the fold is
-- shipped here: catalog.fold is kit's fold (kit::validate::fold_to_ascii), made from its table
-- (the catalog unit test `the_sql_fold_is_the_kit_fold` checks the two agree): Latin and
-- Vietnamese letters to ASCII (`đ`/`Đ` to `d`/`D`, case kept), combining accents dropped.
CREATE FUNCTION catalog.fold(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN
    translate(regexp_replace(
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(t,
    'Æ', 'Ae'),
    'Þ', 'Th'),
    'ß', 'ss'),
    'æ', 'ae'),
    'þ', 'th'),
    'Ĳ', 'Ij'),
    'ĳ', 'ij'),
    'Œ', 'Oe'),
    'œ', 'oe'),
    'Ǽ', 'Ae'),
    'ǽ', 'ae'),
    'ẞ', 'Ss'),
    '[\u0300-\u036f]', '', 'g'),
    'ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝàáâãäåçèéêëìíîïðñòóôõöøùúûüýÿĀāĂ' ||
    'ăĄąĆćĈĉĊċČčĎďĐđĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĦħĨĩĪīĬĭĮįıĴĵĶķĹĺĻļĽľĿŀŁł' ||
    'ŃńŅņŇňŉŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŦŧŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯư' ||
    'ǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǺǻǾǿȘșȚțẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặ' ||
    'ẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳ' ||
    'ỴỵỶỷỸỹÅ',
    'AAAAAACEEEEIIIIDNOOOOOOUUUUYaaaaaaceeeeiiiidnoooooouuuuyyAaA' ||
    'aAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiiJjKkLlLlLlLlLl' ||
    'NnNnNnnOoOoOoRrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzOoUu' ||
    'AaIiOoUuUuUuUuUuAaAaGgKkOoOoAaOoSsTtAaAaAaAaAaAaAaAaAaAaAaAa' ||
    'EeEeEeEeEeEeEeEeIiIiOoOoOoOoOoOoOoOoOoOoOoOoUuUuUuUuUuUuUuYy' ||
    'YyYyYyA')
;

-- A product's search document: its words as written — name (A), tags and category (B),
-- description (C), `english` configuration — and, with the same weights, the folded words that
-- differ from them (`nồi` brings `noi`; an English word brings nothing twice). A query word
-- typed with accents matches both forms, so an exact-accent match ranks first.
CREATE FUNCTION catalog.search_document(name text, tags text[], category text, description text)
RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (
    SELECT d.written || ts_delete(d.folded, tsvector_to_array(d.written))
    FROM (SELECT
        setweight(to_tsvector('english', name), 'A')
          || setweight(to_tsvector('english',
               replace(array_to_string(tags, ' '), '-', ' ') || ' ' || category), 'B')
          || setweight(to_tsvector('english', description), 'C') AS written,
        setweight(to_tsvector('english', catalog.fold(name)), 'A')
          || setweight(to_tsvector('english',
               catalog.fold(replace(array_to_string(tags, ' '), '-', ' ') || ' ' || category)), 'B')
          || setweight(to_tsvector('english', catalog.fold(description)), 'C') AS folded) d
);

-- Existing products with a letter to fold get the new document.
UPDATE catalog.product p
SET search = catalog.search_document(p.name, p.tags, c.name, p.description)
FROM catalog.category c
WHERE c.id = p.category_id
  AND catalog.fold(p.name || array_to_string(p.tags, ' ') || c.name || p.description)
      <> p.name || array_to_string(p.tags, ' ') || c.name || p.description;

-- Known words get their folded forms, so a word typed without accents is known (and its
-- typos are corrected to it).
INSERT INTO catalog.search_word (word, trigrams)
SELECT f, (SELECT array_agg(DISTINCT substr('  ' || f || ' ', i, 3))
           FROM generate_series(1, length(f) + 1) AS i)
FROM (SELECT DISTINCT catalog.fold(word) AS f FROM catalog.search_word) s
ON CONFLICT (word) DO NOTHING;

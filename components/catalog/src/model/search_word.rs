//! `catalog.search_word`: the words of 3+ characters that product names, tags and categories
//! use, each with its trigrams, so that a misspelt query word finds the known words closest to
//! it. Words are added as products are indexed and never removed: a word no product uses any
//! more costs a row and can only suggest a correction that matches nothing.

use kit::ApiResult;
use kit::db::{Db, rows, strings};

use crate::rules::search::QueryWord;

/// The least trigram similarity (shared / all distinct) for a known word to count as a
/// correction.
const MIN_SIMILARITY: f64 = 0.4;

/// Corrections kept per query word at most.
const MAX_CORRECTIONS: i64 = 3;

/// Query words shorter than this get no corrections: too few trigrams to judge.
const MIN_CORRECTED: i32 = 4;

/// Remembers `words` (already normalised, [`crate::rules::search::index_words`]).
pub fn remember(db: &Db, words: &[String]) -> ApiResult<()> {
    db.execute(
        "INSERT INTO catalog.search_word (word, trigrams) \
         SELECT w, (SELECT array_agg(DISTINCT substr('  ' || w || ' ', i, 3)) \
                    FROM generate_series(1, length(w) + 1) AS i) \
         FROM unnest($1::text[]) AS w ON CONFLICT (word) DO NOTHING",
        &[strings(words)],
    )?;
    Ok(())
}

/// The query's words as search reads them: whether each is a known word, and, for words of
/// [`MIN_CORRECTED`] letters or more, up to [`MAX_CORRECTIONS`] known words that share enough
/// of its trigrams (a typo's corrections). One query for all of them.
pub fn read(db: &Db, words: &[String]) -> ApiResult<Vec<QueryWord>> {
    let mut out: Vec<QueryWord> = words
        .iter()
        .map(|w| QueryWord {
            typed: w.clone(),
            ..Default::default()
        })
        .collect();
    let set = db.query(
        "WITH q AS (SELECT qw, (SELECT array_agg(DISTINCT substr('  ' || qw || ' ', i, 3)) \
                                FROM generate_series(1, length(qw) + 1) AS i) AS tg \
                    FROM unnest($1::text[]) AS qw) \
         SELECT q.qw, q.qw AS word FROM q \
         WHERE EXISTS (SELECT 1 FROM catalog.search_word k WHERE k.word = q.qw) \
         UNION ALL \
         SELECT q.qw, c.word FROM (SELECT * FROM q WHERE length(qw) >= $2) q CROSS JOIN LATERAL ( \
           SELECT w.word, s.shared::float8 \
                  / (cardinality(w.trigrams) + cardinality(q.tg) - s.shared) AS sim \
           FROM catalog.search_word w \
           CROSS JOIN LATERAL ( \
             SELECT count(*) AS shared FROM unnest(w.trigrams) x WHERE x = ANY(q.tg)) s \
           WHERE w.trigrams && q.tg AND w.word <> q.qw ORDER BY sim DESC, w.word LIMIT $3) c \
         WHERE c.sim >= $4",
        &[
            strings(words),
            MIN_CORRECTED.into(),
            MAX_CORRECTIONS.into(),
            kit::db::Param::Floating64(MIN_SIMILARITY),
        ],
    )?;
    for r in rows(&set) {
        let (typed, word): (String, String) = (r.get("qw")?, r.get("word")?);
        for w in out.iter_mut().filter(|w| w.typed == typed) {
            if word == typed {
                w.known = true;
            } else if !w.corrections.contains(&word) {
                w.corrections.push(word.clone());
            }
        }
    }
    Ok(out)
}

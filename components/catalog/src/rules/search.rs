//! How a search query becomes words and a text-search query, which words are worth
//! remembering for spelling correction, and the orders a product list can take.
//!
//! Search is accent-insensitive: a word also matches in its folded form ([`fold`]), which the
//! search document holds beside the word as written (`catalog.search_document`, migration
//! 0009), so `noi com dien` finds "Nồi cơm điện" while `nồi` matches both forms of that word
//! and ranks above a product that has only the folded one ("Nội").

use kit::{ApiError, ApiResult};

/// Words of a search query that count.
pub const MAX_QUERY_WORDS: usize = 8;
/// Longest word kept, in characters.
const MAX_WORD: usize = 40;

/// The words of a search query: lower-case runs of letters and digits, at most
/// [`MAX_QUERY_WORDS`] of at most 40 characters — nothing else reaches the text-search syntax.
pub fn query_words(q: &str) -> Vec<String> {
    words(q).take(MAX_QUERY_WORDS).collect()
}

/// A word without its accents: Latin and Vietnamese letters folded to ASCII, `đ` to `d`
/// ([`kit::validate::fold_to_ascii`]). `catalog.fold` in SQL (migration 0009) folds the same
/// way: [`tests::the_sql_fold_is_the_kit_fold`] checks that the migration holds the SQL made
/// from kit's table.
pub fn fold(word: &str) -> String {
    kit::validate::fold_to_ascii(word)
}

/// The words worth remembering for spelling correction: those of 3+ characters, as written
/// and folded (so a word typed without its accents is a known word, and its typos are
/// corrected to it).
pub fn index_words(texts: &[&str]) -> Vec<String> {
    let mut words: Vec<String> = texts
        .iter()
        .flat_map(|t| words(t))
        .flat_map(|w| [fold(&w), w])
        .filter(|w| w.chars().count() >= 3)
        .collect();
    words.sort();
    words.dedup();
    words
}

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().chars().take(MAX_WORD).collect::<String>())
}

/// A query word as search reads it.
#[derive(Debug, Default)]
pub struct QueryWord {
    /// As typed (normalised by [`query_words`]).
    pub typed: String,
    /// Known words it may be a misspelling of.
    pub corrections: Vec<String>,
    /// Whether product names, tags or categories use the word itself.
    pub known: bool,
}

/// A text-search query: every word must match (`&`), as typed, folded ([`fold`], when that
/// differs) or as one of its corrections (`|`). A word typed with its accents matches both the
/// word as written and its folded form in the document, so ranks above a product that has only
/// the folded form. The last word, when no product uses it as a whole word, also matches as a
/// prefix, for search as you type (a known word goes without: a prefix match costs the index
/// far more). The words are letters and digits only ([`query_words`]), so they cannot form
/// operators.
pub fn tsquery(words: &[QueryWord]) -> String {
    let last = words.len().saturating_sub(1);
    words
        .iter()
        .enumerate()
        .map(|(i, word)| {
            let prefix = if i == last && !word.known { ":*" } else { "" };
            let folded = fold(&word.typed);
            let mut terms = vec![format!("{}{prefix}", word.typed)];
            if folded != word.typed {
                terms.push(format!("{folded}{prefix}"));
            }
            for correction in &word.corrections {
                if !terms.contains(correction) {
                    terms.push(correction.clone());
                }
            }
            format!("({})", terms.join(" | "))
        })
        .collect::<Vec<_>>()
        .join(" & ")
}

/// How a product list is ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    /// Newest first (the default without a search).
    Newest,
    /// Cheapest first.
    PriceAsc,
    /// Dearest first.
    PriceDesc,
    /// Best average score first.
    Rating,
    /// Most units sold first.
    Popular,
    /// Best search match first (the default with a search, and only with one).
    Relevance,
}

impl Sort {
    /// The `sort` parameter; its default, and whether `relevance` is allowed, depend on
    /// whether the list is a search.
    pub fn parse(value: Option<&str>, searching: bool) -> ApiResult<Sort> {
        match value {
            None if searching => Ok(Sort::Relevance),
            None | Some("newest") => Ok(Sort::Newest),
            Some("price_asc") => Ok(Sort::PriceAsc),
            Some("price_desc") => Ok(Sort::PriceDesc),
            Some("rating") => Ok(Sort::Rating),
            Some("popular") => Ok(Sort::Popular),
            Some("relevance") if searching => Ok(Sort::Relevance),
            Some("relevance") => Err(ApiError::bad_request(
                "invalid_sort",
                "sort=relevance needs a search (q)",
            )),
            Some(other) => Err(ApiError::bad_request(
                "invalid_sort",
                format!(
                    "unknown sort `{other}`; one of newest, price_asc, price_desc, rating, \
                     relevance"
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_keep_only_words_and_become_tsqueries() {
        assert_eq!(
            query_words("Red & (phone) | !case:*"),
            ["red", "phone", "case"]
        );
        assert_eq!(query_words("a b c d e f g h i j").len(), MAX_QUERY_WORDS);
        let word = |typed: &str, corrections: &[&str], known: bool| QueryWord {
            typed: typed.into(),
            corrections: corrections.iter().map(|c| c.to_string()).collect(),
            known,
        };
        assert_eq!(
            tsquery(&[word("red", &[], true), word("phne", &["phone"], false)]),
            "(red) & (phne:* | phone)"
        );
        assert_eq!(
            tsquery(&[word("red", &[], false), word("phone", &[], true)]),
            "(red) & (phone)"
        );
        assert_eq!(index_words(&["Blue Phone", "phone it"]), ["blue", "phone"]);
    }

    #[test]
    fn words_match_as_typed_and_without_their_accents() {
        assert_eq!(fold("nồi"), "noi");
        assert_eq!(fold("điện"), "dien");
        assert_eq!(fold("ĐIỆN"), "DIEN");
        assert_eq!(fold("bàn"), fold("bán"));
        let word = |typed: &str, corrections: &[&str], known: bool| QueryWord {
            typed: typed.into(),
            corrections: corrections.iter().map(|c| c.to_string()).collect(),
            known,
        };
        assert_eq!(
            tsquery(&[
                word("nồi", &[], true),
                word("cơm", &["com"], true),
                word("điện", &[], false)
            ]),
            "(nồi | noi) & (cơm | com) & (điện:* | dien:*)"
        );
        assert_eq!(
            tsquery(&[word("noi", &[], true), word("dien", &[], true)]),
            "(noi) & (dien)"
        );
        assert_eq!(
            index_words(&["Nồi cơm điện", "Bàn"]),
            ["ban", "bàn", "com", "cơm", "dien", "noi", "nồi", "điện"]
        );
    }

    /// `catalog.fold` as made from kit's table: every character the fold changes (lower and
    /// upper case, for every lower-case letter of the table) mapped by `translate()`, the few
    /// that become two letters by `replace()`, and combining accents dropped.
    fn sql_fold() -> String {
        let (mut from, mut to, mut pairs) = (String::new(), String::new(), Vec::new());
        for c in (0x80..=0x10ffff).filter_map(char::from_u32) {
            if ('\u{300}'..='\u{36f}').contains(&c) {
                assert_eq!(fold(&c.to_string()), "");
                continue;
            }
            let folded = fold(&c.to_string());
            if folded == c.to_string() {
                continue;
            }
            match folded.chars().count() {
                1 => {
                    from.push(c);
                    to.push_str(&folded);
                }
                _ => pairs.push((c, folded)),
            }
        }
        // Lines of at most 60 characters: `||` joins the pieces of the long lists.
        let lines = |s: &str| {
            let chars: Vec<char> = s.chars().collect();
            let pieces: Vec<String> = chars
                .chunks(60)
                .map(|c| format!("'{}'", c.iter().collect::<String>()))
                .collect();
            pieces.join(" ||\n    ")
        };
        let mut expr = format!("{}t", "replace(".repeat(pairs.len()));
        for (c, folded) in pairs {
            expr.push_str(&format!(",\n    '{c}', '{folded}')"));
        }
        format!(
            "translate(regexp_replace(\n    {expr},\n    '[\\u0300-\\u036f]', '', 'g'),\n    {},\n    {})",
            lines(&from),
            lines(&to)
        )
    }

    #[test]
    fn the_sql_fold_is_the_kit_fold() {
        let migration = include_str!("../../../../migrations/catalog/0009_folded_search.up.sql");
        let expected = sql_fold();
        assert!(
            migration.contains(&expected),
            "migration 0009's catalog.fold is not kit's fold; it should read:\n{expected}"
        );
    }

    #[test]
    fn the_default_sort_depends_on_whether_there_is_a_search() {
        assert_eq!(Sort::parse(None, false).unwrap(), Sort::Newest);
        assert_eq!(Sort::parse(None, true).unwrap(), Sort::Relevance);
        assert_eq!(
            Sort::parse(Some("price_desc"), true).unwrap(),
            Sort::PriceDesc
        );
        assert!(Sort::parse(Some("relevance"), false).is_err());
        assert!(Sort::parse(Some("cheapest"), false).is_err());
    }
}

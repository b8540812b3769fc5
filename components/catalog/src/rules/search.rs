//! How a search query becomes words and a text-search query, which words are worth
//! remembering for spelling correction, and the orders a product list can take.

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

/// The words worth remembering for spelling correction: those of 3+ characters.
pub fn index_words(texts: &[&str]) -> Vec<String> {
    let mut words: Vec<String> = texts
        .iter()
        .flat_map(|t| words(t))
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

/// A text-search query: every word must match (`&`), as typed or as one of its corrections
/// (`|`). The last word, when no product uses it as a whole word, also matches as a prefix, for
/// search as you type (a known word goes without: a prefix match costs the index far more). The
/// words are letters and digits only ([`query_words`]), so they cannot form operators.
pub fn tsquery(words: &[QueryWord]) -> String {
    let last = words.len().saturating_sub(1);
    words
        .iter()
        .enumerate()
        .map(|(i, word)| {
            let typed = if i == last && !word.known {
                format!("{}:*", word.typed)
            } else {
                word.typed.clone()
            };
            let terms: Vec<&str> = std::iter::once(typed.as_str())
                .chain(word.corrections.iter().map(String::as_str))
                .collect();
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

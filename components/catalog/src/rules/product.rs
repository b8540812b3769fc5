//! The catalog's rules as plain functions: slugs, limits on product text, tags, images and
//! specifications, SKU prices and sizes, and how a search query becomes words.

use kit::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};

/// Longest product name.
pub const MAX_NAME: usize = 200;
/// Longest product description.
pub const MAX_DESCRIPTION: usize = 20_000;
/// Most tags on a product.
pub const MAX_TAGS: usize = 20;
/// Longest tag.
pub const MAX_TAG: usize = 50;
/// Most images on a product.
pub const MAX_IMAGES: usize = 10;
/// Most specifications or SKU attributes.
pub const MAX_PAIRS: usize = 50;
/// Highest SKU price, in minor units.
pub const MAX_PRICE: i64 = 1_000_000_000_000;
/// Words of a search query that count.
pub const MAX_QUERY_WORDS: usize = 8;

/// `Hello, World! 2` → `hello-world-2`: lower-case ASCII letters and digits joined by single
/// hyphens; other letters are dropped (a product slug gets a unique suffix anyway).
pub fn slugify(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_string()
}

/// Whether `s` is a slug: `a-z0-9` words joined by single hyphens.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty() && s == slugify(s)
}

/// A product slug: the name's slug (at most 80 characters) and a unique suffix.
pub fn product_slug(name: &str, unique: &str) -> String {
    let mut base = slugify(name);
    base.truncate(80);
    let base = base.trim_end_matches('-');
    if base.is_empty() {
        format!("product-{unique}")
    } else {
        format!("{base}-{unique}")
    }
}

/// A trimmed product name of 1–[`MAX_NAME`] characters.
pub fn name(value: &str) -> ApiResult<String> {
    let value = value.trim();
    let length = value.chars().count();
    if length == 0 || length > MAX_NAME {
        return Err(ApiError::validation(format!(
            "name: 1 to {MAX_NAME} characters"
        )));
    }
    Ok(value.to_string())
}

/// A description of at most [`MAX_DESCRIPTION`] characters.
pub fn description(value: &str) -> ApiResult<String> {
    if value.chars().count() > MAX_DESCRIPTION {
        return Err(ApiError::validation(format!(
            "description: at most {MAX_DESCRIPTION} characters"
        )));
    }
    Ok(value.trim().to_string())
}

/// Tags as slugs (`Wireless Earbuds` → `wireless-earbuds`), without duplicates, at most
/// [`MAX_TAGS`] of at most [`MAX_TAG`] characters.
pub fn tags(values: &[String]) -> ApiResult<Vec<String>> {
    if values.len() > MAX_TAGS {
        return Err(ApiError::validation(format!("tags: at most {MAX_TAGS}")));
    }
    let mut out: Vec<String> = Vec::new();
    for value in values {
        let slug = slugify(value);
        if slug.is_empty() || slug.len() > MAX_TAG {
            return Err(ApiError::validation(format!(
                "tags: `{value}` is not a tag (letters and digits, at most {MAX_TAG} characters)"
            )));
        }
        if !out.contains(&slug) {
            out.push(slug);
        }
    }
    Ok(out)
}

/// Image URLs: at most [`MAX_IMAGES`], each `https://` or `http://`, at most 2000 characters.
pub fn images(values: &[String]) -> ApiResult<Vec<String>> {
    if values.len() > MAX_IMAGES {
        return Err(ApiError::validation(format!(
            "images: at most {MAX_IMAGES}"
        )));
    }
    for value in values {
        let ok = (value.starts_with("https://") || value.starts_with("http://"))
            && value.len() <= 2000
            && url::Url::parse(value).is_ok();
        if !ok {
            return Err(ApiError::validation(format!(
                "images: `{value}` is not an http(s) URL"
            )));
        }
    }
    Ok(values.to_vec())
}

/// A `{name, value}` pair: a specification of a product or an attribute of a SKU.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pair {
    /// What it is (`Colour`).
    pub name: String,
    /// Its value (`Black`).
    pub value: String,
}

/// At most [`MAX_PAIRS`] pairs with names of 1–100 and values of 1–500 characters, names
/// unique (case-insensitively).
pub fn pairs(field: &str, values: &[Pair]) -> ApiResult<Vec<Pair>> {
    if values.len() > MAX_PAIRS {
        return Err(ApiError::validation(format!(
            "{field}: at most {MAX_PAIRS}"
        )));
    }
    let mut out: Vec<Pair> = Vec::new();
    for pair in values {
        let (name, value) = (pair.name.trim(), pair.value.trim());
        if name.is_empty()
            || name.chars().count() > 100
            || value.is_empty()
            || value.chars().count() > 500
        {
            return Err(ApiError::validation(format!(
                "{field}: names are 1-100 characters and values 1-500"
            )));
        }
        if out.iter().any(|p| p.name.eq_ignore_ascii_case(name)) {
            return Err(ApiError::validation(format!(
                "{field}: `{name}` is given twice"
            )));
        }
        out.push(Pair {
            name: name.to_string(),
            value: value.to_string(),
        });
    }
    Ok(out)
}

/// A SKU price in minor units: 1 to [`MAX_PRICE`].
pub fn price(value: i64) -> ApiResult<i64> {
    if (1..=MAX_PRICE).contains(&value) {
        Ok(value)
    } else {
        Err(ApiError::validation(format!(
            "price: a whole number of minor units from 1 to {MAX_PRICE}"
        )))
    }
}

/// A package size or weight: absent, or 1 to 1,000,000.
pub fn size(field: &str, value: Option<i32>) -> ApiResult<Option<i32>> {
    match value {
        Some(v) if !(1..=1_000_000).contains(&v) => {
            Err(ApiError::validation(format!("{field}: from 1 to 1000000")))
        }
        other => Ok(other),
    }
}

/// The words of a search query: lower-case runs of letters and digits, at most
/// [`MAX_QUERY_WORDS`] of at most 40 characters — nothing else reaches the text-search syntax.
pub fn query_words(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().chars().take(40).collect::<String>())
        .take(MAX_QUERY_WORDS)
        .collect()
}

/// The words worth remembering for spelling correction: those of 3+ characters.
pub fn index_words(texts: &[&str]) -> Vec<String> {
    let mut words: Vec<String> = texts
        .iter()
        .flat_map(|t| query_words_unbounded(t))
        .filter(|w| w.chars().count() >= 3)
        .collect();
    words.sort();
    words.dedup();
    words
}

fn query_words_unbounded(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().chars().take(40).collect::<String>())
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lower_case_words_joined_by_hyphens() {
        assert_eq!(slugify("  Hello, World! 2 "), "hello-world-2");
        assert_eq!(slugify("Điện thoại"), "i-n-tho-i");
        assert!(is_slug("wireless-earbuds"));
        assert!(!is_slug("Wireless"));
        assert!(!is_slug("a--b"));
        assert_eq!(product_slug("!!!", "x1"), "product-x1");
        assert_eq!(product_slug("Phone X", "x1"), "phone-x-x1");
    }

    #[test]
    fn tags_become_unique_slugs_within_limits() {
        assert_eq!(
            tags(&[
                "Wireless Earbuds".into(),
                "wireless-earbuds".into(),
                "USB C".into()
            ])
            .unwrap(),
            ["wireless-earbuds", "usb-c"]
        );
        assert!(tags(&vec!["a".to_string(); MAX_TAGS + 1]).is_err());
        assert!(tags(&["!!!".into()]).is_err());
        assert!(tags(&["x".repeat(MAX_TAG + 1)]).is_err());
    }

    #[test]
    fn text_prices_images_and_pairs_are_bounded() {
        assert!(name("  ").is_err());
        assert!(name(&"n".repeat(MAX_NAME + 1)).is_err());
        assert_eq!(name(" Phone ").unwrap(), "Phone");
        assert!(description(&"d".repeat(MAX_DESCRIPTION + 1)).is_err());
        assert!(price(0).is_err() && price(-5).is_err() && price(MAX_PRICE + 1).is_err());
        assert_eq!(price(1999).unwrap(), 1999);
        assert!(images(&["ftp://x/y.png".into()]).is_err());
        assert!(images(&["https://img.example/a.png".into()]).is_ok());
        let pair = |n: &str, v: &str| Pair {
            name: n.into(),
            value: v.into(),
        };
        assert!(
            pairs(
                "specifications",
                &[pair("Colour", "Black"), pair("colour", "Red")]
            )
            .is_err()
        );
        assert!(pairs("specifications", &[pair("", "x")]).is_err());
        assert!(size("weight_grams", Some(0)).is_err());
    }

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
}

//! The catalog's rules as pure functions: what a request may contain, who may change what, and
//! the arithmetic behind slugs, ratings and search queries — decided without I/O and tested
//! natively. Nothing here imports from the rest of the module, so the model layer can use these
//! types without an import circle.
//!
//! - [`product`]: product text, tags, images, specifications, SKU prices and sizes, slugs.
//! - [`category`]: what an operator writes of a category.
//! - [`review`]: scores, review and reply texts, votes, review sorts.
//! - [`search`]: how a search query becomes words and a text-search query; list sorts.
//! - [`batch`]: the ids a batch read names.

pub mod batch;
pub mod category;
pub mod product;
pub mod review;
pub mod search;

use std::fmt;

use kit::{ApiError, ApiResult};
use uuid::Uuid;

/// How a path names a product or a category: by id, or else by slug. Anything that parses as a
/// UUID is an id, which a slug (lower-case words joined by hyphens) never is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    /// The id.
    Id(Uuid),
    /// The slug, as given.
    Slug(String),
}

impl Key {
    /// The key a path segment names.
    pub fn parse(value: &str) -> Key {
        match value.parse() {
            Ok(id) => Key::Id(id),
            Err(_) => Key::Slug(value.to_string()),
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Id(id) => id.fmt(f),
            Key::Slug(slug) => slug.fmt(f),
        }
    }
}

/// Only the seller who owns a product may change it or its SKUs.
pub fn ensure_seller(seller: Uuid, account: Uuid) -> ApiResult<()> {
    if seller != account {
        return Err(ApiError::forbidden(
            "only the seller who owns this product may change it",
        ));
    }
    Ok(())
}

/// Only its author may change a review or a reply (`what`).
pub fn ensure_author(author: Uuid, account: Uuid, what: &str) -> ApiResult<()> {
    if author != account {
        return Err(ApiError::forbidden(format!(
            "only its author may change a {what}"
        )));
    }
    Ok(())
}

/// The average of `count` scores adding up to `sum`, to one decimal; `None` before the first.
pub fn average_score(sum: i64, count: i64) -> Option<f64> {
    (count > 0).then(|| (sum as f64 / count as f64 * 10.0).round() / 10.0)
}

/// `Hello, World! 2` → `hello-world-2`, `Điện thoại` → `dien-thoai`: letters folded to
/// unaccented ASCII, lower-case letters and digits joined by single hyphens, at most 120
/// characters; empty when nothing is left (`kit::validate::Slug::from_name`).
pub fn slugify(text: &str) -> String {
    kit::validate::Slug::from_name(text).map_or_else(String::new, |s| s.as_str().to_string())
}

/// Whether `s` is a slug: `a-z0-9` words joined by single hyphens.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty() && s == slugify(s)
}

/// Most images on a product.
pub const MAX_IMAGES: usize = 10;

/// Image URLs: at most [`MAX_IMAGES`], each `https://` or `http://`, at most 2000 characters.
pub fn images(values: &[String]) -> ApiResult<Vec<String>> {
    if values.len() > MAX_IMAGES {
        return Err(ApiError::validation(format!(
            "images: at most {MAX_IMAGES}"
        )));
    }
    for value in values {
        // The URL parser skips tabs and line breaks, so they are refused before it: the value
        // stored is the one given, and must be the URL it parsed.
        let ok = (value.starts_with("https://") || value.starts_with("http://"))
            && value.len() <= 2000
            && !value.chars().any(|c| c.is_control() || c.is_whitespace())
            && url::Url::parse(value).is_ok();
        if !ok {
            return Err(ApiError::validation(format!(
                "images: `{value}` is not an http(s) URL"
            )));
        }
    }
    Ok(values.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lower_case_words_joined_by_hyphens() {
        assert_eq!(slugify("  Hello, World! 2 "), "hello-world-2");
        assert_eq!(slugify("Điện thoại"), "dien-thoai");
        assert_eq!(slugify("Đèn bàn ĐẸP"), "den-ban-dep");
        assert!(is_slug("wireless-earbuds"));
        assert!(!is_slug("Wireless"));
        assert!(!is_slug("a--b"));
    }

    #[test]
    fn a_key_is_an_id_when_it_parses_as_one_and_a_slug_otherwise() {
        let id = Uuid::from_u128(7);
        assert_eq!(Key::parse(&id.to_string()), Key::Id(id));
        assert_eq!(Key::parse("phones"), Key::Slug("phones".into()));
        assert_eq!(Key::parse("phones").to_string(), "phones");
    }

    #[test]
    fn only_owners_and_authors_may_change_their_things() {
        let (me, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert!(ensure_seller(me, me).is_ok());
        assert_eq!(ensure_seller(me, other).unwrap_err().status, 403);
        assert_eq!(
            ensure_author(me, other, "reply").unwrap_err().message,
            "only its author may change a reply"
        );
    }

    #[test]
    fn averages_have_one_decimal_and_none_without_scores() {
        assert_eq!(average_score(0, 0), None);
        assert_eq!(average_score(14, 3), Some(4.7));
        assert_eq!(average_score(10, 2), Some(5.0));
    }

    #[test]
    fn images_are_few_http_urls() {
        assert!(images(&["ftp://x/y.png".into()]).is_err());
        assert!(images(&["https://img.example/a.png".into()]).is_ok());
        for bad in [
            "https://img.example/a\n.png",
            "https://img.example/\ta.png",
            "https://i.example/a b",
        ] {
            assert!(images(&[bad.into()]).is_err(), "{bad:?}");
        }
        assert!(
            images(&vec![
                "https://img.example/a.png".to_string();
                MAX_IMAGES + 1
            ])
            .is_err()
        );
    }
}

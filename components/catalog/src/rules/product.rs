//! What a seller writes of a product and its SKUs: limits on text, tags, images and
//! specifications, SKU prices and package sizes; and how slugs, SKU ids and a card's price are
//! derived.

use kit::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::slugify;

/// Longest product name.
pub const MAX_NAME: usize = 200;
/// Longest product description.
pub const MAX_DESCRIPTION: usize = 20_000;
/// Most tags on a product.
pub const MAX_TAGS: usize = 20;
/// Longest tag.
pub const MAX_TAG: usize = 50;
/// Most specifications or SKU attributes.
pub const MAX_PAIRS: usize = 50;
/// Highest SKU price, in minor units.
pub const MAX_PRICE: i64 = 1_000_000_000_000;
/// Largest package size or weight.
pub const MAX_SIZE: i32 = 1_000_000;

/// A product slug: the name's slug (at most 80 characters) and a unique suffix.
pub fn slug(name: &str, unique: &str) -> String {
    let mut base = slugify(name);
    base.truncate(80);
    let base = base.trim_end_matches('-');
    if base.is_empty() {
        format!("product-{unique}")
    } else {
        format!("{base}-{unique}")
    }
}

/// The suffix that makes a product's slug unique: the last 12 hex digits of its id, the random
/// tail of a UUIDv7, so two products of the same name get different slugs.
pub fn slug_suffix(id: Uuid) -> String {
    id.simple().to_string()[20..].to_string()
}

/// The id of a SKU created under an `Idempotency-Key`: derived from the product, the seller and
/// the key, so a retried request names the same SKU — and inventory, which is asked for its
/// stock before the SKU is written, sees the same id again.
pub fn sku_id_for_key(product: Uuid, seller: Uuid, key: &str) -> Uuid {
    Uuid::new_v5(&product, format!("{seller}:{key}").as_bytes())
}

/// The SKU a card prices its product by: the featured one while it is live, else the first of
/// `skus` (the product's live SKUs, cheapest first).
pub fn shown_sku(featured: Option<Uuid>, skus: &[Uuid]) -> Option<Uuid> {
    skus.iter()
        .copied()
        .find(|s| Some(*s) == featured)
        .or_else(|| skus.first().copied())
}

/// A trimmed product name of 1–[`MAX_NAME`] characters, on one line.
pub fn name(value: &str) -> ApiResult<String> {
    kit::validate::line("name", value, 1, MAX_NAME)
}

/// A description of at most [`MAX_DESCRIPTION`] characters, trimmed, of several lines.
pub fn description(value: &str) -> ApiResult<String> {
    kit::validate::text("description", value, 0, MAX_DESCRIPTION)
}

/// A tag as a seller wrote it: its key, which products carry and filters name, and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    /// Its words, lower-case, joined by `-`, diacritics kept ([`tag_slug`]).
    pub slug: String,
    /// As first written, on one line.
    pub name: String,
}

/// A tag's key: the lower-case words of `text` joined by single hyphens, accents and all, so
/// that `Wireless Earbuds` and `wireless-earbuds` are one tag, while `Bàn` (a table) and `Bán`
/// (for sale), which differ only in their diacritics, are two. Combining accents stay with
/// their letter.
pub fn tag_slug(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        let combining = ('\u{300}'..='\u{36f}').contains(&c);
        if c.is_alphanumeric() || (combining && !slug.is_empty() && !slug.ends_with('-')) {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_string()
}

/// Tags without duplicates (by [`tag_slug`]), at most [`MAX_TAGS`] of at most [`MAX_TAG`]
/// characters.
pub fn tags(values: &[String]) -> ApiResult<Vec<Tag>> {
    if values.len() > MAX_TAGS {
        return Err(ApiError::validation(format!("tags: at most {MAX_TAGS}")));
    }
    let mut out: Vec<Tag> = Vec::new();
    for value in values {
        let name = kit::validate::line("tags", value, 1, MAX_TAG)?;
        let slug = tag_slug(&name);
        if slug.is_empty() || slug.chars().count() > MAX_TAG {
            return Err(ApiError::validation(format!(
                "tags: `{value}` is not a tag (letters and digits, at most {MAX_TAG} characters)"
            )));
        }
        if !out.iter().any(|t| t.slug == slug) {
            out.push(Tag { slug, name });
        }
    }
    Ok(out)
}

/// The keys of `tags`, as products carry them.
pub fn tag_slugs(tags: &[Tag]) -> Vec<String> {
    tags.iter().map(|t| t.slug.clone()).collect()
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
        let name = kit::validate::line(field, &pair.name, 1, 100)?;
        let value = kit::validate::line(field, &pair.value, 1, 500)?;
        if out
            .iter()
            .any(|p| p.name.to_lowercase() == name.to_lowercase())
        {
            return Err(ApiError::validation(format!(
                "{field}: `{name}` is given twice"
            )));
        }
        out.push(Pair { name, value });
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

/// A package size or weight: absent, or 1 to [`MAX_SIZE`].
pub fn size(field: &str, value: Option<i32>) -> ApiResult<Option<i32>> {
    match value {
        Some(v) if !(1..=MAX_SIZE).contains(&v) => Err(ApiError::validation(format!(
            "{field}: from 1 to {MAX_SIZE}"
        ))),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_slugs_end_in_a_unique_suffix() {
        assert_eq!(slug("!!!", "x1"), "product-x1");
        assert_eq!(slug("Phone X", "x1"), "phone-x-x1");
        assert_eq!(slug("Điện thoại Đỏ", "x1"), "dien-thoai-do-x1");
        let id: Uuid = "0192f1a2-7b3c-7d4e-8f50-123456789abc".parse().unwrap();
        assert_eq!(slug_suffix(id), "123456789abc");
    }

    #[test]
    fn a_retried_sku_create_names_the_same_sku() {
        let (product, seller) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let first = sku_id_for_key(product, seller, "k1");
        assert_eq!(sku_id_for_key(product, seller, "k1"), first);
        assert_ne!(sku_id_for_key(product, seller, "k2"), first);
        assert_ne!(sku_id_for_key(product, Uuid::from_u128(3), "k1"), first);
    }

    #[test]
    fn a_card_shows_the_featured_sku_else_the_cheapest() {
        let (cheap, dear) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert_eq!(shown_sku(None, &[cheap, dear]), Some(cheap));
        assert_eq!(shown_sku(Some(dear), &[cheap, dear]), Some(dear));
        assert_eq!(shown_sku(Some(Uuid::from_u128(9)), &[cheap]), Some(cheap));
        assert_eq!(shown_sku(Some(dear), &[]), None);
    }

    #[test]
    fn tags_become_unique_slugs_within_limits() {
        let slugs = |values: &[&str]| {
            let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
            tag_slugs(&tags(&values).unwrap())
        };
        assert_eq!(
            slugs(&["Wireless Earbuds", "wireless-earbuds", "USB C"]),
            ["wireless-earbuds", "usb-c"]
        );
        assert!(tags(&vec!["a".to_string(); MAX_TAGS + 1]).is_err());
        assert!(tags(&["!!!".into()]).is_err());
        assert!(tags(&["x".repeat(MAX_TAG + 1)]).is_err());
        assert!(tags(&["a\nb".into()]).is_err());
    }

    #[test]
    fn tags_keep_their_text_and_their_diacritics() {
        let written: Vec<String> = ["Bàn gỗ", "Bán gỗ", "Ban go", "BÀN GỖ", "Đồ cũ"]
            .iter()
            .map(|t| t.to_string())
            .collect();
        let found = tags(&written).unwrap();
        assert_eq!(
            tag_slugs(&found),
            ["bàn-gỗ", "bán-gỗ", "ban-go", "đồ-cũ"],
            "words that differ only in diacritics are other tags"
        );
        assert_eq!(found[0].name, "Bàn gỗ", "the text first written is kept");
        // Decomposed accents stay with their letter.
        assert_eq!(tag_slug("Ca\u{300} phe"), "ca\u{300}-phe");
    }

    #[test]
    fn text_prices_and_pairs_are_bounded() {
        assert!(name("  ").is_err());
        assert!(name(&"n".repeat(MAX_NAME + 1)).is_err());
        assert!(name("two\nlines").is_err() && name("bell\u{7}").is_err());
        assert_eq!(description("a\r\nb").unwrap(), "a\nb");
        assert_eq!(name(" Phone ").unwrap(), "Phone");
        assert!(description(&"d".repeat(MAX_DESCRIPTION + 1)).is_err());
        assert!(price(0).is_err() && price(-5).is_err() && price(MAX_PRICE + 1).is_err());
        assert_eq!(price(1999).unwrap(), 1999);
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
        assert_eq!(size("weight_grams", None).unwrap(), None);
    }
}

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
    fn text_prices_and_pairs_are_bounded() {
        assert!(name("  ").is_err());
        assert!(name(&"n".repeat(MAX_NAME + 1)).is_err());
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

//! Bodies of catalog's internal routes and of the messages catalog receives.
//!
//! - `POST /internal/skus/batch`: [`SkusBatchRequest`] → [`SkusBatchAnswer`], what promotion's
//!   quote and checkout price lines with: seller, category path, price and currency of many
//!   SKUs in one call.
//! - `POST /internal/products/batch`: [`ProductsBatchRequest`] → [`ProductsBatchAnswer`], whose
//!   products they are: promotion checks that a seller's promotion targets only its own.
//! - `POST /internal/stock-levels`: [`StockLevelsRequest`] → [`StockLevelsAnswer`], sent by
//!   inventory on every change of a SKU's counts.
//! - `POST /internal/products/:id/embed`: [`EmbedRequest`] → [`EmbedAnswer`], sent by catalog
//!   itself when a product's text changes.
//! - `POST /internal/skus/reprice`: [`RepriceRequest`] → [`RepriceAnswer`], sent by promotion
//!   when a promotion changes, starts, ends, opens or closes a window or runs out, and by
//!   catalog itself when a SKU's price or a product's category changes: the promoted prices
//!   listings filter and sort by are asked of promotion again.
//!
//! The two batches only read. The last three routes are reached through an outbox, so each
//! request is a message that may arrive late, twice, or out of order; their answers say what
//! the message changed.
//!
//! Requests refuse unknown fields, so a caller's typo is a 422 rather than a field silently
//! ignored; answers accept them, so catalog can add a field without breaking a caller built
//! before it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Most ids one batch request names; a caller with more sends several requests.
pub const BATCH_MAX: usize = 500;

/// What catalog knows of 1 to [`BATCH_MAX`] SKUs, read in one query. An id may repeat: it is
/// answered once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkusBatchRequest {
    /// The SKUs.
    pub sku_ids: Vec<Uuid>,
}

/// The answer to a [`SkusBatchRequest`]: one item per known SKU, in the order the request
/// first names them; SKUs catalog never had are absent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkusBatchAnswer {
    /// The SKUs found.
    pub items: Vec<SkuSummary>,
}

/// A SKU as a line of a quote or an order needs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkuSummary {
    /// The SKU.
    pub sku_id: Uuid,
    /// Its product.
    pub product_id: Uuid,
    /// The product's seller.
    pub seller_id: Uuid,
    /// The product's category first, then each ancestor up to the top of the tree.
    pub category_path: Vec<Uuid>,
    /// Price of one unit, in minor units of `currency`.
    pub unit_price_minor: i64,
    /// The product's currency (ISO 4217), in which all its SKUs are priced.
    pub currency: String,
    /// `false` when the SKU or its product was deleted, or the product is disabled: it can be
    /// shown on an old order but not bought.
    pub available: bool,
    /// The product's name.
    #[serde(default)]
    pub name: String,
    /// What one unit costs after the automatic promotions running when catalog last
    /// repriced it (`unit_price_minor` when none applies): what a shopper is shown.
    #[serde(default)]
    pub promoted_price_minor: Option<i64>,
    /// The SKU's attributes, `[{name, value}]`.
    #[serde(default)]
    pub attributes: serde_json::Value,
    /// Its parcel: grams and centimetres, when the seller gave them.
    #[serde(default)]
    pub weight_grams: Option<i32>,
    #[serde(default)]
    pub length_cm: Option<i32>,
    #[serde(default)]
    pub width_cm: Option<i32>,
    #[serde(default)]
    pub height_cm: Option<i32>,
}

/// What catalog knows of 1 to [`BATCH_MAX`] products, read in one query. An id may repeat: it
/// is answered once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductsBatchRequest {
    /// The products.
    pub product_ids: Vec<Uuid>,
}

/// The answer to a [`ProductsBatchRequest`]: one item per known product, in the order the
/// request first names them; products catalog never had are absent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductsBatchAnswer {
    /// The products found.
    pub items: Vec<ProductSummary>,
}

/// Whose a product is and where it sits in the category tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductSummary {
    /// The product.
    pub product_id: Uuid,
    /// Its seller.
    pub seller_id: Uuid,
    /// Its category first, then each ancestor up to the top of the tree.
    pub category_path: Vec<Uuid>,
    /// Its currency (ISO 4217).
    pub currency: String,
    /// `false` when the product was deleted or is disabled.
    pub available: bool,
}

/// A SKU's stock levels as inventory holds them after a change. Each change bumps `version`,
/// and catalog applies a level only when its version is newer than the one it holds, so a
/// repeated or overtaken message changes nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockLevelsRequest {
    /// The SKU.
    pub sku_id: Uuid,
    /// Units that can be bought now.
    pub available: i64,
    /// Units sold so far.
    pub sold: i64,
    /// The version of the SKU's stock these counts are from.
    pub version: i64,
}

/// What a [`StockLevelsRequest`] changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLevelsAnswer {
    /// The SKU.
    pub sku_id: Uuid,
    /// `false` when catalog already held this version or a newer one, or does not know the
    /// SKU (yet): the next change carries the whole level again.
    pub applied: bool,
}

/// Asks catalog to embed a product's text again. The body is empty: the product is named in
/// the path, and its text is read when the message is handled, so a late message embeds the
/// latest text rather than the one that caused it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbedRequest {}

/// What an [`EmbedRequest`] did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbedAnswer {
    /// The product.
    pub product_id: Uuid,
    /// `false` for a product removed since the message was written: it needs no embedding.
    pub embedded: bool,
}

/// Most ids a [`RepriceScope`] names (as many as a promotion targets).
pub const REPRICE_IDS_MAX: usize = 500;

/// Asks catalog to price the live SKUs of a scope again under the automatic promotions running
/// now. Prices are read when the message is handled, so a late or repeated message stores
/// today's prices, never those of the change that caused it. A scope larger than one run
/// ([`RepriceAnswer::next`]) goes on in follow-up messages catalog sends itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepriceRequest {
    /// Only this seller's products; `None`: every seller's (a platform promotion).
    pub seller_id: Option<Uuid>,
    /// Which of them.
    pub scope: RepriceScope,
    /// Only SKUs whose id sorts after this one: where the previous run of a long scope stopped.
    #[serde(default)]
    pub after: Option<Uuid>,
}

/// The SKUs a [`RepriceRequest`] names: a promotion's target, in catalog's terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    content = "ids",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum RepriceScope {
    /// Every live SKU (of the seller, when one is named).
    All,
    /// The SKUs of these products.
    Products(Vec<Uuid>),
    /// These SKUs.
    Skus(Vec<Uuid>),
    /// The SKUs of products in these categories or their subcategories.
    Categories(Vec<Uuid>),
}

/// What a [`RepriceRequest`] did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepriceAnswer {
    /// SKUs priced in this run.
    pub priced: usize,
    /// SKUs whose stored price changed.
    pub changed: usize,
    /// Where the follow-up run starts, when the scope holds more SKUs than one run prices.
    pub next: Option<Uuid>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reprice_scope_names_its_kind_and_ids() {
        let all = RepriceRequest {
            seller_id: None,
            scope: RepriceScope::All,
            after: None,
        };
        let text = serde_json::to_string(&all).unwrap();
        assert_eq!(
            text,
            r#"{"seller_id":null,"scope":{"kind":"all"},"after":null}"#
        );
        assert_eq!(serde_json::from_str::<RepriceRequest>(&text).unwrap(), all);
        let skus = r#"{"seller_id": null, "scope": {"kind": "skus",
            "ids": ["00000000-0000-0000-0000-000000000001"]}}"#;
        let parsed: RepriceRequest = serde_json::from_str(skus).unwrap();
        assert_eq!(parsed.scope, RepriceScope::Skus(vec![Uuid::from_u128(1)]));
        assert!(serde_json::from_str::<RepriceRequest>(r#"{"scope": {"kind": "shops"}}"#).is_err());
    }

    #[test]
    fn an_embed_request_is_an_empty_object() {
        assert_eq!(serde_json::to_string(&EmbedRequest {}).unwrap(), "{}");
    }

    #[test]
    fn a_stock_level_with_an_unknown_field_is_refused() {
        let level = r#"{"sku_id": "00000000-0000-0000-0000-000000000000", "available": 1,
            "sold": 0, "version": 2, "reserved": 0}"#;
        assert!(serde_json::from_str::<StockLevelsRequest>(level).is_err());
    }

    #[test]
    fn batch_requests_with_an_unknown_field_are_refused() {
        let skus = r#"{"sku_ids": ["00000000-0000-0000-0000-000000000000"], "limit": 1}"#;
        assert!(serde_json::from_str::<SkusBatchRequest>(skus).is_err());
        let products = r#"{"product_ids": [], "sku_ids": []}"#;
        assert!(serde_json::from_str::<ProductsBatchRequest>(products).is_err());
    }

    #[test]
    fn batch_answers_accept_fields_added_later() {
        let answer = r#"{"items": [{"product_id": "00000000-0000-0000-0000-000000000001",
            "seller_id": "00000000-0000-0000-0000-000000000002",
            "category_path": ["00000000-0000-0000-0000-000000000003"],
            "currency": "VND", "available": true, "rating": 4.5}]}"#;
        let answer: ProductsBatchAnswer = serde_json::from_str(answer).unwrap();
        assert_eq!(answer.items[0].category_path, vec![Uuid::from_u128(3)]);
    }
}

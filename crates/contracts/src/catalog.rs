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
//!
//! The two batches only read. The last two routes are reached through an outbox, so each
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

#[cfg(test)]
mod tests {
    use super::*;

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

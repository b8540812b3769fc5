//! Bodies of catalog's internal routes and of the messages catalog receives.
//!
//! Both routes are reached through an outbox, so each request is a message that may arrive
//! late, twice, or out of order; the answers say what the message changed.
//!
//! - `POST /internal/stock-levels`: [`StockLevelsRequest`] → [`StockLevelsAnswer`], sent by
//!   inventory on every change of a SKU's counts.
//! - `POST /internal/products/:id/embed`: [`EmbedRequest`] → [`EmbedAnswer`], sent by catalog
//!   itself when a product's text changes.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

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
}

//! Bodies of promotion's internal routes.
//!
//! - `POST /internal/redemptions`: [`ReserveRequest`] → [`RedemptionAnswer`], a checkout takes
//!   the uses and the budget of the promotions its quote applied, all or nothing.
//! - `POST /internal/redemptions/:reference/commit` and `…/release`: no body →
//!   [`RedemptionAnswer`], paid, or cancelled and given back.
//! - `POST /internal/redemptions/:reference/cashback`: no body → [`RedemptionAnswer`], sent by
//!   order when every payout of the checkout was released: the redemption's cashback is
//!   credited to the buyer's wallet, once.
//! - `POST /internal/quote`: [`QuoteRequest`] → [`QuoteAnswer`] (as `POST
//!   /api/v1/promotion/quote` answers it), for lines whose seller, product, category and price
//!   the caller knows.
//! - `POST /internal/quote/cards`: [`CardsRequest`] → [`CardsAnswer`], the price of one unit
//!   of each SKU under the automatic promotions running now: the promoted prices catalog
//!   stores when it reprices, which its cards, detail, price filter and sorts read.
//!
//! Requests refuse unknown fields, so a caller's typo is a 422 rather than a field silently
//! ignored; answers accept them, so promotion can add a field without breaking a caller built
//! before it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A checkout's hold on the promotions its quote applied. Every limit is taken atomically:
/// however many checkouts race, a total use limit, a per-buyer limit or a spend budget is
/// never exceeded; one line over its limit refuses the whole reservation (409) and takes
/// nothing. One redemption per `reference`, ever: a repeat with another idempotency key is
/// 409 `redemption_exists`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReserveRequest {
    /// The checkout (or its workflow step) holding the promotions: 1 to 200 characters, one
    /// line.
    pub reference: String,
    /// The signed-in buyer; required when a promotion has a per-buyer limit or gives
    /// cashback (credited to the buyer's wallet).
    #[serde(default)]
    pub buyer_id: Option<Uuid>,
    /// The checkout's currency (ISO 4217), which cashback is paid in; required when a line is
    /// a cashback promotion's.
    #[serde(default)]
    pub currency: Option<String>,
    /// One line per promotion applied, 1 to 50, each promotion once.
    pub lines: Vec<RedemptionLine>,
}

/// What a checkout takes of one promotion: one use, and the discount it gave, counted
/// against the promotion's budget.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedemptionLine {
    /// The promotion.
    pub promotion_id: Uuid,
    /// What the quote gave, in minor units of the checkout's currency (0 or more): the
    /// discount, or for a cashback promotion the cashback, paid once the checkout's payouts
    /// are released.
    pub amount_minor: i64,
}

/// Where a redemption stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedemptionStatus {
    /// Uses and budget held while the checkout pays.
    Reserved,
    /// Paid: the uses and budget are spent for good.
    Committed,
    /// Cancelled or expired: the uses and budget were given back.
    Released,
}

/// A redemption and its lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedemptionAnswer {
    /// The redemption's id.
    pub redemption_id: Uuid,
    /// The checkout it is for.
    pub reference: String,
    /// The buyer, when one was named.
    pub buyer_id: Option<Uuid>,
    /// Where it stands.
    pub status: RedemptionStatus,
    /// What it took, in promotion id order.
    pub lines: Vec<RedemptionLine>,
    /// The checkout's currency, when the reservation named it.
    #[serde(default)]
    pub currency: Option<String>,
    /// What its cashback promotions give the buyer, in minor units of `currency`.
    #[serde(default)]
    pub cashback_minor: i64,
    /// When the cashback was credited (written to the outbox for account); `None` before.
    #[serde(default)]
    pub cashback_paid_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A cart to price, with everything promotion needs to know of its lines, so that pricing
/// never calls back into catalog: the caller (checkout, catalog's cards) has read them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    /// ISO 4217 code of every amount; promotions in another currency do not apply.
    pub currency: String,
    /// 1 to 100 lines, each SKU once.
    pub lines: Vec<QuoteLine>,
    /// What each seller charges to ship its lines, at most one entry per seller.
    #[serde(default)]
    pub shipping: Vec<QuoteShipment>,
    /// The signed-in buyer: per-buyer limits are counted for them.
    #[serde(default)]
    pub buyer_id: Option<Uuid>,
    /// Whether this would be the buyer's first order (first-order-only promotions).
    #[serde(default)]
    pub first_order: bool,
    /// Voucher codes as the shopper typed them, at most 10.
    #[serde(default)]
    pub codes: Vec<String>,
}

/// One line of a cart to price.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteLine {
    /// The SKU.
    pub sku_id: Uuid,
    /// Its product.
    pub product_id: Uuid,
    /// The product's seller.
    pub seller_id: Uuid,
    /// The product's category, then each ancestor (as catalog's batch read gives it).
    pub category_path: Vec<Uuid>,
    /// The price of one unit, minor units of the cart's currency.
    pub unit_price_minor: i64,
    /// Units, 1 to 1,000,000.
    pub quantity: i64,
}

/// A seller's shipping charge for its lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteShipment {
    /// The seller.
    pub seller_id: Uuid,
    /// Minor units of the cart's currency, 0 or more.
    pub amount_minor: i64,
}

/// What promotion answers a [`QuoteRequest`]: what a cart pays. `subtotal_minor −
/// discount_minor + shipping_minor − shipping_discount_minor = total_minor`, exactly. The
/// fields a caller acts on; promotion's engine (`rules::engine::Quote`) answers more, and a
/// test there reads its answer as this type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteAnswer {
    /// The cart's currency.
    pub currency: String,
    /// The lines, in the cart's order.
    pub lines: Vec<QuotedLine>,
    /// The shipments, in the cart's order.
    pub shipping: Vec<QuotedShipment>,
    /// Promotions that applied, in the order they applied.
    pub applied: Vec<AppliedPromotion>,
    /// Codes the cart carries that match no promotion, as typed.
    pub unknown_codes: Vec<String>,
    /// The lines before promotions.
    pub subtotal_minor: i64,
    /// Off the lines.
    pub discount_minor: i64,
    /// Shipping before promotions.
    pub shipping_minor: i64,
    /// Off shipping.
    pub shipping_discount_minor: i64,
    /// What is paid.
    pub total_minor: i64,
    /// What is credited later.
    pub cashback_minor: i64,
}

/// A line as priced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotedLine {
    pub sku_id: Uuid,
    pub quantity: i64,
    /// One unit before promotions.
    pub unit_price_minor: i64,
    /// What promotions took off the line.
    pub discount_minor: i64,
    /// What the line pays.
    pub final_minor: i64,
}

/// A seller's shipping as priced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotedShipment {
    pub seller_id: Uuid,
    /// Before promotions.
    pub original_minor: i64,
    /// What promotions took off.
    pub discount_minor: i64,
    /// What is paid.
    pub final_minor: i64,
}

/// A promotion that applied: what it took off lines and shipping, and what it credits later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedPromotion {
    pub promotion_id: Uuid,
    pub discount_minor: i64,
    pub cashback_minor: i64,
}

/// Most SKUs one cards quote prices.
pub const CARDS_MAX: usize = 500;

/// Largest cards quote body promotion reads: [`CARDS_MAX`] items with category paths 20 deep
/// fit (about 480 KiB), where the default limit of a JSON body (64 KiB) holds about 120.
pub const CARDS_BODY_LIMIT: usize = 1024 * 1024;

/// SKUs to show on a page, each priced alone: one unit, automatic promotions only, no buyer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardsRequest {
    /// 1 to [`CARDS_MAX`] SKUs, each once.
    pub items: Vec<CardItem>,
}

/// A SKU as catalog shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardItem {
    /// The SKU.
    pub sku_id: Uuid,
    /// Its product.
    pub product_id: Uuid,
    /// The product's seller.
    pub seller_id: Uuid,
    /// The product's category, then each ancestor.
    pub category_path: Vec<Uuid>,
    /// Its own price, minor units of `currency`.
    pub unit_price_minor: i64,
    /// The product's currency.
    pub currency: String,
}

/// The price of one unit of each SKU asked for, in the order asked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardsAnswer {
    /// One per SKU.
    pub items: Vec<CardPrice>,
    /// The instant the prices hold at: of two answers for a SKU, the later one is the truth.
    pub at: chrono::DateTime<chrono::Utc>,
}

/// One SKU's price after the automatic promotions running now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardPrice {
    /// The SKU.
    pub sku_id: Uuid,
    /// What one unit costs now.
    pub price_minor: i64,
    /// Its own price, before promotions.
    pub original_minor: i64,
    /// The promotions that make the difference, in the order they applied.
    pub promotion_ids: Vec<Uuid>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reserve_request_with_an_unknown_field_is_refused() {
        let body = r#"{"reference": "c-1", "lines": [], "coupon": "X"}"#;
        assert!(serde_json::from_str::<ReserveRequest>(body).is_err());
    }

    #[test]
    fn a_full_cards_quote_fits_its_body_limit() {
        let item = CardItem {
            sku_id: Uuid::max(),
            product_id: Uuid::max(),
            seller_id: Uuid::max(),
            category_path: vec![Uuid::max(); 20],
            unit_price_minor: i64::MAX,
            currency: "VND".to_string(),
        };
        let full = CardsRequest {
            items: vec![item; CARDS_MAX],
        };
        let bytes = serde_json::to_vec(&full).unwrap().len();
        assert!(bytes <= CARDS_BODY_LIMIT, "{bytes} bytes");
        assert!(
            bytes > 64 * 1024,
            "the default limit would refuse it: {bytes}"
        );
    }

    #[test]
    fn a_reserve_request_without_a_buyer_is_a_guest_checkout() {
        let body = r#"{"reference": "c-1", "lines": []}"#;
        let request: ReserveRequest = serde_json::from_str(body).unwrap();
        assert_eq!(request.buyer_id, None);
    }
}

//! What the engine takes — a [`Cart`] and its [`Offer`]s — and what it answers, a [`Quote`]:
//! plain data, serialised as the quote routes answer it.

use serde::Serialize;
use uuid::Uuid;

use crate::rules::schedule::Schedule;
use crate::rules::terms::{Conditions, Kind, Target};

/// One line of a cart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The SKU; unique within a cart.
    pub sku_id: Uuid,
    /// The SKU's product.
    pub product_id: Uuid,
    /// The seller of the product.
    pub seller_id: Uuid,
    /// The product's category and its ancestors.
    pub category_path: Vec<Uuid>,
    /// The price of one unit, at least 0.
    pub unit_price_minor: i64,
    /// At least 1.
    pub quantity: i64,
}

/// What one seller charges to ship their lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shipment {
    /// The seller.
    pub seller_id: Uuid,
    /// At least 0.
    pub amount_minor: i64,
}

/// The signed-in shopper.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Buyer {
    /// Whether this order would be their first.
    pub first_order: bool,
}

/// What is being priced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cart {
    /// ISO 4217 code of every amount.
    pub currency: String,
    /// The lines, SKUs unique.
    pub lines: Vec<Line>,
    /// The shipping of each seller.
    pub shipping: Vec<Shipment>,
    /// The shopper, when signed in.
    pub buyer: Option<Buyer>,
    /// Promotion codes as typed.
    pub codes: Vec<String>,
}

/// What is left of each of a promotion's limits; `None`: unlimited.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Remaining {
    /// Uses left in total.
    pub uses: Option<i64>,
    /// Uses left for this buyer; `None` without a per-buyer limit (or without a buyer).
    pub buyer_uses: Option<i64>,
    /// Minor units left of its budget.
    pub budget_minor: Option<i64>,
}

/// A promotion as the engine weighs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    /// UUIDv7: a smaller id is older.
    pub id: Uuid,
    /// The seller who runs it; `None`: the platform.
    pub seller_id: Option<Uuid>,
    /// What it gives.
    pub kind: Kind,
    /// To which lines.
    pub target: Target,
    /// On which conditions.
    pub conditions: Conditions,
    /// The code that unlocks it; `None`: it applies by itself.
    pub code: Option<String>,
    /// Higher wins a tie.
    pub priority: i32,
    /// Whether it applies only alone.
    pub exclusive: bool,
    /// The currency its amounts are in; required for amount kinds.
    pub currency: Option<String>,
    /// When it runs.
    pub schedule: Schedule,
    /// What is left of its limits.
    pub remaining: Remaining,
    /// Whether it has a per-buyer limit, which needs a signed-in buyer.
    pub per_buyer_limited: bool,
}

/// The stage a promotion applies at, in the order they apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Percentage or fixed off each unit.
    Item,
    /// Bundles and buy-x-get-y.
    Bundle,
    /// Percentage or fixed off the targeted subtotal.
    Order,
    /// Off shipping.
    Shipping,
    /// Credited later; prices unchanged.
    Cashback,
}

impl Stage {
    /// Every stage, in the order they apply.
    pub(super) const ALL: [Stage; 5] = [
        Stage::Item,
        Stage::Bundle,
        Stage::Order,
        Stage::Shipping,
        Stage::Cashback,
    ];
}

/// Why an offer did not apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Reason {
    /// Its schedule has not started.
    NotStarted,
    /// Its schedule has ended.
    Ended,
    /// Its schedule is outside every window now.
    OutsideWindow,
    /// It is in another currency than the cart.
    CurrencyMismatch,
    /// No uses left.
    UsesExhausted,
    /// It needs a signed-in buyer.
    SignInRequired,
    /// This buyer has used it up.
    BuyerLimitReached,
    /// Nothing left of its budget.
    BudgetExhausted,
    /// Only for a first order, and this is not one.
    FirstOrderOnly,
    /// A seller's promotion, and no line of that seller in the cart.
    NotOwnersProduct,
    /// No line matches its target, or it would give nothing.
    NotApplicable,
    /// The targeted lines cost less than its minimum.
    MinSpendNotMet {
        /// The minimum.
        min_spend_minor: i64,
        /// What the targeted lines cost at its stage.
        spend_minor: i64,
    },
    /// Another promotion of its group gave more.
    LostTo {
        /// The winner.
        promotion_id: Uuid,
    },
    /// An exclusive promotion won, alone.
    ExcludedBy {
        /// The exclusive winner.
        promotion_id: Uuid,
    },
    /// It is exclusive, and the stack of the others did better.
    ExclusiveLost,
}

/// What one promotion took off one line or shipment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Share {
    /// The promotion.
    pub promotion_id: Uuid,
    /// Minor units off.
    pub amount_minor: i64,
}

/// A line as priced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineQuote {
    /// The SKU.
    pub sku_id: Uuid,
    /// Units.
    pub quantity: i64,
    /// Price of one unit before promotions.
    pub unit_price_minor: i64,
    /// `unit_price_minor × quantity`.
    pub original_minor: i64,
    /// What promotions took off.
    pub discount_minor: i64,
    /// What is paid.
    pub final_minor: i64,
    /// Each promotion's part of the discount, in the order they applied.
    pub applied: Vec<Share>,
}

/// A seller's shipping as priced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShipmentQuote {
    /// The seller.
    pub seller_id: Uuid,
    /// Before promotions.
    pub original_minor: i64,
    /// What promotions took off.
    pub discount_minor: i64,
    /// What is paid.
    pub final_minor: i64,
    /// Each promotion's part of the discount.
    pub applied: Vec<Share>,
}

/// A promotion that applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// The promotion.
    pub promotion_id: Uuid,
    /// Its stage.
    pub stage: Stage,
    /// What it took off lines and shipping.
    pub discount_minor: i64,
    /// What it credits later.
    pub cashback_minor: i64,
}

/// A promotion that was considered and did not apply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NotApplied {
    /// The promotion.
    pub promotion_id: Uuid,
    /// Why not.
    pub reason: Reason,
}

/// What a cart pays. `subtotal - discount + shipping - shipping_discount = total`, exactly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Quote {
    /// The cart's currency.
    pub currency: String,
    /// The lines, in the cart's order.
    pub lines: Vec<LineQuote>,
    /// The shipments, in the cart's order.
    pub shipping: Vec<ShipmentQuote>,
    /// Promotions that applied, in the order they applied.
    pub applied: Vec<Applied>,
    /// Promotions considered that did not apply, in id order.
    pub not_applied: Vec<NotApplied>,
    /// Codes the cart carries that match no promotion, as typed, once each.
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

//! Bodies of order's internal payment and shipment routes: the attempts order's own flows
//! (checkout, a seller's confirmation fee) make through a payment gateway, and the shipments
//! it books with the carrier.
//!
//! - `POST /internal/payments`: [`StartPayment`] → [`PaymentAnswer`], an attempt begun with a
//!   gateway, and what the buyer needs to pay it.
//! - `GET /internal/payments/:id`: → [`PaymentAnswer`].
//! - `POST /internal/payments/:id/cancel`: no body → [`PaymentAnswer`], the attempt given up
//!   (expired); a payment the gateway still takes afterwards is recorded as `paid_late`.
//! - `POST /internal/payments/:id/reconcile`: no body → [`PaymentAnswer`], the gateway asked
//!   what became of a pending attempt.
//! - `POST /internal/payments/:id/refunds`: [`RefundPayment`] → [`RefundAnswer`].
//! - `POST /internal/shipments/quote`: [`QuoteShipment`] → [`ShipmentQuote`], the carrier's fee.
//! - `POST /internal/shipments`: [`BookShipment`] → [`ShipmentAnswer`], booked with the carrier.
//! - `GET /internal/shipments/:id`, `POST /internal/shipments/:id/cancel` and
//!   `POST /internal/shipments/:id/refresh` (the carrier asked): → [`ShipmentAnswer`].
//!
//! - `GET /internal/sellers/:id/order-stats`, `…/order-series`, `…/pending-actions`,
//!   `…/top-products`: a seller's dashboard ([`SellerOrderStats`], [`SellerSeries`],
//!   [`SellerPendingActions`], [`SellerTopProducts`]), for analytic.
//!
//! Requests refuse unknown fields; answers accept them.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One attempt to collect `amount_minor` of `currency` through `gateway`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartPayment {
    /// What the money is for (e.g. `checkout:<id>`), 1 to 200 characters; its owner lists
    /// its attempts by it.
    pub owner: String,
    /// The gateway's id, as `GET /api/v1/order/payments/gateways` lists it (`vnpay`, `sepay`).
    pub gateway: String,
    /// `any`, `qr`, `bank` or `card`; one the gateway offers.
    pub method: String,
    pub amount_minor: i64,
    pub currency: String,
    /// Shown to the buyer by the gateway, 1 to 200 characters.
    pub description: String,
    /// Where the buyer's browser returns to (http or https).
    pub return_url: String,
    /// The buyer's IP address.
    pub buyer_ip: String,
    /// `vi` or `en` (default `vi`).
    #[serde(default)]
    pub locale: Option<String>,
    /// Seconds the attempt stays payable: 60 to 86400 (default 900).
    #[serde(default)]
    pub expires_in_secs: Option<i64>,
}

/// Where an attempt stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Pending,
    Paid,
    Failed,
    Cancelled,
    Expired,
    /// The gateway took the money after the attempt was given up: to be refunded.
    PaidLate,
}

/// An attempt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentAnswer {
    pub payment_id: Uuid,
    /// What the gateway knows the attempt by.
    pub reference: String,
    pub owner: String,
    pub gateway: String,
    pub method: String,
    pub amount_minor: i64,
    pub currency: String,
    pub status: PaymentStatus,
    /// What the buyer needs: `{"kind":"redirect","url":…}`, `{"kind":"form","action":…,
    /// "fields":[[name, value]…]}` or `{"kind":"qr","payload":…}`.
    pub next_step: serde_json::Value,
    pub transaction_id: Option<String>,
    /// Minor units refunded or being refunded.
    pub refunded_minor: i64,
    pub created_at: String,
    pub expires_at: String,
    pub settled_at: Option<String>,
}

/// Gives back `amount_minor` of a paid attempt (all of it when omitted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundPayment {
    #[serde(default)]
    pub amount_minor: Option<i64>,
    /// Why, 1 to 200 characters.
    pub reason: String,
    /// Who asks: an account id or `system`.
    pub requested_by: String,
}

/// Where a refund stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// The gateway accepted it and has not finished yet.
    Pending,
    Done,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundAnswer {
    pub refund_id: Uuid,
    pub payment_id: Uuid,
    pub amount_minor: i64,
    pub currency: String,
    pub status: RefundStatus,
    pub transaction_id: Option<String>,
}

/// A postal address as carriers take it; `country` is ISO 3166-1 alpha-2.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub street: String,
    pub ward: String,
    pub district: String,
    pub province: String,
    pub country: String,
}

/// Who hands a parcel over or receives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Party {
    pub name: String,
    pub phone: String,
    pub address: Address,
}

/// A parcel: grams, millimetres, and what its content is worth.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parcel {
    pub weight_grams: u32,
    pub length_mm: u32,
    pub width_mm: u32,
    pub height_mm: u32,
    pub declared_value_minor: i64,
    pub currency: String,
}

/// `POST /internal/shipments/quote`: what shipping `parcel` would cost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteShipment {
    pub pickup: Address,
    pub delivery: Address,
    pub parcel: Parcel,
    /// `express`, `standard` or `economy`.
    pub service: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentQuote {
    pub carrier: String,
    pub fee_minor: i64,
    pub insurance_minor: i64,
    pub currency: String,
    pub deliverable: bool,
    pub earliest_at: Option<String>,
    pub latest_at: Option<String>,
}

/// One line of what is shipped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShipmentItem {
    pub name: String,
    pub quantity: u32,
    pub weight_grams: u32,
}

/// `POST /internal/shipments`: books a shipment with the carrier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookShipment {
    /// What it ships (e.g. `order:<id>`), 1 to 200 characters.
    pub owner: String,
    pub pickup: Party,
    pub delivery: Party,
    pub parcel: Parcel,
    pub items: Vec<ShipmentItem>,
    pub service: String,
    /// What the courier collects from the buyer (default 0), in the parcel's currency.
    #[serde(default)]
    pub cash_on_delivery_minor: i64,
    #[serde(default)]
    pub note: String,
}

/// A shipment, and every status the carrier reported for it, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShipmentAnswer {
    pub shipment_id: Uuid,
    pub reference: String,
    pub owner: String,
    pub carrier: String,
    pub tracking_code: String,
    pub label: String,
    pub service: String,
    /// `booked`, `picking_up`, `pickup_failed`, `picked_up`, `out_for_delivery`,
    /// `delivery_failed`, `delivered`, `returning`, `returned`, `cancelled` or `lost`.
    pub state: String,
    pub r#final: bool,
    pub fee_minor: i64,
    pub cod_minor: i64,
    pub currency: String,
    pub history: Vec<ShipmentEvent>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShipmentEvent {
    pub state: String,
    pub carrier_status: String,
    pub detail: String,
    pub delayed: bool,
    /// Whether it moved the shipment (a report out of order, or after a final state, does not).
    pub applied: bool,
    /// `booking`, `webhook` or `poll`.
    pub source: String,
    pub reported_at: Option<String>,
    pub received_at: String,
}

/// `POST /internal/orders/reviewable`: whether `account_id` bought one of `sku_ids` in order
/// `order_id` (catalog asks before it takes a review).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewableRequest {
    pub account_id: Uuid,
    pub order_id: Uuid,
    /// The product's SKUs, 1 to 500.
    pub sku_ids: Vec<Uuid>,
}

/// The answer to a [`ReviewableRequest`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewableAnswer {
    pub reviewable: bool,
}

/// `GET /internal/sellers/:id/order-stats?from=&to=`: a seller's orders confirmed in
/// `[from, to)`, and the same for the period of equal length before it (for the change).
/// Amounts are in the seller's wallet currency: `revenue_minor` is what buyers paid for the
/// orders not refunded in full, converted by each checkout's rate snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SellerOrderStats {
    pub currency: String,
    pub current: SellerPeriod,
    pub previous: SellerPeriod,
}

/// One period of a seller's orders.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SellerPeriod {
    pub from: String,
    pub to: String,
    pub revenue_minor: i64,
    pub orders: i64,
    pub items_sold: i64,
    /// Orders refunded in full, and what partial refunds took off payouts.
    pub refunded_orders: i64,
    pub cut_minor: i64,
    /// What was paid out to the seller for orders of the period.
    pub paid_out_minor: i64,
}

/// `GET /internal/sellers/:id/order-series?from=&to=&bucket=day|week|month`: the periods of
/// `[from, to)` by bucket (UTC), every bucket present, empty ones at zero.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SellerSeries {
    pub currency: String,
    pub bucket: String,
    pub items: Vec<SellerPeriod>,
}

/// `GET /internal/sellers/:id/pending-actions`: what waits on the seller now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SellerPendingActions {
    /// Paid items to confirm or reject.
    pub unconfirmed_items: i64,
    /// Refunds to accept, approve or reject.
    pub open_refunds: i64,
    /// Disputes over the seller's orders awaiting an operator.
    pub open_disputes: i64,
}

/// `GET /internal/sellers/:id/top-products?from=&to=&limit=`: the seller's products by units
/// sold in orders confirmed in `[from, to)` and not refunded in full, most first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SellerTopProducts {
    pub items: Vec<TopProduct>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopProduct {
    pub product_id: Uuid,
    pub name: String,
    pub quantity: i64,
    pub orders: i64,
    /// The seller's list price of the units, in the seller's currency (before promotions).
    pub list_minor: i64,
}

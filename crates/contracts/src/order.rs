//! Bodies of order's internal payment routes: the attempts order's own flows (checkout, a
//! seller's confirmation fee) make through a payment gateway.
//!
//! - `POST /internal/payments`: [`StartPayment`] → [`PaymentAnswer`], an attempt begun with a
//!   gateway, and what the buyer needs to pay it.
//! - `GET /internal/payments/:id`: → [`PaymentAnswer`].
//! - `POST /internal/payments/:id/cancel`: no body → [`PaymentAnswer`], the attempt given up
//!   (expired); a payment the gateway still takes afterwards is recorded as `paid_late`.
//! - `POST /internal/payments/:id/reconcile`: no body → [`PaymentAnswer`], the gateway asked
//!   what became of a pending attempt.
//! - `POST /internal/payments/:id/refunds`: [`RefundPayment`] → [`RefundAnswer`].
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
    /// The gateway has not confirmed it yet.
    Pending,
    Done,
    Failed,
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

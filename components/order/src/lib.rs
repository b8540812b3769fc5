//! Souk's `order` module: carts, checkout, orders, payments, shipping and refunds. It owns the
//! `order` schema and no other.
//!
//! Resources, one file each, named after their path:
//!
//! - [`cart`]: the buyer's cart, priced and checked against stock whenever it is shown.
//! - [`checkouts`]: the buyer's checkouts: started, shown, paid again, cancelled.
//! - [`orders`]: orders as their buyer and seller see them, and what other modules ask about
//!   purchases (catalog: may this buyer review?).
//! - [`pending_items`]: the buyer's paid items awaiting their sellers, and cancelling one.
//! - [`refunds`]: refunds of delivered orders in two stages, decided by the order's seller.
//! - [`disputes`]: disputes over rejected refunds, resolved by operators.
//! - [`seller`]: the seller's inbox of paid items, confirming them into an order or rejecting
//!   them, and the seller's orders.
//! - [`payments`]: payment attempts through the gateways in order's slots, their callbacks,
//!   reconciliation and refunds.
//! - [`sellers`]: a seller's dashboard (internal, for analytic).
//! - [`shipments`]: shipments booked with the carrier, its status webhook, and their history.
//!
//! Below them:
//!
//! - [`checkout_flow`]: the checkout workflow, every step exactly once, undone on a refusal.
//! - [`deadline_flow`]: a paid checkout's confirmation deadline, withdrawing what its sellers
//!   did not confirm in time.
//! - [`confirm_flow`]: a seller's confirmation: items claimed, the fee paid, the shipment
//!   booked, the stock sold, the order made.
//! - [`payout_flow`]: an order's escrow, paid out to the seller a hold after delivery.
//! - [`refund_money`]: money going back to a buyer after delivery (refunds, disputes).
//! - [`refund_flow`]: a refund's timeout, approving what its seller left unanswered.
//! - [`withdraw`]: a paid item withdrawn before confirmation (by its buyer, its seller or the
//!   deadline), refunded exactly.
//! - [`config`]: order's variables.
//! - [`payable`]: paying through a gateway by attempts, for a checkout or a confirmation fee.
//! - [`rules`]: pure decisions — addresses, parcels, the payment split, a waiting checkout's
//!   next move.
//! - [`peers`]: reads of other modules' internal routes.
//! - [`gateways`]: the payment gateways filling order's four slots, found by id.
//! - [`carrier`]: the shipping carrier in order's dependency.
//! - [`inbound`]: what providers' callbacks send, and the raw answers they expect.
//! - [`model`]: the tables, their row types and every SQL statement.
//!
//! The bodies of the internal routes are `contracts::order`.

mod carrier;
mod cart;
mod checkout_flow;
mod checkouts;
mod config;
mod confirm_flow;
mod deadline_flow;
mod disputes;
mod gateways;
mod inbound;
mod model;
mod orders;
mod payable;
mod payments;
mod payout_flow;
mod peers;
mod pending_items;
mod refund_flow;
mod refund_money;
mod refunds;
mod rules;
mod seller;
mod sellers;
mod shipments;
mod withdraw;

use kit::Router;
use kit::workflow::{Engine, Registered, register};

static WORKFLOWS: &[Registered] = &[
    register::<checkout_flow::Checkout>(),
    register::<deadline_flow::ConfirmBy>(),
    register::<confirm_flow::Confirm>(),
    register::<payout_flow::Payout>(),
    register::<refund_flow::RefundTimer>(),
];

/// The module's workflows.
pub const ENGINE: Engine = Engine {
    schema: model::SCHEMA,
    workflows: WORKFLOWS,
};

/// The module's routes.
pub fn router() -> Router {
    Router::new("order")
        .with_outbox()
        .with_workflows(ENGINE)
        .get("/api/v1/order/cart", cart::get)
        .delete("/api/v1/order/cart", cart::clear)
        .post("/api/v1/order/cart/items", cart::add)
        .put("/api/v1/order/cart/items/:sku_id", cart::set)
        .delete("/api/v1/order/cart/items/:sku_id", cart::remove)
        .post("/api/v1/order/checkout", checkouts::create)
        .unkeyed()
        .get("/api/v1/order/checkouts", checkouts::list)
        .get("/api/v1/order/checkouts/:id", checkouts::get)
        .post(
            "/api/v1/order/checkouts/:id/payment-url",
            checkouts::payment_url,
        )
        .unkeyed()
        .post("/api/v1/order/checkouts/:id/cancel", checkouts::cancel)
        .unkeyed()
        .get("/api/v1/order/orders", orders::list)
        .get("/api/v1/order/orders/:id", orders::get)
        .post("/api/v1/order/orders/:id/refunds", refunds::create)
        .get("/api/v1/order/refunds", refunds::list)
        .get("/api/v1/order/refunds/:id", refunds::get)
        .post("/api/v1/order/refunds/:id/accept", refunds::accept)
        .post("/api/v1/order/refunds/:id/approve", refunds::approve)
        .post("/api/v1/order/refunds/:id/reject", refunds::reject)
        .post("/api/v1/order/refunds/:id/disputes", disputes::open)
        .get("/api/v1/order/disputes", disputes::list)
        .get("/api/v1/order/disputes/:id", disputes::get)
        .get("/api/v1/order/admin/disputes", disputes::admin_list)
        .post(
            "/api/v1/order/admin/disputes/:id/resolve",
            disputes::resolve,
        )
        .get("/api/v1/order/seller/pending", seller::pending)
        .post("/api/v1/order/seller/pending/confirm", seller::confirm)
        .unkeyed()
        .post(
            "/api/v1/order/seller/confirmations/:id/payment-url",
            seller::fee_payment_url,
        )
        .unkeyed()
        .post(
            "/api/v1/order/seller/confirmations/:id/cancel",
            seller::cancel_confirmation,
        )
        .unkeyed()
        .post("/api/v1/order/seller/pending/reject", seller::reject)
        .get("/api/v1/order/seller/orders", seller::orders)
        .get("/api/v1/order/pending-items", pending_items::list)
        .get("/api/v1/order/cancelled-items", pending_items::cancelled)
        .delete("/api/v1/order/pending-items/:id", pending_items::cancel)
        .unkeyed()
        .get("/api/v1/order/payments/gateways", payments::list_gateways)
        .get(
            "/api/v1/order/payments/:gateway/callback",
            payments::callback,
        )
        .post(
            "/api/v1/order/payments/:gateway/callback",
            payments::callback,
        )
        .unkeyed()
        .post("/internal/orders/reviewable", orders::reviewable)
        .unkeyed()
        .get("/internal/sellers/:id/order-stats", sellers::stats)
        .get("/internal/sellers/:id/order-series", sellers::series)
        .get(
            "/internal/sellers/:id/pending-actions",
            sellers::pending_actions,
        )
        .get("/internal/sellers/:id/top-products", sellers::top_products)
        .post("/internal/payments", payments::start)
        .key_required()
        .get("/internal/payments/:id", payments::get)
        .post("/internal/payments/:id/cancel", payments::cancel)
        .key_required()
        .post("/internal/payments/:id/reconcile", payments::reconcile)
        .unkeyed()
        .post("/internal/payments/:id/refunds", payments::refund)
        .key_required()
        .get("/api/v1/order/webhooks/:carrier", shipments::webhook)
        .post("/api/v1/order/webhooks/:carrier", shipments::webhook)
        .unkeyed()
        .post("/internal/shipments/quote", shipments::quote)
        .unkeyed()
        .post("/internal/shipments", shipments::book)
        .key_required()
        .get("/internal/shipments/:id", shipments::get)
        .post("/internal/shipments/:id/cancel", shipments::cancel)
        .key_required()
        .post("/internal/shipments/:id/refresh", shipments::refresh)
        .unkeyed()
}

kit::component!(router);

//! Souk's `order` module: carts, checkout, orders, payments, shipping and refunds. It owns the
//! `order` schema and no other.
//!
//! Resources, one file each, named after their path:
//!
//! - [`cart`]: the buyer's cart, priced and checked against stock whenever it is shown.
//! - [`checkouts`]: the buyer's checkouts: started, shown, paid again, cancelled.
//! - [`orders`]: what other modules ask about orders (catalog: may this buyer review?).
//! - [`pending_items`]: the buyer's paid items awaiting their sellers, and cancelling one.
//! - [`payments`]: payment attempts through the gateways in order's slots, their callbacks,
//!   reconciliation and refunds.
//! - [`shipments`]: shipments booked with the carrier, its status webhook, and their history.
//!
//! Below them:
//!
//! - [`checkout_flow`]: the checkout workflow, every step exactly once, undone on a refusal.
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
mod gateways;
mod inbound;
mod model;
mod orders;
mod payments;
mod peers;
mod pending_items;
mod rules;
mod shipments;

use kit::Router;

/// The module's routes.
pub fn router() -> Router {
    Router::new("order")
        .with_outbox()
        .with_workflows(checkout_flow::ENGINE)
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
        .get("/api/v1/order/pending-items", pending_items::list)
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

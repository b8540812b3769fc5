//! Souk's `order` module: carts, checkout, orders, payments, shipping and refunds.
//!
//! Public routes live under `/api/v1/order/`; other modules call its `/internal/...` routes
//! through service chaining. It owns the `order` schema and no other.

use kit::Router;

/// The module's routes.
pub fn router() -> Router {
    Router::new("order")
}

kit::component!(router);

//! Souk's `promotion` module: promotions and the prices they produce.
//!
//! Public routes live under `/api/v1/promotion/`; other modules call its `/internal/...` routes
//! through service chaining. It owns the `promotion` schema and no other.

use kit::Router;

/// The module's routes.
pub fn router() -> Router {
    Router::new("promotion")
}

kit::component!(router);

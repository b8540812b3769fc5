//! Souk's `analytic` module: interactions, popularity and seller dashboards.
//!
//! Public routes live under `/api/v1/analytic/`; other modules call its `/internal/...` routes
//! through service chaining. It owns the `analytic` schema and no other.

use kit::Router;

/// The module's routes.
pub fn router() -> Router {
    Router::new("analytic")
}

kit::component!(router);

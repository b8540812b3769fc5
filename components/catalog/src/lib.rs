//! Souk's `catalog` module: products (SPU/SKU), categories, tags, reviews, listings and hybrid search.
//!
//! Public routes live under `/api/v1/catalog/`; other modules call its `/internal/...` routes
//! through service chaining. It owns the `catalog` schema and no other.

use kit::Router;

/// The module's routes.
pub fn router() -> Router {
    Router::new("catalog")
}

kit::component!(router);

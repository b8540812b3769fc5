//! Souk's `durable` module: exactly-once workflows: idempotency records, the step journal, timers and the outbox relay.
//!
//! Public routes live under `/api/v1/durable/`; other modules call its `/internal/...` routes
//! through service chaining. It owns the `durable` schema and no other.

use kit::Router;

/// The module's routes.
pub fn router() -> Router {
    Router::new("durable")
}

kit::component!(router);

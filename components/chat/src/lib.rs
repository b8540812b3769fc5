//! Souk's `chat` module: conversations and messages between buyers and sellers.
//!
//! Public routes live under `/api/v1/chat/`; other modules call its `/internal/...` routes
//! through service chaining. It owns the `chat` schema and no other.

use kit::Router;

/// The module's routes.
pub fn router() -> Router {
    Router::new("chat")
}

kit::component!(router);

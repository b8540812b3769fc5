//! Souk's `inventory` module: the stock of every SKU, reservations that never oversell,
//! serial-number tracking, and the history of every change.
//!
//! - [`stock`]: a SKU's counts — read (public), create (internal, for catalog), import,
//!   adjust and serial tracking (the owning seller only).
//! - [`serials`]: a SKU's serial numbers and their allowed status changes.
//! - [`history`]: every change of counts with its reason and reference.
//! - [`reservations`]: reserve / release / commit for checkouts (internal, exactly-once).
//! - [`availability`]: batch availability and best sellers.
//! - [`rules`]: the rules above as plain functions.
//!
//! It owns the `inventory` schema and no other.

mod availability;
mod history;
mod reservations;
mod rules;
mod serials;
mod stock;

use kit::Router;

/// The module's routes.
pub fn router() -> Router {
    Router::new("inventory")
        .with_outbox()
        .get("/api/v1/inventory/availability", availability::public)
        .get("/api/v1/inventory/stock/:sku_id", stock::get)
        .patch("/api/v1/inventory/stock/:sku_id", stock::update)
        .post("/api/v1/inventory/stock/:sku_id/import", stock::import)
        .post("/api/v1/inventory/stock/:sku_id/adjust", stock::adjust)
        .get("/api/v1/inventory/stock/:sku_id/history", history::list)
        .get("/api/v1/inventory/stock/:sku_id/serials", serials::list)
        .patch(
            "/api/v1/inventory/stock/:sku_id/serials/:serial",
            serials::update,
        )
        .post("/internal/stock", stock::create)
        .post("/internal/availability", availability::internal)
        .get("/internal/best-sellers", availability::best_sellers)
        .post("/internal/reservations", reservations::reserve)
        .post("/internal/reservations/:id/release", reservations::release)
        .post("/internal/reservations/:id/commit", reservations::commit)
}

kit::component!(router);

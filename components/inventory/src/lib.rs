//! Souk's `inventory` module: the stock of every SKU, reservations that never oversell,
//! serial-number tracking, and the history of every change. It owns the `inventory` schema
//! and no other.
//!
//! Resources, one file each, named after their path; each parses its requests, then loads,
//! decides, persists and answers:
//!
//! - [`stock`]: a SKU's counts — read (public), create (internal, for catalog), import, adjust
//!   and serial tracking (the owning seller only).
//! - [`serials`]: a SKU's serial numbers and their allowed status changes.
//! - [`history`]: every change of counts with its reason and reference.
//! - [`reservations`]: reserve / release / commit for checkouts (internal, exactly once).
//! - [`availability`]: availability of many SKUs at once (public, and internal for catalog).
//! - [`best_sellers`]: the SKUs sold most (internal, for recommendations).
//!
//! Below them, used by all of them and using none of them:
//!
//! - [`model`]: the tables, their row types and every SQL statement.
//! - [`rules`]: the decisions as pure functions, tested natively.
//!
//! The bodies of the internal routes and of the messages inventory sends are
//! `contracts::inventory` (and the receivers' `contracts::catalog`, `contracts::account`).

mod availability;
mod best_sellers;
mod history;
mod model;
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
        .key_required()
        .post("/internal/availability", availability::internal)
        // A POST only because the SKU list is long: it reads, so a key has nothing to protect.
        .unkeyed()
        .get("/internal/best-sellers", best_sellers::list)
        .post("/internal/reservations", reservations::reserve)
        .key_required()
        .post("/internal/reservations/:id/release", reservations::release)
        .key_required()
        .post("/internal/reservations/:id/commit", reservations::commit)
        .key_required()
}

kit::component!(router);

//! Souk's `promotion` module: promotions, and the uses and budget checkouts redeem of them. It
//! owns the `promotion` schema and no other.
//!
//! Resources, one file each, named after their path; each parses its requests, then loads,
//! decides, persists and answers:
//!
//! - [`promotions`]: promotions of a seller or of the platform — create, read, list, update,
//!   delete (owners only; a redeemed promotion is ended, not deleted).
//!
//! Below them, used by all of them and using none of them:
//!
//! - [`model`]: the tables, their row types and every SQL statement.

mod model;
mod promotions;

use kit::Router;

/// The module's routes.
pub fn router() -> Router {
    Router::new("promotion")
        .get("/api/v1/promotion/promotions", promotions::list)
        .post("/api/v1/promotion/promotions", promotions::create)
        .get("/api/v1/promotion/promotions/:id", promotions::get)
        .patch("/api/v1/promotion/promotions/:id", promotions::update)
        .delete("/api/v1/promotion/promotions/:id", promotions::delete)
}

kit::component!(router);

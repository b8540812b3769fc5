//! Souk's `promotion` module: promotions, and the uses and budget checkouts redeem of them. It
//! owns the `promotion` schema and no other.
//!
//! Resources, one file each, named after their path; each parses its requests, then loads,
//! decides, persists and answers:
//!
//! - [`promotions`]: promotions of a seller or of the platform — create, read, list, update,
//!   delete (owners only; a redeemed promotion is ended, not deleted).
//! - [`quotes`]: what a cart pays under the promotions running now, and why each other one
//!   considered did not apply (public preview; internal, for lines the caller has read).
//! - [`redemptions`]: reserve / commit / release of the promotions a checkout applied, and the
//!   cashback paid once its payouts are released (internal, exactly once, never past a limit
//!   or a budget).
//!
//! Below them, used by all of them and using none of them:
//!
//! - [`rules`]: what a promotion gives, to which lines, when, and the prices a cart pays under
//!   a set of promotions — pure functions, tested natively.
//! - [`model`]: the tables, their row types and every SQL statement.
//! - [`timers`]: the durable timers that reprice catalog when a schedule starts, opens or
//!   closes a window, or ends.
//!
//! The bodies of the internal routes are `contracts::promotion`.

mod model;
mod promotions;
mod quotes;
mod redemptions;
mod rules;
mod timers;

use kit::Router;

/// The module's routes.
pub fn router() -> Router {
    Router::new("promotion")
        .with_outbox()
        .with_workflows(timers::ENGINE)
        .get("/api/v1/promotion/promotions", promotions::list)
        .post("/api/v1/promotion/promotions", promotions::create)
        .get("/api/v1/promotion/promotions/:id", promotions::get)
        .patch("/api/v1/promotion/promotions/:id", promotions::update)
        .delete("/api/v1/promotion/promotions/:id", promotions::delete)
        .post("/api/v1/promotion/quote", quotes::preview)
        .post("/internal/quote", quotes::internal)
        .post("/internal/quote/cards", quotes::cards)
        .post("/internal/redemptions", redemptions::reserve)
        .key_required()
        .post(
            "/internal/redemptions/:reference/commit",
            redemptions::commit,
        )
        .key_required()
        .post(
            "/internal/redemptions/:reference/release",
            redemptions::release,
        )
        .post(
            "/internal/redemptions/:reference/cashback",
            redemptions::cashback,
        )
        .key_required()
}

kit::component!(router);

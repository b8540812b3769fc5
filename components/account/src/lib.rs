//! Souk's `account` module: accounts and sign-in, profiles, contacts, favourites,
//! notifications, the wallet ledger and saved payment methods. It owns the `account` schema
//! and no other.
//!
//! Resources, one file each, named after their path; each parses its requests, then loads,
//! decides, persists and answers:
//!
//! - [`auth`]: register, login (throttled), refresh (rotating), logout, logout-all.
//! - [`me`]: the signed-in account's profile and country.
//! - [`accounts`]: other accounts' public profiles, and accounts as other modules read them
//!   (internal: batch, currency).
//! - [`contacts`]: delivery addresses and the default one (internal: accounts' defaults, an
//!   account's contact by id).
//! - [`favorites`]: favourite products (internal: the check catalog flags its cards with).
//! - [`notifications`]: the account's notifications (internal: other modules create them).
//! - [`wallet`]: balance and ledger (internal: the balance, exactly-once credits and debits).
//! - [`payment_methods`]: saved provider references, never card numbers.
//! - [`suspensions`]: operators (admin token) suspend and reinstate accounts, ending their
//!   sessions and live access tokens.
//!
//! Below them, used by all of them and using none of them:
//!
//! - [`model`]: the tables (and the sign-in counters in Redis), their row types and every
//!   SQL statement.
//! - [`rules`]: the decisions as pure functions, tested natively.
//! - [`config`]: account's own variables, read once per request.
//!
//! The bodies of the internal routes are `contracts::account`.

mod accounts;
mod auth;
mod config;
mod contacts;
mod favorites;
mod me;
mod model;
mod notifications;
mod payment_methods;
mod rules;
mod suspensions;
mod wallet;

use kit::Router;

/// The module's routes.
pub fn router() -> Router {
    Router::new("account")
        // Sessions are never kept under an Idempotency-Key: the answers carry tokens (stored,
        // they would be replayable and kept in clear), and a refused refresh must commit the
        // revocation it decided on, which the key's transaction would roll back.
        .post("/api/v1/account/auth/register", auth::register)
        .unkeyed()
        .post("/api/v1/account/auth/login", auth::login)
        .unkeyed()
        .post("/api/v1/account/auth/refresh", auth::refresh)
        .unkeyed()
        .post("/api/v1/account/auth/logout", auth::logout)
        .unkeyed()
        .post("/api/v1/account/auth/logout-all", auth::logout_all)
        .unkeyed()
        .get("/api/v1/account/me", me::get)
        .patch("/api/v1/account/me", me::update)
        .put("/api/v1/account/me/country", me::country)
        .get("/api/v1/account/accounts/:id", accounts::public)
        .post("/api/v1/account/accounts/:id/suspend", suspensions::suspend)
        .post(
            "/api/v1/account/accounts/:id/reinstate",
            suspensions::reinstate,
        )
        .get("/api/v1/account/contacts", contacts::list)
        .post("/api/v1/account/contacts", contacts::create)
        .get("/api/v1/account/contacts/:id", contacts::get)
        .patch("/api/v1/account/contacts/:id", contacts::update)
        .delete("/api/v1/account/contacts/:id", contacts::delete)
        .post(
            "/api/v1/account/contacts/:id/default",
            contacts::make_default,
        )
        .get("/api/v1/account/favorites", favorites::list)
        .post("/api/v1/account/favorites/:spu_id", favorites::add)
        .delete("/api/v1/account/favorites/:spu_id", favorites::remove)
        .get("/api/v1/account/notifications", notifications::list)
        .get(
            "/api/v1/account/notifications/unread-count",
            notifications::unread_count,
        )
        .post(
            "/api/v1/account/notifications/read",
            notifications::mark_read,
        )
        .post(
            "/api/v1/account/notifications/read-all",
            notifications::mark_all_read,
        )
        .get("/api/v1/account/wallet", wallet::get)
        .get("/api/v1/account/wallet/entries", wallet::entries)
        .get("/api/v1/account/payment-methods", payment_methods::list)
        .post("/api/v1/account/payment-methods", payment_methods::add)
        .delete(
            "/api/v1/account/payment-methods/:id",
            payment_methods::remove,
        )
        .post(
            "/api/v1/account/payment-methods/:id/default",
            payment_methods::make_default,
        )
        // These three are POSTs only because their id lists are long: they read, so a key has
        // nothing to protect.
        .post("/internal/accounts/batch", accounts::batch)
        .unkeyed()
        .get("/internal/accounts/:id/currency", accounts::currency)
        .get("/internal/accounts/:id/wallet", wallet::balance)
        .post("/internal/contacts/default", contacts::defaults)
        .unkeyed()
        .get("/internal/contacts/:id", contacts::owned)
        .post("/internal/favorites/check", favorites::check)
        .unkeyed()
        .post("/internal/notifications", notifications::create)
        .key_required()
        .post("/internal/wallet/credit", wallet::credit)
        .key_required()
        .post("/internal/wallet/debit", wallet::debit)
        .key_required()
}

kit::component!(router);

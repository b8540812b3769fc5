//! Souk's `account` module: accounts and sign-in, profiles, and (next) contacts, favourites,
//! notifications, the wallet ledger and saved payment methods.
//!
//! - [`auth`]: register, login (throttled), refresh (rotating), logout, logout-all.
//! - [`me`]: the signed-in account's profile and country; others' public profiles.
//! - [`accounts`]: the account row and its private and public views.
//! - [`tokens`]: access tokens and rotating refresh-token families.
//! - [`password`]: argon2id hashing.
//! - [`rate_limit`]: failed-login counters in Redis.
//!
//! It owns the `account` schema and no other.

#![expect(
    unsafe_code,
    reason = "#[http_component] generates the unsafe export glue of the component"
)]

mod accounts;
mod auth;
mod me;
mod password;
mod rate_limit;
mod tokens;

use kit::{Request, Response, Router};
use spin_sdk::http_component;

/// The module's routes.
pub fn router() -> Router {
    Router::new("account")
        .post("/api/v1/account/auth/register", auth::register)
        .post("/api/v1/account/auth/login", auth::login)
        .post("/api/v1/account/auth/refresh", auth::refresh)
        .post("/api/v1/account/auth/logout", auth::logout)
        .post("/api/v1/account/auth/logout-all", auth::logout_all)
        .get("/api/v1/account/me", me::get)
        .patch("/api/v1/account/me", me::update)
        .put("/api/v1/account/me/country", me::country)
        .get("/api/v1/account/accounts/:id", me::public)
}

#[http_component]
async fn handle(req: Request) -> Response {
    router().handle(req).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_public_route_is_in_the_openapi_document_and_back() {
        let problems =
            kit::openapi::mismatches(&super::router(), include_str!("../../../docs/openapi.json"));
        assert!(problems.is_empty(), "{problems:#?}");
    }
}

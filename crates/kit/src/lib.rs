//! `kit`: what every Souk component shares, on top of spin-sdk.
//!
//! - [`error`]: the one API error type — a status, a stable `code`, a message — and its JSON.
//! - [`router`]: method + path routing with `:params`, the request context [`Ctx`], and the
//!   guard that keeps `/internal/...` routes for callers holding the service token.
//! - [`json`]: reading JSON bodies within a size limit, and writing JSON responses.
//! - [`auth`]: HS256 access tokens, signed by account and verified locally everywhere.
//! - [`db`]: one Postgres connection per request, typed row decoding, transactions, and
//!   database errors turned into client errors at the query.
//! - [`page`]: keyset pagination with opaque cursors.
//! - [`patch`]: the absent / null / value field of every PATCH body.
//! - [`validate`]: parse-don't-validate types (`Email`, `CountryCode`, `Money`, …).
//! - [`idempotency`]: `Idempotency-Key` records stored with the effect, exactly once.
//! - [`ids`] and [`time`]: UUIDs and UTC instants.
//! - [`config`]: component variables, each read when first needed; secrets that never print.
//! - [`platform`]: what a component reaches outside itself (Spin, or a native test's stand-in).
//! - [`client`]: typed calls to another module's `/internal/...` routes by service chaining.
//! - [`wake`]: every Redis key and channel of the outbox and workflows (wake-ups, the sweep).
//! - [`retry`]: the one rule for which failures are terminal and which are retried.
//! - [`outbox`]: messages to other modules written with the effect, relayed at least once.
//! - [`workflow`]: durable multi-step workflows: a journal committed with each step, undo on
//!   failure, timers and signals.
//! - [`health`]: the `GET /api/v1/<module>/health` handler every module mounts.
//! - [`log`]: log lines carrying the request id.
//! - [`openapi`]: the check that keeps the OpenAPI document in step with the routes.

pub mod auth;
pub mod client;
pub mod config;
pub mod db;
pub mod error;
pub mod health;
pub mod idempotency;
pub mod ids;
pub mod json;
pub mod log;
pub mod openapi;
pub mod outbox;
pub mod page;
pub mod patch;
pub mod platform;
#[cfg(test)]
mod request_tests;
pub mod retry;
pub mod router;
#[cfg(test)]
pub mod testing;
pub mod time;
pub mod validate;
pub mod wake;
pub mod workflow;

pub use error::{ApiError, ApiResult};
pub use router::{Ctx, Router};
pub use spin_sdk::http::{Method, Request, Response};

//! `kit`: what every Souk component shares, on top of spin-sdk, in three layers. A module of a
//! layer uses only the layers below it (`tests/tests/layers.rs` refuses import circles).
//!
//! **Base** — no request, no I/O of its own:
//! - [`error`]: the one API error type — a status, a stable `code`, a message — and its JSON.
//! - [`json`]: reading JSON bodies within a size limit, and writing JSON responses.
//! - [`validate`]: parse-don't-validate types (`Email`, `CountryCode`, `Money`, …).
//! - [`patch`]: the absent / null / value field of every PATCH body.
//! - [`auth`]: Ed25519 access tokens (signed by account, verified everywhere), the Redis keys
//!   that end them early, and the service token check.
//! - [`page`]: keyset pagination with opaque cursors.
//! - [`ids`], [`time`], [`log`]: UUIDs, UTC instants, log lines carrying the request id.
//! - [`retry`]: the one rule for which failures are terminal and which are retried.
//!
//! **Context** — a request on a platform:
//! - [`platform`]: what a component reaches outside itself (Spin, or a native test's stand-in).
//! - [`config`]: component variables, each read when first needed; secrets that never print.
//! - [`db`]: one Postgres connection per request, typed row decoding, transactions (nested
//!   ones are savepoints), database errors turned into client errors at the query.
//! - [`ctx`]: the request context [`Ctx`] handlers receive.
//! - [`router`]: method + path routing with `:params`, the `/internal/...` guard, and
//!   `Idempotency-Key` on every mutating route ([`idempotency`]).
//! - [`mod@component`]: the `component!` macro, a component's entry point.
//!
//! **Features** — built on the context:
//! - [`idempotency`]: `Idempotency-Key` records stored with the effect, exactly once.
//! - [`client`]: typed calls to another module's `/internal/...` routes by service chaining.
//! - [`wake`]: every Redis key and channel of the outbox and workflows (wake-ups, the sweep).
//! - [`limit`]: fixed-window Redis counters, which every rate limit is made of.
//! - [`outbox`]: messages to other modules written with the effect, relayed at least once.
//! - [`workflow`]: durable multi-step workflows: a journal committed with each step, undo of
//!   every step whose effect happened, timers and signals.
//! - [`health`]: the `GET /api/v1/<module>/health` handler every module mounts.
//! - [`openapi`]: the check that keeps the OpenAPI document in step with the routes.
//!
//! The tables of idempotency, the outbox and workflows are kit's too (`crates/kit/sql`): a
//! module lists the features it uses in `migrations/<module>/kit.features` and souk-migrate
//! creates them in its schema.

pub mod auth;
pub mod client;
pub mod component;
pub mod config;
pub mod ctx;
pub mod db;
pub mod error;
pub mod health;
pub mod idempotency;
pub mod ids;
pub mod json;
pub mod limit;
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

pub use ctx::Ctx;
pub use error::{ApiError, ApiResult};
pub use router::Router;
pub use spin_sdk::http::{Method, Request, Response};

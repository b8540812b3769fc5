//! `souk-host` runs a Spin application (`spin.toml`, manifest version 2) on wasmtime, the way
//! `spin up` does, for machines where the Spin CLI is not installed.
//!
//! - [`cli`]: the `souk-host up …` command line, shaped like `spin up`.
//! - [`manifest`]: reads and validates `spin.toml` into typed structures.
//! - [`runtime_config`]: reads `runtime-config.toml` (key-value stores).
//! - [`variables`]: application variables, their providers and `{{ name }}` templates.
//! - [`outbound`]: `allowed_outbound_hosts` parsing and matching, with Spin's rules.
//! - [`routes`]: the HTTP trigger's route table (exact, `/...`, `:name`, private).
//! - [`app`]: loads every component once (compile, link, pre-instantiate) and checks imports.
//! - [`state`]: the per-request store data and the views wasmtime's WASI crates need.
//! - [`http_trigger`]: the HTTP server and service chaining to `*.spin.internal`.
//! - [`redis_trigger`] and [`cron_trigger`]: the other triggers.
//! - [`spin`]: host implementations of Spin's interfaces (variables, key-value, redis,
//!   postgres, llm).
//! - [`log`]: the host's log lines, including component output.
//! - [`redact`]: credentials masked out of every error text a guest receives.

pub mod app;
pub mod cli;
pub mod cron_trigger;
pub mod http_trigger;
pub mod log;
pub mod manifest;
pub mod outbound;
pub mod redact;
pub mod redis_trigger;
pub mod routes;
pub mod runtime_config;
pub mod spin;
pub mod state;
pub mod variables;

//! The end-to-end harness: one isolated Souk stack per test binary, and an HTTP client with
//! the helpers tests share.
//!
//! - [`stack`]: creates a fresh database on the test PostgreSQL server, applies every
//!   migration, writes a runtime config for the test Redis, and starts `souk-host` — or real
//!   `spin up` when `SOUK_E2E_RUNNER=spin` (binary in `SOUK_SPIN_BIN`) — on a free port with
//!   fresh secrets, once, on first use. Every test runs under both runners.
//! - [`sandbox`]: the local stand-in for VNPay, SePay, GHTK, Nominatim and exchange rates that
//!   each stack's providers are pointed at, with credentials of the stack's own.
//! - [`api`]: a small client (`api.post("/api/v1/…").bearer(t).json(body).send()`) and the
//!   assertions on replies (`assert_status`, `assert_error`).
//!
//! The stack comes from the environment `scripts/test` sets: `SOUK_TEST_DATABASE_URL`,
//! `SOUK_TEST_REDIS_URL`, `SOUK_HOST_BIN` (or `SOUK_SPIN_BIN`) and `SOUK_ROOT`. Without them
//! the tests fail and say to run `scripts/test`; they never skip.

pub mod api;
pub mod sandbox;
pub mod stack;

pub use api::{Api, Call, Internal, Reply};
pub use stack::{Stack, Variant, stack};

/// Polls `check` every 100 ms until it gives a value, for up to `limit`.
pub async fn eventually<F: AsyncFnMut() -> Option<T>, T>(
    limit: std::time::Duration,
    mut check: F,
) -> Option<T> {
    let started = std::time::Instant::now();
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if started.elapsed() > limit {
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

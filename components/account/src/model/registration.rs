//! Registrations, counted in Redis per client address bucket in fixed windows
//! ([`kit::limit`]): each one hashes a password with argon2, which costs the server far
//! more than the request costs its sender. Every attempt that reaches the hash is counted,
//! whatever its outcome (a taken username was hashed all the same).

use kit::ApiResult;

use crate::rules::session::REGISTRATION_WINDOW_SECS;
use kit::limit;

/// The prefix of every key here.
const PREFIX: &str = "souk:account:registrations";

/// What the counter's failures are reported as.
const WHAT: &str = "registration";

/// Counts a registration from the address bucket `address` on the Redis at `redis_url`, and
/// refuses it with 429 (and `Retry-After`) when it is past `limit` in this window.
pub fn admit(redis_url: &str, address: &str, limit: i64) -> ApiResult<()> {
    let key = format!("{PREFIX}:ip:{address}");
    limit::admit(
        redis_url,
        WHAT,
        &key,
        limit,
        REGISTRATION_WINDOW_SECS,
        "too_many_registrations",
    )
}

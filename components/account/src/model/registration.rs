//! Registrations, counted in Redis per client address bucket in fixed windows
//! ([`super::counter`]): each one hashes a password with argon2, which costs the server far
//! more than the request costs its sender. Every attempt that reaches the hash is counted,
//! whatever its outcome (a taken username was hashed all the same).

use kit::{ApiError, ApiResult};

use super::counter;
use crate::rules::session::REGISTRATION_WINDOW_SECS;

/// The prefix of every key here.
const PREFIX: &str = "souk:account:registrations";

/// What the counter's failures are reported as.
const WHAT: &str = "registration";

/// Counts a registration from the address bucket `address` on the Redis at `redis_url`, and
/// refuses it with 429 (and `Retry-After`) when it is past `limit` in this window.
pub fn admit(redis_url: &str, address: &str, limit: i64) -> ApiResult<()> {
    let conn = counter::open(redis_url, WHAT)?;
    let key = format!("{PREFIX}:ip:{address}");
    let n = counter::count(&conn, WHAT, &key, REGISTRATION_WINDOW_SECS)?;
    if n > limit {
        let secs = counter::retry_after(&conn, &key, REGISTRATION_WINDOW_SECS);
        let mut refused = ApiError::too_many_requests(secs).with_code("too_many_registrations");
        refused.message =
            format!("too many accounts registered from this address; retry in {secs} seconds");
        return Err(refused);
    }
    Ok(())
}

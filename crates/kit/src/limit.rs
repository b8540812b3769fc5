//! Fixed-window counters in Redis, which every rate limit is made of: account's sign-in and
//! registration throttles, order's checkout and payment-URL limits. A counter's window starts at
//! its first count (`EXPIRE … NX`) and ends with the key's expiry. Every key carries Souk's
//! prefix and its module's name (`souk:<module>:…`; Spin's Redis has no namespaces of its own).
//! [`admit`] is the usual use: count, and refuse past the limit with 429 and `Retry-After`.

use crate::error::{ApiError, ApiResult};
use spin_sdk::redis::{Connection, RedisParameter, RedisResult};

/// Redis's failure as the client sees it: its text (which can carry the configured URL, with
/// its password) goes to the log only. `what` names what is unavailable (`sign-in`).
pub fn unavailable(what: &str, e: spin_sdk::redis::Error) -> ApiError {
    crate::log::error(format_args!("{what} counters unavailable: {e:?}"));
    ApiError::unavailable(
        "rate_limiter_unavailable",
        format!("{what} is unavailable right now; retry shortly"),
    )
}

/// The Redis at `redis_url`, for the counters of `what`; 503 `rate_limiter_unavailable` when it
/// cannot be reached (the throttled route fails closed rather than unthrottled).
pub fn open(redis_url: &str, what: &str) -> ApiResult<Connection> {
    Connection::open(redis_url).map_err(|e| unavailable(what, e))
}

fn key_param(key: &str) -> RedisParameter {
    RedisParameter::Binary(key.as_bytes().to_vec())
}

/// Counts one on `key`, starting its window of `window_secs` if it has none; the count it got,
/// this one included.
pub fn count(conn: &Connection, what: &str, key: &str, window_secs: i64) -> ApiResult<i64> {
    let n = conn.incr(key).map_err(|e| unavailable(what, e))?;
    conn.execute(
        "EXPIRE",
        &[
            key_param(key),
            RedisParameter::Int64(window_secs),
            RedisParameter::Binary(b"NX".to_vec()),
        ],
    )
    .map_err(|e| unavailable(what, e))?;
    Ok(n)
}

/// Takes one back from `key`.
pub fn uncount(conn: &Connection, what: &str, key: &str) -> ApiResult<()> {
    conn.execute("DECR", &[key_param(key)])
        .map_err(|e| unavailable(what, e))?;
    Ok(())
}

/// Seconds until the window of `key` ends (`window_secs` when Redis cannot say).
pub fn retry_after(conn: &Connection, key: &str, window_secs: i64) -> u64 {
    conn.execute("TTL", &[key_param(key)])
        .ok()
        .map(|r| int(&r))
        .and_then(|secs| u64::try_from(secs).ok())
        .filter(|secs| *secs > 0)
        .unwrap_or(window_secs.unsigned_abs())
}

/// Counts one request of `what` on `key` and refuses it past `limit` in a window of
/// `window_secs`: 429 with `code`, a message saying when to retry, and `Retry-After`.
pub fn admit(
    redis_url: &str,
    what: &str,
    key: &str,
    limit: i64,
    window_secs: i64,
    code: &'static str,
) -> ApiResult<()> {
    let conn = open(redis_url, what)?;
    let n = count(&conn, what, key, window_secs)?;
    if n > limit {
        let secs = retry_after(&conn, key, window_secs);
        let mut refused = ApiError::too_many_requests(secs).with_code(code);
        refused.message = format!("too many {what} requests; retry in {secs} seconds");
        return Err(refused);
    }
    Ok(())
}

fn int(results: &[RedisResult]) -> i64 {
    match results.first() {
        Some(RedisResult::Int64(n)) => *n,
        Some(RedisResult::Binary(b)) => String::from_utf8_lossy(b).parse().unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redis_failure_tells_the_client_nothing_of_its_cause() {
        let cause = "connection to redis://:hunter2@cache.internal:6379 refused";
        let e = unavailable("sign-in", spin_sdk::redis::Error::Other(cause.into()));
        assert_eq!(
            (e.status, e.code.as_ref()),
            (503, "rate_limiter_unavailable")
        );
        assert!(!e.message.contains("hunter2") && !e.message.contains("redis://"));
        assert!(!e.body("r").to_string().contains("hunter2"));
    }
}

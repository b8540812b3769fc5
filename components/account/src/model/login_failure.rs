//! Failed sign-ins, counted in Redis in fixed windows per identifier and per client address
//! (the limits and the decision are `rules::session`'s). Every attempt is counted first, with
//! `INCR`, before its password is checked, and the decision is made on the value that `INCR`
//! returned: attempts sent at once each get their own count, so no more of them reach the
//! password check than the limit allows. An attempt refused unchecked, or one with the right password,
//! takes its count back; a successful sign-in also clears its identifier's counter. A
//! counter's window starts at its first count and ends with the key's expiry.
//!
//! The keys carry Souk's prefix (Spin's Redis has no namespaces of its own); identifiers are
//! personal data, so their key holds a digest rather than the identifier.

use kit::{ApiError, ApiResult};
use sha2::{Digest, Sha256};
use spin_sdk::redis::{Connection, RedisParameter, RedisResult};

use crate::rules::session::{Counter, Failures, WINDOW_SECS};

/// The prefix of every key here.
const PREFIX: &str = "souk:account:login-failures";

/// The two counters one sign-in touches.
pub struct LoginFailures {
    conn: Connection,
    identifier_key: String,
    address_key: Option<String>,
}

/// Redis's failure as the client sees it: its text (which can carry the configured URL, with
/// its password) goes to the log only.
fn redis_error(e: spin_sdk::redis::Error) -> ApiError {
    kit::log::error(format_args!("sign-in counters unavailable: {e:?}"));
    ApiError::unavailable(
        "rate_limiter_unavailable",
        "sign-in is unavailable right now; retry shortly",
    )
}

fn int(results: &[RedisResult]) -> i64 {
    match results.first() {
        Some(RedisResult::Int64(n)) => *n,
        Some(RedisResult::Binary(b)) => String::from_utf8_lossy(b).parse().unwrap_or(0),
        _ => 0,
    }
}

impl LoginFailures {
    /// The counters of `identifier` (as looked up: trimmed, lower-case) and of `address`, on
    /// the Redis at `redis_url`; 503 `rate_limiter_unavailable` when it cannot be reached
    /// (sign-in fails closed rather than unthrottled).
    pub fn open(
        redis_url: &str,
        identifier: &str,
        address: Option<&str>,
    ) -> ApiResult<LoginFailures> {
        let conn = Connection::open(redis_url).map_err(redis_error)?;
        let digest = hex::encode(Sha256::digest(identifier.as_bytes()));
        Ok(LoginFailures {
            conn,
            identifier_key: format!("{PREFIX}:id:{digest}"),
            address_key: address.map(|a| format!("{PREFIX}:ip:{a}")),
        })
    }

    fn keys(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.identifier_key).chain(self.address_key.as_ref())
    }

    /// Counts this attempt on both counters before its password is checked, and returns the
    /// counts it got (this attempt included).
    pub fn begin(&self) -> ApiResult<Failures> {
        let mut counts = Vec::with_capacity(2);
        for key in self.keys() {
            counts.push(self.conn.incr(key).map_err(redis_error)?);
            self.conn
                .execute(
                    "EXPIRE",
                    &[
                        RedisParameter::Binary(key.as_bytes().to_vec()),
                        RedisParameter::Int64(WINDOW_SECS),
                        RedisParameter::Binary(b"NX".to_vec()),
                    ],
                )
                .map_err(redis_error)?;
        }
        Ok(Failures {
            identifier: counts[0],
            address: counts.get(1).copied(),
        })
    }

    /// Takes back this attempt's count: it was refused before its password was checked, or
    /// its password was right.
    pub fn take_back(&self) -> ApiResult<()> {
        for key in self.keys() {
            self.conn
                .execute("DECR", &[RedisParameter::Binary(key.as_bytes().to_vec())])
                .map_err(redis_error)?;
        }
        Ok(())
    }

    /// Seconds until the window of `counter` ends (a whole window when Redis cannot say).
    pub fn retry_after(&self, counter: Counter) -> u64 {
        let key = match counter {
            Counter::Identifier => Some(&self.identifier_key),
            Counter::Address => self.address_key.as_ref(),
        };
        key.and_then(|key| {
            self.conn
                .execute("TTL", &[RedisParameter::Binary(key.as_bytes().to_vec())])
                .ok()
        })
        .map(|r| int(&r))
        .and_then(|secs| u64::try_from(secs).ok())
        .filter(|secs| *secs > 0)
        .unwrap_or(WINDOW_SECS.unsigned_abs())
    }

    /// After a successful sign-in: clears the identifier's failures, and takes this attempt's
    /// count back from the address.
    pub fn succeeded(&self) -> ApiResult<()> {
        self.conn
            .del(std::slice::from_ref(&self.identifier_key))
            .map_err(redis_error)?;
        if let Some(key) = &self.address_key {
            self.conn
                .execute("DECR", &[RedisParameter::Binary(key.as_bytes().to_vec())])
                .map_err(redis_error)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redis_failure_tells_the_client_nothing_of_its_cause() {
        let cause = "connection to redis://:hunter2@cache.internal:6379 refused";
        let e = redis_error(spin_sdk::redis::Error::Other(cause.into()));
        assert_eq!(
            (e.status, e.code.as_ref()),
            (503, "rate_limiter_unavailable")
        );
        assert!(!e.message.contains("hunter2") && !e.message.contains("redis://"));
        assert!(!e.body("r").to_string().contains("hunter2"));
    }
}

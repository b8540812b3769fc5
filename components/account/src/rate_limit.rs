//! Sign-in throttling in Redis: failed logins are counted per identifier and per client
//! address in fixed windows; past the limit, logins answer 429 with `Retry-After` until the
//! window ends. A successful login clears its identifier's count.

use kit::{ApiError, ApiResult};
use sha2::{Digest, Sha256};
use spin_sdk::redis::{Connection, RedisParameter, RedisResult};

/// The window failures are counted in.
pub const WINDOW_SECS: i64 = 15 * 60;

/// Failures allowed per identifier per window.
pub const PER_IDENTIFIER: i64 = 5;

/// Failures allowed per client address per window (shared networks have several users).
pub const PER_ADDRESS: i64 = 30;

/// Souk's key prefix for these counters (Spin's Redis has no namespaces of its own).
const PREFIX: &str = "souk:account:login-failures";

/// The two counters a login touches.
pub struct Throttle {
    conn: Connection,
    identifier_key: String,
    address_key: Option<String>,
}

fn redis_error(e: spin_sdk::redis::Error) -> ApiError {
    ApiError::unavailable(
        "rate_limiter_unavailable",
        format!("sign-in is unavailable right now ({e:?})"),
    )
}

fn int(results: &[RedisResult]) -> i64 {
    match results.first() {
        Some(RedisResult::Int64(n)) => *n,
        Some(RedisResult::Binary(b)) => String::from_utf8_lossy(b).parse().unwrap_or(0),
        _ => 0,
    }
}

impl Throttle {
    /// Counters for `identifier` (hashed: identifiers are personal data) and `address`.
    pub fn new(redis_url: &str, identifier: &str, address: Option<&str>) -> ApiResult<Throttle> {
        let conn = Connection::open(redis_url).map_err(redis_error)?;
        let digest = hex::encode(Sha256::digest(identifier.trim().to_lowercase().as_bytes()));
        Ok(Throttle {
            conn,
            identifier_key: format!("{PREFIX}:id:{digest}"),
            address_key: address.map(|a| format!("{PREFIX}:ip:{a}")),
        })
    }

    fn count(&self, key: &str) -> ApiResult<i64> {
        Ok(self
            .conn
            .get(key)
            .map_err(redis_error)?
            .and_then(|b| String::from_utf8_lossy(&b).parse().ok())
            .unwrap_or(0))
    }

    fn ttl(&self, key: &str) -> u64 {
        self.conn
            .execute("TTL", &[RedisParameter::Binary(key.as_bytes().to_vec())])
            .map(|r| int(&r))
            .ok()
            .filter(|t| *t > 0)
            .map_or(WINDOW_SECS as u64, |t| t as u64)
    }

    /// 429 when either counter is at its limit.
    pub fn check(&self) -> ApiResult<()> {
        if self.count(&self.identifier_key)? >= PER_IDENTIFIER {
            return Err(ApiError::too_many_requests(self.ttl(&self.identifier_key)));
        }
        if let Some(key) = &self.address_key
            && self.count(key)? >= PER_ADDRESS
        {
            return Err(ApiError::too_many_requests(self.ttl(key)));
        }
        Ok(())
    }

    /// Counts a failure; the window starts at a counter's first failure.
    pub fn failed(&self) -> ApiResult<()> {
        for key in std::iter::once(&self.identifier_key).chain(self.address_key.as_ref()) {
            self.conn.incr(key).map_err(redis_error)?;
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
        Ok(())
    }

    /// Clears the identifier's failures after a successful login.
    pub fn succeeded(&self) -> ApiResult<()> {
        self.conn
            .del(std::slice::from_ref(&self.identifier_key))
            .map_err(redis_error)?;
        Ok(())
    }
}

//! [`Io`] on Spin: the cache and the slot in the app's Redis through `spin_sdk::redis` (one
//! connection per call), requests through `outbound`, pauses through WASI's clock.

use std::time::Duration;

use outbound::{Answer, Call, Failure, Limits};
use spin_sdk::redis::{self, Connection, RedisParameter, RedisResult};

use crate::Error;
use crate::config::Config;
use crate::geocode::{Io, redis_down};
use crate::keys::{INTERVAL, SLOT};

/// How long one request to Nominatim may take. Tried once: a try again goes through the slot
/// like any request (outbound's own retries would not). Connect, first byte and one long pause
/// between bytes come to 25 s, within [`crate::keys::SLOT_LEASE`].
pub const LIMITS: Limits = Limits {
    connect: Duration::from_secs(5),
    first_byte: Duration::from_secs(10),
    between_bytes: Duration::from_secs(10),
    attempts: 1,
    backoff: Duration::ZERO,
};

/// The application's Redis and Nominatim, as Spin reaches them.
pub struct Spin {
    redis: Connection,
}

/// What a Redis failure was, without the address (which may carry a password).
fn describe(e: &redis::Error) -> String {
    match e {
        redis::Error::InvalidAddress => "`redis_url` is not a valid Redis address".into(),
        redis::Error::TooManyConnections => "too many Redis connections".into(),
        redis::Error::TypeError => "a key holds a value of another type".into(),
        redis::Error::Other(m) => m.clone(),
    }
}

fn bytes(s: &str) -> RedisParameter {
    RedisParameter::Binary(s.as_bytes().to_vec())
}

/// `d` in whole milliseconds for `PX`, which refuses 0.
fn millis(d: Duration) -> RedisParameter {
    RedisParameter::Int64(i64::try_from(d.as_millis()).unwrap_or(i64::MAX).max(1))
}

impl Spin {
    /// Connects to the configured Redis.
    pub fn open(config: &Config) -> Result<Spin, Error> {
        Connection::open(&config.redis_url)
            .map(|redis| Spin { redis })
            .map_err(|e| redis_down(describe(&e)))
    }

    fn execute(&self, command: &str, args: &[RedisParameter]) -> Result<Vec<RedisResult>, String> {
        self.redis
            .execute(command, args)
            .map_err(|e| format!("{command}: {}", describe(&e)))
    }
}

impl Io for Spin {
    fn cached(&mut self, key: &str) -> Result<Option<Vec<u8>>, String> {
        self.redis
            .get(key)
            .map_err(|e| format!("GET: {}", describe(&e)))
    }

    fn cache(&mut self, key: &str, answer: &[u8], ttl: Duration) -> Result<(), String> {
        let args = [
            bytes(key),
            RedisParameter::Binary(answer.to_vec()),
            bytes("PX"),
            millis(ttl),
        ];
        self.execute("SET", &args).map(drop)
    }

    fn take_slot(&mut self, lease: Duration) -> Result<bool, String> {
        let args = [
            bytes(SLOT),
            bytes("1"),
            bytes("NX"),
            bytes("PX"),
            millis(lease),
        ];
        // `OK` when set; nil (an empty list under some hosts) when the key exists.
        let reply = self.execute("SET", &args)?;
        Ok(!matches!(reply.as_slice(), [] | [RedisResult::Nil]))
    }

    fn slot_left(&mut self) -> Result<Option<Duration>, String> {
        match self.execute("PTTL", &[bytes(SLOT)])?.as_slice() {
            [RedisResult::Int64(-2)] => Ok(None),
            [RedisResult::Int64(-1)] => {
                // A slot without an expiry (not set by this provider) would stop geocoding for
                // good: give it the interval.
                self.execute("PEXPIRE", &[bytes(SLOT), millis(INTERVAL)])?;
                Ok(Some(INTERVAL))
            }
            [RedisResult::Int64(ms)] if *ms >= 0 => {
                Ok(Some(Duration::from_millis(ms.unsigned_abs())))
            }
            other => Err(format!("PTTL answered {other:?}")),
        }
    }

    fn hold_slot(&mut self, after: Duration) -> Result<(), String> {
        let args = [bytes(SLOT), bytes("1"), bytes("PX"), millis(after)];
        self.execute("SET", &args).map(drop)
    }

    fn sleep(&mut self, d: Duration) {
        outbound::sleep(d);
    }

    fn get(&mut self, url: &str, user_agent: &str) -> Result<Answer, Failure> {
        Call::get(url)
            .header("user-agent", user_agent)
            .header("accept", "application/json")
            .limits(LIMITS)
            .send()
    }
}

//! What a component reaches outside itself: its variables, PostgreSQL and Redis. In a
//! component that is Spin ([`Spin`]); behind the [`Platform`] trait so that a request context,
//! and everything built on it (router, idempotency, outbox, workflows), can be made in a native
//! test against a real PostgreSQL.

use std::future::Future;
use std::pin::Pin;

use spin_sdk::http::{Request, Response};

use crate::db::Db;
use crate::error::ApiResult;

/// An outgoing HTTP exchange in flight.
pub type Sending = Pin<Box<dyn Future<Output = Result<Response, String>>>>;

/// A Redis command kit sends: wake-ups, short leases and token revocations, never data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RedisCommand {
    /// `PUBLISH channel message`.
    Publish {
        /// The channel.
        channel: String,
        /// The message.
        message: String,
    },
    /// `SET key 1 PX ms [NX]`: a key that expires (its expiry event wakes the durable
    /// component), or a lease when `only_if_absent`.
    SetExpiring {
        /// The key.
        key: String,
        /// Its lifetime in milliseconds.
        ms: i64,
        /// `NX`: leave a key that is already there.
        only_if_absent: bool,
    },
    /// `SET pending 1 PX ms NX`, then `PUBLISH channel message` only when that set the key:
    /// a wake-up that one still pending already covers is not sent again.
    PublishOnce {
        /// The key that says a wake-up is pending.
        pending: String,
        /// How long it says so at most, in milliseconds.
        ms: i64,
        /// The channel.
        channel: String,
        /// The message.
        message: String,
    },
    /// `SET key value PX ms`: a value that lives `ms` (a token revocation, `kit::auth`).
    Set {
        /// The key.
        key: String,
        /// Its value.
        value: String,
        /// Its lifetime in milliseconds.
        ms: i64,
    },
}

/// The outside world of a component.
pub trait Platform {
    /// A component variable; `None` when the component does not declare it.
    fn variable(&self, name: &str) -> Option<String>;
    /// Opens a database connection.
    fn connect(&self, database_url: &str) -> ApiResult<Db>;
    /// Sends `command` to the Redis at `url`; `Ok(false)` when a `SET … NX` found the key.
    fn redis(&self, url: &str, command: &RedisCommand) -> Result<bool, String>;
    /// The values of `keys` on the Redis at `url` (`MGET`, one round trip), `None` where a
    /// key is absent; `Err` carries a text for the log.
    fn redis_get(&self, url: &str, keys: &[String]) -> Result<Vec<Option<String>>, String>;
    /// Sends an HTTP request (internal calls to other modules); `Err` when nothing answered.
    fn send(&self, request: Request) -> Sending;
}

/// Spin: variables, `pg4` and `redis` through the component's imports.
pub struct Spin;

impl Platform for Spin {
    fn send(&self, request: Request) -> Sending {
        Box::pin(async move {
            spin_sdk::http::send::<_, Response>(request)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn variable(&self, name: &str) -> Option<String> {
        spin_sdk::variables::get(name).ok()
    }

    fn connect(&self, database_url: &str) -> ApiResult<Db> {
        Db::connect(database_url)
    }

    fn redis(&self, url: &str, command: &RedisCommand) -> Result<bool, String> {
        use spin_sdk::redis::{Connection, RedisParameter, RedisResult};
        let redis = Connection::open(url).map_err(|e| format!("{e:?}"))?;
        match command {
            RedisCommand::Publish { channel, message } => redis
                .publish(channel, message.as_bytes())
                .map(|()| true)
                .map_err(|e| format!("{e:?}")),
            RedisCommand::SetExpiring {
                key,
                ms,
                only_if_absent,
            } => {
                let mut args = vec![
                    RedisParameter::Binary(key.as_bytes().to_vec()),
                    RedisParameter::Binary(b"1".to_vec()),
                    RedisParameter::Binary(b"PX".to_vec()),
                    RedisParameter::Int64(*ms),
                ];
                if *only_if_absent {
                    args.push(RedisParameter::Binary(b"NX".to_vec()));
                }
                let reply = redis.execute("SET", &args).map_err(|e| format!("{e:?}"))?;
                Ok(!matches!(reply.as_slice(), [] | [RedisResult::Nil]))
            }
            RedisCommand::PublishOnce {
                pending,
                ms,
                channel,
                message,
            } => {
                let args = [
                    RedisParameter::Binary(pending.as_bytes().to_vec()),
                    RedisParameter::Binary(b"1".to_vec()),
                    RedisParameter::Binary(b"PX".to_vec()),
                    RedisParameter::Int64(*ms),
                    RedisParameter::Binary(b"NX".to_vec()),
                ];
                let reply = redis.execute("SET", &args).map_err(|e| format!("{e:?}"))?;
                if matches!(reply.as_slice(), [] | [RedisResult::Nil]) {
                    return Ok(false);
                }
                redis
                    .publish(channel, message.as_bytes())
                    .map(|()| true)
                    .map_err(|e| format!("{e:?}"))
            }
            RedisCommand::Set { key, value, ms } => {
                let args = [
                    RedisParameter::Binary(key.as_bytes().to_vec()),
                    RedisParameter::Binary(value.as_bytes().to_vec()),
                    RedisParameter::Binary(b"PX".to_vec()),
                    RedisParameter::Int64(*ms),
                ];
                redis.execute("SET", &args).map_err(|e| format!("{e:?}"))?;
                Ok(true)
            }
        }
    }

    fn redis_get(&self, url: &str, keys: &[String]) -> Result<Vec<Option<String>>, String> {
        use spin_sdk::redis::{Connection, RedisParameter, RedisResult};
        let redis = Connection::open(url).map_err(|e| format!("{e:?}"))?;
        let args: Vec<RedisParameter> = keys
            .iter()
            .map(|k| RedisParameter::Binary(k.as_bytes().to_vec()))
            .collect();
        let reply = redis.execute("MGET", &args).map_err(|e| format!("{e:?}"))?;
        if reply.len() != keys.len() {
            return Err(format!(
                "MGET of {} keys answered {} values",
                keys.len(),
                reply.len()
            ));
        }
        Ok(reply
            .into_iter()
            .map(|value| match value {
                RedisResult::Nil => None,
                RedisResult::Binary(b) => Some(String::from_utf8_lossy(&b).into_owned()),
                RedisResult::Status(s) => Some(s),
                RedisResult::Int64(n) => Some(n.to_string()),
            })
            .collect())
    }
}

//! Relaying outboxes: on a wake-up (a module name published on [`kit::wake::CHANNEL`]), on the
//! sweep (the expiry of [`kit::wake::SWEEP_KEY`], re-armed every time it fires), or on the admin
//! tick, the durable component asks each module with an outbox to deliver its due messages
//! (`POST /internal/outbox/relay`). Postgres holds the messages; Redis only wakes.

use crate::Access as Settings;
use kit::ApiResult;
use kit::client::Internal;
use kit::platform::Platform;
use serde_json::{Value, json};
use spin_sdk::redis::Connection;

/// Relay calls per module per wake-up at most; each delivers up to the outbox's batch.
const MAX_ROUNDS: usize = 10;

/// How long a relay may hold its lease; a relay that died lets go when it expires.
const LEASE_MS: i64 = 30_000;

/// Relays `module`'s outbox on a wake-up, one relay per module at a time: a wake-up that finds
/// one running asks it to go round again and returns. A wake-up that slips in between the
/// running relay's last look and its release is picked up by the sweep.
pub async fn relay_on_wake(module: &str, settings: &Settings, request_id: &str) -> ApiResult<()> {
    let redis = Connection::open(&settings.redis_url)
        .map_err(|e| kit::ApiError::unavailable("redis_unavailable", format!("{e:?}")))?;
    // Held while the relay runs, so wake-ups that arrive meanwhile — one per outbox write — do
    // not start relays of their own that fight over the same rows.
    let running = kit::wake::relaying_key(module);
    // Set by a wake-up that found the relay running: the running one goes round again.
    let again = kit::wake::relay_again_key(module);
    // Set by the write that published the wake-up; deleted before each pass reads the outbox,
    // so a write that finds it set (and publishes nothing) is read by this pass.
    let pending = kit::wake::pending_key(module);
    let busy = |e| kit::ApiError::unavailable("redis_unavailable", format!("{e:?}"));
    loop {
        if !try_lease(&redis, &running, LEASE_MS).map_err(busy)? {
            redis.set(&again, b"1").map_err(busy)?;
            return Ok(());
        }
        let outcome = loop {
            let _ = redis.del(&[again.clone(), pending.clone()]);
            match relay(module, &settings.service_token, request_id).await {
                Ok(report) => continue_later(&settings.redis_url, module, &report),
                Err(e) => break Err(e),
            }
            if redis.del(std::slice::from_ref(&again)).map_err(busy)? == 0 {
                break Ok(());
            }
        };
        let _ = redis.del(std::slice::from_ref(&running));
        outcome?;
        // A wake-up that came while the lease was being released goes round once more.
        if redis.del(std::slice::from_ref(&again)).map_err(busy)? == 0 {
            return Ok(());
        }
    }
}

/// The modules that keep an outbox (variable `outbox_modules`, comma-separated).
pub fn modules() -> Vec<String> {
    listed("outbox_modules")
}

/// The comma-separated module names of variable `name`.
pub fn listed(name: &str) -> Vec<String> {
    kit::config::optional_var(name)
        .unwrap_or_default()
        .split(',')
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty())
        .collect()
}

/// Relays `module`'s outbox until nothing is due (or [`MAX_ROUNDS`] calls; the caller then
/// wakes it again with [`continue_later`], so a large backlog drains without one endless
/// handler).
pub async fn relay(module: &str, service_token: &str, request_id: &str) -> ApiResult<Value> {
    let client = Internal::new(module, service_token, request_id);
    let mut total = json!({ "delivered": 0, "retried": 0, "dead": 0, "pending": 0, "due": 0 });
    for _ in 0..MAX_ROUNDS {
        let round: Value = client
            .post("/internal/outbox/relay", &json!({}), None)
            .await?;
        for k in ["delivered", "retried", "dead"] {
            total[k] = json!(total[k].as_i64().unwrap_or(0) + round[k].as_i64().unwrap_or(0));
        }
        total["pending"] = round["pending"].clone();
        total["due"] = round["due"].clone();
        let progressed = round["delivered"].as_i64().unwrap_or(0)
            + round["dead"].as_i64().unwrap_or(0)
            + round["retried"].as_i64().unwrap_or(0);
        if progressed == 0 {
            break;
        }
    }
    Ok(total)
}

/// Relays every module's outbox; one module's failure does not stop the others.
pub async fn sweep(settings: &Settings, request_id: &str) -> Value {
    let mut report = serde_json::Map::new();
    for module in modules() {
        let outcome = match relay(&module, &settings.service_token, request_id).await {
            Ok(v) => {
                continue_later(&settings.redis_url, &module, &v);
                v
            }
            Err(e) => {
                kit::log::warn(format_args!("relaying {module}: {e}"));
                json!({ "error": e.to_string() })
            }
        };
        report.insert(module, outcome);
    }
    Value::Object(report)
}

/// `SET key 1 PX ms NX`: whether this caller set `key` (nobody held it), for a short lease.
fn try_lease(redis: &Connection, key: &str, ms: i64) -> Result<bool, spin_sdk::redis::Error> {
    use spin_sdk::redis::{RedisParameter, RedisResult};
    let args = [
        RedisParameter::Binary(key.as_bytes().to_vec()),
        RedisParameter::Binary(b"1".to_vec()),
        RedisParameter::Binary(b"PX".to_vec()),
        RedisParameter::Int64(ms),
        RedisParameter::Binary(b"NX".to_vec()),
    ];
    let reply = redis.execute("SET", &args)?;
    Ok(!matches!(reply.as_slice(), [] | [RedisResult::Nil]))
}

/// Sets the sweep key to expire after [`kit::wake::SWEEP_INTERVAL_MS`]; with `only_if_absent`
/// a pending sweep is left alone. Best effort.
pub fn arm(redis_url: &str, only_if_absent: bool) {
    let command = kit::wake::arm_sweep_command(only_if_absent);
    if let Err(e) = kit::platform::Spin.redis(redis_url, &command) {
        kit::log::warn(format_args!("cannot arm the durable sweep: {e}"));
    }
}

/// After a relay that left due messages behind (it stopped at its round limit), publishes
/// another wake-up for `module`, so the backlog keeps draining at full speed.
pub fn continue_later(redis_url: &str, module: &str, report: &Value) {
    if report["due"].as_i64().unwrap_or(0) == 0 {
        return;
    }
    let published =
        Connection::open(redis_url).and_then(|c| c.publish(kit::wake::CHANNEL, module.as_bytes()));
    if let Err(e) = published {
        kit::log::warn(format_args!(
            "cannot wake {module}'s relay again ({e:?}); the sweep will"
        ));
    }
}

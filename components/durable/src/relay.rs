//! Relaying outboxes: on a wake-up (a module name published on `souk:outbox`), on the sweep (the
//! expiry of [`SWEEP_KEY`], re-armed every time it fires), or on the admin tick, the durable
//! component asks each module with an outbox to deliver its due messages
//! (`POST /internal/outbox/relay`). Postgres holds the messages; Redis only wakes.

use kit::ApiResult;
use kit::client::Internal;
use serde_json::{Value, json};
use spin_sdk::redis::{Connection, RedisParameter};

/// The key whose expiry runs the sweep; it lives [`SWEEP_INTERVAL_MS`], then wakes the sweep,
/// which sets it again — so a lost wake-up never leaves a message waiting longer than that
/// while Redis runs. Redis must send expiry events (`notify-keyspace-events Ex`).
pub const SWEEP_KEY: &str = "souk:durable:sweep";

/// How often the sweep runs.
pub const SWEEP_INTERVAL_MS: i64 = 5_000;

/// Relay calls per module per wake-up at most; each delivers up to the outbox's batch.
const MAX_ROUNDS: usize = 10;

/// The modules that keep an outbox (variable `outbox_modules`, comma-separated).
pub fn modules() -> Vec<String> {
    kit::config::optional_var("outbox_modules")
        .unwrap_or_default()
        .split(',')
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty())
        .collect()
}

/// Relays `module`'s outbox until nothing is due (or [`MAX_ROUNDS`] calls).
pub async fn relay(module: &str, service_token: &str, request_id: &str) -> ApiResult<Value> {
    let client = Internal::new(module, service_token, request_id);
    let mut total = json!({ "delivered": 0, "retried": 0, "dead": 0, "pending": 0 });
    for _ in 0..MAX_ROUNDS {
        let round: Value = client
            .post("/internal/outbox/relay", &json!({}), None)
            .await?;
        for k in ["delivered", "retried", "dead"] {
            total[k] = json!(total[k].as_i64().unwrap_or(0) + round[k].as_i64().unwrap_or(0));
        }
        total["pending"] = round["pending"].clone();
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
pub async fn sweep(service_token: &str, request_id: &str) -> Value {
    let mut report = serde_json::Map::new();
    for module in modules() {
        let outcome = match relay(&module, service_token, request_id).await {
            Ok(v) => v,
            Err(e) => {
                kit::log::warn(format_args!("relaying {module}: {e}"));
                json!({ "error": e.to_string() })
            }
        };
        report.insert(module, outcome);
    }
    Value::Object(report)
}

/// Sets the sweep key to expire after the interval; with `only_if_absent`, leaves a pending
/// sweep alone (so wake-ups do not keep postponing it).
pub fn arm(redis_url: &str, only_if_absent: bool) {
    let mut args = vec![
        RedisParameter::Binary(SWEEP_KEY.as_bytes().to_vec()),
        RedisParameter::Binary(b"1".to_vec()),
        RedisParameter::Binary(b"PX".to_vec()),
        RedisParameter::Int64(SWEEP_INTERVAL_MS),
    ];
    if only_if_absent {
        args.push(RedisParameter::Binary(b"NX".to_vec()));
    }
    if let Err(e) = Connection::open(redis_url).and_then(|c| c.execute("SET", &args)) {
        kit::log::warn(format_args!("cannot arm the outbox sweep: {e:?}"));
    }
}

//! Relaying outboxes: on a wake-up (a module name published on `souk:wake`), on the sweep (the
//! expiry of [`kit::outbox::SWEEP_KEY`], re-armed every time it fires), or on the admin tick, the durable
//! component asks each module with an outbox to deliver its due messages
//! (`POST /internal/outbox/relay`). Postgres holds the messages; Redis only wakes.

use kit::ApiResult;
use kit::client::Internal;
use kit::config::Settings;
use serde_json::{Value, json};
use spin_sdk::redis::Connection;

/// Relay calls per module per wake-up at most; each delivers up to the outbox's batch.
const MAX_ROUNDS: usize = 10;

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

/// Sets the sweep key (see [`kit::outbox::arm_sweep`]).
pub fn arm(redis_url: &str, only_if_absent: bool) {
    match Connection::open(redis_url) {
        Ok(c) => kit::outbox::arm_sweep(&c, only_if_absent),
        Err(e) => kit::log::warn(format_args!("cannot arm the durable sweep: {e:?}")),
    }
}

/// After a relay that left due messages behind (it stopped at its round limit), publishes
/// another wake-up for `module`, so the backlog keeps draining at full speed.
pub fn continue_later(redis_url: &str, module: &str, report: &Value) {
    if report["due"].as_i64().unwrap_or(0) == 0 {
        return;
    }
    let published = Connection::open(redis_url)
        .and_then(|c| c.publish(kit::outbox::WAKE_CHANNEL, module.as_bytes()));
    if let Err(e) = published {
        kit::log::warn(format_args!(
            "cannot wake {module}'s relay again ({e:?}); the sweep will"
        ));
    }
}

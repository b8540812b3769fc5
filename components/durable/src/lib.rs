//! Souk's `durable` module: exactly-once workflows — today the outbox relay; the step journal,
//! timers and signals come next.
//!
//! - HTTP: `GET /api/v1/durable/health`, and `POST /api/v1/durable/tick` (admin token) which
//!   runs the outbox sweep now, for external schedulers such as a Kubernetes CronJob.
//! - Redis trigger: wake-ups on `souk:outbox` relay the named module's outbox; the expiry of
//!   the sweep key relays every outbox and re-arms the sweep ([`relay`]).
//!
//! It owns the `durable` schema and no other.

#![expect(
    unsafe_code,
    reason = "#[redis_component] generates the unsafe export glue of the component"
)]

mod relay;

use kit::{ApiError, ApiResult, Ctx, Request, Response, Router, json};
use subtle::ConstantTimeEq;

/// The module's routes.
pub fn router() -> Router {
    Router::new("durable").post("/api/v1/durable/tick", tick)
}

kit::component!(router);

/// Checks `Authorization: Bearer <admin_token>`.
fn require_admin(req: &Request) -> ApiResult<()> {
    let expected = kit::config::var("admin_token")?;
    let given = req
        .header("authorization")
        .and_then(|v| v.as_str())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if given.len() == expected.len() && bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::unauthorized(
            "this operator endpoint needs the admin token",
        ))
    }
}

/// `POST /api/v1/durable/tick` — relays every outbox now and re-arms the sweep.
async fn tick(ctx: Ctx, req: Request) -> ApiResult<Response> {
    require_admin(&req)?;
    let report = relay::sweep(&ctx.settings().service_token, &ctx.request_id).await;
    relay::arm(&ctx.settings().redis_url, false);
    json::ok(&serde_json::json!({ "outboxes": report }))
}

/// Redis trigger: a module name from `souk:outbox`, or an expired key's name.
#[spin_sdk::redis_component]
async fn on_message(message: Vec<u8>) -> anyhow::Result<()> {
    let text = String::from_utf8_lossy(&message).to_string();
    let settings = kit::config::Settings::load().map_err(|e| anyhow::anyhow!("{e}"))?;
    let request_id = uuid::Uuid::new_v4().simple().to_string();
    kit::log::set_request_id(&request_id);
    if text == relay::SWEEP_KEY {
        relay::sweep(&settings.service_token, &request_id).await;
        relay::arm(&settings.redis_url, false);
    } else if relay::modules().contains(&text) {
        relay::relay(&text, &settings.service_token, &request_id)
            .await
            .map_err(|e| anyhow::anyhow!("relaying {text}: {e}"))?;
        relay::arm(&settings.redis_url, true);
    }
    Ok(())
}

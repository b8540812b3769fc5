//! Souk's `durable` module: it wakes what must run later and shows operators what ran. The
//! journals themselves live with each module's data (`kit::workflow`, `kit::outbox`), so a
//! step's effects and its journal entry commit together; this component decides *when* they
//! run and never touches another module's tables.
//!
//! The same `.wasm` serves as two components in `spin.toml`: `durable`, which the HTTP trigger
//! runs, and `durable-wake`, which the redis trigger runs. `durable-wake` may reach nothing but
//! the app's own HTTP trigger (`app_host`): it hands each wake-up to `POST
//! /api/v1/durable/wake` (service token), because Spin offers service chaining to the modules
//! only inside the HTTP trigger and refuses an app whose redis-triggered component asks for it.
//!
//! - Redis trigger, channel `souk:wake`: `<module>` relays that module's outbox; `<module>/<id>`
//!   runs that workflow invocation now (a signal arrived).
//! - Redis trigger, key-expiry events: `souk:wake:<module>/<id>` expiring runs that invocation
//!   (its timer or its retry is due); `souk:durable:sweep` expiring runs the sweep — every
//!   outbox, every module's due invocations — and re-arms it, so a lost wake-up never stalls
//!   anything for longer than the sweep interval while Redis runs.
//! - HTTP, admin token: `POST /api/v1/durable/tick` runs the sweep now (for external schedulers
//!   such as a Kubernetes CronJob); `GET /api/v1/durable/invocations[/{id}]` and
//!   `POST …/{id}/retry|cancel` are the operator's view and levers over every module's
//!   invocations.
//!
//! It owns the `durable` schema, which holds no rows today.

#![expect(
    unsafe_code,
    reason = "#[redis_component] generates the unsafe export glue of the component"
)]

mod invocations;
mod relay;

use kit::{ApiResult, Ctx, Request, Response, Router, json};

/// The module's routes.
pub fn router() -> Router {
    Router::new("durable")
        .without_idempotency()
        .post("/api/v1/durable/tick", tick)
        .post("/api/v1/durable/wake", wake)
        .get("/api/v1/durable/invocations", invocations::list)
        .get("/api/v1/durable/invocations/:id", invocations::show)
        .post("/api/v1/durable/invocations/:id/retry", invocations::retry)
        .post(
            "/api/v1/durable/invocations/:id/cancel",
            invocations::cancel,
        )
}

kit::component!(router);

/// `POST /api/v1/durable/tick` — runs the sweep now and re-arms it.
async fn tick(ctx: Ctx, req: Request) -> ApiResult<Response> {
    kit::auth::require_admin(&req)?;
    let access = Access::of(&ctx)?;
    let report = sweep(&access, &ctx.request_id).await;
    relay::arm(&access.redis_url, false);
    json::ok(&report)
}

/// Relays every outbox and runs every module's due invocations.
async fn sweep(settings: &Access, request_id: &str) -> serde_json::Value {
    serde_json::json!({
        "outboxes": relay::sweep(settings, request_id).await,
        "invocations": invocations::sweep(&settings.service_token, request_id).await,
    })
}

/// What the durable component's work needs from its variables, taken out of the request so
/// that it can outlive it (a wake-up's work runs after the response).
#[derive(Clone)]
pub struct Access {
    /// `redis_url`.
    pub redis_url: String,
    /// `service_token`, for the modules' internal routes.
    pub service_token: String,
}

impl Access {
    fn of(ctx: &Ctx) -> ApiResult<Access> {
        Ok(Access {
            redis_url: ctx.settings().redis_url()?.expose().to_string(),
            service_token: ctx.settings().service_token()?.expose().to_string(),
        })
    }
}

/// `POST /api/v1/durable/wake` (service token) — a message the redis trigger received: runs
/// the sweep, relays an outbox or runs an invocation. It runs in the HTTP trigger because only
/// there can a component reach the modules through service chaining. It answers `202` at once
/// and does the work after the response: the redis trigger handles one message at a time and
/// waits for `durable-wake`, which waits for this answer, so a slow relay would otherwise hold
/// back every later wake-up (a timer's among them).
async fn wake(ctx: Ctx, req: Request) -> ApiResult<Response> {
    kit::auth::check_service_token(&req, ctx.settings())?;
    let text = String::from_utf8_lossy(req.body()).to_string();
    let settings = Access::of(&ctx)?;
    let request_id = ctx.request_id.clone();
    kit::router::after_response(async move {
        if let Err(e) = run_wake(&text, &settings, &request_id).await {
            kit::log::warn(format_args!("wake-up `{text}`: {e}"));
        }
    });
    json::accepted(&serde_json::json!({ "accepted": true }))
}

/// Does what a wake-up asks for.
async fn run_wake(text: &str, settings: &Access, request_id: &str) -> ApiResult<()> {
    let token = &settings.service_token;
    match kit::wake::parse(text) {
        kit::wake::Wake::Sweep => {
            sweep(settings, request_id).await;
            relay::arm(&settings.redis_url, false);
        }
        kit::wake::Wake::Outbox(module) if relay::modules().iter().any(|m| m == module) => {
            relay::relay_on_wake(module, settings, request_id).await?;
            relay::arm(&settings.redis_url, true);
        }
        kit::wake::Wake::Invocation(module, id)
            if invocations::modules().iter().any(|m| m == module) =>
        {
            invocations::run_one(module, id, token, request_id).await?;
            relay::arm(&settings.redis_url, true);
        }
        _ => {}
    }
    Ok(())
}

/// Redis trigger: wake-ups on `souk:wake` and key-expiry events. Spin offers service chaining
/// only to the HTTP trigger, so the message is handed to this component's own HTTP route
/// (`http://{app_host}/api/v1/durable/wake`) with the service token.
#[spin_sdk::redis_component]
async fn on_message(message: Vec<u8>) -> anyhow::Result<()> {
    let text = String::from_utf8_lossy(&message).to_string();
    if kit::wake::parse(&text) == kit::wake::Wake::Ignore {
        return Ok(());
    }
    let var = |name: &str| kit::config::var(name).map_err(|e| anyhow::anyhow!("{e}"));
    let request = Request::builder()
        .method(kit::Method::Post)
        .uri(format!("http://{}/api/v1/durable/wake", var("app_host")?))
        .header(kit::router::SERVICE_TOKEN_HEADER, var("service_token")?)
        .header("content-type", "text/plain")
        .body(text.clone())
        .build();
    let response: Response = spin_sdk::http::send(request)
        .await
        .map_err(|e| anyhow::anyhow!("handing `{text}` to the HTTP trigger: {e}"))?;
    if !(200..300).contains(response.status()) {
        let reason = String::from_utf8_lossy(response.body()).to_string();
        kit::log::warn(format_args!(
            "wake-up `{text}`: {} {reason}",
            response.status()
        ));
        anyhow::bail!("wake-up `{text}` failed with {}", response.status());
    }
    Ok(())
}

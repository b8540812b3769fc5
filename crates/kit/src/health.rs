//! `GET /api/v1/<module>/health`: the module's schema version and a live database check.

use serde_json::json;
use spin_sdk::http::{Request, Response};

use crate::ctx::Ctx;
use crate::db::text;
use crate::error::ApiResult;

/// Answers 200 with the schema version when the database answers, 503 otherwise. It also arms
/// the durable sweep when it is not pending, so that liveness probes keep timers and outboxes
/// moving after a restart even before the first request that causes a wake-up.
pub async fn get(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    crate::wake::arm_sweep(&ctx);
    let version = ctx.db().and_then(|db| {
        db.scalar::<i32>(
            "SELECT coalesce(max(version), 0)::int4 FROM public.souk_migrations WHERE module = $1",
            &[text(ctx.module)],
        )
    });
    match version {
        Ok(v) => crate::json::ok(&json!({
            "module": ctx.module, "status": "ok", "schema_version": v, "database": "ok",
        })),
        Err(e) => {
            crate::log::warn(format_args!("health check: {e}"));
            crate::json::respond(
                503,
                &json!({
                    "module": ctx.module, "status": "degraded", "schema_version": null,
                    "database": "unreachable",
                }),
            )
        }
    }
}

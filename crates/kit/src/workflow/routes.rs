//! The internal routes of a module with workflows, which the durable component calls: run due
//! invocations, show and list them, retry or cancel one, and deliver signals.

use serde::Deserialize;
use serde_json::{Value, json};
use spin_sdk::http::{Request, Response};
use uuid::Uuid;

use super::state::Status;
use super::{Engine, signal, wake_now};
use crate::ctx::Ctx;
use crate::db::{Db, Param, rows, uuid};
use crate::error::{ApiError, ApiResult};
use crate::router::Router;

/// An instant as RFC 3339 text in UTC, with milliseconds.
fn iso(column: &str) -> String {
    format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")
}

impl Router {
    /// Mounts the workflow routes for `engine`'s workflows (the module's schema then has the
    /// journal tables).
    pub fn with_workflows(self, engine: Engine) -> Router {
        self.post("/internal/workflows/run", move |ctx, req| {
            run(engine, ctx, req)
        })
        .unkeyed()
        .get("/internal/workflows/invocations", move |ctx, _| {
            list(engine, ctx)
        })
        .get("/internal/workflows/invocations/:id", move |ctx, _| {
            show(engine, ctx)
        })
        .post(
            "/internal/workflows/invocations/:id/retry",
            move |ctx, _| retry(engine, ctx),
        )
        .unkeyed()
        .post(
            "/internal/workflows/invocations/:id/cancel",
            move |ctx, _| cancel(engine, ctx),
        )
        .unkeyed()
        .post("/internal/workflows/signals", move |ctx, req| {
            send_signal(engine, ctx, req)
        })
        .unkeyed()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunBody {
    id: Option<Uuid>,
}

/// `POST /internal/workflows/run` — `{id}` runs that invocation now (a wake-up); `{}` runs
/// whatever is due (the sweep).
async fn run(engine: Engine, ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: RunBody = crate::json::read(&req)?;
    match body.id {
        Some(id) => {
            engine.drive(&ctx, id).await?;
            crate::json::ok(&engine.outcome(ctx.db()?, id)?)
        }
        None => {
            let ran = engine.run_due(&ctx).await?;
            crate::json::ok(&json!({ "ran": ran }))
        }
    }
}

/// The invocation with its journal, or 404.
pub fn view(engine: &Engine, db: &Db, id: Uuid) -> ApiResult<Value> {
    let schema = engine.quoted();
    let set = db.query(
        &format!(
            "SELECT id, workflow, status, \
               (lease_until IS NOT NULL AND lease_until > now()) AS running, attempts, failures, \
               input, output, error, rollback_cause, waiting_for, faults_fired, \
               {} AS next_attempt_at, {} AS created_at, {} AS updated_at, {} AS finished_at \
             FROM {schema}.invocation WHERE id = $1",
            iso("next_attempt_at"),
            iso("created_at"),
            iso("updated_at"),
            iso("finished_at")
        ),
        &[uuid(id)],
    )?;
    let row = rows(&set).next().ok_or_else(|| {
        ApiError::not_found(
            "invocation_not_found",
            format!("no invocation with id {id}"),
        )
    })?;
    let mut invocation = summary(engine, &row)?;
    for column in ["input", "output", "rollback_cause"] {
        invocation[column] = row.json(column)?;
    }
    invocation["faults_fired"] = json!(
        row.get::<Vec<Option<String>>>("faults_fired")?
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
    );
    let set = db.query(
        &format!(
            "SELECT seq, name, kind, status, result, error, undo IS NOT NULL AS has_undo, attempt, \
               {} AS due_at, {} AS started_at, {} AS finished_at, \
               (extract(epoch FROM finished_at - started_at) * 1000)::float8 AS duration_ms \
             FROM {schema}.invocation_step WHERE invocation_id = $1 ORDER BY seq",
            iso("due_at"),
            iso("started_at"),
            iso("finished_at")
        ),
        &[uuid(id)],
    )?;
    let steps: Vec<Value> = rows(&set)
        .map(|r| {
            Ok(json!({
                "seq": r.get::<i32>("seq")?,
                "name": r.get::<String>("name")?,
                "kind": r.get::<String>("kind")?,
                "status": r.get::<String>("status")?,
                "result": r.json::<Value>("result")?,
                "error": r.json::<Value>("error")?,
                "has_undo": r.get::<bool>("has_undo")?,
                "attempt": r.get::<i32>("attempt")?,
                "due_at": r.get::<Option<String>>("due_at")?,
                "started_at": r.get::<Option<String>>("started_at")?,
                "finished_at": r.get::<Option<String>>("finished_at")?,
                "duration_ms": r.get::<Option<f64>>("duration_ms")?,
            }))
        })
        .collect::<ApiResult<_>>()?;
    invocation["timers"] = json!(
        steps
            .iter()
            .filter(|s| s["status"] == "waiting" && !s["due_at"].is_null())
            .map(|s| json!({ "name": s["name"], "due_at": s["due_at"] }))
            .collect::<Vec<_>>()
    );
    invocation["steps"] = json!(steps);
    Ok(invocation)
}

fn summary(engine: &Engine, row: &crate::db::Row<'_>) -> ApiResult<Value> {
    Ok(json!({
        "id": row.get::<Uuid>("id")?,
        "module": engine.schema,
        "workflow": row.get::<String>("workflow")?,
        "status": row.get::<String>("status")?,
        "running": row.get::<bool>("running")?,
        "attempts": row.get::<i32>("attempts")?,
        "failures": row.get::<i32>("failures")?,
        "error": row.json::<Value>("error")?,
        "waiting_for": row.get::<Option<String>>("waiting_for")?,
        "next_attempt_at": row.get::<Option<String>>("next_attempt_at")?,
        "created_at": row.get::<Option<String>>("created_at")?,
        "updated_at": row.get::<Option<String>>("updated_at")?,
        "finished_at": row.get::<Option<String>>("finished_at")?,
    }))
}

/// `GET /internal/workflows/invocations/:id`.
async fn show(engine: Engine, ctx: Ctx) -> ApiResult<Response> {
    let id = ctx.param_id("id", "invocation")?;
    crate::json::ok(&view(&engine, ctx.db()?, id)?)
}

/// `GET /internal/workflows/invocations?status=&workflow=&older_than=&before=&limit=` — newest
/// first; `older_than` in seconds; `before` is the `created_at` of the last one seen.
async fn list(engine: Engine, ctx: Ctx) -> ApiResult<Response> {
    let statuses = ctx.query_all("status");
    if let Some(bad) = statuses.iter().find(|s| Status::parse(s).is_none()) {
        let known: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
        return Err(ApiError::bad_request(
            "invalid_status",
            format!("unknown status `{bad}`; one of {}", known.join(", ")),
        ));
    }
    let older_than = match ctx.query("older_than") {
        Some(v) => v.parse::<i64>().ok().filter(|s| *s >= 0).ok_or_else(|| {
            ApiError::bad_request("invalid_older_than", "older_than is a number of seconds")
        })?,
        None => 0,
    };
    let limit = match ctx.query("limit") {
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=100).contains(l))
            .ok_or_else(|| ApiError::bad_request("invalid_limit", "limit is 1-100"))?,
        None => 50,
    };
    let before = ctx.query("before");
    if let Some(b) = &before {
        chrono::DateTime::parse_from_rfc3339(b).map_err(|_| {
            ApiError::bad_request("invalid_before", "before is an RFC 3339 instant")
        })?;
    }
    let set = ctx.db()?.query(
        &format!(
            "SELECT id, workflow, status, \
               (lease_until IS NOT NULL AND lease_until > now()) AS running, attempts, failures, \
               error, waiting_for, {} AS next_attempt_at, {} AS created_at, {} AS updated_at, \
               {} AS finished_at \
             FROM {}.invocation \
             WHERE (cardinality($1::text[]) = 0 OR status = ANY($1)) \
               AND ($2::text IS NULL OR workflow = $2) \
               AND created_at <= now() - make_interval(secs => $3) \
               AND ($4::text IS NULL OR created_at < $4::text::timestamptz) \
             ORDER BY created_at DESC, id DESC LIMIT $5",
            iso("next_attempt_at"),
            iso("created_at"),
            iso("updated_at"),
            iso("finished_at"),
            engine.quoted()
        ),
        &[
            crate::db::strings(&statuses),
            crate::db::optional_text(ctx.query("workflow").as_deref()),
            Param::Floating64(older_than as f64),
            crate::db::optional_text(before.as_deref()),
            limit.into(),
        ],
    )?;
    let items: Vec<Value> = rows(&set)
        .map(|r| summary(&engine, &r))
        .collect::<ApiResult<_>>()?;
    crate::json::ok(&json!({ "items": items }))
}

/// `POST /internal/workflows/invocations/:id/retry` — a `failed` invocation runs again now,
/// from where it stopped (forward, or its compensation), with a fresh failure count; 409
/// `retry_horizon_passed` once it stopped too long ago (see
/// [`super::engine::ensure_retry_within_horizon`]).
async fn retry(engine: Engine, ctx: Ctx) -> ApiResult<Response> {
    let id = ctx.param_id("id", "invocation")?;
    let ttl = crate::idempotency::ttl_hours(&ctx);
    let changed = engine.retry_failed(ctx.db()?, id, ttl)?;
    after_change(
        &engine,
        &ctx,
        id,
        changed,
        "only a failed invocation can be retried",
    )
    .await
}

/// `POST /internal/workflows/invocations/:id/cancel` — a pending, waiting or failed invocation
/// that is not rolling back already: the undo of every step whose effect happened runs,
/// newest first, and it ends `cancelled`.
async fn cancel(engine: Engine, ctx: Ctx) -> ApiResult<Response> {
    let id = ctx.param_id("id", "invocation")?;
    let changed = engine.cancel(ctx.db()?, id)?;
    after_change(
        &engine,
        &ctx,
        id,
        changed,
        "only a pending, waiting or failed invocation that is not rolling back can be cancelled",
    )
    .await
}

/// Runs a changed invocation and answers with its view; 404 for an unknown one, 409
/// `invocation_not_changeable` (with `refusal`) for one that could not change.
async fn after_change(
    engine: &Engine,
    ctx: &Ctx,
    id: Uuid,
    changed: bool,
    refusal: &str,
) -> ApiResult<Response> {
    let db = ctx.db()?;
    if !changed {
        view(engine, db, id)?;
        return Err(ApiError::conflict(
            "invocation_not_changeable",
            format!("{refusal} (and not while it runs)"),
        ));
    }
    engine.drive(ctx, id).await?;
    crate::json::ok(&view(engine, db, id)?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignalBody {
    name: String,
    #[serde(default)]
    payload: Value,
}

/// `POST /internal/workflows/signals` `{name, payload}` — keeps the signal and wakes whoever
/// waits for it.
async fn send_signal(engine: Engine, ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: SignalBody = crate::json::read(&req)?;
    if body.name.is_empty() || body.name.len() > 200 {
        return Err(ApiError::validation("name is 1-200 characters"));
    }
    let woken = ctx
        .db()?
        .transaction(async |db: &Db| signal(db, engine.schema, &body.name, &body.payload))
        .await?;
    wake_now(&ctx, &woken);
    crate::json::ok(&json!({ "name": body.name, "woken": woken }))
}

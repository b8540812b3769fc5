//! Workflow invocations across modules: the durable component runs them when they are due (a
//! wake-up names one; the sweep asks every module for what is due) and gives operators one view
//! over all of them. Each module keeps its own journal; this module asks it over the module's
//! `/internal/workflows/...` routes.

use kit::client::Internal;
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde_json::{Value, json};

/// The modules that run workflows (variable `workflow_modules`, comma-separated).
pub fn modules() -> Vec<String> {
    crate::relay::listed("workflow_modules")
}

/// Runs invocation `id` of `module` now (a wake-up). An invocation the module does not know is
/// not ours to run (another app sharing the Redis woke it): it is ignored.
pub async fn run_one(module: &str, id: &str, token: &str, request_id: &str) -> ApiResult<Value> {
    let ran: ApiResult<Value> = Internal::new(module, token, request_id)
        .post("/internal/workflows/run", &json!({ "id": id }), None)
        .await;
    match ran {
        Err(e) if e.code == "invocation_not_found" => Ok(Value::Null),
        other => other,
    }
}

/// Asks every module to run its due invocations; one module's failure does not stop the others.
pub async fn sweep(token: &str, request_id: &str) -> Value {
    let mut report = serde_json::Map::new();
    for module in modules() {
        let outcome: ApiResult<Value> = Internal::new(&module, token, request_id)
            .post("/internal/workflows/run", &json!({}), None)
            .await;
        let outcome = outcome.unwrap_or_else(|e| {
            kit::log::warn(format_args!("running {module}'s due invocations: {e}"));
            json!({ "error": e.to_string() })
        });
        report.insert(module, outcome);
    }
    Value::Object(report)
}

/// `GET /api/v1/durable/invocations/:id` — the invocation, its steps, timers and errors,
/// from whichever module runs it.
pub async fn show(ctx: Ctx, req: Request) -> ApiResult<Response> {
    kit::auth::require_admin(&req)?;
    let id = ctx.param_id("id", "invocation")?;
    let (_, invocation) = find(&ctx, &id.to_string()).await?;
    json::ok(&invocation)
}

/// Which module holds invocation `id`, and its view there.
async fn find(ctx: &Ctx, id: &str) -> ApiResult<(String, Value)> {
    for module in modules() {
        let found: ApiResult<Value> = ctx
            .internal(&module)
            .get(&format!("/internal/workflows/invocations/{id}"))
            .await;
        match found {
            Ok(invocation) => return Ok((module, invocation)),
            Err(e) if e.status == 404 => continue,
            Err(e) => return Err(e),
        }
    }
    Err(ApiError::not_found(
        "invocation_not_found",
        format!("no invocation with id {id}"),
    ))
}

/// `GET /api/v1/durable/invocations?status=&workflow=&module=&older_than=&before=&limit=` —
/// newest first across modules; pass the last item's `created_at` as `before` for the next page.
pub async fn list(ctx: Ctx, req: Request) -> ApiResult<Response> {
    kit::auth::require_admin(&req)?;
    let limit = match ctx.query("limit") {
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=100).contains(l))
            .ok_or_else(|| ApiError::bad_request("invalid_limit", "limit is 1-100"))?,
        None => 50,
    };
    let all = modules();
    let wanted: Vec<String> = match ctx.query("module") {
        Some(m) if all.contains(&m) => vec![m],
        Some(m) => {
            return Err(ApiError::bad_request(
                "invalid_module",
                format!("`{m}` runs no workflows; one of {}", all.join(", ")),
            ));
        }
        None => all,
    };
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for status in ctx.query_all("status") {
        query.append_pair("status", &status);
    }
    for name in ["workflow", "older_than", "before"] {
        if let Some(v) = ctx.query(name) {
            query.append_pair(name, &v);
        }
    }
    query.append_pair("limit", &limit.to_string());
    let query = query.finish();
    let mut items: Vec<Value> = Vec::new();
    for module in wanted {
        let page: Value = ctx
            .internal(&module)
            .get(&format!("/internal/workflows/invocations?{query}"))
            .await?;
        items.extend(page["items"].as_array().cloned().unwrap_or_default());
    }
    items.sort_by(|a, b| {
        b["created_at"]
            .as_str()
            .cmp(&a["created_at"].as_str())
            .then_with(|| b["id"].as_str().cmp(&a["id"].as_str()))
    });
    items.truncate(limit);
    let next_before = (items.len() == limit)
        .then(|| items.last().map(|i| i["created_at"].clone()))
        .flatten();
    json::ok(&json!({ "items": items, "next_before": next_before }))
}

/// `POST /api/v1/durable/invocations/:id/retry` — runs a failed invocation again now.
pub async fn retry(ctx: Ctx, req: Request) -> ApiResult<Response> {
    act(ctx, req, "retry").await
}

/// `POST /api/v1/durable/invocations/:id/cancel` — undoes an unfinished invocation's steps.
pub async fn cancel(ctx: Ctx, req: Request) -> ApiResult<Response> {
    act(ctx, req, "cancel").await
}

async fn act(ctx: Ctx, req: Request, action: &str) -> ApiResult<Response> {
    kit::auth::require_admin(&req)?;
    let id = ctx.param_id("id", "invocation")?;
    let (module, _) = find(&ctx, &id.to_string()).await?;
    kit::log::info(format_args!(
        "operator {action} of invocation {id} in {module}"
    ));
    let invocation: Value = ctx
        .internal(&module)
        .post(
            &format!("/internal/workflows/invocations/{id}/{action}"),
            &json!({}),
            None,
        )
        .await?;
    json::ok(&invocation)
}

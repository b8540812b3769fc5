//! Test-only `lab` component: small workflows that drive `kit::workflow` through the real stack,
//! writing to `lab.ledger` so tests can count every effect.
//!
//! - `transfer` / `faulty`: a local debit, a remote effect (creating stock in inventory with the
//!   step's idempotency key) and a local credit; `faulty` is the same body with fault points.
//! - `saga` / `saga_faulty`: three steps with undo data, then a refusal when asked: the undos
//!   run newest first.
//! - `timer`: waits until `at_ms`, then records when it woke. `signal`: waits for a signal.
//! - `flaky`: fails with a retryable error while the switch `flaky` is on.
//! - `bench`: one journaled step doing what `POST /api/v1/lab/bench/plain` does without one.
//! - `POST /internal/sink`: where the outbox benchmark's messages go (lab relays its own outbox).

#![expect(
    unsafe_code,
    reason = "#[http_component] generates the unsafe export glue of the component"
)]

use chrono::DateTime;
use kit::db::{Db, Param, rows, text, uuid};
use kit::workflow::{Engine, Local, Run, Step, Workflow};
use kit::{ApiError, ApiResult, Ctx, Request, Response, Router, json};
use serde::Deserialize;
use serde_json::{Value, json};

const fn workflow(name: &'static str, body: kit::workflow::Body, max_failures: i32) -> Workflow {
    Workflow {
        name,
        body,
        undo: Some(undo),
        max_failures,
    }
}

static WORKFLOWS: &[Workflow] = &[
    workflow("transfer", transfer, 10),
    workflow("faulty", transfer, 20),
    workflow("saga", saga, 5),
    workflow("saga_faulty", saga, 20),
    workflow("timer", timer, 5),
    workflow("signal", wait_for_signal, 5),
    workflow("flaky", flaky, 3),
    workflow("bench", bench, 5),
];

const ENGINE: Engine = Engine {
    schema: "lab",
    workflows: WORKFLOWS,
};

/// The component's routes.
pub fn router() -> Router {
    Router::new("lab")
        .with_workflows(ENGINE)
        .with_outbox()
        .post("/internal/sink", sink)
        .post("/api/v1/lab/workflows/:workflow", start)
        .post("/api/v1/lab/signals", send_signal)
        .get("/api/v1/lab/ledger/:invocation", ledger)
        .post("/api/v1/lab/bench/plain", bench_plain)
}

#[spin_sdk::http_component]
async fn handle(req: Request, out: spin_sdk::http::ResponseOutparam) {
    router().serve(req, out).await
}

#[derive(Deserialize)]
struct StartBody {
    key: String,
    #[serde(default)]
    input: Value,
}

/// `POST /api/v1/lab/workflows/:workflow` `{key, input}` — starts (or finds) the invocation,
/// runs it as far as it goes and answers where it stands.
async fn start(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: StartBody = json::read(&req)?;
    let workflow = ctx.param("workflow").to_string();
    if !WORKFLOWS.iter().any(|w| w.name == workflow) {
        return Err(ApiError::not_found("workflow_not_found", workflow));
    }
    let outcome = ENGINE
        .start(&ctx, &workflow, &body.key, &body.input)
        .await?;
    json::ok(&outcome)
}

/// `POST /api/v1/lab/signals` `{name, payload}`.
async fn send_signal(ctx: Ctx, req: Request) -> ApiResult<Response> {
    #[derive(Deserialize)]
    struct Body {
        name: String,
        payload: Value,
    }
    let body: Body = json::read(&req)?;
    let woken = ctx
        .db()?
        .transaction(async |db: &Db| kit::workflow::signal(db, "lab", &body.name, &body.payload))
        .await?;
    kit::workflow::wake_now(&ctx, &woken);
    json::ok(&json!({ "woken": woken }))
}

/// `GET /api/v1/lab/ledger/:invocation` — the entries an invocation wrote, in order.
async fn ledger(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let id = ctx.param_id("invocation", "invocation")?;
    let set = ctx.db()?.query(
        "SELECT entry, amount, (extract(epoch FROM at) * 1000)::int8 AS at_ms FROM lab.ledger \
         WHERE invocation_id = $1 ORDER BY id",
        &[uuid(id)],
    )?;
    let entries: Vec<Value> = rows(&set)
        .map(|r| {
            Ok(json!({
                "entry": r.get::<String>("entry")?,
                "amount": r.get::<Option<i64>>("amount")?,
                "at_ms": r.get::<i64>("at_ms")?,
            }))
        })
        .collect::<ApiResult<_>>()?;
    json::ok(&json!({ "entries": entries }))
}

/// Writes one ledger entry for the running invocation; returns its id.
fn write(db: &Db, invocation: uuid::Uuid, entry: &str, amount: Option<i64>) -> ApiResult<i64> {
    db.scalar(
        "INSERT INTO lab.ledger (invocation_id, entry, amount) VALUES ($1, $2, $3) RETURNING id",
        &[
            uuid(invocation),
            text(entry),
            amount.map_or(Param::DbNull, Param::Int64),
        ],
    )
}

fn transfer<'r>(run: &'r mut Run<'_>) -> Local<'r, ApiResult<Value>> {
    Box::pin(async move {
        let id = run.id;
        let amount = run.input["amount"].as_i64().unwrap_or(100);
        let sku = run.input["sku_id"].clone();
        let seller = run.input["seller_id"].clone();
        let debit: i64 = run
            .step("debit", async |s: &Step<'_>| {
                write(s.db(), id, "debit", Some(-amount))
            })
            .await?;
        let stock: Value = run
            .step("stock", async |s: &Step<'_>| {
                let stock: Value = s
                    .internal("inventory")
                    .post(
                        "/internal/stock",
                        &json!({ "sku_id": sku, "seller_id": seller }),
                        Some(s.key()),
                    )
                    .await?;
                write(s.db(), id, "stock", None)?;
                Ok(stock)
            })
            .await?;
        let credit: i64 = run
            .step("credit", async |s: &Step<'_>| {
                write(s.db(), id, "credit", Some(amount))
            })
            .await?;
        Ok(json!({ "debit": debit, "credit": credit, "sku_id": stock["sku_id"] }))
    })
}

fn saga<'r>(run: &'r mut Run<'_>) -> Local<'r, ApiResult<Value>> {
    Box::pin(async move {
        let id = run.id;
        for name in ["a", "b", "c"] {
            run.step(name, async |s: &Step<'_>| {
                let entry = write(s.db(), id, &format!("do:{name}"), None)?;
                s.undo_with(json!({ "entry": entry }));
                Ok(entry)
            })
            .await?;
        }
        let refuse = run.input["refuse"].as_bool().unwrap_or(false);
        run.step("check", async |_: &Step<'_>| {
            if refuse {
                Err(ApiError::conflict(
                    "lab_refused",
                    "the lab refuses this one",
                ))
            } else {
                Ok(())
            }
        })
        .await?;
        Ok(json!({ "done": true }))
    })
}

/// Undoes a saga step: records it in the ledger.
fn undo<'s>(s: &'s Step<'_>, step: &'s str, data: Value) -> Local<'s, ApiResult<()>> {
    Box::pin(async move {
        let invocation: uuid::Uuid = s.db().scalar(
            "SELECT invocation_id FROM lab.ledger WHERE id = $1",
            &[Param::Int64(data["entry"].as_i64().unwrap_or_default())],
        )?;
        write(s.db(), invocation, &format!("undo:{step}"), None)?;
        Ok(())
    })
}

fn timer<'r>(run: &'r mut Run<'_>) -> Local<'r, ApiResult<Value>> {
    Box::pin(async move {
        let id = run.id;
        let at_ms = run.input["at_ms"]
            .as_i64()
            .ok_or_else(|| ApiError::validation("at_ms is required"))?;
        let at = DateTime::from_timestamp_millis(at_ms)
            .ok_or_else(|| ApiError::validation("at_ms is out of range"))?;
        run.sleep_until("wait", at).await?;
        let fired: i64 = run
            .step("fired", async |s: &Step<'_>| {
                write(s.db(), id, "fired", None)?;
                Ok(kit::time::now().timestamp_millis())
            })
            .await?;
        Ok(json!({ "fired_at_ms": fired, "due_ms": at_ms }))
    })
}

fn wait_for_signal<'r>(run: &'r mut Run<'_>) -> Local<'r, ApiResult<Value>> {
    Box::pin(async move {
        let id = run.id;
        let name = run.input["signal"].as_str().unwrap_or_default().to_string();
        let deadline = run.input["deadline_ms"]
            .as_i64()
            .and_then(DateTime::from_timestamp_millis);
        let payload = run.signal("wait", &name, deadline).await?;
        let entry = if payload.is_some() {
            "signalled"
        } else {
            "timed_out"
        };
        run.step("record", async |s: &Step<'_>| {
            write(s.db(), id, entry, None)
        })
        .await?;
        Ok(json!({ "payload": payload }))
    })
}

fn flaky<'r>(run: &'r mut Run<'_>) -> Local<'r, ApiResult<Value>> {
    Box::pin(async move {
        let id = run.id;
        run.step("try", async |s: &Step<'_>| {
            let broken: bool = s.db().scalar(
                "SELECT coalesce((SELECT enabled FROM lab.switch WHERE name = 'flaky'), true)",
                &[],
            )?;
            if broken {
                return Err(ApiError::unavailable("lab_flaky", "the lab is flaky today"));
            }
            write(s.db(), id, "tried", None)
        })
        .await?;
        Ok(json!({ "ok": true }))
    })
}

/// How many steps a bench invocation or plain request does (`steps`, 1–100, default 1).
fn bench_steps(value: Option<i64>) -> ApiResult<i64> {
    let steps = value.unwrap_or(1);
    if (1..=100).contains(&steps) {
        Ok(steps)
    } else {
        Err(ApiError::validation("steps is 1-100"))
    }
}

fn bench<'r>(run: &'r mut Run<'_>) -> Local<'r, ApiResult<Value>> {
    Box::pin(async move {
        let id = run.id;
        let steps = bench_steps(run.input["steps"].as_i64())?;
        let mut last = 0;
        for i in 0..steps {
            last = run
                .step(&format!("write-{i}"), async |s: &Step<'_>| {
                    write(s.db(), id, "bench", Some(i))
                })
                .await?;
        }
        Ok(json!({ "entry": last }))
    })
}

/// `POST /internal/sink` `{n}` — receives outbox messages (exactly once per key) into the ledger.
async fn sink(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: Value = json::read(&req)?;
    kit::idempotency::run(
        &ctx,
        &req,
        "lab",
        "internal",
        kit::idempotency::KeyPolicy::Required,
        async |db: &Db| {
            write(db, uuid::Uuid::nil(), "sink", body["n"].as_i64())?;
            json::ok(&json!({ "received": true }))
        },
    )
    .await
}

/// `POST /api/v1/lab/bench/plain?steps=n` — the bench workflow's work without a journal: `n`
/// INSERTs, each in a transaction of its own.
async fn bench_plain(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let steps = bench_steps(ctx.query("steps").and_then(|s| s.parse().ok()))?;
    let id = kit::ids::new_id();
    let mut last = 0;
    for i in 0..steps {
        last = ctx
            .db()?
            .transaction(async |db: &Db| write(db, id, "bench", Some(i)))
            .await?;
    }
    json::ok(&json!({ "entry": last }))
}

//! Test-only `lab` component: small workflows that drive `kit::workflow` through the real stack,
//! writing to `lab.ledger` so tests can count every effect.
//!
//! - `transfer` / `faulty`: a local debit, a remote effect (creating stock in inventory with the
//!   step's idempotency key) and a local credit; `faulty` is the same body with fault points.
//! - `saga` / `saga_faulty`: three steps with undo data, then a refusal when asked: the undos
//!   run newest first.
//! - `timer`: waits until `at_ms`, then records when it woke. `signal`: waits for a signal.
//! - `flaky`: fails with a retryable error while the switch `flaky` is on.
//! - `nested`: a step that opens a transaction of its own (refused).
//! - `late_refusal` / `late_failure`: a remote effect, then a failure in the same step: its
//!   undo still runs.
//! - `bench`: one journaled step doing what `POST /api/v1/lab/bench/plain` does without one.
//! - `POST /internal/sink`: where the outbox benchmark's messages go (lab relays its own outbox).

#![expect(
    unsafe_code,
    reason = "#[http_component] generates the unsafe export glue of the component"
)]

use chrono::DateTime;
use contracts::inventory::{CreateStockRequest, StockAnswer};
use kit::db::{Db, Param, rows, text, uuid};
use kit::workflow::{Engine, NoUndo, Registered, Run, Step, Stop, Undo, Workflow, register};
use kit::{ApiError, ApiResult, Ctx, Request, Response, Router, json};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

static WORKFLOWS: &[Registered] = &[
    register::<Transfer<false>>(),
    register::<Transfer<true>>(),
    register::<Saga<false>>(),
    register::<Saga<true>>(),
    register::<Timer>(),
    register::<Signal>(),
    register::<Flaky>(),
    register::<Bench>(),
    register::<Nested>(),
    register::<Late<true>>(),
    register::<Late<false>>(),
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
        .key_required()
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
    if !ENGINE.has(&workflow) {
        return Err(ApiError::not_found("workflow_not_found", workflow));
    }
    let outcome = ENGINE
        .start_named(&ctx, &workflow, &body.key, &body.input)
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
fn write(db: &Db, invocation: Uuid, entry: &str, amount: Option<i64>) -> ApiResult<i64> {
    db.scalar(
        "INSERT INTO lab.ledger (invocation_id, entry, amount) VALUES ($1, $2, $3) RETURNING id",
        &[
            uuid(invocation),
            text(entry),
            amount.map_or(Param::DbNull, Param::Int64),
        ],
    )
}

/// What the lab's steps record to be undone: the undo writes `undo:<step>` to the ledger.
#[derive(Serialize, Deserialize)]
enum LabUndo {
    /// A step that wrote a ledger entry of `invocation`.
    Entry { step: String, invocation: Uuid },
}

impl Undo for LabUndo {
    async fn undo(self, s: &Step<'_, NoUndo>) -> ApiResult<()> {
        match self {
            LabUndo::Entry { step, invocation } => {
                write(s.db(), invocation, &format!("undo:{step}"), None)?;
                Ok(())
            }
        }
    }
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct TransferInput {
    #[serde(default = "default_amount")]
    amount: i64,
    sku_id: Uuid,
    seller_id: Uuid,
}

fn default_amount() -> i64 {
    100
}

#[derive(Deserialize, Serialize)]
struct TransferOutput {
    debit: i64,
    credit: i64,
    sku_id: Uuid,
}

/// A local debit, a remote effect (creating stock in inventory with the step's idempotency
/// key) and a local credit.
async fn transfer(run: &mut Run<'_, NoUndo>, input: TransferInput) -> Result<TransferOutput, Stop> {
    let id = run.id();
    let amount = input.amount;
    let debit: i64 = run
        .step("debit", async |s: &Step<'_, NoUndo>| {
            write(s.db(), id, "debit", Some(-amount))
        })
        .await?;
    let stock: StockAnswer = run
        .step("stock", async |s: &Step<'_, NoUndo>| {
            let request = CreateStockRequest {
                sku_id: input.sku_id,
                seller_id: input.seller_id,
                serial_required: false,
            };
            let stock: StockAnswer = s
                .internal("inventory")
                .post("/internal/stock", &request, Some(s.key()))
                .await?;
            write(s.db(), id, "stock", None)?;
            Ok(stock)
        })
        .await?;
    let credit: i64 = run
        .step("credit", async |s: &Step<'_, NoUndo>| {
            write(s.db(), id, "credit", Some(amount))
        })
        .await?;
    Ok(TransferOutput {
        debit,
        credit,
        sku_id: stock.sku_id,
    })
}

/// `transfer`, and the same body as `faulty` for the fault-point tests (more runs allowed).
struct Transfer<const FAULTY: bool>;

impl<const FAULTY: bool> Workflow for Transfer<FAULTY> {
    const NAME: &'static str = if FAULTY { "faulty" } else { "transfer" };
    const MAX_FAILURES: i32 = if FAULTY { 20 } else { 10 };
    type Input = TransferInput;
    type Output = TransferOutput;
    type Undo = NoUndo;

    async fn body(run: &mut Run<'_, NoUndo>, input: TransferInput) -> Result<TransferOutput, Stop> {
        transfer(run, input).await
    }
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct SagaInput {
    #[serde(default)]
    refuse: bool,
}

/// Three steps with undo data, then a refusal when asked: the undos run newest first.
async fn saga(run: &mut Run<'_, LabUndo>, input: SagaInput) -> Result<Value, Stop> {
    let id = run.id();
    for name in ["a", "b", "c"] {
        run.step(name, async |s: &Step<'_, LabUndo>| {
            let entry = write(s.db(), id, &format!("do:{name}"), None)?;
            s.undo_with(LabUndo::Entry {
                step: name.to_string(),
                invocation: id,
            });
            Ok(entry)
        })
        .await?;
    }
    run.step("check", async |_: &Step<'_, LabUndo>| {
        if input.refuse {
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
}

/// `saga`, and the same body as `saga_faulty` for the fault-point tests.
struct Saga<const FAULTY: bool>;

impl<const FAULTY: bool> Workflow for Saga<FAULTY> {
    const NAME: &'static str = if FAULTY { "saga_faulty" } else { "saga" };
    const MAX_FAILURES: i32 = if FAULTY { 20 } else { 5 };
    type Input = SagaInput;
    type Output = Value;
    type Undo = LabUndo;

    async fn body(run: &mut Run<'_, LabUndo>, input: SagaInput) -> Result<Value, Stop> {
        saga(run, input).await
    }
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct TimerInput {
    at_ms: i64,
}

/// Waits until `at_ms`, then records when it woke.
struct Timer;

impl Workflow for Timer {
    const NAME: &'static str = "timer";
    const MAX_FAILURES: i32 = 5;
    type Input = TimerInput;
    type Output = Value;
    type Undo = NoUndo;

    async fn body(run: &mut Run<'_, NoUndo>, input: TimerInput) -> Result<Value, Stop> {
        let id = run.id();
        let at = DateTime::from_timestamp_millis(input.at_ms)
            .ok_or_else(|| ApiError::validation("at_ms is out of range"))?;
        run.sleep_until("wait", at).await?;
        let fired: i64 = run
            .step("fired", async |s: &Step<'_, NoUndo>| {
                write(s.db(), id, "fired", None)?;
                Ok(kit::time::now().timestamp_millis())
            })
            .await?;
        Ok(json!({ "fired_at_ms": fired, "due_ms": input.at_ms }))
    }
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct SignalInput {
    signal: String,
    #[serde(default)]
    deadline_ms: Option<i64>,
}

/// Waits for a signal, until an optional deadline.
struct Signal;

impl Workflow for Signal {
    const NAME: &'static str = "signal";
    const MAX_FAILURES: i32 = 5;
    type Input = SignalInput;
    type Output = Value;
    type Undo = NoUndo;

    async fn body(run: &mut Run<'_, NoUndo>, input: SignalInput) -> Result<Value, Stop> {
        let id = run.id();
        let deadline = input.deadline_ms.and_then(DateTime::from_timestamp_millis);
        let payload = run.signal("wait", &input.signal, deadline).await?;
        let entry = if payload.is_some() {
            "signalled"
        } else {
            "timed_out"
        };
        run.step("record", async |s: &Step<'_, NoUndo>| {
            write(s.db(), id, entry, None)
        })
        .await?;
        Ok(json!({ "payload": payload }))
    }
}

/// An input with nothing in it.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Nothing {}

/// Fails with a retryable error while the switch `flaky` is on.
struct Flaky;

impl Workflow for Flaky {
    const NAME: &'static str = "flaky";
    const MAX_FAILURES: i32 = 3;
    type Input = Nothing;
    type Output = Value;
    type Undo = NoUndo;

    async fn body(run: &mut Run<'_, NoUndo>, _: Nothing) -> Result<Value, Stop> {
        let id = run.id();
        run.step("try", async |s: &Step<'_, NoUndo>| {
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
    }
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

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct BenchInput {
    #[serde(default)]
    steps: Option<i64>,
}

/// One journaled step per `steps`, doing what `POST /api/v1/lab/bench/plain` does without one.
struct Bench;

impl Workflow for Bench {
    const NAME: &'static str = "bench";
    const MAX_FAILURES: i32 = 5;
    type Input = BenchInput;
    type Output = Value;
    type Undo = NoUndo;

    async fn body(run: &mut Run<'_, NoUndo>, input: BenchInput) -> Result<Value, Stop> {
        let id = run.id();
        let steps = bench_steps(input.steps)?;
        let mut last = 0;
        for i in 0..steps {
            last = run
                .step(&format!("write-{i}"), async |s: &Step<'_, NoUndo>| {
                    write(s.db(), id, "bench", Some(i))
                })
                .await?;
        }
        Ok(json!({ "entry": last }))
    }
}

/// A step that tries to open a transaction of its own: refused, and nothing of it commits.
struct Nested;

impl Workflow for Nested {
    const NAME: &'static str = "nested";
    const MAX_FAILURES: i32 = 1;
    type Input = Nothing;
    type Output = Value;
    type Undo = NoUndo;

    async fn body(run: &mut Run<'_, NoUndo>, _: Nothing) -> Result<Value, Stop> {
        let id = run.id();
        run.step("nested", async |s: &Step<'_, NoUndo>| {
            write(s.db(), id, "before", None)?;
            s.db()
                .transaction(async |db: &Db| write(db, id, "inner", None))
                .await
        })
        .await?;
        Ok(json!({ "nested": true }))
    }
}

/// A remote effect (an entry written by the lab's own internal route, in a request of its
/// own), then a failure in the same step — refused (`late_refusal`) or worth retrying
/// (`late_failure`, which gives up at once): the step's undo is kept and runs.
async fn late(run: &mut Run<'_, LabUndo>, refuse: bool) -> Result<Value, Stop> {
    let id = run.id();
    run.step("hold", async |s: &Step<'_, LabUndo>| {
        let _: Value = s
            .internal("lab")
            .post(
                "/internal/sink",
                &json!({ "n": 1, "invocation_id": id }),
                Some(s.key()),
            )
            .await?;
        s.undo_with(LabUndo::Entry {
            step: "hold".into(),
            invocation: id,
        });
        if refuse {
            return Err(ApiError::conflict(
                "lab_refused",
                "refused after the effect",
            ));
        }
        Err::<(), _>(ApiError::unavailable("lab_down", "failed after the effect"))
    })
    .await?;
    Ok(json!({ "held": true }))
}

/// See [`late`]: `late_refusal` refuses after the effect, `late_failure` fails with an error
/// worth retrying and gives up at once.
struct Late<const REFUSE: bool>;

impl<const REFUSE: bool> Workflow for Late<REFUSE> {
    const NAME: &'static str = if REFUSE {
        "late_refusal"
    } else {
        "late_failure"
    };
    const MAX_FAILURES: i32 = if REFUSE { 10 } else { 1 };
    type Input = Nothing;
    type Output = Value;
    type Undo = LabUndo;

    async fn body(run: &mut Run<'_, LabUndo>, _: Nothing) -> Result<Value, Stop> {
        late(run, REFUSE).await
    }
}

/// `POST /internal/sink` `{n, invocation_id?}` — receives outbox messages and the late
/// workflows' remote effects (exactly once per key) into the ledger.
async fn sink(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: Value = json::read(&req)?;
    let invocation = body["invocation_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(Uuid::nil());
    ctx.db()?
        .transaction(async |db: &Db| write(db, invocation, "sink", body["n"].as_i64()))
        .await?;
    json::ok(&json!({ "received": true }))
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

//! The engine natively, against a real PostgreSQL: each test has a schema of its own with kit's
//! tables, a ledger the test workflows write to, and a `peer` router that stands for another
//! module (its writes commit in a request of their own, as a remote effect does).

use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::state::Status;
use super::{Engine, NoUndo, Registered, Run, Step, Stop, Undo, Workflow, register};
use crate::ctx::Ctx;
use crate::db::{Db, rows, text, uuid};
use crate::error::{ApiError, ApiResult};
use crate::platform::RedisCommand;
use crate::router::Router;
use crate::testing::{TestDb, TestPlatform, block_on};

const LEDGER: &str = "CREATE TABLE {{schema}}.ledger (
    id bigserial PRIMARY KEY, invocation uuid NOT NULL, entry text NOT NULL);";

thread_local! {
    static SCHEMA: std::cell::Cell<&'static str> = const { std::cell::Cell::new("") };
}

fn schema() -> &'static str {
    SCHEMA.with(|s| s.get())
}

fn write(db: &Db, invocation: Uuid, entry: &str) -> ApiResult<i64> {
    db.scalar(
        &format!(
            "INSERT INTO \"{}\".ledger (invocation, entry) VALUES ($1, $2) RETURNING id",
            schema()
        ),
        &[uuid(invocation), text(entry)],
    )
}

fn ledger(db: &Db, invocation: Uuid) -> Vec<String> {
    let set = db
        .query(
            &format!(
                "SELECT entry FROM \"{}\".ledger WHERE invocation = $1 ORDER BY id",
                schema()
            ),
            &[uuid(invocation)],
        )
        .unwrap();
    rows(&set).map(|r| r.get("entry").unwrap()).collect()
}

#[derive(Serialize, Deserialize)]
enum TestUndo {
    Entry { step: String, invocation: Uuid },
}

impl Undo for TestUndo {
    async fn undo(self, s: &Step<'_, NoUndo>) -> ApiResult<()> {
        match self {
            TestUndo::Entry { step, invocation } => {
                write(s.db(), invocation, &format!("undo:{step}")).map(drop)
            }
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SagaInput {
    refuse: bool,
}

/// Steps `a` and `b` with undo data, then `check` refuses when asked.
struct Saga;

impl Workflow for Saga {
    const NAME: &'static str = "saga";
    type Input = SagaInput;
    type Output = Vec<i64>;
    type Undo = TestUndo;

    async fn body(run: &mut Run<'_, TestUndo>, input: SagaInput) -> Result<Vec<i64>, Stop> {
        let id = run.id();
        let mut entries = Vec::new();
        for name in ["a", "b"] {
            let entry = run
                .step(name, async |s: &Step<'_, TestUndo>| {
                    s.undo_with(TestUndo::Entry {
                        step: name.into(),
                        invocation: id,
                    });
                    write(s.db(), id, name)
                })
                .await?;
            entries.push(entry);
        }
        run.step("check", async |_: &Step<'_, TestUndo>| {
            if input.refuse {
                return Err(ApiError::conflict("refused", "no"));
            }
            Ok(())
        })
        .await?;
        Ok(entries)
    }
}

#[derive(Serialize, Deserialize)]
struct Nothing {}

/// A remote effect (the peer writes `remote`), then a failure in the same step.
struct Late<const REFUSE: bool>;

impl<const REFUSE: bool> Workflow for Late<REFUSE> {
    const NAME: &'static str = if REFUSE {
        "late_refusal"
    } else {
        "late_failure"
    };
    const MAX_FAILURES: i32 = 2;
    type Input = Nothing;
    type Output = ();
    type Undo = TestUndo;

    async fn body(run: &mut Run<'_, TestUndo>, _: Nothing) -> Result<(), Stop> {
        let id = run.id();
        run.step("hold", async |s: &Step<'_, TestUndo>| {
            let _: Value = s
                .internal("peer")
                .post(
                    "/internal/effect",
                    &json!({ "invocation": id }),
                    Some(s.key()),
                )
                .await?;
            s.undo_with(TestUndo::Entry {
                step: "hold".into(),
                invocation: id,
            });
            if REFUSE {
                Err(ApiError::conflict("refused", "after the effect"))
            } else {
                Err(ApiError::unavailable("down", "after the effect"))
            }
        })
        .await
    }
}

/// A step that opens a transaction of its own.
struct Nested;

impl Workflow for Nested {
    const NAME: &'static str = "nested";
    const MAX_FAILURES: i32 = 1;
    type Input = Nothing;
    type Output = ();
    type Undo = NoUndo;

    async fn body(run: &mut Run<'_, NoUndo>, _: Nothing) -> Result<(), Stop> {
        let id = run.id();
        run.step("nested", async |s: &Step<'_, NoUndo>| {
            write(s.db(), id, "outer")?;
            s.db()
                .transaction(async |db: &Db| write(db, id, "inner"))
                .await
                .map(drop)
        })
        .await
    }
}

#[derive(Serialize, Deserialize)]
struct WaitInput {
    in_ms: i64,
    signal: Option<String>,
}

/// Sleeps until `in_ms` from its start, or waits for `signal`.
struct Wait;

impl Workflow for Wait {
    const NAME: &'static str = "wait";
    type Input = WaitInput;
    type Output = Option<Value>;
    type Undo = NoUndo;

    async fn body(run: &mut Run<'_, NoUndo>, input: WaitInput) -> Result<Option<Value>, Stop> {
        match input.signal {
            Some(name) => run.signal("wait", &name, None).await,
            None => {
                run.sleep("wait", Duration::milliseconds(input.in_ms))
                    .await?;
                Ok(None)
            }
        }
    }
}

static WORKFLOWS: &[Registered] = &[
    register::<Saga>(),
    register::<Late<true>>(),
    register::<Late<false>>(),
    register::<Nested>(),
    register::<Wait>(),
];

fn engine() -> Engine {
    Engine {
        schema: schema(),
        workflows: WORKFLOWS,
    }
}

/// `POST /internal/effect {invocation}` of the peer (in the test's schema): writes `remote`,
/// once per key (the router keeps the key).
fn peer() -> Router {
    Router::new(schema())
        .post("/internal/effect", |ctx: Ctx, req| async move {
            let body: Value = crate::json::read(&req)?;
            let invocation: Uuid = body["invocation"]
                .as_str()
                .unwrap_or_default()
                .parse()
                .unwrap();
            ctx.db()?
                .transaction(async |db: &Db| write(db, invocation, "remote"))
                .await?;
            crate::json::ok(&json!({ "ok": true }))
        })
        .key_required()
}

struct Lab {
    _db: TestDb,
    platform: std::rc::Rc<TestPlatform>,
    ctx: Ctx,
}

fn lab(name: &str) -> Lab {
    let db = TestDb::new(name, LEDGER);
    SCHEMA.with(|s| s.set(db.schema));
    let platform = TestPlatform::new(&db);
    platform.mount("peer", peer());
    let ctx = platform.ctx(db.schema);
    Lab {
        _db: db,
        platform,
        ctx,
    }
}

impl Lab {
    fn db(&self) -> &Db {
        self.ctx.db().unwrap()
    }

    fn start(&self, workflow: &str, input: Value) -> super::Outcome {
        block_on(engine().start_named(&self.ctx, workflow, &Uuid::new_v4().to_string(), &input))
            .unwrap()
    }

    fn status(&self, id: Uuid) -> Status {
        engine().outcome(self.db(), id).unwrap().status
    }

    /// Makes the invocation due now and runs it, as a wake-up after its backoff would.
    fn run_again(&self, id: Uuid) {
        self.db()
            .execute(
                &format!(
                    "UPDATE \"{}\".invocation SET next_attempt_at = now() WHERE id = $1",
                    schema()
                ),
                &[uuid(id)],
            )
            .unwrap();
        block_on(engine().drive(&self.ctx, id)).unwrap();
    }
}

#[test]
fn steps_run_once_and_a_repeated_start_returns_the_same_invocation() {
    let lab = lab("once");
    let key = "k-1";
    let input = json!({ "refuse": false });
    let first = block_on(engine().start_named(&lab.ctx, "saga", key, &input)).unwrap();
    assert_eq!(first.status, Status::Completed);
    let again =
        block_on(engine().start::<Saga>(&lab.ctx, key, &SagaInput { refuse: false })).unwrap();
    assert_eq!(again.invocation_id, first.invocation_id);
    assert_eq!(
        again.output::<Saga>().unwrap(),
        first.output::<Saga>().unwrap()
    );
    block_on(engine().drive(&lab.ctx, first.invocation_id)).unwrap();
    assert_eq!(ledger(lab.db(), first.invocation_id), ["a", "b"]);
    let reused = block_on(engine().start_named(&lab.ctx, "saga", key, &json!({ "refuse": true })));
    assert_eq!(reused.unwrap_err().code, "idempotency_key_reused");
}

#[test]
fn an_input_that_does_not_decode_is_refused_before_anything_is_stored() {
    let lab = lab("input");
    let e = block_on(engine().start_named(&lab.ctx, "saga", "k", &json!({ "refuse": "yes" })))
        .unwrap_err();
    assert_eq!(e.status, 422);
    let count: i64 = lab
        .db()
        .scalar(
            &format!("SELECT count(*) FROM \"{}\".invocation", schema()),
            &[],
        )
        .unwrap();
    assert_eq!(count, 0);
}

#[test]
fn a_refusal_undoes_the_finished_steps_newest_first() {
    let lab = lab("refusal");
    let outcome = lab.start("saga", json!({ "refuse": true }));
    assert_eq!(outcome.status, Status::RolledBack);
    assert_eq!(outcome.error.unwrap().code, "refused");
    assert_eq!(
        ledger(lab.db(), outcome.invocation_id),
        ["a", "b", "undo:b", "undo:a"]
    );
}

#[test]
fn a_step_refused_after_its_remote_effect_keeps_its_undo_and_it_runs() {
    let lab = lab("late_refusal");
    let outcome = lab.start("late_refusal", json!({}));
    assert_eq!(outcome.status, Status::RolledBack);
    assert_eq!(
        ledger(lab.db(), outcome.invocation_id),
        ["remote", "undo:hold"]
    );
}

#[test]
fn a_step_interrupted_after_its_remote_effect_is_undone_when_an_operator_cancels() {
    let lab = lab("late_failure");
    let id = lab.start("late_failure", json!({})).invocation_id;
    assert_eq!(
        lab.status(id),
        Status::Pending,
        "retried after its first failure"
    );
    let timer = RedisCommand::SetExpiring {
        key: crate::wake::invocation_key(schema(), id),
        ms: 0,
        only_if_absent: false,
    };
    assert!(
        lab.platform.redis.borrow().iter().any(|c| matches!(
            (c, &timer),
            (RedisCommand::SetExpiring { key: a, .. }, RedisCommand::SetExpiring { key: b, .. })
                if a == b
        )),
        "the retry arms the invocation's wake-up key"
    );
    lab.run_again(id);
    assert_eq!(lab.status(id), Status::Failed);
    assert_eq!(
        ledger(lab.db(), id),
        ["remote"],
        "the remote effect happened once"
    );
    assert!(engine().cancel(lab.db(), id).unwrap());
    block_on(engine().drive(&lab.ctx, id)).unwrap();
    let outcome = engine().outcome(lab.db(), id).unwrap();
    assert_eq!(outcome.status, Status::Cancelled);
    assert_eq!(outcome.error.unwrap().code, "cancelled");
    assert_eq!(ledger(lab.db(), id), ["remote", "undo:hold"]);
}

#[test]
fn an_operator_retry_past_the_life_of_idempotency_records_is_refused() {
    let lab = lab("retry_horizon");
    let id = lab.start("late_failure", json!({})).invocation_id;
    lab.run_again(id);
    assert_eq!(lab.status(id), Status::Failed);
    let stopped_hours_ago = |hours: i32| {
        lab.db()
            .execute(
                &format!(
                    "UPDATE \"{}\".invocation \
                     SET created_at = now() - make_interval(hours => $2) WHERE id = $1",
                    schema()
                ),
                &[uuid(id), crate::db::Param::Int32(hours)],
            )
            .unwrap();
    };
    // Its interrupted step reached the peer when it started; the peer's record of that call
    // lives 24 hours.
    stopped_hours_ago(25);
    let refused = engine().retry_failed(lab.db(), id, 24).unwrap_err();
    assert_eq!(
        crate::testing::code(&refused),
        (409, "retry_horizon_passed")
    );
    assert_eq!(
        lab.status(id),
        Status::Failed,
        "the refusal changed nothing"
    );
    assert!(
        engine().retry_failed(lab.db(), id, 24 * 7).unwrap(),
        "records kept a week cover it"
    );
    stopped_hours_ago(1);
    lab.run_again(id);
    assert_eq!(
        ledger(lab.db(), id),
        ["remote"],
        "within the horizon the retry replays the remote effect, never repeats it"
    );
}

#[test]
fn a_step_cannot_open_a_transaction_and_nothing_of_it_commits() {
    let lab = lab("nested");
    let outcome = lab.start("nested", json!({}));
    assert_eq!(outcome.status, Status::Failed);
    assert_eq!(outcome.error.unwrap().code, crate::db::TRANSACTION_IN_STEP);
    assert!(ledger(lab.db(), outcome.invocation_id).is_empty());
    assert!(
        !lab.db().in_transaction(),
        "the step's transaction was rolled back"
    );
}

#[test]
fn a_timer_suspends_until_due_and_arms_its_wake_up() {
    let lab = lab("timer");
    let later = lab.start("wait", json!({ "in_ms": 3_600_000 }));
    assert_eq!(later.status, Status::Waiting);
    let key = crate::wake::invocation_key(schema(), later.invocation_id);
    assert!(lab.platform.redis.borrow().iter().any(|c| matches!(c,
        RedisCommand::SetExpiring { key: k, ms, .. } if *k == key && *ms > 3_500_000)));
    let due = lab.start("wait", json!({ "in_ms": 0 }));
    assert_eq!(due.status, Status::Completed);
}

#[test]
fn a_signal_reaches_a_waiter_whether_it_was_sent_before_or_after_the_wait() {
    let lab = lab("signal");
    let send = |name: &str, payload: Value| {
        block_on(
            lab.db()
                .transaction(async |db: &Db| super::signal(db, schema(), name, &payload)),
        )
        .unwrap()
    };
    assert!(send("early", json!(1)).is_empty());
    let early = lab.start("wait", json!({ "in_ms": 0, "signal": "early" }));
    assert_eq!(early.output::<Wait>().unwrap(), Some(Some(json!(1))));

    let late = lab.start("wait", json!({ "in_ms": 0, "signal": "late" }));
    assert_eq!(late.status, Status::Waiting);
    assert_eq!(send("late", json!(2)), [late.invocation_id]);
    block_on(engine().drive(&lab.ctx, late.invocation_id)).unwrap();
    let done = engine().outcome(lab.db(), late.invocation_id).unwrap();
    assert_eq!(done.output::<Wait>().unwrap(), Some(Some(json!(2))));
}

//! Durable workflows: a multi-step operation runs under an invocation id; every step's result
//! is journaled in the module's own schema **in the same transaction as the step's database
//! effects**, so a step happens exactly once. Re-running an invocation (after an error, a crash,
//! a timeout, a restart) replays finished steps from the journal and continues at the first
//! unfinished one.
//!
//! - [`Run::step`] runs a step inside a transaction; effects on other modules made in a step
//!   carry [`Step::key`], derived from the invocation and the step, so the callee's idempotency
//!   record makes them exactly-once too. A step may record how to undo it ([`Step::undo_with`]).
//! - A terminal error (a 4xx other than 408/429) ends the forward path: the recorded undos run
//!   in reverse order, each journaled, and the invocation ends `rolled_back`. Other errors are
//!   retried with exponential backoff up to the workflow's limit, then the invocation is
//!   `failed` and waits for an operator to retry it or cancel it (which rolls it back).
//! - [`Run::sleep_until`] and [`Run::signal`] wait durably: the invocation is suspended with its
//!   wake-up time or the signal it waits for; a signal sent before anyone waits is kept.
//! - Wake-ups: a Redis key `souk:wake:<module>/<id>` that expires when the invocation is due
//!   (Spin's redis trigger delivers the expiry to the durable component, which calls
//!   `POST /internal/workflows/run`), plus the durable sweep that runs whatever is due. Postgres
//!   is the source of truth; Redis only wakes.
//! - Fault points: the variable `durable_faults` (e.g. `checkout:after:reserve`) makes a run fail
//!   before or after the named step, once per invocation, as a crash would; off by default.
//!
//! A module with workflows adds the journal tables to its schema (see the `lab` test
//! component's migration) and mounts the internal routes with [`crate::Router::with_workflows`].

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use spin_sdk::redis::Connection;
use uuid::Uuid;

use crate::client::Internal;
use crate::db::{Db, Param, rows, text, uuid};
use crate::error::{ApiError, ApiResult};
use crate::router::Ctx;

/// A boxed future borrowing from `'a`; what workflow bodies and undo handlers return.
pub type Local<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// A workflow's body: runs (or replays) the invocation's steps and returns its output.
pub type Body = for<'r, 'c> fn(&'r mut Run<'c>) -> Local<'r, ApiResult<Value>>;

/// Undoes one finished step, given the step's name and the data it recorded with
/// [`Step::undo_with`]; runs as a journaled step itself.
pub type Undo = for<'s, 'c> fn(&'s Step<'c>, &'s str, Value) -> Local<'s, ApiResult<()>>;

/// A workflow a module runs.
pub struct Workflow {
    /// Its name, unique in the module (`checkout`).
    pub name: &'static str,
    /// The body.
    pub body: Body,
    /// How to undo a step that recorded undo data; `None` when no step does.
    pub undo: Option<Undo>,
    /// Failed runs (errors that are not terminal) before the invocation is `failed`.
    pub max_failures: i32,
}

/// Prefix of the Redis keys whose expiry wakes an invocation (`souk:wake:<module>/<id>`); the
/// durable component listens for expiries and for messages on [`WAKE_CHANNEL`].
pub const WAKE_KEY_PREFIX: &str = "souk:wake:";

/// The channel of immediate wake-ups: `<module>` relays its outbox, `<module>/<id>` runs an
/// invocation.
pub const WAKE_CHANNEL: &str = crate::outbox::WAKE_CHANNEL;

mod engine;
mod routes;

pub use engine::{Engine, Outcome};

/// How long one run owns an invocation before another may take it over.
const LEASE_SECS: f64 = 60.0;

/// Invocations one `POST /internal/workflows/run` without an id runs at most.
const BATCH: i64 = 20;

/// The statuses an invocation moves through.
pub mod status {
    /// Due to run (new, or retrying after a failed run).
    pub const PENDING: &str = "pending";
    /// Suspended on a timer or a signal.
    pub const WAITING: &str = "waiting";
    /// Undoing its finished steps after a terminal error or a cancellation.
    pub const COMPENSATING: &str = "compensating";
    /// Finished with an output.
    pub const COMPLETED: &str = "completed";
    /// Ended by a terminal error, every undo done.
    pub const ROLLED_BACK: &str = "rolled_back";
    /// Gave up after too many failed runs; an operator may retry or cancel it.
    pub const FAILED: &str = "failed";
    /// Cancelled by an operator, every undo done.
    pub const CANCELLED: &str = "cancelled";
}

/// A journal entry as a run sees it.
#[derive(Clone, Debug)]
struct Entry {
    kind: String,
    status: String,
    result: Value,
    undo: Option<Value>,
    error: Option<Value>,
    due_ms: Option<i64>,
}

/// Why a run stopped before the body returned.
#[derive(Clone, Debug)]
enum Halt {
    /// Waiting for a time and/or a signal.
    Suspend {
        until_ms: Option<i64>,
        signal: Option<String>,
    },
    /// Another run owns the invocation now.
    LeaseLost,
}

/// One run of an invocation: the journal so far, and how the body reaches it.
pub struct Run<'c> {
    ctx: &'c Ctx,
    db: &'c Db,
    schema: String,
    lease: Uuid,
    /// The invocation id.
    pub id: Uuid,
    /// The workflow's name.
    pub workflow: &'static str,
    /// The invocation's input.
    pub input: Value,
    /// Which run of the invocation this is (1 for the first).
    pub attempt: i32,
    journal: Vec<(String, Entry)>,
    faults: Vec<String>,
    fired: Vec<String>,
    halt: Option<Halt>,
}

/// What a step's work gets: the transaction, the step's idempotency key, and a place for its
/// undo data.
pub struct Step<'c> {
    ctx: &'c Ctx,
    db: &'c Db,
    key: String,
    undo: RefCell<Option<Value>>,
}

impl<'c> Step<'c> {
    /// The step's transaction: everything done with it commits with the journal entry.
    pub fn db(&self) -> &'c Db {
        self.db
    }

    /// `<workflow>:<invocation>:<step>` — send it as the `Idempotency-Key` of calls to other
    /// modules, so a step that runs again after a crash has its remote effect once.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// A client for another module's internal routes.
    pub fn internal(&self, module: &str) -> Internal {
        self.ctx.internal(module)
    }

    /// Records what undoing this step needs; journaled with the step's result.
    pub fn undo_with(&self, data: Value) {
        *self.undo.borrow_mut() = Some(data);
    }
}

/// The sentinel the body sees when a run must stop (suspended, or the lease was lost); the
/// engine acts on the reason it recorded, not on this error.
fn halted() -> ApiError {
    ApiError::new(
        503,
        "workflow_halted",
        "the run stopped here and resumes later",
    )
}

/// Whether `e` ends the forward path (bad input, not found, conflict, forbidden…) instead of
/// being retried.
pub fn is_terminal(e: &ApiError) -> bool {
    (400..500).contains(&e.status)
        && e.status != 408
        && e.status != 429
        && e.code != "idempotency_in_progress"
}

/// Delay before run `failures + 1`: 1, 2, 4 … up to 300 seconds.
pub fn backoff_ms(failures: i32) -> i64 {
    1000_i64
        .saturating_mul(1_i64 << (failures.clamp(1, 20) - 1))
        .min(300_000)
}

fn error_json(e: &ApiError) -> Value {
    json!({ "status": e.status, "code": e.code, "message": e.message })
}

fn error_from_json(v: &Value) -> ApiError {
    ApiError::new(
        v["status"]
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .unwrap_or(500),
        v["code"].as_str().unwrap_or("internal").to_string(),
        v["message"].as_str().unwrap_or_default(),
    )
}

fn now_ms() -> i64 {
    crate::time::now().timestamp_millis()
}

/// The fault points that apply to `workflow` (`durable_faults`, `workflow:before|after:step`).
fn faults_for(workflow: &str) -> Vec<String> {
    parse_faults(
        &crate::config::optional_var("durable_faults").unwrap_or_default(),
        workflow,
    )
}

/// The points of `spec` (`wf:before:a, wf:after:a, other:before:b`) that name `workflow`.
fn parse_faults(spec: &str, workflow: &str) -> Vec<String> {
    spec.split(',')
        .map(str::trim)
        .filter_map(|f| f.strip_prefix(workflow)?.strip_prefix(':'))
        .map(str::to_string)
        .collect()
}

impl<'c> Run<'c> {
    fn entry(&self, name: &str) -> Option<&Entry> {
        self.journal.iter().find(|(n, _)| n == name).map(|(_, e)| e)
    }

    fn suspend(&mut self, until_ms: Option<i64>, signal: Option<String>) -> ApiError {
        self.halt = Some(Halt::Suspend { until_ms, signal });
        halted()
    }

    /// Whether `durable_faults` names `point` (`before:<step>`, `before-commit:<step>`,
    /// `after:<step>`) and it has not fired in this invocation yet.
    fn armed(&self, point: &str) -> bool {
        self.faults.iter().any(|f| f == point) && !self.fired.iter().any(|f| f == point)
    }

    /// Records that `point` fired (its only write) and returns the failure it causes.
    fn fire(&mut self, point: &str) -> ApiResult<ApiError> {
        self.db.execute(
            &format!(
                "UPDATE {}.invocation SET faults_fired = array_append(faults_fired, $2) WHERE id = $1",
                self.schema
            ),
            &[uuid(self.id), text(point)],
        )?;
        self.fired.push(point.to_string());
        crate::log::warn(format_args!(
            "fault injected in {} {} at {point}",
            self.workflow, self.id
        ));
        Ok(injected(self.workflow, point))
    }

    /// Fails the run at `point` when it is armed, as a crash there would.
    fn fault(&mut self, point: &str) -> ApiResult<()> {
        if self.armed(point) {
            return Err(self.fire(point)?);
        }
        Ok(())
    }

    /// Runs `work` as the step `name`, exactly once per invocation: the first time, inside a
    /// transaction that also writes the journal entry; afterwards, its journaled result. A
    /// terminal error is journaled too (the step's effects roll back), so replays end the same
    /// way; any other error leaves no trace and the step runs again on the next run.
    pub async fn step<T: Serialize + DeserializeOwned>(
        &mut self,
        name: &str,
        work: impl AsyncFnOnce(&Step<'c>) -> ApiResult<T>,
    ) -> ApiResult<T> {
        self.run_step(name, "step", work).await
    }

    async fn run_step<T: Serialize + DeserializeOwned>(
        &mut self,
        name: &str,
        kind: &str,
        work: impl AsyncFnOnce(&Step<'c>) -> ApiResult<T>,
    ) -> ApiResult<T> {
        if let Some(entry) = self.entry(name) {
            return replayed(entry);
        }
        self.fault(&format!("before:{name}"))?;
        let step = Step {
            ctx: self.ctx,
            db: self.db,
            key: format!("{}:{}:{name}", self.workflow, self.id),
            undo: RefCell::new(None),
        };
        let started = now_ms();
        let (schema, id, attempt, seq) =
            (self.schema.clone(), self.id, self.attempt, self.next_seq());
        let before_commit = format!("before-commit:{name}");
        let crash_before_commit = self.armed(&before_commit);
        let outcome = self
            .db
            .transaction(async |db: &Db| {
                let value = work(&step).await?;
                if crash_before_commit {
                    // The work is done (remote effects included) but nothing commits.
                    return Err(injected(self.workflow, &before_commit));
                }
                let result = serde_json::to_value(&value).map_err(ApiError::internal)?;
                let undo = step.undo.borrow().clone();
                let entry = Journaled {
                    id,
                    name,
                    seq,
                    kind,
                    attempt,
                    started_ms: started,
                };
                entry.commit_with(db, &schema, &result, undo.as_ref())?;
                Ok((value, result, undo))
            })
            .await;
        match outcome {
            Ok((value, result, undo)) => {
                self.remember(name, kind, "done", result, undo, None, None);
                self.fault(&format!("after:{name}"))?;
                Ok(value)
            }
            Err(e) if crash_before_commit && e.code == FAULT_CODE => {
                Err(self.fire(&before_commit)?)
            }
            Err(e) if e.code == SLOT_TAKEN => {
                self.halt = Some(Halt::LeaseLost);
                Err(halted())
            }
            // A forward step's refusal is journaled so replays end the same way; an undo's is
            // not, so that an operator's retry runs it again.
            Err(e) if is_terminal(&e) && kind == "step" => {
                self.record(name, kind, "failed", &Value::Null, Some(&e), None, started)?;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// Waits until `at` (journaled as the timer `name`): the first run records the due time and
    /// suspends; the invocation is woken at that time, even across restarts.
    pub async fn sleep_until(&mut self, name: &str, at: DateTime<Utc>) -> ApiResult<()> {
        let due = match self.entry(name) {
            Some(entry) if entry.status == "done" => return Ok(()),
            Some(entry) => entry.due_ms.unwrap_or_default(),
            None => {
                let due = at.timestamp_millis();
                self.record(
                    name,
                    "timer",
                    "waiting",
                    &Value::Null,
                    None,
                    Some(due),
                    now_ms(),
                )?;
                due
            }
        };
        if now_ms() < due {
            return Err(self.suspend(Some(due), None));
        }
        self.finish_wait(name, &json!({ "fired_at_ms": now_ms() }))?;
        Ok(())
    }

    /// Waits for `duration` from the first time the run reaches the timer `name`.
    pub async fn sleep(&mut self, name: &str, duration: chrono::Duration) -> ApiResult<()> {
        let at = match self.entry(name).and_then(|e| e.due_ms) {
            Some(due) => DateTime::from_timestamp_millis(due).unwrap_or_default(),
            None => crate::time::now() + duration,
        };
        self.sleep_until(name, at).await
    }

    /// Waits (as the step `name`) for the signal `signal` — sent with [`signal`] before or after
    /// the wait began — and returns its payload; `None` when `deadline` passes first.
    pub async fn signal(
        &mut self,
        name: &str,
        signal: &str,
        deadline: Option<DateTime<Utc>>,
    ) -> ApiResult<Option<Value>> {
        if let Some(entry) = self.entry(name).filter(|e| e.status == "done") {
            return Ok(Some(entry.result.clone()).filter(|v| !v.is_null()));
        }
        let due = match self.entry(name) {
            Some(entry) => entry.due_ms,
            None => {
                let due = deadline.map(|d| d.timestamp_millis());
                self.record(
                    name,
                    "signal",
                    "waiting",
                    &json!({ "signal": signal }),
                    None,
                    due,
                    now_ms(),
                )?;
                due
            }
        };
        let set = self.db.query(
            &format!(
                "SELECT payload FROM {}.workflow_signal WHERE name = $1",
                self.schema
            ),
            &[text(signal)],
        )?;
        let payload: Option<Value> = rows(&set).next().map(|r| r.json("payload")).transpose()?;
        if let Some(payload) = payload {
            self.finish_wait(name, &payload)?;
            return Ok(Some(payload));
        }
        if due.is_some_and(|d| now_ms() >= d) {
            self.finish_wait(name, &Value::Null)?;
            return Ok(None);
        }
        Err(self.suspend(due, Some(signal.to_string())))
    }

    fn finish_wait(&mut self, name: &str, result: &Value) -> ApiResult<()> {
        let updated = self.db.execute(
            &format!(
                "UPDATE {}.invocation_step SET status = 'done', result = $3, finished_at = now() \
                 WHERE invocation_id = $1 AND name = $2 AND status = 'waiting'",
                self.schema
            ),
            &[uuid(self.id), text(name), crate::db::json(result)?],
        )?;
        if updated == 0 {
            self.halt = Some(Halt::LeaseLost);
            return Err(halted());
        }
        if let Some((_, e)) = self.journal.iter_mut().find(|(n, _)| n == name) {
            e.status = "done".into();
            e.result = result.clone();
        }
        Ok(())
    }

    fn next_seq(&self) -> i32 {
        i32::try_from(self.journal.len()).unwrap_or(i32::MAX - 1) + 1
    }

    #[expect(clippy::too_many_arguments, reason = "one journal row's columns")]
    fn remember(
        &mut self,
        name: &str,
        kind: &str,
        status: &str,
        result: Value,
        undo: Option<Value>,
        error: Option<Value>,
        due_ms: Option<i64>,
    ) {
        self.journal.push((
            name.to_string(),
            Entry {
                kind: kind.into(),
                status: status.into(),
                result,
                undo,
                error,
                due_ms,
            },
        ));
    }

    /// Writes a journal entry outside a step's transaction (timers, signals, terminal errors).
    #[expect(clippy::too_many_arguments, reason = "one journal row's columns")]
    fn record(
        &mut self,
        name: &str,
        kind: &str,
        status: &str,
        result: &Value,
        error: Option<&ApiError>,
        due_ms: Option<i64>,
        started_ms: i64,
    ) -> ApiResult<()> {
        let error = error.map(error_json);
        let inserted = self.db.execute(
            &format!(
                "INSERT INTO {}.invocation_step (invocation_id, name, seq, kind, status, result, error, due_at, attempt, started_at, finished_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8::float8 / 1000), $9, to_timestamp($10::float8 / 1000), CASE WHEN $5 = 'waiting' THEN NULL ELSE now() END) \
                 ON CONFLICT DO NOTHING",
                self.schema
            ),
            &[
                uuid(self.id),
                text(name),
                Param::Int32(self.next_seq()),
                text(kind),
                text(status),
                crate::db::json(result)?,
                optional_json(error.as_ref())?,
                due_ms.map_or(Param::DbNull, |d| Param::Floating64(d as f64)),
                Param::Int32(self.attempt),
                Param::Floating64(started_ms as f64),
            ],
        )?;
        if inserted == 0 {
            self.halt = Some(Halt::LeaseLost);
            return Err(halted());
        }
        self.remember(name, kind, status, result.clone(), None, error, due_ms);
        Ok(())
    }
}

/// The code of an injected fault.
const FAULT_CODE: &str = "fault_injected";

fn injected(workflow: &str, point: &str) -> ApiError {
    ApiError::unavailable(FAULT_CODE, format!("fault injected at {workflow}:{point}"))
}

/// The code a step's transaction fails with when its journal slot is already taken.
const SLOT_TAKEN: &str = "workflow_step_taken";

/// A finished step's journal row.
struct Journaled<'a> {
    id: Uuid,
    name: &'a str,
    seq: i32,
    kind: &'a str,
    attempt: i32,
    started_ms: i64,
}

impl Journaled<'_> {
    /// Writes the row in the step's transaction, after its work: one statement per step. A row
    /// that is already there means another run finished this step first (it waited here on
    /// that run's uncommitted row): this run's transaction fails with [`SLOT_TAKEN`] and rolls
    /// its effects back, so the step's effects happen once.
    fn commit_with(
        &self,
        db: &Db,
        schema: &str,
        result: &Value,
        undo: Option<&Value>,
    ) -> ApiResult<()> {
        let inserted = db.execute(
            &format!(
                "INSERT INTO {schema}.invocation_step (invocation_id, name, seq, kind, status, result, undo, attempt, started_at, finished_at) \
                 VALUES ($1, $2, $3, $4, 'done', $5, $6, $7, to_timestamp($8::float8 / 1000), now()) ON CONFLICT DO NOTHING"
            ),
            &[
                uuid(self.id),
                text(self.name),
                Param::Int32(self.seq),
                text(self.kind),
                crate::db::json(result)?,
                optional_json(undo)?,
                Param::Int32(self.attempt),
                Param::Floating64(self.started_ms as f64),
            ],
        )?;
        if inserted == 0 {
            return Err(ApiError::conflict(
                SLOT_TAKEN,
                "another run already finished this step",
            ));
        }
        Ok(())
    }
}

fn optional_json(v: Option<&Value>) -> ApiResult<Param> {
    v.map_or(Ok(Param::DbNull), crate::db::json)
}

fn replayed<T: DeserializeOwned>(entry: &Entry) -> ApiResult<T> {
    match entry.status.as_str() {
        "done" => serde_json::from_value(entry.result.clone()).map_err(|e| {
            ApiError::internal(format_args!("a journaled result no longer decodes: {e}"))
        }),
        _ => Err(entry
            .error
            .as_ref()
            .map(error_from_json)
            .unwrap_or_else(|| ApiError::internal("a failed journal entry has no error"))),
    }
}

fn invocation_not_found(id: Uuid) -> ApiError {
    ApiError::not_found(
        "invocation_not_found",
        format!("no invocation with id {id}"),
    )
}

fn lock_signal(db: &Db, schema: &str, name: &str) -> ApiResult<()> {
    db.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        &[text(format!("{schema}.signal:{name}"))],
    )?;
    Ok(())
}

/// Sends the signal `name` with `payload` (call it inside the transaction of the change that
/// causes it). The first payload sent under a name is the one waiters get. Returns the
/// invocations it made due; wake them with [`wake_now`] after the commit.
pub fn signal(db: &Db, schema: &str, name: &str, payload: &Value) -> ApiResult<Vec<Uuid>> {
    let schema = format!("\"{schema}\"");
    lock_signal(db, &schema, name)?;
    db.execute(
        &format!("INSERT INTO {schema}.workflow_signal (name, payload) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING"),
        &[text(name), crate::db::json(payload)?],
    )?;
    let set = db.query(
        &format!(
            "UPDATE {schema}.invocation SET next_attempt_at = now(), updated_at = now() \
             WHERE status = 'waiting' AND waiting_for = $1 RETURNING id"
        ),
        &[text(name)],
    )?;
    rows(&set).map(|r| r.get("id")).collect()
}

/// Asks the durable component to run these invocations now (best effort; the sweep catches a
/// lost wake-up).
pub fn wake_now(ctx: &Ctx, ids: &[Uuid]) {
    let sent = Connection::open(&ctx.settings().redis_url).and_then(|c| {
        crate::outbox::arm_sweep(&c, true);
        ids.iter()
            .try_for_each(|id| c.publish(WAKE_CHANNEL, format!("{}/{id}", ctx.module).as_bytes()))
    });
    if let Err(e) = sent {
        crate::log::warn(format_args!(
            "workflow wake-up not sent ({e:?}); the sweep will run it"
        ));
    }
}

/// Arms the Redis key whose expiry wakes invocation `id` at `at_ms` (best effort).
fn wake_at(ctx: &Ctx, id: Uuid, at_ms: Option<i64>) {
    let Some(at_ms) = at_ms else { return };
    let delay = (at_ms - now_ms()).max(1);
    let key = format!("{WAKE_KEY_PREFIX}{}/{id}", ctx.module);
    let armed = Connection::open(&ctx.settings().redis_url).and_then(|c| {
        crate::outbox::arm_sweep(&c, true);
        crate::outbox::set_expiring(&c, &key, delay, false)
    });
    if let Err(e) = armed {
        crate::log::warn(format_args!(
            "timer wake-up for {id} not armed ({e:?}); the sweep will run it"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_second_up_to_five_minutes() {
        assert_eq!(
            [1, 2, 3, 9, 10, 40].map(backoff_ms),
            [1000, 2000, 4000, 256_000, 300_000, 300_000]
        );
    }

    #[test]
    fn refusals_are_terminal_and_everything_else_is_retried() {
        assert!(is_terminal(&ApiError::validation("bad")));
        assert!(is_terminal(&ApiError::conflict("out_of_stock", "gone")));
        assert!(is_terminal(&ApiError::forbidden("no")));
        assert!(!is_terminal(&ApiError::conflict(
            "idempotency_in_progress",
            "busy"
        )));
        assert!(!is_terminal(&ApiError::too_many_requests(1)));
        assert!(!is_terminal(&ApiError::unavailable("down", "later")));
        assert!(!is_terminal(&halted()));
    }

    #[test]
    fn fault_points_are_scoped_to_their_workflow() {
        let spec = "checkout:before:reserve, checkout:after:pay,refund:after:pay,checkoutx:after:a";
        assert_eq!(
            parse_faults(spec, "checkout"),
            ["before:reserve", "after:pay"]
        );
        assert_eq!(parse_faults(spec, "refund"), ["after:pay"]);
        assert!(parse_faults("", "checkout").is_empty());
    }

    #[test]
    fn stored_errors_come_back_as_they_were() {
        let e = ApiError::not_found("sku_not_found", "no such SKU");
        assert_eq!(error_from_json(&error_json(&e)), e);
    }

    #[test]
    fn an_ended_invocation_answers_with_its_error_and_a_running_one_with_202() {
        let id = Uuid::nil();
        let rolled_back = Outcome {
            invocation_id: id,
            status: status::ROLLED_BACK.into(),
            output: None,
            error: Some(error_json(&ApiError::conflict("out_of_stock", "gone"))),
        };
        assert_eq!(
            rolled_back.into_response().unwrap_err().code,
            "out_of_stock"
        );
        let waiting = Outcome {
            invocation_id: id,
            status: status::WAITING.into(),
            output: None,
            error: None,
        };
        assert_eq!(*waiting.into_response().unwrap().status(), 202);
    }
}

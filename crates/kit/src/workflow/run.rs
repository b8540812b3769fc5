//! One run of an invocation as its body sees it: [`Run::step`], timers and signal waits, each
//! journaled; and [`Step`], what a step's work gets.

use std::cell::RefCell;
use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use uuid::Uuid;

use super::faults::{Faults, Point};
use super::invocation::Lease;
use super::journal::{self, Entry, Slot};
use super::state::{EntryKind, StepState, StoredError};
use crate::client::Internal;
use crate::ctx::Ctx;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::retry::Verdict;

/// Why a body stopped before returning its output.
#[derive(Debug)]
pub enum Stop {
    /// Waiting for a time and/or a signal; the engine suspends the invocation.
    Suspended {
        /// When the timer (or the signal's deadline) is due, in Unix milliseconds.
        until_ms: Option<i64>,
        /// The signal it waits for.
        signal: Option<String>,
    },
    /// Another run owns the invocation now; this run leaves it alone.
    LeaseLost,
    /// The body or a step failed: retried or compensated as [`crate::retry`] decides.
    Failed(ApiError),
}

impl From<ApiError> for Stop {
    fn from(e: ApiError) -> Stop {
        Stop::Failed(e)
    }
}

/// Why a step (forward or undo) did not return a value; a step never suspends.
#[derive(Debug)]
pub(super) enum StepStop {
    LeaseLost,
    Failed(ApiError),
}

impl From<StepStop> for Stop {
    fn from(s: StepStop) -> Stop {
        match s {
            StepStop::LeaseLost => Stop::LeaseLost,
            StepStop::Failed(e) => Stop::Failed(e),
        }
    }
}

/// Why a step's transaction rolled back.
enum Abort {
    /// The work failed.
    Work(ApiError),
    /// The fault point before the commit is armed: the work happened, nothing commits.
    Injected,
    /// Another run finished this step first.
    SlotTaken,
    /// The transaction itself, or the journal write, failed.
    Db(ApiError),
}

impl From<ApiError> for Abort {
    fn from(e: ApiError) -> Abort {
        Abort::Db(e)
    }
}

/// What a run carries whatever the workflow's types: the invocation, its journal, its lease.
pub(super) struct RunState<'c> {
    pub ctx: &'c Ctx,
    pub db: &'c Db,
    pub schema: String,
    pub lease: Uuid,
    pub id: Uuid,
    pub workflow: &'static str,
    pub attempt: i32,
    pub journal: Vec<Entry>,
    pub faults: Faults,
}

impl<'c> RunState<'c> {
    pub fn lease(&self) -> Lease<'_> {
        Lease {
            db: self.db,
            schema: &self.schema,
            id: self.id,
            lease: self.lease,
        }
    }

    fn entry(&self, name: &str) -> Option<&Entry> {
        self.journal.iter().find(|e| e.name == name)
    }

    fn slot<'n>(&self, name: &'n str, kind: EntryKind) -> Slot<'n> {
        let seq = self.entry(name).map_or_else(
            || i32::try_from(self.journal.len()).unwrap_or(i32::MAX - 1) + 1,
            |e| e.seq,
        );
        Slot {
            invocation: self.id,
            name,
            seq,
            kind,
            attempt: self.attempt,
            started_ms: now_ms(),
        }
    }

    fn remember(&mut self, entry: Entry) {
        self.journal.retain(|e| e.name != entry.name);
        self.journal.push(entry);
    }

    fn fault(&mut self, point: Point, step: &str) -> Result<(), StepStop> {
        if !self.faults.is_armed(point, step) {
            return Ok(());
        }
        let lease = Lease {
            db: self.db,
            schema: &self.schema,
            id: self.id,
            lease: self.lease,
        };
        let e = self
            .faults
            .fire(&lease, point, step)
            .map_err(StepStop::Failed)?;
        Err(StepStop::Failed(e))
    }

    /// Runs `work` as the entry `name` of `kind`, exactly once per invocation: the first time
    /// inside a transaction that also writes its journal row; afterwards, its journaled result.
    /// A refusal is journaled too (the step's effects roll back) so replays end the same way —
    /// with the undo its remote effect needs, when it recorded one; an error worth retrying
    /// after the remote effect leaves the step `interrupted` with that undo.
    pub async fn run_step<U: Serialize, T: Serialize + DeserializeOwned>(
        &mut self,
        name: &str,
        kind: EntryKind,
        work: impl AsyncFnOnce(&Step<'c, U>) -> ApiResult<T>,
    ) -> Result<T, StepStop> {
        match self.entry(name).map(|e| (e.state, e)) {
            Some((StepState::Done, entry)) => {
                return decode(&entry.result).map_err(StepStop::Failed);
            }
            Some((StepState::Failed, entry)) => {
                let error = entry.error.as_ref().map(StoredError::to_api);
                return Err(StepStop::Failed(error.unwrap_or_else(|| {
                    ApiError::internal("a failed journal entry has no error")
                })));
            }
            Some((StepState::Waiting, _)) => {
                return Err(StepStop::Failed(ApiError::internal(format_args!(
                    "`{name}` is both a step and a wait in workflow {}",
                    self.workflow
                ))));
            }
            Some((StepState::Interrupted, _)) | None => {}
        }
        self.fault(Point::Before, name)?;
        let step = Step {
            ctx: self.ctx,
            db: self.db,
            key: format!("{}:{}:{name}", self.workflow, self.id),
            undo: RefCell::new(None),
        };
        let slot = self.slot(name, kind);
        let crash_before_commit = self.faults.is_armed(Point::BeforeCommit, name);
        let schema = self.schema.clone();
        let outcome = self
            .db
            .transaction_with(async |db: &Db| {
                let value = {
                    let _in_step = db.enter_step();
                    work(&step).await.map_err(Abort::Work)?
                };
                if crash_before_commit {
                    return Err(Abort::Injected);
                }
                let result = serde_json::to_value(&value).map_err(ApiError::internal)?;
                let undo = undo_json(&step)?;
                if !journal::write_done(db, &schema, &slot, &result, undo.as_ref())? {
                    return Err(Abort::SlotTaken);
                }
                Ok((value, result, undo))
            })
            .await;
        match outcome {
            Ok((value, result, undo)) => {
                self.remember(Entry {
                    name: name.to_string(),
                    seq: slot.seq,
                    kind,
                    state: StepState::Done,
                    result,
                    undo,
                    error: None,
                    due_ms: None,
                });
                self.fault(Point::After, name)?;
                Ok(value)
            }
            // The point is armed (that is why the work aborted), so this records and fails.
            Err(Abort::Injected) => {
                self.fault(Point::BeforeCommit, name)
                    .and(Err(StepStop::Failed(ApiError::internal(
                        "a fault point fired twice",
                    ))))
            }
            Err(Abort::SlotTaken) => Err(StepStop::LeaseLost),
            Err(Abort::Db(e)) => Err(StepStop::Failed(e)),
            Err(Abort::Work(e)) => {
                let undo = undo_json(&step).map_err(StepStop::Failed)?;
                let state = match crate::retry::verdict(&e) {
                    Verdict::Terminal => StepState::Failed,
                    Verdict::Retry => StepState::Interrupted,
                };
                // An undo's refusal is not journaled, so that an operator's retry runs it
                // again; neither is a retried failure without a remote effect to undo.
                let journaled =
                    kind == EntryKind::Step && (state == StepState::Failed || undo.is_some());
                if journaled {
                    let stored = StoredError::from(&e);
                    let written = journal::write_failure(
                        self.db,
                        &self.schema,
                        &slot,
                        state,
                        &stored,
                        undo.as_ref(),
                    )
                    .map_err(StepStop::Failed)?;
                    if !written {
                        return Err(StepStop::LeaseLost);
                    }
                    self.remember(Entry {
                        name: name.to_string(),
                        seq: slot.seq,
                        kind,
                        state,
                        result: Value::Null,
                        undo,
                        error: Some(stored),
                        due_ms: None,
                    });
                }
                Err(StepStop::Failed(e))
            }
        }
    }

    /// Begins the wait `name` (a timer or a signal wait) unless it has begun; returns its due
    /// time.
    fn begin_wait(
        &mut self,
        name: &str,
        kind: EntryKind,
        result: Value,
        due_ms: Option<i64>,
    ) -> Result<Option<i64>, Stop> {
        if let Some(entry) = self.entry(name) {
            return Ok(entry.due_ms);
        }
        let slot = self.slot(name, kind);
        if !journal::write_wait(self.db, &self.schema, &slot, &result, due_ms)? {
            return Err(Stop::LeaseLost);
        }
        self.remember(Entry {
            name: name.to_string(),
            seq: slot.seq,
            kind,
            state: StepState::Waiting,
            result,
            undo: None,
            error: None,
            due_ms,
        });
        Ok(due_ms)
    }

    fn finish_wait(&mut self, name: &str, result: &Value) -> Result<(), Stop> {
        if !journal::finish_wait(self.db, &self.schema, self.id, name, result)? {
            return Err(Stop::LeaseLost);
        }
        if let Some(e) = self.journal.iter_mut().find(|e| e.name == name) {
            e.state = StepState::Done;
            e.result = result.clone();
        }
        Ok(())
    }
}

fn undo_json<U: Serialize>(step: &Step<'_, U>) -> ApiResult<Option<Value>> {
    step.undo
        .borrow()
        .as_ref()
        .map(serde_json::to_value)
        .transpose()
        .map_err(ApiError::internal)
}

fn decode<T: DeserializeOwned>(result: &Value) -> ApiResult<T> {
    serde_json::from_value(result.clone())
        .map_err(|e| ApiError::internal(format_args!("a journaled result no longer decodes: {e}")))
}

pub(super) fn now_ms() -> i64 {
    crate::time::now().timestamp_millis()
}

/// One run of an invocation of a workflow whose steps record undo data of type `U`.
pub struct Run<'c, U> {
    pub(super) state: RunState<'c>,
    pub(super) undo: PhantomData<fn(U)>,
}

impl<'c, U: Serialize> Run<'c, U> {
    /// The invocation id.
    pub fn id(&self) -> Uuid {
        self.state.id
    }

    /// Which run of the invocation this is (1 for the first).
    pub fn attempt(&self) -> i32 {
        self.state.attempt
    }

    /// The request context the run serves (its variables, its callers' clients). Its database
    /// is the run's: a transaction opened on it inside a step is refused.
    pub fn ctx(&self) -> &'c Ctx {
        self.state.ctx
    }

    /// Runs `work` as the step `name`, exactly once per invocation (see the module docs).
    /// Effects on other modules carry [`Step::key`]; a step whose remote effect needs undoing
    /// records how with [`Step::undo_with`] as soon as the effect happened.
    pub async fn step<T: Serialize + DeserializeOwned>(
        &mut self,
        name: &str,
        work: impl AsyncFnOnce(&Step<'c, U>) -> ApiResult<T>,
    ) -> Result<T, Stop> {
        Ok(self.state.run_step(name, EntryKind::Step, work).await?)
    }

    /// Waits until `at` (journaled as the timer `name`): the first run records the due time and
    /// suspends; the invocation is woken at that time, even across restarts.
    pub async fn sleep_until(&mut self, name: &str, at: DateTime<Utc>) -> Result<(), Stop> {
        if self
            .state
            .entry(name)
            .is_some_and(|e| e.state == StepState::Done)
        {
            return Ok(());
        }
        let due = self
            .state
            .begin_wait(
                name,
                EntryKind::Timer,
                Value::Null,
                Some(at.timestamp_millis()),
            )?
            .unwrap_or_default();
        if now_ms() < due {
            return Err(Stop::Suspended {
                until_ms: Some(due),
                signal: None,
            });
        }
        self.state
            .finish_wait(name, &json!({ "fired_at_ms": now_ms() }))
    }

    /// Waits for `duration` from the first time the run reaches the timer `name`.
    pub async fn sleep(&mut self, name: &str, duration: chrono::Duration) -> Result<(), Stop> {
        let at = match self.state.entry(name).and_then(|e| e.due_ms) {
            Some(due) => DateTime::from_timestamp_millis(due).unwrap_or_default(),
            None => crate::time::now() + duration,
        };
        self.sleep_until(name, at).await
    }

    /// Waits (as the entry `name`) for the signal `signal` — sent with
    /// [`super::signal`] before or after the wait began — and returns its payload; `None` when
    /// `deadline` passes first.
    pub async fn signal(
        &mut self,
        name: &str,
        signal: &str,
        deadline: Option<DateTime<Utc>>,
    ) -> Result<Option<Value>, Stop> {
        if let Some(entry) = self
            .state
            .entry(name)
            .filter(|e| e.state == StepState::Done)
        {
            return Ok(Some(entry.result.clone()).filter(|v| !v.is_null()));
        }
        let due = self.state.begin_wait(
            name,
            EntryKind::Signal,
            json!({ "signal": signal }),
            deadline.map(|d| d.timestamp_millis()),
        )?;
        if let Some(payload) = super::signals::payload(self.state.db, &self.state.schema, signal)? {
            self.state.finish_wait(name, &payload)?;
            return Ok(Some(payload));
        }
        if due.is_some_and(|d| now_ms() >= d) {
            self.state.finish_wait(name, &Value::Null)?;
            return Ok(None);
        }
        Err(Stop::Suspended {
            until_ms: due,
            signal: Some(signal.to_string()),
        })
    }
}

/// What a step's work gets: the step's transaction, its idempotency key, and a place for its
/// undo data.
pub struct Step<'c, U> {
    ctx: &'c Ctx,
    db: &'c Db,
    key: String,
    undo: RefCell<Option<U>>,
}

impl<'c, U> Step<'c, U> {
    /// The step's transaction: everything done with it commits with the journal entry. It
    /// cannot open a transaction of its own ([`Db::transaction`] refuses inside a step).
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

    /// Records how to undo this step; call it as soon as the effect to undo has happened, so
    /// that the undo is kept even when the rest of the step then fails.
    pub fn undo_with(&self, data: U) {
        *self.undo.borrow_mut() = Some(data);
    }
}

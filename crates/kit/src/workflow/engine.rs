//! Running invocations: starting one under a key, driving it (lease, replay, finish, suspend,
//! retry, compensate), and running whatever is due.

use std::marker::PhantomData;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use spin_sdk::http::Response;
use uuid::Uuid;

use super::faults::Faults;
use super::invocation::{self, Lease};
use super::journal;
use super::run::{Run, RunState, StepStop, Stop, now_ms};
use super::state::{Cause, EntryKind, Status, StoredError};
use super::{Local, NoUndo, Undo, Workflow};
use crate::ctx::Ctx;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::retry::Verdict;

/// How long one run owns an invocation before another may take it over.
const LEASE_SECS: f64 = 60.0;

/// Invocations one sweep of a module runs at most.
const BATCH: i64 = 20;

/// Runs again in one drive when a signal arrives while the run suspends.
const DRIVES: usize = 3;

type BodyFn = for<'c> fn(RunState<'c>, Value) -> Local<'c, (RunState<'c>, Result<Value, Stop>)>;
type UndoFn = for<'s, 'c> fn(&'s super::Step<'c, NoUndo>, Value) -> Local<'s, ApiResult<()>>;

/// A workflow as the engine keeps it: its name and limits, and its typed body and undo behind
/// plain functions. Made with [`register`].
pub struct Registered {
    name: &'static str,
    max_failures: i32,
    body: BodyFn,
    undo: UndoFn,
    check_input: fn(&Value) -> ApiResult<()>,
}

/// Registers `W` with an engine.
pub const fn register<W: Workflow>() -> Registered {
    Registered {
        name: W::NAME,
        max_failures: W::MAX_FAILURES,
        body: body_of::<W>,
        undo: undo_of::<W>,
        check_input: check_input_of::<W>,
    }
}

fn body_of<'c, W: Workflow>(
    state: RunState<'c>,
    input: Value,
) -> Local<'c, (RunState<'c>, Result<Value, Stop>)> {
    Box::pin(async move {
        let mut run = Run::<W::Undo> {
            state,
            undo: PhantomData,
        };
        let result = match serde_json::from_value::<W::Input>(input) {
            Ok(input) => W::body(&mut run, input).await.and_then(|output| {
                serde_json::to_value(output).map_err(|e| Stop::Failed(ApiError::internal(e)))
            }),
            Err(e) => Err(Stop::Failed(ApiError::internal(format_args!(
                "a stored input no longer decodes: {e}"
            )))),
        };
        (run.state, result)
    })
}

fn undo_of<'s, 'c, W: Workflow>(
    step: &'s super::Step<'c, NoUndo>,
    data: Value,
) -> Local<'s, ApiResult<()>> {
    Box::pin(async move {
        let undo: W::Undo = serde_json::from_value(data).map_err(|e| {
            ApiError::internal(format_args!("journaled undo data no longer decodes: {e}"))
        })?;
        undo.undo(step).await
    })
}

fn check_input_of<W: Workflow>(input: &Value) -> ApiResult<()> {
    let bytes = serde_json::to_vec(input).map_err(ApiError::internal)?;
    crate::json::parse::<W::Input>(&bytes).map(drop)
}

/// The module's workflows and schema, as the engine needs them.
#[derive(Clone, Copy)]
pub struct Engine {
    /// The module's schema (a constant, never input).
    pub schema: &'static str,
    /// Its workflows.
    pub workflows: &'static [Registered],
}

/// The answer a caller gets about an invocation.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Outcome {
    /// The invocation id.
    pub invocation_id: Uuid,
    /// Where it stands.
    pub status: Status,
    /// The output, once completed.
    pub output: Option<Value>,
    /// The error that ended it or is delaying it.
    pub error: Option<StoredError>,
}

impl Outcome {
    /// The output as `W`'s output type, once completed.
    pub fn output<W: Workflow>(&self) -> ApiResult<Option<W::Output>> {
        self.output
            .clone()
            .map(serde_json::from_value)
            .transpose()
            .map_err(ApiError::internal)
    }

    /// The HTTP answer a module gives for it: 200 with the output when completed, the stored
    /// error when it ended in one, otherwise 202 with the invocation id and status (it goes on
    /// in the background).
    pub fn into_response(self) -> ApiResult<Response> {
        match self.status {
            Status::Completed => crate::json::ok(&self.output.unwrap_or(Value::Null)),
            Status::RolledBack | Status::Cancelled => Err(self
                .error
                .as_ref()
                .map(StoredError::to_api)
                .unwrap_or_else(|| ApiError::internal("an ended invocation has no error"))),
            _ => crate::json::accepted(&self),
        }
    }
}

/// Delay before run `failures + 1`: 1, 2, 4 … up to 300 seconds.
pub fn backoff_ms(failures: i32) -> i64 {
    1000_i64
        .saturating_mul(1_i64 << (failures.clamp(1, 20) - 1))
        .min(300_000)
}

fn invocation_not_found(id: Uuid) -> ApiError {
    ApiError::not_found(
        "invocation_not_found",
        format!("no invocation with id {id}"),
    )
}

impl Engine {
    /// The schema, quoted for SQL (`order` is a reserved word).
    pub(super) fn quoted(&self) -> String {
        format!("\"{}\"", self.schema)
    }

    fn workflow(&self, name: &str) -> ApiResult<&'static Registered> {
        self.workflows
            .iter()
            .find(|w| w.name == name)
            .ok_or_else(|| ApiError::internal(format_args!("unknown workflow `{name}`")))
    }

    /// Whether the engine runs a workflow called `name`.
    pub fn has(&self, name: &str) -> bool {
        self.workflows.iter().any(|w| w.name == name)
    }

    /// Starts `W` with `input` under `key` (the same key never starts a second invocation;
    /// with another input it is 422 `idempotency_key_reused`) and runs it now, as far as it
    /// goes; returns where it stands.
    pub async fn start<W: Workflow>(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &W::Input,
    ) -> ApiResult<Outcome> {
        let input = serde_json::to_value(input).map_err(ApiError::internal)?;
        self.start_named(ctx, W::NAME, key, &input).await
    }

    /// [`Engine::start`] by name with a JSON input, which must decode as the workflow's input
    /// type (422 naming the field otherwise, before anything is stored).
    pub async fn start_named(
        &self,
        ctx: &Ctx,
        workflow: &str,
        key: &str,
        input: &Value,
    ) -> ApiResult<Outcome> {
        (self.workflow(workflow)?.check_input)(input)?;
        let db = ctx.db()?;
        let id = self.create(db, workflow, key, input)?;
        self.drive(ctx, id).await?;
        self.outcome(db, id)
    }

    /// Starts `W` with `input` under `key` inside the caller's transaction, as an outbox
    /// message is written: the invocation exists exactly when the caller's effect commits. It
    /// runs after the commit, woken then (or by the sweep, should the wake-up be lost), not
    /// now; the same key with another input is 422 `idempotency_key_reused`.
    pub fn begin<W: Workflow>(
        &self,
        ctx: &Ctx,
        db: &Db,
        key: &str,
        input: &W::Input,
    ) -> ApiResult<Uuid> {
        let input = serde_json::to_value(input).map_err(ApiError::internal)?;
        let id = self.create(db, W::NAME, key, &input)?;
        crate::wake::run_invocations(ctx, &[id]);
        Ok(id)
    }

    /// The invocation of `workflow` under `key`, created with `input` unless it exists; 422
    /// `idempotency_key_reused` when the key started another workflow or input.
    fn create(&self, db: &Db, workflow: &str, key: &str, input: &Value) -> ApiResult<Uuid> {
        let (id, stored_workflow, stored_input) =
            invocation::create(db, &self.quoted(), workflow, key, input)?;
        if stored_workflow != workflow || &stored_input != input {
            return Err(ApiError::unprocessable(
                "idempotency_key_reused",
                "this key already started a different invocation",
            ));
        }
        Ok(id)
    }

    /// Where invocation `id` stands; 404 when there is none.
    pub fn outcome(&self, db: &Db, id: Uuid) -> ApiResult<Outcome> {
        let standing = invocation::standing(db, &self.quoted(), id)?
            .ok_or_else(|| invocation_not_found(id))?;
        Ok(Outcome {
            invocation_id: id,
            status: standing.status,
            output: standing.output,
            error: standing.error,
        })
    }

    /// Runs invocation `id` now if it is active and no other run owns it; otherwise leaves it.
    pub async fn drive(&self, ctx: &Ctx, id: Uuid) -> ApiResult<()> {
        for _ in 0..DRIVES {
            if !self.drive_once(ctx, id).await? {
                break;
            }
        }
        Ok(())
    }

    /// One run; `true` when the invocation is due again at once (a signal arrived while it
    /// suspended).
    async fn drive_once(&self, ctx: &Ctx, id: Uuid) -> ApiResult<bool> {
        let schema = self.quoted();
        let db = ctx.db()?;
        let lease = crate::ids::new_id();
        let Some(claimed) = invocation::claim(db, &schema, id, lease, LEASE_SECS)? else {
            return Ok(false);
        };
        let workflow = self.workflow(&claimed.workflow)?;
        let faults_spec = ctx
            .settings()
            .optional("durable_faults")
            .unwrap_or_default();
        let mut state = RunState {
            ctx,
            db,
            schema,
            lease,
            id,
            workflow: workflow.name,
            attempt: claimed.attempts,
            journal: journal::load(db, &self.quoted(), id)?,
            faults: Faults::new(workflow.name, &faults_spec, claimed.faults_fired),
        };
        let cause = match (claimed.status, claimed.cause) {
            (Status::Compensating, Some(cause)) => cause,
            (Status::Compensating, None) => Cause::Refused {
                error: StoredError::from(&ApiError::internal(
                    "an invocation was compensating without a cause",
                )),
            },
            _ => {
                let (ran, result) = (workflow.body)(state, claimed.input).await;
                state = ran;
                match result {
                    Ok(output) => {
                        state.lease().complete(&output)?;
                        return Ok(false);
                    }
                    Err(Stop::LeaseLost) => return Ok(false),
                    Err(Stop::Suspended { until_ms, signal }) => {
                        return self.suspend(&state, until_ms, signal.as_deref()).await;
                    }
                    Err(Stop::Failed(e)) => match crate::retry::verdict(&e) {
                        Verdict::Terminal => {
                            let cause = Cause::Refused {
                                error: StoredError::from(&e),
                            };
                            state.lease().start_compensating(&cause)?;
                            cause
                        }
                        Verdict::Retry => {
                            self.failed_run(&state, claimed.failures + 1, workflow, &e)?;
                            return Ok(false);
                        }
                    },
                }
            }
        };
        match compensate(&mut state, workflow).await {
            Ok(()) => state.lease().end_compensation(&cause)?,
            Err(StepStop::LeaseLost) => {}
            // An undo that refuses will refuse again: an operator has to look at it.
            Err(StepStop::Failed(e)) => {
                let failures = match crate::retry::verdict(&e) {
                    Verdict::Terminal => workflow.max_failures,
                    Verdict::Retry => claimed.failures + 1,
                };
                self.failed_run(&state, failures, workflow, &e)?;
            }
        }
        Ok(false)
    }

    /// A run that failed with an error worth retrying: due again after the backoff, or
    /// `failed` once the workflow's limit is reached.
    fn failed_run(
        &self,
        state: &RunState<'_>,
        failures: i32,
        workflow: &Registered,
        e: &ApiError,
    ) -> ApiResult<()> {
        let error = StoredError::from(e);
        if failures >= workflow.max_failures {
            crate::log::warn(format_args!(
                "invocation {} of {} failed after {failures} runs: {e}",
                state.id, workflow.name
            ));
            return state.lease().give_up(failures, &error);
        }
        let delay = backoff_ms(failures);
        state.lease().retry_later(failures, &error, delay)?;
        crate::wake::run_invocation_at(state.ctx, state.id, now_ms() + delay);
        Ok(())
    }

    /// Suspends on a timer and/or a signal. The check for an already-sent signal and the
    /// change to `waiting` happen under the signal's lock, which [`super::signal`] also takes,
    /// so a signal is never sent between them unnoticed.
    async fn suspend(
        &self,
        state: &RunState<'_>,
        until_ms: Option<i64>,
        signal: Option<&str>,
    ) -> ApiResult<bool> {
        let arrived = state
            .db
            .transaction(async |db: &Db| {
                let arrived = match signal {
                    Some(name) => {
                        super::signals::lock(db, &state.schema, name)?;
                        super::signals::payload(db, &state.schema, name)?.is_some()
                    }
                    None => false,
                };
                Lease {
                    db,
                    schema: &state.schema,
                    id: state.id,
                    lease: state.lease,
                }
                .suspend(until_ms, signal, arrived)?;
                Ok(arrived)
            })
            .await?;
        if let (false, Some(at)) = (arrived, until_ms) {
            crate::wake::run_invocation_at(state.ctx, state.id, at);
        }
        Ok(arrived)
    }

    /// Runs up to twenty invocations that are due; returns their ids.
    pub async fn run_due(&self, ctx: &Ctx) -> ApiResult<Vec<Uuid>> {
        let ids = invocation::due(ctx.db()?, &self.quoted(), BATCH)?;
        for id in &ids {
            if let Err(e) = self.drive(ctx, *id).await {
                crate::log::warn(format_args!("running invocation {id}: {e}"));
            }
        }
        Ok(ids)
    }

    /// An operator's retry of a failed invocation; `false` when it is not failed, 409
    /// `retry_horizon_passed` when it stopped too long ago for the idempotency records of its
    /// remote effects, which live `ttl_hours`, to be trusted
    /// ([`ensure_retry_within_horizon`]).
    pub(super) fn retry_failed(&self, db: &Db, id: Uuid, ttl_hours: i32) -> ApiResult<bool> {
        let schema = self.quoted();
        if let Some(idle) = invocation::failed_idle_secs(db, &schema, id)? {
            ensure_retry_within_horizon(idle, ttl_hours)?;
        }
        invocation::retry_failed(db, &schema, id)
    }

    /// An operator's cancel; `false` when the invocation cannot be cancelled now.
    pub(super) fn cancel(&self, db: &Db, id: Uuid) -> ApiResult<bool> {
        invocation::cancel(db, &self.quoted(), id)
    }
}

/// What a retried run keeps in hand before the idempotency records of its remote effects
/// expire: time for its own automatic retries (ten failures back off about 14 minutes in all)
/// and their calls.
pub const RETRY_MARGIN_SECS: i64 = 30 * 60;

/// An operator may retry a failed invocation only while the idempotency records of what its
/// unfinished step may already have done elsewhere still live: those records were written
/// after its last progress, `idle_secs` ago, and live `ttl_hours` (`idempotency_ttl_hours`,
/// the same for every module of the app). Past that horizon a retry could repeat a remote
/// effect whose record expired, so it is refused with 409 `retry_horizon_passed`; the
/// operator can still cancel, which undoes what happened.
pub fn ensure_retry_within_horizon(idle_secs: i64, ttl_hours: i32) -> ApiResult<()> {
    let horizon = i64::from(ttl_hours) * 3600 - RETRY_MARGIN_SECS;
    if idle_secs > horizon {
        return Err(ApiError::conflict(
            "retry_horizon_passed",
            format!(
                "this invocation stopped {}h ago; idempotency records live {ttl_hours}h, so a \
                 retry could repeat an effect (retry within {}m of its stop, or cancel it)",
                idle_secs / 3600,
                horizon / 60
            ),
        ));
    }
    Ok(())
}

/// Runs the undo of every step whose effect happened, newest first, each journaled as the
/// entry `undo:<step>` so that an interrupted compensation resumes where it stopped.
async fn compensate(state: &mut RunState<'_>, workflow: &Registered) -> Result<(), StepStop> {
    for (name, data) in journal::undos(&state.journal) {
        let undo = workflow.undo;
        state
            .run_step(
                &format!("undo:{name}"),
                EntryKind::Undo,
                async |s: &super::Step<'_, NoUndo>| undo(s, data).await,
            )
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_is_refused_once_the_records_of_its_effects_may_have_expired() {
        assert!(ensure_retry_within_horizon(0, 24).is_ok());
        assert!(ensure_retry_within_horizon(23 * 3600 + 29 * 60, 24).is_ok());
        let late = ensure_retry_within_horizon(23 * 3600 + 31 * 60, 24).unwrap_err();
        assert_eq!(
            (late.status, late.code.as_ref()),
            (409, "retry_horizon_passed")
        );
        assert!(ensure_retry_within_horizon(3 * 24 * 3600, 24).is_err());
        assert!(ensure_retry_within_horizon(3 * 24 * 3600, 24 * 7).is_ok());
    }

    #[test]
    fn backoff_doubles_from_one_second_up_to_five_minutes() {
        assert_eq!(
            [1, 2, 3, 9, 10, 40].map(backoff_ms),
            [1000, 2000, 4000, 256_000, 300_000, 300_000]
        );
    }

    #[test]
    fn an_ended_invocation_answers_with_its_error_and_a_running_one_with_202() {
        let id = Uuid::nil();
        let rolled_back = Outcome {
            invocation_id: id,
            status: Status::RolledBack,
            output: None,
            error: Some(StoredError::from(&ApiError::conflict(
                "out_of_stock",
                "gone",
            ))),
        };
        assert_eq!(
            rolled_back.into_response().unwrap_err().code,
            "out_of_stock"
        );
        let waiting = Outcome {
            invocation_id: id,
            status: Status::Waiting,
            output: None,
            error: None,
        };
        assert_eq!(*waiting.into_response().unwrap().status(), 202);
    }
}

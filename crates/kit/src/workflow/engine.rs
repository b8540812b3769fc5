//! Running invocations: starting one under a key, driving it (lease, replay, finish,
//! suspend, retry, roll back), and running whatever is due. See the module's documentation.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use spin_sdk::http::Response;
use uuid::Uuid;

use super::{
    BATCH, Entry, Halt, LEASE_SECS, Run, Step, Workflow, backoff_ms, error_from_json, error_json,
    faults_for, invocation_not_found, is_terminal, lock_signal, now_ms, optional_json, status,
    wake_at,
};
use crate::db::{Db, Param, rows, text, uuid};
use crate::error::{ApiError, ApiResult};
use crate::router::Ctx;

/// The module's workflows and schema, as the engine needs them.
#[derive(Clone, Copy)]
pub struct Engine {
    /// The module's schema (a constant).
    pub schema: &'static str,
    /// Its workflows.
    pub workflows: &'static [Workflow],
}

/// The answer a caller gets about an invocation.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Outcome {
    /// The invocation id.
    pub invocation_id: Uuid,
    /// Its status (see [`status`]).
    pub status: String,
    /// The output, once completed.
    pub output: Option<Value>,
    /// The error that ended or is delaying it.
    pub error: Option<Value>,
}

impl Outcome {
    /// The HTTP answer a module gives for it: 200 with the output when completed, the stored
    /// error when it ended in one, otherwise 202 with the invocation id and status (it goes on
    /// in the background).
    pub fn into_response(self) -> ApiResult<Response> {
        match self.status.as_str() {
            status::COMPLETED => crate::json::ok(&self.output.unwrap_or(Value::Null)),
            status::ROLLED_BACK | status::CANCELLED => Err(self
                .error
                .as_ref()
                .map(error_from_json)
                .unwrap_or_else(|| ApiError::internal("an ended invocation has no error"))),
            _ => crate::json::respond(202, &self),
        }
    }
}

impl Engine {
    pub(super) fn quoted(&self) -> String {
        format!("\"{}\"", self.schema)
    }

    fn workflow(&self, name: &str) -> ApiResult<&'static Workflow> {
        self.workflows
            .iter()
            .find(|w| w.name == name)
            .ok_or_else(|| ApiError::internal(format_args!("unknown workflow `{name}`")))
    }

    /// Starts `workflow` with `input` under `key` (the same key never starts a second
    /// invocation; with another input it is 422 `idempotency_key_reused`) and runs it now, as far
    /// as it goes; returns where it stands.
    pub async fn start(
        &self,
        ctx: &Ctx,
        workflow: &str,
        key: &str,
        input: &Value,
    ) -> ApiResult<Outcome> {
        let schema = self.quoted();
        self.workflow(workflow)?;
        let db = ctx.db()?;
        let inserted = db.query(
            &format!(
                "INSERT INTO {schema}.invocation (id, workflow, start_key, input, next_attempt_at) \
                 VALUES ($1, $2, $3, $4, now()) ON CONFLICT (start_key) DO NOTHING RETURNING id, workflow, input"
            ),
            &[uuid(crate::ids::new_id()), text(workflow), text(key), crate::db::json(input)?],
        )?;
        // On a conflict the existing row is read by a statement of its own: one started after
        // the concurrent insert committed, so it sees that row.
        let existing;
        let set = if inserted.rows.is_empty() {
            existing = db.query(
                &format!(
                    "SELECT id, workflow, input FROM {schema}.invocation WHERE start_key = $1"
                ),
                &[text(key)],
            )?;
            &existing
        } else {
            &inserted
        };
        let row = rows(set)
            .next()
            .ok_or_else(|| ApiError::internal("an invocation's start key vanished"))?;
        let (id, stored_workflow, stored_input): (Uuid, String, Value) =
            (row.get("id")?, row.get("workflow")?, row.json("input")?);
        if stored_workflow != workflow || &stored_input != input {
            return Err(ApiError::unprocessable(
                "idempotency_key_reused",
                "this key already started a different invocation",
            ));
        }
        self.drive(ctx, id).await?;
        self.outcome(db, id)
    }

    pub(super) fn outcome(&self, db: &Db, id: Uuid) -> ApiResult<Outcome> {
        let set = db.query(
            &format!(
                "SELECT status, output, error FROM {}.invocation WHERE id = $1",
                self.quoted()
            ),
            &[uuid(id)],
        )?;
        let row = rows(&set).next().ok_or_else(|| invocation_not_found(id))?;
        Ok(Outcome {
            invocation_id: id,
            status: row.get("status")?,
            output: row.json("output")?,
            error: row.json("error")?,
        })
    }

    /// Runs invocation `id` now if it is active and no other run owns it; otherwise leaves it.
    pub async fn drive(&self, ctx: &Ctx, id: Uuid) -> ApiResult<()> {
        // A signal that arrives while the run suspends makes it due again at once: run again.
        for _ in 0..3 {
            if !self.drive_once(ctx, id).await? {
                break;
            }
        }
        Ok(())
    }

    /// One run; `true` when the invocation is due again immediately.
    async fn drive_once(&self, ctx: &Ctx, id: Uuid) -> ApiResult<bool> {
        let schema = self.quoted();
        let db = ctx.db()?;
        let lease = crate::ids::new_id();
        let set = db.query(
            &format!(
                "UPDATE {schema}.invocation SET attempts = attempts + 1, lease = $2, \
                   lease_until = now() + make_interval(secs => $3), updated_at = now() \
                 WHERE id = $1 AND status IN ('pending', 'waiting', 'compensating') \
                   AND (lease_until IS NULL OR lease_until < now()) \
                 RETURNING workflow, input, status, attempts, failures, faults_fired, rollback_cause"
            ),
            &[uuid(id), uuid(lease), Param::Floating64(LEASE_SECS)],
        )?;
        let Some(row) = rows(&set).next() else {
            return Ok(false);
        };
        let workflow = self.workflow(&row.get::<String>("workflow")?)?;
        let current: String = row.get("status")?;
        let failures: i32 = row.get("failures")?;
        let rollback_cause: Option<Value> = row.json("rollback_cause")?;
        let mut run = Run {
            ctx,
            db,
            schema: schema.clone(),
            lease,
            id,
            workflow: workflow.name,
            input: row.json("input")?,
            attempt: row.get("attempts")?,
            journal: self.journal(db, id)?,
            faults: faults_for(workflow.name),
            fired: row
                .get::<Vec<Option<String>>>("faults_fired")?
                .into_iter()
                .flatten()
                .collect(),
            halt: None,
        };
        let compensate_for = if current == status::COMPENSATING {
            rollback_cause.unwrap_or_else(|| error_json(&ApiError::internal("compensating")))
        } else {
            match (workflow.body)(&mut run).await {
                Ok(output) if run.halt.is_none() => {
                    self.finish(&run, status::COMPLETED, Some(&output), None)?;
                    return Ok(false);
                }
                result => match (run.halt.take(), result) {
                    (Some(Halt::LeaseLost), _) => return Ok(false),
                    (Some(Halt::Suspend { until_ms, signal }), _) => {
                        return self.suspend(ctx, &run, until_ms, signal.as_deref()).await;
                    }
                    (None, Err(e)) if is_terminal(&e) => {
                        self.set_compensating(&run, &error_json(&e))?;
                        error_json(&e)
                    }
                    (None, Err(e)) => {
                        return self.failed_run(ctx, &run, failures + 1, workflow, &e);
                    }
                    (None, Ok(_)) => unreachable!("handled by the first arm"),
                },
            }
        };
        match self.compensate(&mut run, workflow).await {
            Ok(()) => {
                let end = if compensate_for["code"] == "cancelled" {
                    status::CANCELLED
                } else {
                    status::ROLLED_BACK
                };
                self.finish(&run, end, None, Some(&compensate_for))?;
            }
            Err(_) if matches!(run.halt, Some(Halt::LeaseLost)) => {}
            // An undo that refuses will refuse again: an operator has to look at it.
            Err(e) if is_terminal(&e) => {
                return self.failed_run(ctx, &run, workflow.max_failures, workflow, &e);
            }
            Err(e) => return self.failed_run(ctx, &run, failures + 1, workflow, &e),
        }
        Ok(false)
    }

    fn journal(&self, db: &Db, id: Uuid) -> ApiResult<Vec<(String, Entry)>> {
        let set = db.query(
            &format!(
                "SELECT name, kind, status, result, undo, error, (extract(epoch FROM due_at) * 1000)::int8 AS due_ms \
                 FROM {}.invocation_step WHERE invocation_id = $1 ORDER BY seq",
                self.quoted()
            ),
            &[uuid(id)],
        )?;
        rows(&set)
            .map(|r| {
                Ok((
                    r.get("name")?,
                    Entry {
                        kind: r.get("kind")?,
                        status: r.get("status")?,
                        result: r.json("result")?,
                        undo: r.json("undo")?,
                        error: r.json("error")?,
                        due_ms: r.get("due_ms")?,
                    },
                ))
            })
            .collect()
    }

    /// Runs the undo of every finished step that recorded one, newest first, each journaled as
    /// the step `undo:<name>` so that an interrupted compensation resumes where it stopped.
    async fn compensate(&self, run: &mut Run<'_>, workflow: &Workflow) -> ApiResult<()> {
        let pending: Vec<(String, Value)> = run
            .journal
            .iter()
            .rev()
            .filter(|(_, e)| e.kind == "step" && e.status == "done")
            .filter_map(|(n, e)| Some((n.clone(), e.undo.clone()?)))
            .collect();
        for (name, data) in pending {
            let Some(undo) = workflow.undo else {
                return Err(ApiError::internal(format_args!(
                    "workflow {} recorded undo data but has no undo handler",
                    workflow.name
                )));
            };
            let step_name = format!("undo:{name}");
            run.run_step(&step_name, "undo", async |s: &Step<'_>| {
                undo(s, &name, data).await
            })
            .await?;
        }
        Ok(())
    }

    fn set_compensating(&self, run: &Run<'_>, error: &Value) -> ApiResult<()> {
        self.update(
            run,
            "status = 'compensating', rollback_cause = $3, error = NULL, failures = 0",
            &[crate::db::json(error)?],
        )
    }

    fn finish(
        &self,
        run: &Run<'_>,
        end: &str,
        output: Option<&Value>,
        error: Option<&Value>,
    ) -> ApiResult<()> {
        self.update(
            run,
            "status = $3, output = $4, error = $5, lease = NULL, lease_until = NULL, next_attempt_at = NULL, \
             waiting_for = NULL, finished_at = now()",
            &[text(end), optional_json(output)?, optional_json(error)?],
        )
    }

    /// A run that failed with an error worth retrying: due again after the backoff, or `failed`
    /// once the workflow's limit is reached.
    fn failed_run(
        &self,
        ctx: &Ctx,
        run: &Run<'_>,
        failures: i32,
        workflow: &Workflow,
        e: &ApiError,
    ) -> ApiResult<bool> {
        let error = error_json(e);
        if failures >= workflow.max_failures {
            crate::log::warn(format_args!(
                "invocation {} of {} failed after {failures} runs: {e}",
                run.id, workflow.name
            ));
            self.update(
                run,
                "status = 'failed', error = $3, failures = $4, lease = NULL, lease_until = NULL, next_attempt_at = NULL",
                &[crate::db::json(&error)?, Param::Int32(failures)],
            )?;
            return Ok(false);
        }
        let delay = backoff_ms(failures);
        self.update(
            run,
            "status = CASE WHEN status = 'compensating' THEN 'compensating' ELSE 'pending' END, error = $3, failures = $4, \
             lease = NULL, lease_until = NULL, next_attempt_at = now() + make_interval(secs => $5)",
            &[crate::db::json(&error)?, Param::Int32(failures), Param::Floating64(delay as f64 / 1000.0)],
        )?;
        wake_at(ctx, run.id, Some(now_ms() + delay));
        Ok(false)
    }

    /// Suspends on a timer and/or a signal. The check for an already-sent signal and the
    /// change to `waiting` happen under the signal's lock, which [`signal`] also takes, so a
    /// signal is never sent between them unnoticed.
    async fn suspend(
        &self,
        ctx: &Ctx,
        run: &Run<'_>,
        until_ms: Option<i64>,
        signal: Option<&str>,
    ) -> ApiResult<bool> {
        let schema = self.quoted();
        let db = run.db;
        let arrived = db
            .transaction(async |db: &Db| {
                if let Some(name) = signal {
                    lock_signal(db, &schema, name)?;
                }
                let arrived = match signal {
                    Some(name) => db.scalar::<bool>(
                        &format!(
                            "SELECT EXISTS (SELECT 1 FROM {schema}.workflow_signal WHERE name = $1)"
                        ),
                        &[text(name)],
                    )?,
                    None => false,
                };
                self.update(
                    run,
                    "status = 'waiting', waiting_for = $3, lease = NULL, lease_until = NULL, \
                 next_attempt_at = CASE WHEN $5 THEN now() ELSE to_timestamp($4::float8 / 1000) END",
                    &[
                        crate::db::optional_text(signal),
                        until_ms.map_or(Param::DbNull, |d| Param::Floating64(d as f64)),
                        Param::Boolean(arrived),
                    ],
                )?;
                Ok(arrived)
            })
            .await?;
        if !arrived && until_ms.is_some() {
            wake_at(ctx, run.id, until_ms);
        }
        Ok(arrived)
    }

    /// Updates the invocation while this run still holds its lease (`$1` id, `$2` lease).
    fn update(&self, run: &Run<'_>, set: &str, params: &[Param]) -> ApiResult<()> {
        let mut all = vec![uuid(run.id), uuid(run.lease)];
        all.extend_from_slice(params);
        run.db.execute(
            &format!(
                "UPDATE {}.invocation SET {set}, updated_at = now() WHERE id = $1 AND lease = $2",
                self.quoted()
            ),
            &all,
        )?;
        Ok(())
    }

    /// Runs up to [`BATCH`] invocations that are due (their time has come, or the signal they
    /// wait for has arrived); returns their ids.
    pub async fn run_due(&self, ctx: &Ctx) -> ApiResult<Vec<Uuid>> {
        let schema = self.quoted();
        let set = ctx.db()?.query(
            &format!(
                "SELECT i.id FROM {schema}.invocation i \
                 WHERE i.status IN ('pending', 'waiting', 'compensating') \
                   AND (i.lease_until IS NULL OR i.lease_until < now()) \
                   AND (i.next_attempt_at <= now() \
                        OR (i.status = 'waiting' AND EXISTS (SELECT 1 FROM {schema}.workflow_signal s WHERE s.name = i.waiting_for))) \
                 ORDER BY i.next_attempt_at NULLS FIRST LIMIT $1"
            ),
            &[BATCH.into()],
        )?;
        let ids: Vec<Uuid> = rows(&set).map(|r| r.get("id")).collect::<ApiResult<_>>()?;
        for id in &ids {
            if let Err(e) = self.drive(ctx, *id).await {
                crate::log::warn(format_args!("running invocation {id}: {e}"));
            }
        }
        Ok(ids)
    }
}

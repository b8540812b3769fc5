//! An invocation's row and every change of its state, one named function each. A change made
//! by a run goes through [`Lease`], so that it applies only while that run still owns the
//! invocation; an operator's change applies only while no run owns it.

use serde_json::Value;
use uuid::Uuid;

use super::state::{Cause, Status, StoredError};
use crate::db::{Db, Param, rows, text, uuid};
use crate::error::{ApiError, ApiResult};

/// What a run learns when it takes an invocation.
pub(super) struct Claimed {
    pub workflow: String,
    pub input: Value,
    pub status: Status,
    pub attempts: i32,
    pub failures: i32,
    pub faults_fired: Vec<String>,
    pub cause: Option<Cause>,
}

fn status_of(text: &str) -> ApiResult<Status> {
    Status::parse(text)
        .ok_or_else(|| ApiError::internal(format_args!("invocation status `{text}`")))
}

/// Creates the invocation started under `key`, or finds the one it already started; returns
/// its id, workflow and input.
pub(super) fn create(
    db: &Db,
    schema: &str,
    workflow: &str,
    key: &str,
    input: &Value,
) -> ApiResult<(Uuid, String, Value)> {
    let inserted = db.query(
        &format!(
            "INSERT INTO {schema}.invocation (id, workflow, start_key, input, next_attempt_at) \
             VALUES ($1, $2, $3, $4, now()) ON CONFLICT (start_key) DO NOTHING \
             RETURNING id, workflow, input"
        ),
        &[
            uuid(crate::ids::new_id()),
            text(workflow),
            text(key),
            crate::db::json(input)?,
        ],
    )?;
    // On a conflict the existing row is read by a statement of its own: one started after
    // the concurrent insert committed, so it sees that row.
    let existing;
    let set = if inserted.rows.is_empty() {
        existing = db.query(
            &format!("SELECT id, workflow, input FROM {schema}.invocation WHERE start_key = $1"),
            &[text(key)],
        )?;
        &existing
    } else {
        &inserted
    };
    let row = rows(set)
        .next()
        .ok_or_else(|| ApiError::internal("an invocation's start key vanished"))?;
    Ok((row.get("id")?, row.get("workflow")?, row.json("input")?))
}

/// Takes invocation `id` for one run under `lease` when it is active and no other run owns it.
pub(super) fn claim(
    db: &Db,
    schema: &str,
    id: Uuid,
    lease: Uuid,
    lease_secs: f64,
) -> ApiResult<Option<Claimed>> {
    let set = db.query(
        &format!(
            "UPDATE {schema}.invocation SET attempts = attempts + 1, lease = $2, \
               lease_until = now() + make_interval(secs => $3), updated_at = now() \
             WHERE id = $1 AND status IN ('pending', 'waiting', 'compensating') \
               AND (lease_until IS NULL OR lease_until < now()) \
             RETURNING workflow, input, status, attempts, failures, faults_fired, rollback_cause"
        ),
        &[uuid(id), uuid(lease), Param::Floating64(lease_secs)],
    )?;
    let Some(row) = rows(&set).next() else {
        return Ok(None);
    };
    Ok(Some(Claimed {
        workflow: row.get("workflow")?,
        input: row.json("input")?,
        status: status_of(&row.get::<String>("status")?)?,
        attempts: row.get("attempts")?,
        failures: row.get("failures")?,
        faults_fired: row
            .get::<Vec<Option<String>>>("faults_fired")?
            .into_iter()
            .flatten()
            .collect(),
        cause: row.json("rollback_cause")?,
    }))
}

/// A run's hold on its invocation: every change below applies only while the run holds it.
pub(super) struct Lease<'a> {
    pub db: &'a Db,
    pub schema: &'a str,
    pub id: Uuid,
    pub lease: Uuid,
}

impl Lease<'_> {
    fn change(&self, sql: &str, params: &[Param]) -> ApiResult<()> {
        let mut all = vec![uuid(self.id), uuid(self.lease)];
        all.extend_from_slice(params);
        self.db.execute(sql, &all)?;
        Ok(())
    }

    /// The body returned `output`: completed.
    pub fn complete(&self, output: &Value) -> ApiResult<()> {
        self.change(
            &format!(
                "UPDATE {}.invocation SET status = 'completed', output = $3, error = NULL, \
                   lease = NULL, lease_until = NULL, next_attempt_at = NULL, waiting_for = NULL, \
                   finished_at = now(), updated_at = now() \
                 WHERE id = $1 AND lease = $2",
                self.schema
            ),
            &[crate::db::json(output)?],
        )
    }

    /// A step refused: the invocation starts undoing its steps, with a fresh failure count.
    pub fn start_compensating(&self, cause: &Cause) -> ApiResult<()> {
        self.change(
            &format!(
                "UPDATE {}.invocation SET status = 'compensating', rollback_cause = $3, \
                   error = NULL, failures = 0, updated_at = now() \
                 WHERE id = $1 AND lease = $2",
                self.schema
            ),
            &[crate::db::json(cause)?],
        )
    }

    /// Every undo ran: the invocation ends as its cause decides, with the cause's error.
    pub fn end_compensation(&self, cause: &Cause) -> ApiResult<()> {
        self.change(
            &format!(
                "UPDATE {}.invocation SET status = $3, error = $4, lease = NULL, \
                   lease_until = NULL, next_attempt_at = NULL, waiting_for = NULL, \
                   finished_at = now(), updated_at = now() \
                 WHERE id = $1 AND lease = $2",
                self.schema
            ),
            &[
                text(cause.ending().status().as_str()),
                crate::db::json(&cause.error())?,
            ],
        )
    }

    /// A run failed with an error worth retrying: due again after `delay_ms`, in the same
    /// direction (forward, or compensating).
    pub fn retry_later(&self, failures: i32, error: &StoredError, delay_ms: i64) -> ApiResult<()> {
        self.change(
            &format!(
                "UPDATE {}.invocation SET \
                   status = CASE WHEN status = 'compensating' THEN 'compensating' \
                                 ELSE 'pending' END, \
                   error = $3, failures = $4, lease = NULL, lease_until = NULL, \
                   next_attempt_at = now() + make_interval(secs => $5), updated_at = now() \
                 WHERE id = $1 AND lease = $2",
                self.schema
            ),
            &[
                crate::db::json(error)?,
                Param::Int32(failures),
                Param::Floating64(delay_ms as f64 / 1000.0),
            ],
        )
    }

    /// Too many failed runs, or an undo that refuses: `failed`, for an operator.
    pub fn give_up(&self, failures: i32, error: &StoredError) -> ApiResult<()> {
        self.change(
            &format!(
                "UPDATE {}.invocation SET status = 'failed', error = $3, failures = $4, \
                   lease = NULL, lease_until = NULL, next_attempt_at = NULL, updated_at = now() \
                 WHERE id = $1 AND lease = $2",
                self.schema
            ),
            &[crate::db::json(error)?, Param::Int32(failures)],
        )
    }

    /// Waits until `until_ms` and/or for `signal`; due at once when the signal has arrived.
    pub fn suspend(
        &self,
        until_ms: Option<i64>,
        signal: Option<&str>,
        arrived: bool,
    ) -> ApiResult<()> {
        self.change(
            &format!(
                "UPDATE {}.invocation SET status = 'waiting', waiting_for = $3, lease = NULL, \
                   lease_until = NULL, updated_at = now(), \
                   next_attempt_at = CASE WHEN $5 THEN now() \
                                          ELSE to_timestamp($4::float8 / 1000) END \
                 WHERE id = $1 AND lease = $2",
                self.schema
            ),
            &[
                crate::db::optional_text(signal),
                until_ms.map_or(Param::DbNull, |d| Param::Floating64(d as f64)),
                Param::Boolean(arrived),
            ],
        )
    }

    /// Records that the fault point `point` fired.
    pub fn fault_fired(&self, point: &str) -> ApiResult<()> {
        self.change(
            &format!(
                "UPDATE {}.invocation SET faults_fired = array_append(faults_fired, $3) \
                 WHERE id = $1 AND lease = $2",
                self.schema
            ),
            &[text(point)],
        )
    }
}

/// Seconds since failed invocation `id` last made progress: since its newest finished
/// journal entry, or since it started. `None` when it is not failed.
///
/// Whatever its unfinished step (or undo) did to another module was done after that instant,
/// under a key whose record the callee keeps for `idempotency_ttl_hours` from then at least.
pub(super) fn failed_idle_secs(db: &Db, schema: &str, id: Uuid) -> ApiResult<Option<i64>> {
    let set = db.query(
        &format!(
            "SELECT extract(epoch FROM now() - GREATEST(i.created_at, \
                 (SELECT max(s.finished_at) FROM {schema}.invocation_step s \
                  WHERE s.invocation_id = i.id AND s.status = 'done')))::int8 AS idle \
             FROM {schema}.invocation i WHERE i.id = $1 AND i.status = 'failed'"
        ),
        &[uuid(id)],
    )?;
    rows(&set).next().map(|r| r.get("idle")).transpose()
}

/// An operator's retry: a `failed` invocation no run owns is due now, in the direction it was
/// going, with a fresh failure count. `false` when it is not failed (or a run owns it).
pub(super) fn retry_failed(db: &Db, schema: &str, id: Uuid) -> ApiResult<bool> {
    let changed = db.execute(
        &format!(
            "UPDATE {schema}.invocation SET \
               status = CASE WHEN rollback_cause IS NULL THEN 'pending' ELSE 'compensating' END, \
               failures = 0, next_attempt_at = now(), updated_at = now() \
             WHERE id = $1 AND status = 'failed' AND (lease_until IS NULL OR lease_until < now())"
        ),
        &[uuid(id)],
    )?;
    Ok(changed == 1)
}

/// An operator's cancel: a pending, waiting or failed invocation that is not rolling back
/// already, and that no run owns, starts undoing its steps. `false` otherwise.
pub(super) fn cancel(db: &Db, schema: &str, id: Uuid) -> ApiResult<bool> {
    let changed = db.execute(
        &format!(
            "UPDATE {schema}.invocation SET status = 'compensating', rollback_cause = $2, \
               failures = 0, next_attempt_at = now(), waiting_for = NULL, updated_at = now() \
             WHERE id = $1 AND status IN ('pending', 'waiting', 'failed') \
               AND rollback_cause IS NULL AND (lease_until IS NULL OR lease_until < now())"
        ),
        &[uuid(id), crate::db::json(&Cause::Cancelled)?],
    )?;
    Ok(changed == 1)
}

/// Up to `limit` invocations that are due: their time has come, or the signal they wait for
/// has arrived; no run owns them.
pub(super) fn due(db: &Db, schema: &str, limit: i64) -> ApiResult<Vec<Uuid>> {
    let set = db.query(
        &format!(
            "SELECT i.id FROM {schema}.invocation i \
             WHERE i.status IN ('pending', 'waiting', 'compensating') \
               AND (i.lease_until IS NULL OR i.lease_until < now()) \
               AND (i.next_attempt_at <= now() \
                    OR (i.status = 'waiting' AND EXISTS \
                          (SELECT 1 FROM {schema}.workflow_signal s \
                           WHERE s.name = i.waiting_for))) \
             ORDER BY i.next_attempt_at NULLS FIRST LIMIT $1"
        ),
        &[limit.into()],
    )?;
    rows(&set).map(|r| r.get("id")).collect()
}

/// Where an invocation stands, for its caller.
pub(super) struct Standing {
    pub status: Status,
    pub output: Option<Value>,
    pub error: Option<StoredError>,
}

/// Where invocation `id` stands; `None` when there is none.
pub(super) fn standing(db: &Db, schema: &str, id: Uuid) -> ApiResult<Option<Standing>> {
    let set = db.query(
        &format!("SELECT status, output, error FROM {schema}.invocation WHERE id = $1"),
        &[uuid(id)],
    )?;
    let Some(row) = rows(&set).next() else {
        return Ok(None);
    };
    Ok(Some(Standing {
        status: status_of(&row.get::<String>("status")?)?,
        output: row.json("output")?,
        error: row.json("error")?,
    }))
}

//! The journal: one row per step, timer, signal wait and undo of an invocation, in the module's
//! `invocation_step` table. A step's row is written in the step's own transaction, so the row
//! exists exactly when the step's effects committed.

use serde_json::Value;
use uuid::Uuid;

use super::state::{EntryKind, StepState, StoredError};
use crate::db::{Db, FromRow, Param, Row, text, uuid};
use crate::error::{ApiError, ApiResult};

/// A journal entry as a run sees it.
#[derive(Clone, Debug)]
pub(super) struct Entry {
    pub name: String,
    pub seq: i32,
    pub kind: EntryKind,
    pub state: StepState,
    pub result: Value,
    pub undo: Option<Value>,
    pub error: Option<StoredError>,
    pub due_ms: Option<i64>,
}

impl FromRow for Entry {
    fn from_row(row: &Row<'_>) -> ApiResult<Entry> {
        let kind: String = row.get("kind")?;
        let state: String = row.get("status")?;
        Ok(Entry {
            name: row.get("name")?,
            seq: row.get("seq")?,
            kind: EntryKind::parse(&kind)
                .ok_or_else(|| ApiError::internal(format_args!("journal kind `{kind}`")))?,
            state: StepState::parse(&state)
                .ok_or_else(|| ApiError::internal(format_args!("journal state `{state}`")))?,
            result: row.json("result")?,
            undo: row.json("undo")?,
            error: row.json("error")?,
            due_ms: row.get("due_ms")?,
        })
    }
}

/// The invocation's journal, in order.
pub(super) fn load(db: &Db, schema: &str, id: Uuid) -> ApiResult<Vec<Entry>> {
    db.fetch_all(
        &format!(
            "SELECT name, seq, kind, status, result, undo, error, \
                    (extract(epoch FROM due_at) * 1000)::int8 AS due_ms \
             FROM {schema}.invocation_step WHERE invocation_id = $1 ORDER BY seq"
        ),
        &[uuid(id)],
    )
}

/// The undo data of every forward step whose effect happened — finished, refused after its
/// remote effect, or interrupted — newest first.
pub(super) fn undos(journal: &[Entry]) -> Vec<(String, Value)> {
    journal
        .iter()
        .rev()
        .filter(|e| e.kind == EntryKind::Step)
        .filter(|e| {
            matches!(
                e.state,
                StepState::Done | StepState::Failed | StepState::Interrupted
            )
        })
        .filter_map(|e| Some((e.name.clone(), e.undo.clone()?)))
        .collect()
}

/// Where a new (or re-run) entry goes.
pub(super) struct Slot<'a> {
    pub invocation: Uuid,
    pub name: &'a str,
    pub seq: i32,
    pub kind: EntryKind,
    pub attempt: i32,
    pub started_ms: i64,
}

fn optional_json(v: Option<&Value>) -> ApiResult<Param> {
    v.map_or(Ok(Param::DbNull), crate::db::json)
}

/// Writes a finished entry (in the step's transaction); `false` when another run finished
/// the step first — that run's row was committed while this one waited on its lock. Only an
/// `interrupted` row is replaced.
pub(super) fn write_done(
    db: &Db,
    schema: &str,
    slot: &Slot<'_>,
    result: &Value,
    undo: Option<&Value>,
) -> ApiResult<bool> {
    let written = db.execute(
        &format!(
            "INSERT INTO {schema}.invocation_step AS s \
               (invocation_id, name, seq, kind, status, result, undo, attempt, started_at, \
                finished_at) \
             VALUES ($1, $2, $3, $4, 'done', $5, $6, $7, to_timestamp($8::float8 / 1000), now()) \
             ON CONFLICT (invocation_id, name) DO UPDATE \
               SET status = 'done', result = EXCLUDED.result, \
                   undo = coalesce(EXCLUDED.undo, s.undo), error = NULL, \
                   attempt = EXCLUDED.attempt, finished_at = now() \
               WHERE s.status = 'interrupted'"
        ),
        &[
            uuid(slot.invocation),
            text(slot.name),
            Param::Int32(slot.seq),
            text(slot.kind.as_str()),
            crate::db::json(result)?,
            optional_json(undo)?,
            Param::Int32(slot.attempt),
            Param::Floating64(slot.started_ms as f64),
        ],
    )?;
    Ok(written == 1)
}

/// Writes a step that failed after its transaction rolled back: `failed` (a refusal; replays
/// return it) or `interrupted` (it runs again), with the undo its remote effect needs, if any.
/// `false` when the row is no longer this run's to write.
pub(super) fn write_failure(
    db: &Db,
    schema: &str,
    slot: &Slot<'_>,
    state: StepState,
    error: &StoredError,
    undo: Option<&Value>,
) -> ApiResult<bool> {
    let written = db.execute(
        &format!(
            "INSERT INTO {schema}.invocation_step AS s \
               (invocation_id, name, seq, kind, status, result, undo, error, attempt, \
                started_at, finished_at) \
             VALUES ($1, $2, $3, $4, $5, 'null', $6, $7, $8, to_timestamp($9::float8 / 1000), \
                     now()) \
             ON CONFLICT (invocation_id, name) DO UPDATE \
               SET status = EXCLUDED.status, undo = coalesce(EXCLUDED.undo, s.undo), \
                   error = EXCLUDED.error, attempt = EXCLUDED.attempt, finished_at = now() \
               WHERE s.status = 'interrupted'"
        ),
        &[
            uuid(slot.invocation),
            text(slot.name),
            Param::Int32(slot.seq),
            text(slot.kind.as_str()),
            text(state.as_str()),
            optional_json(undo)?,
            crate::db::json(error)?,
            Param::Int32(slot.attempt),
            Param::Floating64(slot.started_ms as f64),
        ],
    )?;
    Ok(written == 1)
}

/// Writes a timer or signal wait that has begun, with its due time; `false` when it exists.
pub(super) fn write_wait(
    db: &Db,
    schema: &str,
    slot: &Slot<'_>,
    result: &Value,
    due_ms: Option<i64>,
) -> ApiResult<bool> {
    let written = db.execute(
        &format!(
            "INSERT INTO {schema}.invocation_step \
               (invocation_id, name, seq, kind, status, result, due_at, attempt, started_at) \
             VALUES ($1, $2, $3, $4, 'waiting', $5, to_timestamp($6::float8 / 1000), $7, \
                     to_timestamp($8::float8 / 1000)) \
             ON CONFLICT DO NOTHING"
        ),
        &[
            uuid(slot.invocation),
            text(slot.name),
            Param::Int32(slot.seq),
            text(slot.kind.as_str()),
            crate::db::json(result)?,
            due_ms.map_or(Param::DbNull, |d| Param::Floating64(d as f64)),
            Param::Int32(slot.attempt),
            Param::Floating64(slot.started_ms as f64),
        ],
    )?;
    Ok(written == 1)
}

/// Marks a wait fired with `result`; `false` when it was not waiting any more.
pub(super) fn finish_wait(
    db: &Db,
    schema: &str,
    invocation: Uuid,
    name: &str,
    result: &Value,
) -> ApiResult<bool> {
    let updated = db.execute(
        &format!(
            "UPDATE {schema}.invocation_step SET status = 'done', result = $3, finished_at = now() \
             WHERE invocation_id = $1 AND name = $2 AND status = 'waiting'"
        ),
        &[uuid(invocation), text(name), crate::db::json(result)?],
    )?;
    Ok(updated == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, kind: EntryKind, state: StepState, undo: Option<i64>) -> Entry {
        Entry {
            name: name.into(),
            seq: 0,
            kind,
            state,
            result: Value::Null,
            undo: undo.map(Value::from),
            error: None,
            due_ms: None,
        }
    }

    #[test]
    fn undos_cover_every_step_whose_effect_happened_newest_first() {
        let journal = [
            entry("a", EntryKind::Step, StepState::Done, Some(1)),
            entry("t", EntryKind::Timer, StepState::Done, None),
            entry("b", EntryKind::Step, StepState::Done, None),
            entry("c", EntryKind::Step, StepState::Interrupted, Some(3)),
            entry("d", EntryKind::Step, StepState::Failed, Some(4)),
            entry("e", EntryKind::Step, StepState::Failed, None),
        ];
        let names: Vec<String> = undos(&journal).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["d", "c", "a"]);
    }
}

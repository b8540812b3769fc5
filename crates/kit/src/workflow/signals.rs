//! Signals: a named payload an invocation waits for. The first payload sent under a name is
//! the one every waiter gets; one sent before anyone waits is kept.

use serde_json::Value;
use uuid::Uuid;

use crate::ctx::Ctx;
use crate::db::{Db, rows, text};
use crate::error::ApiResult;

/// Serialises a signal's sending with a waiter's check-then-suspend (transaction-scoped).
pub(super) fn lock(db: &Db, schema: &str, name: &str) -> ApiResult<()> {
    db.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        &[text(format!("{schema}.signal:{name}"))],
    )?;
    Ok(())
}

/// The payload of signal `name`, once sent.
pub(super) fn payload(db: &Db, schema: &str, name: &str) -> ApiResult<Option<Value>> {
    let set = db.query(
        &format!("SELECT payload FROM {schema}.workflow_signal WHERE name = $1"),
        &[text(name)],
    )?;
    rows(&set).next().map(|r| r.json("payload")).transpose()
}

/// Sends the signal `name` with `payload` in `schema` (the module's, unquoted; call it inside
/// the transaction of the change that causes it). Returns the invocations it made due; wake
/// them with [`wake_now`] after the commit.
pub fn signal(db: &Db, schema: &str, name: &str, payload: &Value) -> ApiResult<Vec<Uuid>> {
    let schema = format!("\"{schema}\"");
    lock(db, &schema, name)?;
    db.execute(
        &format!(
            "INSERT INTO {schema}.workflow_signal (name, payload) VALUES ($1, $2) \
             ON CONFLICT (name) DO NOTHING"
        ),
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
    crate::wake::run_invocations(ctx, ids);
}

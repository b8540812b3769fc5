//! The durable timer that keeps exchange rates fresh: a chain of [`RatesRefresh`]
//! invocations, one per slot of `rates_refresh_seconds`, each fetching the rates once, sleeping
//! until the next slot and handing over to the next slot's invocation. No cron: the durable
//! component wakes each one when its timer is due.
//!
//! An invocation's key is its slot's start (`common:rates:<ms>`), so there is one chain: a
//! request that finds no fresh snapshot begins the current slot's invocation too
//! ([`ensure`]), which is the chain's own when it is alive (the key is taken, nothing new
//! starts) and restarts it when it stopped.

use chrono::{DateTime, Duration, Utc};
use kit::db::Db;
use kit::workflow::{Engine, NoUndo, Registered, Run, Step, Stop, Workflow, register};
use kit::{ApiError, ApiResult, Ctx};
use serde::{Deserialize, Serialize};

use crate::model::SCHEMA;
use crate::model::rates;
use crate::providers;

static WORKFLOWS: &[Registered] = &[register::<RatesRefresh>()];

/// The module's workflows.
pub const ENGINE: Engine = Engine {
    schema: SCHEMA,
    workflows: WORKFLOWS,
};

/// How often rates are fetched by default (seconds); the open rates change daily.
const DEFAULT_REFRESH_SECONDS: i64 = 3600;

/// The slot an invocation fetches in.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Slot {
    /// Its start, in Unix milliseconds.
    pub at_ms: i64,
}

/// What a slot's fetch gave.
#[derive(Debug, Deserialize, Serialize)]
pub struct Fetched {
    /// The stored snapshot, or `None` when the provider failed (the next slot tries again).
    pub snapshot_id: Option<uuid::Uuid>,
}

/// Fetches the rates once, then hands over to the next slot.
pub struct RatesRefresh;

impl Workflow for RatesRefresh {
    const NAME: &'static str = "rates_refresh";
    type Input = Slot;
    type Output = Fetched;
    type Undo = NoUndo;

    async fn body(run: &mut Run<'_, NoUndo>, input: Slot) -> Result<Fetched, Stop> {
        let ctx = run.ctx();
        let fetched = run
            .step("fetch", async |s: &Step<'_, NoUndo>| {
                // A failed fetch is not the invocation's failure: the chain goes on.
                match providers::latest_rates(ctx) {
                    Ok(snapshot) => {
                        rates::insert(s.db(), &snapshot)?;
                        Ok(Some(snapshot.id))
                    }
                    Err(e) => {
                        kit::log::warn(format_args!("refreshing exchange rates failed: {e}"));
                        Ok(None)
                    }
                }
            })
            .await?;
        let next = slot_start(at(input.at_ms)? + interval(ctx), interval(ctx));
        run.sleep_until("next-slot", next).await?;
        run.step("hand-over", async |s: &Step<'_, NoUndo>| {
            begin(ctx, s.db(), next)
        })
        .await?;
        Ok(Fetched {
            snapshot_id: fetched,
        })
    }
}

fn at(ms: i64) -> Result<DateTime<Utc>, Stop> {
    kit::time::from_epoch_millis(ms)
        .ok_or_else(|| Stop::Failed(ApiError::internal("a slot's instant is out of range")))
}

/// `rates_refresh_seconds`, at least one second.
fn interval(ctx: &Ctx) -> Duration {
    let seconds = ctx.settings().number(
        "rates_refresh_seconds",
        DEFAULT_REFRESH_SECONDS,
        1..=i64::from(i32::MAX),
    );
    Duration::seconds(seconds)
}

/// The start of the slot `t` is in.
fn slot_start(t: DateTime<Utc>, interval: Duration) -> DateTime<Utc> {
    let step = interval.num_milliseconds().max(1);
    let ms = t.timestamp_millis();
    kit::time::from_epoch_millis(ms - ms.rem_euclid(step)).unwrap_or(t)
}

fn begin(ctx: &Ctx, db: &Db, slot: DateTime<Utc>) -> ApiResult<()> {
    let at_ms = slot.timestamp_millis();
    ENGINE.begin::<RatesRefresh>(ctx, db, &format!("common:rates:{at_ms}"), &Slot { at_ms })?;
    Ok(())
}

/// Begins the current slot's invocation, in `db`'s transaction: the chain's own when it is
/// alive, a new chain when it stopped.
pub fn ensure(ctx: &Ctx, db: &Db) -> ApiResult<()> {
    begin(ctx, db, slot_start(Utc::now(), interval(ctx)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_start_on_whole_intervals() {
        let t = DateTime::parse_from_rfc3339("2026-12-03T10:47:12Z")
            .unwrap()
            .to_utc();
        let hour = slot_start(t, Duration::minutes(60));
        assert_eq!(hour.to_rfc3339(), "2026-12-03T10:00:00+00:00");
        let quarter = slot_start(t, Duration::minutes(15));
        assert_eq!(quarter.to_rfc3339(), "2026-12-03T10:45:00+00:00");
        assert_eq!(slot_start(hour, Duration::minutes(60)), hour);
    }
}

//! The durable timers behind schedules: what an automatic promotion gives a card changes when
//! its schedule starts, opens or closes a window, or ends, and catalog keeps those prices
//! ([`crate::model::outbox::reprice`]). Every write of an automatic promotion starts one
//! [`PriceChanges`] invocation for that version of it; the invocation sleeps until each
//! change the schedule makes ([`Schedule::next_change`]) and then asks catalog to reprice,
//! each wait and each message exactly once, across restarts. No cron: the durable component
//! wakes the invocation when its timer is due.
//!
//! The body reads the promotion outside steps, live: replayed after a crash, it follows the
//! same version's schedule (a version never changes), so it names the same timers and steps.
//!
//! A later write of the promotion starts a new invocation for the new version; the old one
//! notices at its next wake-up and ends without repricing. So does an invocation whose
//! promotion was deleted, ended, or given a code. A schedule without end (weekly windows for
//! ever) hands over to a fresh invocation every [`CHANGES_PER_INVOCATION`] changes, so no
//! journal grows without bound.

use chrono::{DateTime, Utc};
use kit::db::Db;
use kit::workflow::{Engine, NoUndo, Registered, Run, Step, Stop, Workflow, register};
use kit::{ApiError, ApiResult, Ctx};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::promotion::{self, Promotion};
use crate::model::{Lock, SCHEMA, outbox};
use crate::rules::schedule::Schedule;

static WORKFLOWS: &[Registered] = &[register::<PriceChanges>()];

/// The module's workflows.
pub const ENGINE: Engine = Engine {
    schema: SCHEMA,
    workflows: WORKFLOWS,
};

/// Schedule changes one invocation waits for before a fresh one takes over.
pub const CHANGES_PER_INVOCATION: usize = 50;

/// Which version of which promotion an invocation watches, from which instant on.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Watch {
    /// The promotion.
    pub promotion_id: Uuid,
    /// Its `updated_at` in microseconds: the version whose schedule is followed.
    pub version_us: i64,
    /// Changes after this instant (Unix milliseconds) are waited for.
    pub from_ms: i64,
}

/// What an invocation ended with.
#[derive(Debug, Deserialize, Serialize)]
pub struct Watched {
    /// Changes it repriced catalog for.
    pub changes: usize,
    /// Why it stopped: `no_more_changes`, `superseded` (the promotion changed, was deleted,
    /// ended or given a code) or `handed_over` (a fresh invocation goes on).
    pub ended: String,
}

/// Sleeps until each change of one promotion version's schedule and reprices catalog then.
pub struct PriceChanges;

impl Workflow for PriceChanges {
    const NAME: &'static str = "price_changes";
    type Input = Watch;
    type Output = Watched;
    type Undo = NoUndo;

    async fn body(run: &mut Run<'_, NoUndo>, input: Watch) -> Result<Watched, Stop> {
        let mut cursor = at_ms(input.from_ms)?;
        let ended = |changes: usize, why: &str| Watched {
            changes,
            ended: why.to_string(),
        };
        for changes in 0..CHANGES_PER_INVOCATION {
            let Some(current) = watched(run.ctx().db()?, &input)? else {
                return Ok(ended(changes, "superseded"));
            };
            let schedule = Schedule::parse(&current.stored.schedule)?;
            let Some(at) = schedule.next_change(cursor) else {
                return Ok(ended(changes, "no_more_changes"));
            };
            let name = at.timestamp_millis();
            run.sleep_until(&format!("change-{name}"), at).await?;
            // Woken: the promotion may have changed while the timer ran.
            let Some(current) = watched(run.ctx().db()?, &input)? else {
                return Ok(ended(changes, "superseded"));
            };
            run.step(&format!("reprice-{name}"), async |s: &Step<'_, NoUndo>| {
                outbox::reprice(s.db(), &current.stored)
            })
            .await?;
            kit::outbox::wake(run.ctx(), SCHEMA);
            cursor = at;
        }
        let next = Watch {
            from_ms: cursor.timestamp_millis(),
            ..input
        };
        let ctx = run.ctx();
        run.step("hand-over", async |s: &Step<'_, NoUndo>| {
            begin_at(ctx, s.db(), &next)
        })
        .await?;
        Ok(ended(CHANGES_PER_INVOCATION, "handed_over"))
    }
}

fn at_ms(ms: i64) -> Result<DateTime<Utc>, Stop> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| Stop::Failed(ApiError::internal("a watch's instant is out of range")))
}

/// The promotion while it is still the watched version of an automatic, live promotion.
fn watched(db: &Db, watch: &Watch) -> ApiResult<Option<Promotion>> {
    let current = promotion::find(db, watch.promotion_id, Lock::None)?;
    Ok(current.filter(|p| {
        p.updated_at.timestamp_micros() == watch.version_us
            && p.ended_at.is_none()
            && p.stored.code.is_none()
    }))
}

/// Starts watching `p` as just written, in the write's transaction; nothing for a promotion
/// with a code, which cards never show.
pub fn begin(ctx: &Ctx, db: &Db, p: &Promotion) -> ApiResult<()> {
    if p.stored.code.is_some() || p.ended_at.is_some() {
        return Ok(());
    }
    let version_us = p.updated_at.timestamp_micros();
    begin_at(
        ctx,
        db,
        &Watch {
            promotion_id: p.stored.id,
            version_us,
            from_ms: version_us.div_euclid(1000),
        },
    )
}

fn begin_at(ctx: &Ctx, db: &Db, watch: &Watch) -> ApiResult<()> {
    let key = format!(
        "promotion:{}:{}:price-changes:{}",
        watch.promotion_id, watch.version_us, watch.from_ms
    );
    ENGINE.begin::<PriceChanges>(ctx, db, &key, watch)?;
    Ok(())
}

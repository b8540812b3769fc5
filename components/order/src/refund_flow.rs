//! A refund's timeout: one invocation per refund, started when the buyer asks. `look-<n>`
//! steps decide by [`rules::refund_move`] under the refund's lock; `wait-<n>` waits durably
//! for the refund's signal (the seller decided, the return was delivered) or the answer time;
//! when the seller left it unanswered, `approve` approves it ([`refund_money::approve_refund`]:
//! the buyer refunded, the payout cancelled).

use chrono::{Duration, Utc};
use kit::db::Lock;
use kit::workflow::{NoUndo, Run, Step, Stop, Workflow};
use kit::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::Config;
use crate::model::{SCHEMA, order, order_refund};
use crate::refund_money;
use crate::rules::{self, RefundMove};

/// Looks one refund takes at most: a safety net (each follows a decision, a delivered return
/// or the answer time).
const MAX_LOOKS: usize = 1000;

/// The invocation key of refund `id`'s timeout.
pub fn key(id: Uuid) -> String {
    format!("refund:{id}")
}

/// The refund to time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Asked {
    pub refund_id: Uuid,
}

/// The refund timeout workflow (see the module docs).
pub struct RefundTimer;

impl Workflow for RefundTimer {
    const NAME: &'static str = "refund_timeout";
    type Input = Asked;
    type Output = Asked;
    type Undo = NoUndo;

    async fn body(run: &mut Run<'_, NoUndo>, asked: Asked) -> Result<Asked, Stop> {
        let ctx = run.ctx();
        let id = asked.refund_id;
        for round in 0..MAX_LOOKS {
            let next: RefundMove = run
                .step(&format!("look-{round}"), async |s: &Step<'_, NoUndo>| {
                    let answer = Duration::seconds(Config::read(ctx.settings()).refund_answer_secs);
                    let r = order_refund::look(s.db(), id)?;
                    Ok(rules::refund_move(
                        Utc::now(),
                        &r.status,
                        r.created_at,
                        r.returned_at,
                        answer,
                    ))
                })
                .await?;
            match next {
                RefundMove::Done => return Ok(asked),
                RefundMove::Approve => {
                    let woken: Vec<Uuid> = run
                        .step("approve", async |s: &Step<'_, NoUndo>| approve(s, id).await)
                        .await?;
                    kit::workflow::wake_now(ctx, &woken);
                    kit::outbox::wake(ctx, SCHEMA);
                    return Ok(asked);
                }
                RefundMove::Wait { until_ms } => {
                    let until = until_ms
                        .map(|ms| {
                            kit::time::from_epoch_millis(ms).ok_or_else(|| {
                                Stop::Failed(ApiError::internal("a due time out of range"))
                            })
                        })
                        .transpose()?;
                    let signal =
                        order_refund::signal_name(id, i32::try_from(round + 1).unwrap_or(0));
                    run.signal(&format!("wait-{round}"), &signal, until).await?;
                }
            }
        }
        Err(Stop::Failed(ApiError::internal(
            "a refund looked too often",
        )))
    }
}

/// Approves refund `id` unless its seller decided it since the look (under the order's lock,
/// then the refund's, as the seller's routes take them); the payout to wake.
async fn approve(s: &Step<'_, NoUndo>, id: Uuid) -> ApiResult<Vec<Uuid>> {
    let db = s.db();
    let seen = order_refund::find(db, id, Lock::None)?
        .ok_or_else(|| ApiError::internal("a refund's workflow lost its refund"))?;
    order::find(db, seen.order_id, Lock::ForUpdate)?;
    let r = order_refund::find(db, id, Lock::ForUpdate)?
        .ok_or_else(|| ApiError::internal("a refund's workflow lost its refund"))?;
    if !r.is_active() {
        return Ok(Vec::new());
    }
    let peers = refund_money::Peers {
        account: s.internal("account"),
        payments: s.internal("order"),
    };
    refund_money::approve_refund(&peers, db, &r, "timeout").await?;
    order::nudge(db, r.order_id)
}

//! The confirmation deadline: one invocation per paid checkout, started when it is paid. It
//! sleeps durably until `confirm_within_secs` after the payment, then withdraws every item
//! still awaiting its seller ([`crate::withdraw`], by the deadline): stock released, the
//! buyer refunded, both parties told. Items confirmed or cancelled meanwhile are left alone.

use kit::db::Lock;
use kit::workflow::{NoUndo, Run, Step, Stop, Workflow};
use kit::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::SCHEMA;
use crate::model::checkout;
use crate::withdraw::{By, Peers, withdraw};

/// The invocation key of checkout `id`'s deadline.
pub fn key(id: Uuid) -> String {
    format!("confirm-by:{id}")
}

/// The checkout whose items its sellers must confirm by `due_ms`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Asked {
    pub checkout_id: Uuid,
    pub due_ms: i64,
}

/// The deadline workflow (see the module docs).
pub struct ConfirmBy;

impl Workflow for ConfirmBy {
    const NAME: &'static str = "confirm_by";
    type Input = Asked;
    type Output = Asked;
    type Undo = NoUndo;

    async fn body(run: &mut Run<'_, NoUndo>, asked: Asked) -> Result<Asked, Stop> {
        let due = kit::time::from_epoch_millis(asked.due_ms)
            .ok_or_else(|| Stop::Failed(ApiError::internal("a deadline out of range")))?;
        run.sleep_until("due", due).await?;
        let id = asked.checkout_id;
        run.step("lapse", async |s: &Step<'_, NoUndo>| lapse(s, id).await)
            .await?;
        kit::outbox::wake(run.ctx(), SCHEMA);
        Ok(asked)
    }
}

async fn lapse(s: &Step<'_, NoUndo>, id: Uuid) -> ApiResult<()> {
    let db = s.db();
    let peers = Peers {
        inventory: s.internal("inventory"),
        account: s.internal("account"),
    };
    for bought in checkout::awaiting_in(db, id)? {
        // Read again for each: the one before changed its amounts.
        let c = checkout::find(db, id, Lock::ForUpdate)?
            .ok_or_else(|| ApiError::internal("a deadline lost its checkout"))?;
        withdraw(&peers, db, &c, &bought, By::Deadline).await?;
    }
    Ok(())
}

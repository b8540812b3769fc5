//! The payout workflow: one invocation per order, holding the escrow of what the buyer paid
//! until it is paid out to the seller — [`rules::payout_move`]: a hold after delivery, or a
//! deadline after confirmation when no delivery is reported. `look-<n>` steps decide under
//! the order's lock; `wait-<n>` waits durably for the order's signal (a delivery) or the due
//! time; `release` credits the seller's wallet with the order's payout (in the wallet's
//! currency: what the buyer paid, converted, less the commission and a fee kept from it) and
//! tells the seller.

use chrono::{Duration, Utc};
use contracts::account::{NotificationRequest, WalletMovementRequest};
use kit::workflow::{NoUndo, Run, Step, Stop, Workflow};
use kit::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::config::Config;
use crate::confirm_flow::short;
use crate::model::{SCHEMA, order, outbox};
use crate::rules::{self, PayoutMove};

/// Looks one payout takes at most: a safety net (each look follows a delivery report or a
/// due time).
const MAX_LOOKS: usize = 1000;

/// The invocation key of order `id`'s payout.
pub fn key(id: Uuid) -> String {
    format!("payout:{id}")
}

/// The order whose escrow is paid out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Asked {
    pub order_id: Uuid,
}

/// The payout workflow (see the module docs).
pub struct Payout;

impl Workflow for Payout {
    const NAME: &'static str = "payout";
    type Input = Asked;
    type Output = Asked;
    type Undo = NoUndo;

    async fn body(run: &mut Run<'_, NoUndo>, asked: Asked) -> Result<Asked, Stop> {
        let ctx = run.ctx();
        let id = asked.order_id;
        for round in 0..MAX_LOOKS {
            let next: PayoutMove = run
                .step(&format!("look-{round}"), async |s: &Step<'_, NoUndo>| {
                    let config = Config::read(ctx.settings());
                    let o = order::look(s.db(), id)?;
                    let confirmed = o
                        .confirmed_at
                        .ok_or_else(|| ApiError::internal("a payout before its confirmation"))?;
                    Ok(rules::payout_move(
                        Utc::now(),
                        o.payout_status == "held",
                        confirmed,
                        o.delivered_at,
                        Duration::seconds(config.payout_hold_secs),
                        Duration::seconds(config.payout_deadline_secs),
                    ))
                })
                .await?;
            match next {
                PayoutMove::Done => return Ok(asked),
                PayoutMove::Release => {
                    run.step("release", async |s: &Step<'_, NoUndo>| release(s, id).await)
                        .await?;
                    kit::outbox::wake(ctx, SCHEMA);
                    return Ok(asked);
                }
                PayoutMove::Wait { until_ms } => {
                    let until = kit::time::from_epoch_millis(until_ms).ok_or_else(|| {
                        Stop::Failed(ApiError::internal("a payout's due time is out of range"))
                    })?;
                    let signal = order::signal_name(id, i32::try_from(round + 1).unwrap_or(0));
                    run.signal(&format!("wait-{round}"), &signal, Some(until))
                        .await?;
                }
            }
        }
        Err(Stop::Failed(ApiError::internal(
            "a payout looked too often",
        )))
    }
}

async fn release(s: &Step<'_, NoUndo>, id: Uuid) -> ApiResult<()> {
    let o = order::find(s.db(), id, kit::db::Lock::ForUpdate)?
        .ok_or_else(|| ApiError::internal("a payout lost its order"))?;
    if o.payout_minor > 0 {
        let _: Value = s
            .internal("account")
            .post(
                "/internal/wallet/credit",
                &WalletMovementRequest {
                    account_id: o.seller_id,
                    amount: o.payout_minor,
                    currency: o.payout_currency.clone(),
                    reason: format!("Payout of order {}", short(id)),
                    reference: Some(order::owner_of(id)),
                },
                Some(s.key()),
            )
            .await?;
    }
    order::released(s.db(), id)?;
    outbox::notify(
        s.db(),
        &format!("order:{id}:paid-out"),
        &NotificationRequest {
            account_id: o.seller_id,
            kind: "payout_released".into(),
            title: format!("Order {} is paid out", short(id)),
            content: format!(
                "{} {} went to your wallet (commission {}, fee {}).",
                o.payout_minor, o.payout_currency, o.commission_minor, o.fee_minor
            ),
            metadata: Some(json!({ "order_id": id })),
        },
    )
}

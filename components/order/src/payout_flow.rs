//! The payout workflow: one invocation per order, holding the escrow of what the buyer paid
//! until it is paid out to the seller — [`rules::payout_move`]: a hold after delivery, or a
//! deadline after confirmation when no delivery is reported; never while a refund or a
//! dispute of the order is open; not at all once a refund in full cancelled it. `look-<n>` steps decide under
//! the order's lock; `wait-<n>` waits durably for the order's signal (a delivery) or the due
//! time; `release` credits the seller's wallet with the order's payout (in the wallet's
//! currency: what the buyer paid, converted, less the commission and a fee kept from it) and
//! tells the seller; the last payout of a checkout makes its cashback due, which promotion
//! credits to the buyer.

use chrono::{Duration, Utc};
use contracts::account::{NotificationRequest, WalletMovementRequest};
use kit::workflow::{NoUndo, Run, Step, Stop, Workflow};
use kit::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::config::Config;
use crate::model::{SCHEMA, checkout, order, order_refund, outbox};
use crate::rules::{self, Escrow, PayoutMove, short};

/// Looks one payout takes at most: a safety net (each look follows a delivery report or a
/// due time, a refund or dispute decided).
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
                    let confirmed_at = o
                        .confirmed_at
                        .ok_or_else(|| ApiError::internal("a payout before its confirmation"))?;
                    let holding = order_refund::holding(s.db(), id)?;
                    Ok(rules::payout_move(&Escrow {
                        now: Utc::now(),
                        held: o.payout_status == "held",
                        blocked: holding.blocked,
                        confirmed_at,
                        delivered_at: o.delivered_at,
                        rejected_at: holding.rejected_at,
                        hold: Duration::seconds(config.payout_hold_secs),
                        deadline: Duration::seconds(config.payout_deadline_secs),
                    }))
                })
                .await?;
            match next {
                PayoutMove::Done => return Ok(asked),
                PayoutMove::Release => {
                    let released: bool = run
                        .step(&format!("release-{round}"), async |s: &Step<'_, NoUndo>| {
                            release(s, id).await
                        })
                        .await?;
                    if released {
                        kit::outbox::wake(ctx, SCHEMA);
                        return Ok(asked);
                    }
                }
                PayoutMove::Wait { until_ms } => {
                    let until = until_ms
                        .map(|ms| {
                            kit::time::from_epoch_millis(ms).ok_or_else(|| {
                                Stop::Failed(ApiError::internal("a due time out of range"))
                            })
                        })
                        .transpose()?;
                    let signal = order::signal_name(id, i32::try_from(round + 1).unwrap_or(0));
                    run.signal(&format!("wait-{round}"), &signal, until).await?;
                }
            }
        }
        Err(Stop::Failed(ApiError::internal(
            "a payout looked too often",
        )))
    }
}

/// Pays order `id` out, unless a refund or a dispute was opened since the look decided to
/// (both take the order's lock, as this does): whether it did.
async fn release(s: &Step<'_, NoUndo>, id: Uuid) -> ApiResult<bool> {
    let o = order::find(s.db(), id, kit::db::Lock::ForUpdate)?
        .ok_or_else(|| ApiError::internal("a payout lost its order"))?;
    if o.payout_status != "held" || order_refund::holding(s.db(), id)?.blocked {
        return Ok(false);
    }
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
    // The last payout of a checkout makes its cashback due (promotion credits it, once).
    for part in order::parts(s.db(), id)? {
        let c = checkout::find(s.db(), part.checkout_id, kit::db::Lock::None)?
            .ok_or_else(|| ApiError::internal("an order part without its checkout"))?;
        if c.redeemed && checkout::payouts_released(s.db(), c.id)? {
            let path = format!(
                "/internal/redemptions/{}/cashback",
                checkout::owner_of(c.id)
            );
            let paid: ApiResult<Value> = s
                .internal("promotion")
                .post(
                    &path,
                    &json!({}),
                    Some(&format!("{}:cashback:{}", s.key(), c.id)),
                )
                .await;
            match paid {
                Err(e) if !(e.status == 409 && e.code == "cashback_paid") => return Err(e),
                _ => {}
            }
        }
    }
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
    )?;
    Ok(true)
}

//! Money going back to a buyer after delivery — a refund approved (by the order's seller or
//! its timeout) or a dispute resolved in the buyer's favour — one way for all: each checkout's
//! part of the order given back in order's ledger, to the buyer's wallet under that
//! checkout's reference or through the gateway that took it; the payout cancelled or cut.

use contracts::account::{NotificationRequest, WalletMovementRequest};
use contracts::order::RefundPayment;
use kit::client::Internal;
use kit::db::{Db, Lock};
use kit::{ApiError, ApiResult, Ctx};
use serde_json::Value;
use uuid::Uuid;

use crate::model::order::{self, Order};
use crate::model::order_refund::{self, Refund};
use crate::model::{checkout, ledger, outbox};
use crate::rules::{self, short};

pub fn tell(
    db: &Db,
    key: &str,
    account: Uuid,
    kind: &str,
    title: String,
    r: &Refund,
) -> ApiResult<()> {
    outbox::notify(
        db,
        key,
        &NotificationRequest {
            account_id: account,
            kind: kind.into(),
            title,
            content: format!("Refund {} of order {}.", short(r.id), short(r.order_id)),
            metadata: Some(serde_json::json!({ "refund_id": r.id, "order_id": r.order_id })),
        },
    )
}

/// What is left to refund of order `o`: what its buyer paid for it less refunds so far.
pub fn left_of(o: &Order) -> i64 {
    o.items_minor + o.shipping_minor - o.refunded_minor
}

/// Refunds `amount` of order `o` (locked) to its buyer under `reference` — through the
/// gateways that took it where they make refunds when `to_gateway`, to the wallet otherwise
/// and for the rest: each checkout's part given back in order's ledger, the payout cancelled
/// when nothing is left, or cut by the refund's share of what was left. 422
/// `refund_too_large` past what is left. The caller nudges the order's payout.
pub async fn give_back(
    peers: &Peers,
    db: &Db,
    o: &Order,
    amount: i64,
    reference: &str,
    to_gateway: bool,
) -> ApiResult<()> {
    let left = left_of(o);
    if amount <= 0 || amount > left {
        return Err(ApiError::unprocessable(
            "refund_too_large",
            format!("1 to {left} {} of this order can be refunded", o.currency),
        ));
    }
    let parts = order::parts(db, o.id)?;
    let ids: Vec<Uuid> = parts.iter().map(|p| p.checkout_id).collect();
    checkout::lock_all(db, &ids)?;
    let mut due = amount;
    for part in &parts {
        let share = due.min(part.left_minor());
        if share <= 0 {
            continue;
        }
        let checkout = part.checkout_id;
        let mut to_wallet = share;
        if to_gateway {
            to_wallet -= through_gateway(peers, db, checkout, share, reference).await?;
        }
        if to_wallet > 0 {
            // Each checkout's money goes back under its own reference, as it was taken.
            let _: Value = peers
                .account
                .post(
                    "/internal/wallet/credit",
                    &WalletMovementRequest {
                        account_id: o.buyer_id,
                        amount: to_wallet,
                        currency: o.currency.clone(),
                        reason: format!("Refund of order {}", short(o.id)),
                        reference: Some(checkout::owner_of(checkout)),
                    },
                    Some(&format!("order:{reference}:{checkout}:wallet")),
                )
                .await?;
            ledger::give_back_part(
                db,
                checkout,
                to_wallet,
                ledger::Kind::Wallet,
                &format!("{reference}:{checkout}"),
            )?;
        }
        order::part_refunded(db, o.id, checkout, share)?;
        due -= share;
    }
    let cut = (amount < left).then(|| rules::payout_cut(o.payout_minor, amount, left));
    order::refunded(db, o.id, amount, cut)
}

/// The modules a refund calls: account (the wallet) and order's own payments (the gateways).
pub struct Peers {
    pub account: Internal,
    pub payments: Internal,
}

impl Peers {
    pub fn of(ctx: &Ctx) -> Peers {
        Peers {
            account: ctx.internal("account"),
            payments: ctx.internal("order"),
        }
    }
}

/// Refunds up to `share` of `checkout` through the gateways that took it, each payment in
/// turn; stops at a gateway that makes no refunds (its 422). How much went back that way.
async fn through_gateway(
    peers: &Peers,
    db: &Db,
    checkout: Uuid,
    share: i64,
    reference: &str,
) -> ApiResult<i64> {
    let mut done = 0;
    for (attempt, left) in ledger::gateway_left(db, checkout)? {
        let part = (share - done).min(left);
        if part <= 0 {
            break;
        }
        let answer: ApiResult<Value> = peers
            .payments
            .post(
                &format!("/internal/payments/{attempt}/refunds"),
                &RefundPayment {
                    amount_minor: Some(part),
                    reason: format!("refund {reference}"),
                    requested_by: "order".into(),
                },
                Some(&format!("order:{reference}:{checkout}:{attempt}")),
            )
            .await;
        match answer {
            Ok(_) => {}
            Err(e) if e.status == 422 => break,
            Err(e) => return Err(e),
        }
        ledger::give_back_part(
            db,
            checkout,
            part,
            ledger::Kind::Gateway,
            &format!("{reference}:{checkout}:{attempt}"),
        )?;
        done += part;
    }
    Ok(done)
}

/// Approves refund `r` (active; its order locked) `by` its seller or the timeout: what is left
/// of the order goes back to the buyer, the payout is cancelled, both are told.
pub async fn approve_refund(peers: &Peers, db: &Db, r: &Refund, by: &str) -> ApiResult<()> {
    let o = order::find(db, r.order_id, Lock::ForUpdate)?
        .ok_or_else(|| ApiError::internal("a refund without its order"))?;
    let amount = left_of(&o);
    if amount > 0 {
        let original = r.refund_to == "original";
        give_back(peers, db, &o, amount, &format!("refund:{}", r.id), original).await?;
    }
    order_refund::approved(db, r.id, amount, by)?;
    let title = format!("Refund of order {} approved", short(r.order_id));
    tell(
        db,
        &format!("order:refund:{}:approved:buyer", r.id),
        r.buyer_id,
        "refund_approved",
        title.clone(),
        r,
    )?;
    tell(
        db,
        &format!("order:refund:{}:approved:seller", r.id),
        r.seller_id,
        "refund_approved",
        title,
        r,
    )
}

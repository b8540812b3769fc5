//! Withdrawing a paid item before its seller confirms it — the buyer cancels it, the seller
//! rejects it, or the seller let the confirmation deadline pass — one way for all three.
//!
//! The item's stock line is released; what it came to — its total, and its seller's shipping
//! once no other item of that seller is left in the checkout — is given back: cash on
//! delivery not yet collected or put on a shipment is waived first, the rest refunded to the
//! buyer's wallet in the checkout's currency, each refund its own reversal in order's ledger
//! (several partial refunds of one checkout add up, never past what was paid). The other
//! party is told (both, when the deadline passed).
//!
//! Call it in a transaction holding the checkout's row lock, so two withdrawals of one
//! checkout are decided one after the other; the calls to inventory and account carry keys
//! derived from the item, so a retry after a failure has each effect once.

use contracts::account::{NotificationRequest, WalletMovementRequest};
use contracts::inventory::{LinesRequest, ReservationAnswer};
use kit::client::Internal;
use kit::db::Db;
use kit::{ApiError, ApiResult};
use serde_json::Value;
use uuid::Uuid;

use crate::model::checkout::{self, Bought, Cancelled, Checkout};
use crate::model::{ledger, outbox};
use crate::rules;

/// Who withdraws an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    Buyer,
    Seller,
    Deadline,
}

impl By {
    pub fn as_str(self) -> &'static str {
        match self {
            By::Buyer => "buyer",
            By::Seller => "seller",
            By::Deadline => "deadline",
        }
    }
}

/// The modules a withdrawal calls.
pub struct Peers {
    pub inventory: Internal,
    pub account: Internal,
}

/// 409 `item_not_pending` unless `bought` is paid and still awaits its seller.
pub fn ensure_pending(bought: &Bought) -> ApiResult<()> {
    if bought.item.status != "awaiting_seller" {
        return Err(ApiError::conflict(
            "item_not_pending",
            format!(
                "item {} is {}: only a paid item its seller has not confirmed can be withdrawn",
                bought.item.id, bought.item.status
            ),
        ));
    }
    Ok(())
}

/// Withdraws `bought`, an item of `c` (locked) that awaits its seller.
pub async fn withdraw(
    peers: &Peers,
    db: &Db,
    c: &Checkout,
    bought: &Bought,
    by: By,
) -> ApiResult<()> {
    ensure_pending(bought)?;
    let item = &bought.item;
    let id = item.id;
    let last = !checkout::seller_has_other_items(db, c.id, item.seller_id, id)?;
    let shipping = if last {
        checkout::shipping(db, &[c.id])?
            .into_iter()
            .map(|(_, s)| s)
            .find(|s| s.seller_id == item.seller_id)
            .map(|s| s.fee_minor - s.discount_minor)
    } else {
        None
    };
    let cod_left = c.cod_minor - c.cod_waived_minor - c.cod_assigned_minor;
    let (amount, refund, waived) = rules::cancellation(item.total_minor, shipping, cod_left);
    let reservation = c
        .reservation_id
        .ok_or_else(|| ApiError::internal("a paid checkout without its reservation"))?;
    release_line(&peers.inventory, reservation, item.sku_id, id).await?;
    if refund > 0 {
        let reason = match by {
            By::Buyer => format!("Cancelled: {}", item.name),
            By::Seller => format!("Rejected by the seller: {}", item.name),
            By::Deadline => format!("Not confirmed in time: {}", item.name),
        };
        let _: Value = peers
            .account
            .post(
                "/internal/wallet/credit",
                &WalletMovementRequest {
                    account_id: c.buyer_id,
                    amount: refund,
                    currency: c.currency.clone(),
                    reason: kit::validate::fit_line(&reason, 200),
                    reference: Some(checkout::owner_of(c.id)),
                },
                Some(&format!("order:item-cancel:{id}:refund")),
            )
            .await?;
        ledger::give_back_part(
            db,
            c.id,
            refund,
            ledger::Kind::Wallet,
            &format!("item:{id}:refund"),
        )?;
    }
    checkout::cancel_item(
        db,
        c.id,
        id,
        by.as_str(),
        &Cancelled {
            amount_minor: amount,
            refunded_minor: refund,
            cod_waived_minor: waived,
        },
    )?;
    let what = format!("{} × {}", item.quantity, item.name);
    let metadata = serde_json::json!({ "checkout_id": c.id, "item_id": id });
    let tell = |who: Uuid, party: &str, kind: &str, title: &str, content: String| {
        outbox::notify(
            db,
            &format!("order:item-cancel:{id}:{party}"),
            &NotificationRequest {
                account_id: who,
                kind: kind.into(),
                title: title.into(),
                content: kit::validate::fit_text(
                    &content,
                    contracts::account::NOTIFICATION_CONTENT_MAX,
                ),
                metadata: Some(metadata.clone()),
            },
        )
    };
    if by != By::Seller {
        tell(
            item.seller_id,
            "seller",
            "item_cancelled",
            "An item will not be shipped",
            format!("{what} was withdrawn ({}): do not ship it.", by.as_str()),
        )?;
    }
    if by != By::Buyer {
        tell(
            c.buyer_id,
            "buyer",
            "item_refunded",
            "An item was refunded",
            format!("{what} will not be shipped; what you paid for it was refunded."),
        )?;
    }
    Ok(())
}

/// Releases the reservation line of `sku` (item `item`'s); a line released before (a retry
/// after its record expired) counts as done.
async fn release_line(
    inventory: &Internal,
    reservation: Uuid,
    sku: Uuid,
    item: Uuid,
) -> ApiResult<()> {
    let answer: ApiResult<ReservationAnswer> = inventory
        .post(
            &format!("/internal/reservations/{reservation}/release"),
            &LinesRequest {
                sku_ids: Some(vec![sku]),
            },
            Some(&format!("order:item-cancel:{item}:stock")),
        )
        .await;
    match answer {
        Err(e) if !(e.status == 404 && e.code == "reservation_line_not_found") => Err(e),
        _ => Ok(()),
    }
}

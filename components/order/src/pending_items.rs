//! `/api/v1/order/pending-items`: the signed-in buyer's paid items that await their sellers.
//!
//! - `GET …/pending-items`: newest first, keyset pages.
//! - `DELETE …/pending-items/:id`: the buyer cancels the item before its seller confirms. Its
//!   stock line is released; what it came to — its total, and its seller's shipping once it
//!   was that seller's last item — is given back: cash on delivery not yet collected is
//!   waived first, the rest refunded to the buyer's wallet in the checkout's currency, each
//!   refund its own reversal in order's ledger (several partial refunds of one checkout add
//!   up, never past what was paid). The seller is told. 409 `item_not_pending` once the
//!   seller confirmed it or it was never paid; a cancelled item is answered as it stands.
//!
//! Under the checkout's lock, so two cancels of one checkout are decided one after the other;
//! the calls to inventory and account carry keys derived from the item, so a retry after a
//! failure has each effect once.

use contracts::account::{NotificationRequest, WalletMovementRequest};
use contracts::inventory::{ReleaseRequest, ReservationAnswer};
use kit::db::{Db, Lock};
use kit::page::Page;
use kit::time::rfc3339 as stamp;
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::model::checkout::{self, Bought, Cancelled};
use crate::model::{SCHEMA, ledger, outbox};
use crate::rules;

/// A paid item as its buyer sees it.
#[derive(Serialize)]
struct PendingItem {
    id: Uuid,
    checkout_id: Uuid,
    sku_id: Uuid,
    product_id: Uuid,
    seller_id: Uuid,
    name: String,
    quantity: i32,
    unit_price_minor: i64,
    discount_minor: i64,
    total_minor: i64,
    currency: String,
    status: String,
    cancelled_at: Option<String>,
}

impl From<Bought> for PendingItem {
    fn from(b: Bought) -> PendingItem {
        let i = b.item;
        PendingItem {
            id: i.id,
            checkout_id: b.checkout_id,
            sku_id: i.sku_id,
            product_id: i.product_id,
            seller_id: i.seller_id,
            name: i.name,
            quantity: i.quantity,
            unit_price_minor: i.unit_price_minor,
            discount_minor: i.discount_minor,
            total_minor: i.total_minor,
            currency: b.currency,
            status: i.status,
            cancelled_at: i.cancelled_at.map(stamp),
        }
    }
}

/// `GET /api/v1/order/pending-items`.
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let buyer = ctx.user()?.sub;
    let page = kit::page::request::<Uuid>(&ctx)?;
    let rows = checkout::pending_items(ctx.db()?, buyer, page.after, page.fetch())?;
    let page = page.page(rows, |b| b.item.id);
    json::ok(&Page {
        items: page.items.into_iter().map(PendingItem::from).collect(),
        next_cursor: page.next_cursor,
    })
}

/// `DELETE /api/v1/order/pending-items/:id`.
pub async fn cancel(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let buyer = ctx.user()?.sub;
    let id = ctx.param_id("id", "item")?;
    ctx.db()?
        .transaction(async |db: &Db| {
            let checkout_id = checkout::own_item(db, buyer, id)?.checkout_id;
            let c = checkout::find(db, checkout_id, Lock::ForUpdate)?
                .ok_or_else(|| ApiError::internal("an item without its checkout"))?;
            let bought = checkout::own_item(db, buyer, id)?;
            if bought.item.cancelled_at.is_some() {
                return json::ok(&PendingItem::from(bought));
            }
            if bought.item.status != "awaiting_seller" {
                return Err(ApiError::conflict(
                    "item_not_pending",
                    "only a paid item its seller has not confirmed can be cancelled",
                ));
            }
            let item = &bought.item;
            let last = !checkout::seller_has_other_items(db, c.id, item.seller_id, item.id)?;
            let shipping = if last {
                checkout::shipping(db, c.id)?
                    .into_iter()
                    .find(|s| s.seller_id == item.seller_id)
                    .map(|s| s.fee_minor - s.discount_minor)
            } else {
                None
            };
            let (amount, refund, waived) =
                rules::cancellation(item.total_minor, shipping, c.cod_minor - c.cod_waived_minor);
            let reservation = c
                .reservation_id
                .ok_or_else(|| ApiError::internal("a paid checkout without its reservation"))?;
            release_line(&ctx, reservation, item.sku_id, id).await?;
            if refund > 0 {
                let _: Value = ctx
                    .internal("account")
                    .post(
                        "/internal/wallet/credit",
                        &WalletMovementRequest {
                            account_id: buyer,
                            amount: refund,
                            currency: c.currency.clone(),
                            reason: kit::validate::fit_line(
                                &format!("Cancelled: {}", item.name),
                                200,
                            ),
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
                &Cancelled {
                    amount_minor: amount,
                    refunded_minor: refund,
                    cod_waived_minor: waived,
                },
            )?;
            outbox::notify(
                db,
                &format!("order:item-cancel:{id}:seller"),
                &NotificationRequest {
                    account_id: item.seller_id,
                    kind: "item_cancelled".into(),
                    title: "A buyer cancelled an item".into(),
                    content: kit::validate::fit_text(
                        &format!("{} × {} will not be shipped.", item.quantity, item.name),
                        contracts::account::NOTIFICATION_CONTENT_MAX,
                    ),
                    metadata: Some(serde_json::json!({ "checkout_id": c.id, "item_id": id })),
                },
            )?;
            json::ok(&PendingItem::from(checkout::own_item(db, buyer, id)?))
        })
        .await
        .inspect(|_| kit::outbox::wake(&ctx, SCHEMA))
}

/// Releases the reservation line of `sku` (item `item`'s); a line released before (a retry
/// after its record expired) counts as done.
async fn release_line(ctx: &Ctx, reservation: Uuid, sku: Uuid, item: Uuid) -> ApiResult<()> {
    let answer: ApiResult<ReservationAnswer> = ctx
        .internal("inventory")
        .post(
            &format!("/internal/reservations/{reservation}/release"),
            &ReleaseRequest {
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

//! `/api/v1/order/pending-items`: the signed-in buyer's paid items that await their sellers.
//!
//! - `GET …/pending-items`: newest first, keyset pages.
//! - `GET /api/v1/order/cancelled-items`: the buyer's cancelled items — of checkouts that
//!   ended unpaid, or withdrawn before their sellers confirmed them — newest first.
//! - `DELETE …/pending-items/:id`: the buyer cancels the item before its seller confirms
//!   ([`crate::withdraw`]: stock released, its amount refunded, the seller told). 409
//!   `item_not_pending` once the seller confirmed it or it was never paid; a cancelled item
//!   is answered as it stands.

use kit::db::{Db, Lock};
use kit::time::rfc3339 as stamp;
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::Serialize;
use uuid::Uuid;

use crate::model::SCHEMA;
use crate::model::checkout::{self, Bought, Party};
use crate::withdraw::{By, Peers, withdraw};

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
    /// Who cancelled a paid item: `buyer`, `seller` or `deadline`; null for an item of a
    /// checkout that ended unpaid.
    cancelled_by: Option<String>,
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
            cancelled_by: i.cancelled_by,
        }
    }
}

/// `GET /api/v1/order/pending-items`.
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let buyer = ctx.user()?.sub;
    let page = kit::page::request::<Uuid>(&ctx)?;
    let rows = checkout::items_page(
        ctx.db()?,
        Party::Buyer,
        buyer,
        "awaiting_seller",
        page.after,
        page.fetch(),
    )?;
    json::ok(&page.page(rows, |b| b.item.id).map(PendingItem::from))
}

/// `GET /api/v1/order/cancelled-items`.
pub async fn cancelled(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let buyer = ctx.user()?.sub;
    let page = kit::page::request::<Uuid>(&ctx)?;
    let rows = checkout::items_page(
        ctx.db()?,
        Party::Buyer,
        buyer,
        "cancelled",
        page.after,
        page.fetch(),
    )?;
    json::ok(&page.page(rows, |b| b.item.id).map(PendingItem::from))
}

/// `DELETE /api/v1/order/pending-items/:id`.
pub async fn cancel(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let buyer = ctx.user()?.sub;
    let id = ctx.param_id("id", "item")?;
    let peers = Peers {
        inventory: ctx.internal("inventory"),
        account: ctx.internal("account"),
    };
    ctx.db()?
        .transaction(async |db: &Db| {
            let checkout_id = checkout::own_item(db, buyer, id)?.checkout_id;
            let c = checkout::find(db, checkout_id, Lock::ForUpdate)?
                .ok_or_else(|| ApiError::internal("an item without its checkout"))?;
            let bought = checkout::own_item(db, buyer, id)?;
            if bought.item.cancelled_at.is_some() {
                return json::ok(&PendingItem::from(bought));
            }
            withdraw(&peers, db, &c, &bought, By::Buyer).await?;
            json::ok(&PendingItem::from(checkout::own_item(db, buyer, id)?))
        })
        .await
        .inspect(|_| kit::outbox::wake(&ctx, SCHEMA))
}

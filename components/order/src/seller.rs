//! `/api/v1/order/seller`: the signed-in seller's side of orders.
//!
//! - `GET …/seller/pending`: paid items awaiting the seller's confirmation, newest first,
//!   keyset pages, each with its buyer, delivery address and shipping service (a
//!   confirmation takes items that share all three).
//! - `POST …/seller/pending/confirm` `{item_ids, fee_from?, note?}` (`Idempotency-Key`
//!   required): the confirmation workflow ([`crate::confirm_flow`]) makes them an order
//!   booked with the carrier: 201 the order; 4xx with nothing changed when it is refused
//!   (`item_not_found`, `item_not_pending`, `items_not_same_buyer`, `items_not_same_address`,
//!   `items_not_same_service`, `fee_exceeds_payout`, the wallet short of the fee).
//!   `fee_from`: `payout` (the default: the fee is kept from the order's payout) or `wallet`.
//! - `POST …/seller/pending/reject` `{item_ids, reason?}`: each item withdrawn
//!   ([`crate::withdraw`]: stock released, its buyer refunded exactly its amount, told). All
//!   are checked before any is withdrawn; an item the seller rejected before is answered as
//!   it stands, so a retry completes what a failure interrupted.
//! - `GET …/seller/orders?search=`: the seller's orders, newest first, keyset pages;
//!   `search` matches part of the order id or of the buyer's name.

use std::collections::BTreeSet;

use kit::db::{Db, Lock};
use kit::time::rfc3339 as stamp;
use kit::workflow::Status as Run;
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::ENGINE;
use crate::confirm_flow::{Asked, Confirm, FeeFrom, MAX_ITEMS, fee_waiting};
use crate::model::SCHEMA;
use crate::model::attempt;
use crate::model::checkout::{self, Bought, Party};
use crate::model::order::{self, Side};
use crate::orders;
use crate::payable;
use crate::withdraw::{By, Peers, withdraw};

/// Longest note or reason, in characters.
const MAX_NOTE_CHARS: usize = 500;

/// A paid item as its seller sees it.
#[derive(Serialize)]
struct SellerItem {
    id: Uuid,
    checkout_id: Uuid,
    buyer_id: Uuid,
    delivery: Value,
    service: Option<String>,
    sku_id: Uuid,
    product_id: Uuid,
    name: String,
    quantity: i32,
    total_minor: i64,
    currency: String,
    status: String,
    cancelled_at: Option<String>,
}

impl From<Bought> for SellerItem {
    fn from(b: Bought) -> SellerItem {
        let i = b.item;
        SellerItem {
            id: i.id,
            checkout_id: b.checkout_id,
            buyer_id: b.buyer_id,
            delivery: b.delivery,
            service: b.service,
            sku_id: i.sku_id,
            product_id: i.product_id,
            name: i.name,
            quantity: i.quantity,
            total_minor: i.total_minor,
            currency: b.currency,
            status: i.status,
            cancelled_at: i.cancelled_at.map(stamp),
        }
    }
}

/// `GET /api/v1/order/seller/pending`.
pub async fn pending(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let seller = ctx.user()?.sub;
    let page = kit::page::request::<Uuid>(&ctx)?;
    let rows = checkout::items_page(
        ctx.db()?,
        Party::Seller,
        seller,
        "awaiting_seller",
        page.after,
        page.fetch(),
    )?;
    json::ok(&page.page(rows, |b| b.item.id).map(SellerItem::from))
}

/// Item ids as asked: 1 to [`MAX_ITEMS`], each once.
fn item_ids(ids: &[Uuid]) -> ApiResult<Vec<Uuid>> {
    let set: BTreeSet<Uuid> = ids.iter().copied().collect();
    if set.is_empty() || set.len() > MAX_ITEMS || set.len() != ids.len() {
        return Err(ApiError::validation(format!(
            "item_ids: 1 to {MAX_ITEMS} distinct items"
        )));
    }
    Ok(set.into_iter().collect())
}

fn note(name: &str, value: &Option<String>) -> ApiResult<String> {
    kit::validate::text(name, value.as_deref().unwrap_or(""), 0, MAX_NOTE_CHARS)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfirmRequest {
    item_ids: Vec<Uuid>,
    #[serde(default)]
    fee_from: Option<FeeFrom>,
    /// For `fee_from: gateway`: the gateway, its method (`any` by default) and where it sends
    /// the seller back.
    #[serde(default)]
    gateway: Option<String>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    return_url: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

/// `POST /api/v1/order/seller/pending/confirm`.
pub async fn confirm(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let seller = ctx.user()?.sub;
    let key = ctx.idempotency_key().map(str::to_string).ok_or_else(|| {
        ApiError::bad_request(
            "idempotency_key_required",
            "a confirmation needs an Idempotency-Key header",
        )
    })?;
    let body: ConfirmRequest = json::read(&req)?;
    let invocation_key = format!("confirm:{seller}:{key}");
    let fee_from = body.fee_from.unwrap_or(FeeFrom::Payout);
    let (gateway, return_url) = match (fee_from, &body.gateway) {
        (FeeFrom::Gateway, Some(g)) => (
            Some(payable::gateway_choice(g, body.method.as_deref())?),
            payable::return_url(body.return_url.as_deref().unwrap_or(""))?,
        ),
        (FeeFrom::Gateway, None) => {
            return Err(ApiError::validation("gateway: fee_from gateway names one"));
        }
        (_, None) if body.method.is_none() && body.return_url.is_none() => (None, String::new()),
        _ => {
            return Err(ApiError::validation(
                "gateway, method and return_url are for fee_from gateway",
            ));
        }
    };
    let asked = Asked {
        order_id: kit::ids::derived(&invocation_key),
        seller_id: seller,
        item_ids: item_ids(&body.item_ids)?,
        fee_from,
        gateway,
        return_url,
        client_ip: payable::client_ip(&req),
        note: note("note", &body.note)?,
    };
    let outcome = ENGINE
        .start::<Confirm>(&ctx, &invocation_key, &asked)
        .await?;
    let db = ctx.db()?;
    match order::find(db, asked.order_id, Lock::None)? {
        Some(o) if o.status != "failed" => {
            let location = format!("/api/v1/order/orders/{}", o.id);
            let confirming = o.status == "confirming";
            let view = orders::views(db, vec![o], seller)?.pop();
            if confirming {
                // Its fee is being paid (or a provider was slow): pay it, or ask again.
                json::accepted(&view)
            } else {
                json::created(&location, &view)
            }
        }
        _ if matches!(outcome.status, Run::Pending) => {
            json::accepted(&serde_json::json!({ "id": asked.order_id, "status": "confirming" }))
        }
        _ => outcome.into_response(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RejectRequest {
    item_ids: Vec<Uuid>,
    #[serde(default)]
    reason: Option<String>,
}

/// Sets the seller's ask on the fee payment of confirmation `id` and signals its workflow,
/// then runs it. 410 `confirmation_ended` once it is confirmed or failed; 409
/// `fee_not_by_gateway` when the fee is not paid through a gateway.
async fn ask_fee(ctx: &Ctx, seller: Uuid, id: Uuid, cancel: bool) -> ApiResult<Response> {
    let db = ctx.db()?;
    let invocation = db
        .transaction(async |db: &Db| {
            let o = order::load_party(db, id, seller, Lock::ForUpdate)?;
            if o.seller_id != seller {
                return Err(ApiError::not_found("order_not_found", "no such order"));
            }
            if o.status != "confirming" {
                return Err(ApiError::new(
                    410,
                    "confirmation_ended",
                    format!("the confirmation ended: the order is {}", o.status),
                ));
            }
            if o.fee_source != "gateway" {
                return Err(ApiError::conflict(
                    "fee_not_by_gateway",
                    "this confirmation's fee is not paid through a gateway",
                ));
            }
            let current = attempt::latest_of(db, &order::fee_owner_of(id))?;
            if !payable::asked(&fee_waiting(&o), current.as_ref(), cancel)? {
                return Ok(None);
            }
            order::fee_ask(db, id, cancel, !cancel)?;
            kit::workflow::wake_now(ctx, &order::fee_nudge(db, id)?);
            Ok(Some(o.invocation_id))
        })
        .await?;
    if let Some(invocation) = invocation {
        ENGINE.drive(ctx, invocation).await?;
    }
    let o = order::load_party(db, id, seller, Lock::None)?;
    let done = if cancel {
        o.status == "failed"
    } else {
        o.status != "confirming"
    };
    let view = orders::views(db, vec![o], seller)?.pop();
    if done {
        json::ok(&view)
    } else {
        json::accepted(&view)
    }
}

/// `POST /api/v1/order/seller/confirmations/:id/payment-url`: the fee's current attempt while
/// it is payable, else a new one (at most 10).
pub async fn fee_payment_url(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let seller = ctx.user()?.sub;
    crate::checkouts::throttle(&ctx, seller)?;
    let id = ctx.param_id("id", "order")?;
    ask_fee(&ctx, seller, id, false).await
}

/// `POST /api/v1/order/seller/confirmations/:id/cancel`: the confirmation stops; its items
/// await the seller again.
pub async fn cancel_confirmation(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let seller = ctx.user()?.sub;
    let id = ctx.param_id("id", "order")?;
    ask_fee(&ctx, seller, id, true).await
}

/// `POST /api/v1/order/seller/pending/reject`.
pub async fn reject(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let seller = ctx.user()?.sub;
    let body: RejectRequest = json::read(&req)?;
    let ids = item_ids(&body.item_ids)?;
    note("reason", &body.reason)?;
    let db = ctx.db()?;
    let found = checkout::items_by_id(db, &ids)?;
    for id in &ids {
        let Some(b) = found
            .iter()
            .find(|b| b.item.id == *id && b.item.seller_id == seller)
        else {
            return Err(ApiError::not_found(
                "item_not_found",
                format!("no item {id} of yours"),
            ));
        };
        if !rejected_before(b) {
            crate::withdraw::ensure_pending(b)?;
        }
    }
    let peers = Peers {
        inventory: ctx.internal("inventory"),
        account: ctx.internal("account"),
    };
    for b in &found {
        db.transaction(async |db: &Db| {
            order::lock_seller(db, seller)?;
            let c = checkout::find(db, b.checkout_id, Lock::ForUpdate)?
                .ok_or_else(|| ApiError::internal("an item without its checkout"))?;
            let now = checkout::items_by_id(db, &[b.item.id])?
                .pop()
                .ok_or_else(|| ApiError::internal("an item vanished"))?;
            if rejected_before(&now) {
                return Ok(());
            }
            withdraw(&peers, db, &c, &now, By::Seller).await
        })
        .await?;
    }
    kit::outbox::wake(&ctx, SCHEMA);
    let items = checkout::items_by_id(db, &ids)?;
    json::ok(&serde_json::json!({
        "items": items.into_iter().map(SellerItem::from).collect::<Vec<_>>(),
    }))
}

/// Whether the seller rejected `b` already.
fn rejected_before(b: &Bought) -> bool {
    b.item.status == "cancelled" && b.item.cancelled_by.as_deref() == Some("seller")
}

/// `GET /api/v1/order/seller/orders`.
pub async fn orders(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let seller = ctx.user()?.sub;
    let search = ctx
        .query("search")
        .map(|s| kit::validate::line("search", &s, 1, 100))
        .transpose()?;
    orders::page(&ctx, seller, Side::Seller, search.as_deref())
}

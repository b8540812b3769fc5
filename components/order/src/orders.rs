//! `/api/v1/order/orders`: orders — what one seller ships to one buyer, made when the seller
//! confirms paid items — as their buyer and their seller see them; and what other modules ask
//! about buyers' purchases.
//!
//! - `GET …/orders?status=`: the signed-in buyer's orders, newest first, keyset pages;
//!   `status`: `confirmed` (on its way), `delivered` (in the refund window before the payout),
//!   `completed` (delivered and paid out) or `refunded` (in full).
//! - `GET …/orders/:id`: one order with its items and shipment, for its buyer or its seller
//!   (the seller also sees the payout); 404 `order_not_found` for anyone else.
//! - `POST /internal/orders/reviewable` `{account_id, order_id, sku_ids}` → `{reviewable}`:
//!   whether the account bought one of these SKUs in that checkout — a paid checkout of theirs
//!   with a line of one of them that was not cancelled. Catalog asks it before it takes a
//!   review.

use std::collections::HashMap;

use contracts::order::{ReviewableAnswer, ReviewableRequest};
use kit::db::Db;
use kit::page::{Page, TimeKey};
use kit::time::rfc3339 as stamp;
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::model::attempt::{self, Attempt};
use crate::model::checkout::{self, Bought};
use crate::model::order::{self, Order, Side};
use crate::model::shipment;
use crate::payable::PaymentView;

/// Most SKUs one question names (a product's).
const MAX_SKUS: usize = 500;

/// An order as its buyer or seller sees it.
#[derive(Serialize)]
pub struct OrderView {
    id: Uuid,
    status: String,
    seller_id: Uuid,
    buyer_id: Uuid,
    buyer_name: String,
    currency: String,
    items_minor: i64,
    shipping_minor: i64,
    /// What the buyer paid for this order: items + shipping.
    total_minor: i64,
    /// Collected by the courier on delivery (part of the total).
    cod_minor: i64,
    /// Refunded to the buyer after delivery (a refund, a dispute).
    refunded_minor: i64,
    service: String,
    delivery: Value,
    note: String,
    items: Vec<OrderItem>,
    shipment: Option<ShipmentView>,
    /// The seller's side of the money; absent for the buyer.
    #[serde(skip_serializing_if = "Option::is_none")]
    payout: Option<PayoutView>,
    /// The seller's: the confirmation fee's current gateway attempt, when it is paid by one.
    #[serde(skip_serializing_if = "Option::is_none")]
    fee_payment: Option<PaymentView>,
    created_at: String,
    confirmed_at: Option<String>,
    delivered_at: Option<String>,
    completed_at: Option<String>,
}

#[derive(Serialize)]
struct OrderItem {
    id: Uuid,
    checkout_id: Uuid,
    sku_id: Uuid,
    product_id: Uuid,
    name: String,
    quantity: i32,
    unit_price_minor: i64,
    discount_minor: i64,
    total_minor: i64,
}

#[derive(Serialize)]
struct ShipmentView {
    id: Uuid,
    carrier: String,
    tracking_code: String,
    label: String,
    state: String,
}

#[derive(Serialize)]
struct PayoutView {
    currency: String,
    /// What the buyer paid, in the seller's currency.
    gross_minor: i64,
    commission_bps: i32,
    commission_minor: i64,
    /// The confirmation fee, and where it came from (`wallet` or `payout`).
    fee_minor: i64,
    fee_source: String,
    /// Taken off the payout by partial refunds.
    cut_minor: i64,
    /// What the seller receives: gross − commission (− the fee when kept from the payout)
    /// − cut.
    payout_minor: i64,
    /// `held` until the hold after delivery ends, then `released`; `cancelled` by a refund in
    /// full.
    status: String,
    released_at: Option<String>,
}

/// The views of `orders` for `viewer`, their items and shipments read in one query each.
pub fn views(db: &Db, orders: Vec<Order>, viewer: Uuid) -> ApiResult<Vec<OrderView>> {
    let ids: Vec<Uuid> = orders.iter().map(|o| o.id).collect();
    let mut items: HashMap<Uuid, Vec<Bought>> = HashMap::new();
    for b in checkout::items_of_orders(db, &ids)? {
        if let Some(id) = b.order_id {
            items.entry(id).or_default().push(b);
        }
    }
    let owners: Vec<String> = orders
        .iter()
        .filter(|o| o.fee_source == "gateway" && o.seller_id == viewer)
        .map(|o| order::fee_owner_of(o.id))
        .collect();
    let owners: Vec<&str> = owners.iter().map(String::as_str).collect();
    let mut fees: HashMap<Uuid, Attempt> = attempt::latest_of_each(db, &owners)?
        .into_iter()
        .filter_map(|a| order::of_fee_owner(&a.owner).map(|id| (id, a)))
        .collect();
    let shipment_ids: Vec<Uuid> = orders.iter().filter_map(|o| o.shipment_id).collect();
    let mut shipments: HashMap<Uuid, shipment::Shipment> = shipment::load_all(db, &shipment_ids)?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    Ok(orders
        .into_iter()
        .map(|o| {
            let own = items.remove(&o.id).unwrap_or_default();
            let shipment = o.shipment_id.and_then(|id| shipments.remove(&id));
            let fee = fees
                .remove(&o.id)
                .map(|a| PaymentView::of(a, o.fee_attempts));
            build(o, own, shipment, fee, viewer)
        })
        .collect())
}

fn build(
    o: Order,
    items: Vec<Bought>,
    s: Option<shipment::Shipment>,
    fee_payment: Option<PaymentView>,
    viewer: Uuid,
) -> OrderView {
    let payout = (viewer == o.seller_id).then(|| PayoutView {
        currency: o.payout_currency.clone(),
        gross_minor: o.gross_minor,
        commission_bps: o.commission_bps,
        commission_minor: o.commission_minor,
        fee_minor: o.fee_minor,
        fee_source: o.fee_source.clone(),
        cut_minor: o.cut_minor,
        payout_minor: o.payout_minor,
        status: o.payout_status.clone(),
        released_at: o.released_at.map(stamp),
    });
    OrderView {
        id: o.id,
        status: o.status,
        seller_id: o.seller_id,
        buyer_id: o.buyer_id,
        buyer_name: o.buyer_name,
        currency: o.currency,
        items_minor: o.items_minor,
        shipping_minor: o.shipping_minor,
        total_minor: o.items_minor + o.shipping_minor,
        cod_minor: o.cod_minor,
        refunded_minor: o.refunded_minor,
        service: o.service,
        delivery: o.delivery,
        note: o.note,
        items: items
            .into_iter()
            .map(|b| OrderItem {
                id: b.item.id,
                checkout_id: b.checkout_id,
                sku_id: b.item.sku_id,
                product_id: b.item.product_id,
                name: b.item.name,
                quantity: b.item.quantity,
                unit_price_minor: b.item.unit_price_minor,
                discount_minor: b.item.discount_minor,
                total_minor: b.item.total_minor,
            })
            .collect(),
        shipment: s.map(|s| ShipmentView {
            id: s.id,
            carrier: s.carrier,
            tracking_code: s.tracking_code,
            label: s.label,
            state: s.stage.as_str().to_string(),
        }),
        payout,
        fee_payment,
        created_at: stamp(o.created_at),
        confirmed_at: o.confirmed_at.map(stamp),
        delivered_at: o.delivered_at.map(stamp),
        completed_at: o.released_at.map(stamp),
    }
}

/// A page of `account`'s orders on `side`.
pub fn page(ctx: &Ctx, account: Uuid, side: Side, search: Option<&str>) -> ApiResult<Response> {
    let page = kit::page::request::<TimeKey>(ctx)?;
    let db = ctx.db()?;
    let rows = order::page(db, account, side, search, page.after.as_ref(), page.fetch())?;
    let page = page.page(rows, |o| TimeKey::of(o.created_at, o.id));
    json::ok(&Page {
        items: views(db, page.items, account)?,
        next_cursor: page.next_cursor,
    })
}

/// `GET /api/v1/order/orders`.
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let buyer = ctx.user()?.sub;
    let status = match ctx.query("status").as_deref() {
        None => None,
        Some("confirmed") => Some("confirmed"),
        Some("delivered") => Some("delivered"),
        Some("completed") => Some("completed"),
        Some("refunded") => Some("refunded"),
        Some(_) => {
            return Err(ApiError::validation(
                "status: confirmed, delivered, completed or refunded",
            ));
        }
    };
    page(&ctx, buyer, Side::Buyer(status), None)
}

/// `GET /api/v1/order/orders/:id`.
pub async fn get(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let account = ctx.user()?.sub;
    let id = ctx.param_id("id", "order")?;
    let db = ctx.db()?;
    let o = order::load_party(db, id, account, kit::db::Lock::None)?;
    let mut views = views(db, vec![o], account)?;
    json::ok(&views.pop())
}

/// `POST /internal/orders/reviewable`.
pub async fn reviewable(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: ReviewableRequest = json::read(&req)?;
    if body.sku_ids.is_empty() || body.sku_ids.len() > MAX_SKUS {
        return Err(ApiError::validation(format!("sku_ids: 1 to {MAX_SKUS}")));
    }
    let reviewable = checkout::bought(ctx.db()?, body.account_id, body.order_id, &body.sku_ids)?;
    json::ok(&ReviewableAnswer { reviewable })
}

//! Refunds of delivered orders, in two stages:
//!
//! - `POST /api/v1/order/orders/:id/refunds` `{method: pick_up|drop_off, reason, address?}`:
//!   the order's buyer asks within the hold after delivery (`payout_hold_secs`; a pick-up
//!   names where the courier collects it). 409 `order_not_delivered`, `refund_window_closed`,
//!   `refund_active` (one the seller has not decided). The payout waits until it is decided.
//! - `GET /api/v1/order/refunds?as=buyer|seller`, `GET …/refunds/:id` (its buyer or seller).
//! - `POST …/refunds/:id/accept` (stage 1, the order's seller): the return is booked with the
//!   carrier, from the buyer back to the seller.
//! - `POST …/refunds/:id/approve` (stage 2, the order's seller, once it is back or on
//!   inspection): what is left of the order is refunded to the buyer's wallet and the payout
//!   cancelled. 409 `refund_stage_skipped` before stage 1.
//! - `POST …/refunds/:id/reject` `{note}` (the order's seller, at either stage).
//!
//! Only the order's seller decides (403 `not_the_seller` for its buyer); a refund the seller
//! leaves unanswered for `refund_answer_secs` — after it was asked for, or after its return
//! was delivered — is approved by its workflow ([`crate::refund_flow`]). Each handler locks the
//! order, then the refund, as the payout and disputes do.

use contracts::order::{BookShipment, Party, ShipmentAnswer};
use kit::client::Internal;
use kit::db::{Db, Lock};
use kit::page::TimeKey;
use kit::time::rfc3339 as stamp;
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::ENGINE;
use crate::config::Config;
use crate::confirm_flow::parcel_of;
use crate::model::order::{self, Order};
use crate::model::order_refund::{self, Refund};
use crate::model::{SCHEMA, checkout};
use crate::refund_flow::{self, RefundTimer};
use crate::refund_money::{Peers, approve_refund, tell};
use crate::rules::{self, short};

/// Longest reason or note, in characters.
const MAX_REASON_CHARS: usize = 1000;

/// A refund as its buyer and seller see it.
#[derive(Serialize)]
pub struct RefundView {
    id: Uuid,
    order_id: Uuid,
    buyer_id: Uuid,
    seller_id: Uuid,
    /// `requested`, `accepted` (stage 1: the return is booked), `approved` (refunded) or
    /// `rejected`.
    status: String,
    method: String,
    reason: String,
    /// `wallet` or `original` (the gateway that took the money, where it makes refunds).
    refund_to: String,
    address: Option<Value>,
    return_shipment_id: Option<Uuid>,
    amount_minor: Option<i64>,
    currency: String,
    rejection_note: Option<String>,
    rejected_at_stage: Option<i32>,
    /// `seller`, or `timeout` when the seller did not answer in time.
    decided_by: Option<String>,
    created_at: String,
    accepted_at: Option<String>,
    returned_at: Option<String>,
    decided_at: Option<String>,
}

impl From<Refund> for RefundView {
    fn from(r: Refund) -> RefundView {
        RefundView {
            id: r.id,
            order_id: r.order_id,
            buyer_id: r.buyer_id,
            seller_id: r.seller_id,
            status: r.status,
            method: r.method,
            reason: r.reason,
            refund_to: r.refund_to,
            address: r.address,
            return_shipment_id: r.return_shipment_id,
            amount_minor: r.amount_minor,
            currency: r.currency,
            rejection_note: r.rejection_note,
            rejected_at_stage: r.rejected_at_stage,
            decided_by: r.decided_by,
            created_at: stamp(r.created_at),
            accepted_at: r.accepted_at.map(stamp),
            returned_at: r.returned_at.map(stamp),
            decided_at: r.decided_at.map(stamp),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundRequest {
    method: String,
    reason: String,
    #[serde(default)]
    address: Option<String>,
    /// `wallet` (the default) or `original`: through the gateway that took the money, where
    /// it makes refunds.
    #[serde(default)]
    refund_to: Option<String>,
}

/// `POST /api/v1/order/orders/:id/refunds`.
pub async fn create(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let buyer = ctx.user()?.sub;
    let order_id = ctx.param_id("id", "order")?;
    let body: RefundRequest = json::read(&req)?;
    let method = match body.method.as_str() {
        "pick_up" | "drop_off" => body.method.clone(),
        _ => return Err(ApiError::validation("method: pick_up or drop_off")),
    };
    let reason = kit::validate::text("reason", &body.reason, 1, MAX_REASON_CHARS)?;
    let refund_to = match body.refund_to.as_deref() {
        None | Some("wallet") => "wallet",
        Some("original") => "original",
        Some(_) => return Err(ApiError::validation("refund_to: wallet or original")),
    };
    let hold = Config::read(ctx.settings()).payout_hold_secs;
    let (id, woken) = ctx
        .db()?
        .transaction(async |db: &Db| {
            let o = order::find(db, order_id, Lock::ForUpdate)?
                .filter(|o| o.buyer_id == buyer)
                .ok_or_else(|| ApiError::not_found("order_not_found", "no such order"))?;
            if o.status == "confirmed" {
                return Err(ApiError::conflict(
                    "order_not_delivered",
                    "a refund can be asked for once the order is delivered",
                ));
            }
            let open_until = o.delivered_at.map(|d| d + chrono::Duration::seconds(hold));
            if o.status != "delivered" || open_until.is_none_or(|t| chrono::Utc::now() >= t) {
                return Err(ApiError::conflict(
                    "refund_window_closed",
                    "refunds are asked for within the hold after delivery",
                ));
            }
            let address = match (method.as_str(), &body.address) {
                ("pick_up", None) => {
                    return Err(ApiError::validation(
                        "address: a pick-up needs the address to collect the return from",
                    ));
                }
                (_, Some(text)) => {
                    let country = o.delivery["address"]["country"].as_str().unwrap_or("VN");
                    let a = rules::postal_address("address", text, country)?;
                    Some(serde_json::to_value(a).map_err(ApiError::internal)?)
                }
                (_, None) => None,
            };
            let id = kit::ids::new_id();
            order_refund::insert(
                db,
                &order_refund::New {
                    id,
                    order_id,
                    buyer_id: buyer,
                    seller_id: o.seller_id,
                    method: &method,
                    reason: &reason,
                    refund_to,
                    address: address.as_ref(),
                    currency: &o.currency,
                },
            )?;
            ENGINE.begin::<RefundTimer>(
                &ctx,
                db,
                &refund_flow::key(id),
                &refund_flow::Asked { refund_id: id },
            )?;
            let r = order_refund::find(db, id, Lock::None)?
                .ok_or_else(|| ApiError::internal("a refund vanished"))?;
            tell(
                db,
                &format!("order:refund:{id}:requested"),
                o.seller_id,
                "refund_requested",
                format!("A refund is asked for order {}", short(order_id)),
                &r,
            )?;
            Ok((id, order::nudge(db, order_id)?))
        })
        .await?;
    after(&ctx, &woken);
    let r = order_refund::find(ctx.db()?, id, Lock::None)?
        .ok_or_else(|| ApiError::internal("a refund vanished"))?;
    json::created(&format!("/api/v1/order/refunds/{id}"), &RefundView::from(r))
}

/// Wakes `woken` and order's outbox once a change committed.
fn after(ctx: &Ctx, woken: &[Uuid]) {
    kit::workflow::wake_now(ctx, woken);
    kit::outbox::wake(ctx, SCHEMA);
}

/// `GET /api/v1/order/refunds?as=buyer|seller`.
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let account = ctx.user()?.sub;
    let seller = match ctx.query("as").as_deref() {
        None | Some("buyer") => false,
        Some("seller") => true,
        Some(_) => return Err(ApiError::validation("as: buyer or seller")),
    };
    let page = kit::page::request::<TimeKey>(&ctx)?;
    let rows = order_refund::page(
        ctx.db()?,
        account,
        seller,
        page.after.as_ref(),
        page.fetch(),
    )?;
    json::ok(
        &page
            .page(rows, |r| TimeKey::of(r.created_at, r.id))
            .map(RefundView::from),
    )
}

/// `GET /api/v1/order/refunds/:id`.
pub async fn get(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let account = ctx.user()?.sub;
    let id = ctx.param_id("id", "refund")?;
    let r = order_refund::load_party(ctx.db()?, id, account, Lock::None)?;
    json::ok(&RefundView::from(r))
}

/// Runs `decide` on refund `id` under its order's lock and its own, once the signed-in
/// account is shown to be the order's seller; answers the refund as it then stands.
async fn as_seller<F>(ctx: &Ctx, decide: F) -> ApiResult<Response>
where
    F: AsyncFn(&Db, &Refund) -> ApiResult<()>,
{
    let account = ctx.user()?.sub;
    let id = ctx.param_id("id", "refund")?;
    let woken = ctx
        .db()?
        .transaction(async |db: &Db| {
            let seen = order_refund::load_party(db, id, account, Lock::None)?;
            order::find(db, seen.order_id, Lock::ForUpdate)?;
            let r = order_refund::load_party(db, id, account, Lock::ForUpdate)?;
            if r.seller_id != account {
                return Err(ApiError::new(
                    403,
                    "not_the_seller",
                    "only the order's seller decides its refunds",
                ));
            }
            decide(db, &r).await?;
            let mut woken = order_refund::nudge(db, id)?;
            woken.extend(order::nudge(db, r.order_id)?);
            Ok(woken)
        })
        .await?;
    after(ctx, &woken);
    let r = order_refund::find(ctx.db()?, id, Lock::None)?
        .ok_or_else(|| ApiError::internal("a refund vanished"))?;
    json::ok(&RefundView::from(r))
}

fn decided(r: &Refund) -> ApiError {
    ApiError::conflict(
        "refund_decided",
        format!("the refund is {} already", r.status),
    )
}

/// `POST /api/v1/order/refunds/:id/accept` — stage 1: the return is booked.
pub async fn accept(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let internal = ctx.internal("order");
    let catalog = ctx.internal("catalog");
    as_seller(&ctx, async |db: &Db, r: &Refund| {
        if r.status != "requested" {
            return Err(decided(r));
        }
        let o = order::find(db, r.order_id, Lock::None)?
            .ok_or_else(|| ApiError::internal("a refund without its order"))?;
        let booking = return_of(db, &catalog, &o, r).await?;
        let shipment: ShipmentAnswer = internal
            .post(
                "/internal/shipments",
                &booking,
                Some(&format!("refund:{}:return", r.id)),
            )
            .await?;
        order_refund::accepted(db, r.id, shipment.shipment_id)?;
        tell(
            db,
            &format!("order:refund:{}:accepted", r.id),
            r.buyer_id,
            "refund_accepted",
            format!(
                "Send order {} back: tracking {}",
                short(r.order_id),
                shipment.tracking_code
            ),
            r,
        )
    })
    .await
}

/// The booking of refund `r`'s return: from the buyer (the pick-up address, else where the
/// order was delivered) back to where the seller shipped it from.
async fn return_of(db: &Db, catalog: &Internal, o: &Order, r: &Refund) -> ApiResult<BookShipment> {
    let items = checkout::items_of_orders(db, &[o.id])?;
    let first = items
        .first()
        .ok_or_else(|| ApiError::internal("an order without items"))?;
    let seller_pickup = checkout::shipping(db, &[first.checkout_id])?
        .into_iter()
        .map(|(_, s)| s)
        .find(|s| s.seller_id == o.seller_id)
        .ok_or_else(|| ApiError::internal("an order without its shipping"))?;
    let seller: Party = serde_json::from_value(seller_pickup.pickup).map_err(ApiError::internal)?;
    let from = r
        .address
        .clone()
        .unwrap_or_else(|| o.delivery["address"].clone());
    let buyer = Party {
        name: o.delivery["name"].as_str().unwrap_or_default().to_string(),
        phone: o.delivery["phone"].as_str().unwrap_or_default().to_string(),
        address: serde_json::from_value(from).map_err(ApiError::internal)?,
    };
    let (parcel, listed) = parcel_of(catalog, &items, o.items_minor, &o.currency).await?;
    Ok(BookShipment {
        owner: order_refund::owner_of(r.id),
        pickup: buyer,
        delivery: seller,
        parcel,
        items: listed,
        service: o.service.clone(),
        cash_on_delivery_minor: 0,
        note: format!("Return of order {}", short(o.id)),
    })
}

/// `POST /api/v1/order/refunds/:id/approve` — stage 2: the buyer is refunded.
pub async fn approve(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let peers = Peers::of(&ctx);
    as_seller(&ctx, async |db: &Db, r: &Refund| match r.status.as_str() {
        "requested" => Err(ApiError::conflict(
            "refund_stage_skipped",
            "accept the refund (its return is booked) before approving it",
        )),
        "accepted" => approve_refund(&peers, db, r, "seller").await,
        _ => Err(decided(r)),
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RejectRequest {
    note: String,
}

/// `POST /api/v1/order/refunds/:id/reject`.
pub async fn reject(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: RejectRequest = json::read(&req)?;
    let note = kit::validate::text("note", &body.note, 1, MAX_REASON_CHARS)?;
    as_seller(&ctx, async |db: &Db, r: &Refund| {
        let stage = match r.status.as_str() {
            "requested" => 1,
            "accepted" => 2,
            _ => return Err(decided(r)),
        };
        order_refund::rejected(db, r.id, stage, &note)?;
        tell(
            db,
            &format!("order:refund:{}:rejected", r.id),
            r.buyer_id,
            "refund_rejected",
            format!(
                "The seller rejected the refund of order {}",
                short(r.order_id)
            ),
            r,
        )
    })
    .await
}

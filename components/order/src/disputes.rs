//! Disputes over rejected refunds:
//!
//! - `POST /api/v1/order/refunds/:id/disputes` `{reason, note}`: the refund's buyer or the
//!   order's seller opens one once the refund was rejected and the order is not yet paid out
//!   (409 `dispute_invalid_state`, `dispute_too_late`, `dispute_active`, `dispute_resolved`:
//!   one was resolved, its decision stands). The other party is told; the payout waits until
//!   it is resolved.
//! - `GET /api/v1/order/disputes?status=` (the signed-in account's, as buyer or seller),
//!   `GET …/disputes/:id` (its parties).
//! - Operators (admin token): `GET /api/v1/order/admin/disputes?status=open`, oldest first,
//!   and `POST …/admin/disputes/:id/resolve` `{favour: buyer|seller, refund_minor?, note}`:
//!   in the buyer's favour, `refund_minor` (all that is left of the order by default) goes
//!   back to the buyer and the payout is cut by its share, or cancelled; both parties are told.

use contracts::account::NotificationRequest;
use kit::db::{Db, Lock};
use kit::page::TimeKey;
use kit::time::rfc3339 as stamp;
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::order_refund::{self, Dispute};
use crate::model::{SCHEMA, order, outbox};
use crate::refund_money::{Peers, give_back, left_of};
use crate::rules::short;

const MAX_REASON_CHARS: usize = 1000;
const MAX_NOTE_CHARS: usize = 2000;

#[derive(Serialize)]
struct DisputeView {
    id: Uuid,
    refund_id: Uuid,
    order_id: Uuid,
    opened_by: Uuid,
    /// `buyer` or `seller`.
    opener: String,
    reason: String,
    note: String,
    /// `open` or `resolved`.
    status: String,
    favour: Option<String>,
    refund_minor: Option<i64>,
    resolution_note: Option<String>,
    created_at: String,
    resolved_at: Option<String>,
}

impl From<Dispute> for DisputeView {
    fn from(d: Dispute) -> DisputeView {
        DisputeView {
            id: d.id,
            refund_id: d.refund_id,
            order_id: d.order_id,
            opened_by: d.opened_by,
            opener: d.opener,
            reason: d.reason,
            note: d.note,
            status: d.status,
            favour: d.favour,
            refund_minor: d.refund_minor,
            resolution_note: d.resolution_note,
            created_at: stamp(d.created_at),
            resolved_at: d.resolved_at.map(stamp),
        }
    }
}

fn tell(
    db: &Db,
    key: &str,
    account: Uuid,
    kind: &str,
    title: String,
    d: &Dispute,
) -> ApiResult<()> {
    outbox::notify(
        db,
        key,
        &NotificationRequest {
            account_id: account,
            kind: kind.into(),
            title,
            content: format!("Dispute {} over order {}.", short(d.id), short(d.order_id)),
            metadata: Some(serde_json::json!({
                "dispute_id": d.id, "refund_id": d.refund_id, "order_id": d.order_id,
            })),
        },
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenRequest {
    reason: String,
    note: String,
}

/// `POST /api/v1/order/refunds/:id/disputes`.
pub async fn open(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let account = ctx.user()?.sub;
    let refund_id = ctx.param_id("id", "refund")?;
    let body: OpenRequest = json::read(&req)?;
    let reason = kit::validate::text("reason", &body.reason, 1, MAX_REASON_CHARS)?;
    let note = kit::validate::text("note", &body.note, 1, MAX_NOTE_CHARS)?;
    let (d, woken) = ctx
        .db()?
        .transaction(async |db: &Db| {
            let seen = order_refund::load_party(db, refund_id, account, Lock::None)?;
            let o = order::find(db, seen.order_id, Lock::ForUpdate)?
                .ok_or_else(|| ApiError::internal("a refund without its order"))?;
            let r = order_refund::load_party(db, refund_id, account, Lock::ForUpdate)?;
            if r.status != "rejected" {
                return Err(ApiError::conflict(
                    "dispute_invalid_state",
                    "only a rejected refund can be disputed",
                ));
            }
            if order_refund::was_disputed(db, refund_id)? {
                return Err(ApiError::conflict(
                    "dispute_resolved",
                    "a dispute over this refund was resolved: its decision stands",
                ));
            }
            if o.payout_status != "held" {
                return Err(ApiError::conflict(
                    "dispute_too_late",
                    "the order is settled: disputes are opened before its payout",
                ));
            }
            let buyer = account == r.buyer_id;
            let d = Dispute {
                id: kit::ids::new_id(),
                refund_id,
                order_id: r.order_id,
                opened_by: account,
                opener: if buyer { "buyer" } else { "seller" }.into(),
                reason: reason.clone(),
                note: note.clone(),
                status: "open".into(),
                favour: None,
                refund_minor: None,
                resolution_note: None,
                created_at: chrono::Utc::now(),
                resolved_at: None,
            };
            order_refund::open_dispute(db, &d)?;
            let other = if buyer { r.seller_id } else { r.buyer_id };
            tell(
                db,
                &format!("order:dispute:{}:opened", d.id),
                other,
                "dispute_opened",
                format!("A dispute was opened over order {}", short(d.order_id)),
                &d,
            )?;
            let stored = order_refund::find_dispute(db, d.id, Lock::None)?
                .ok_or_else(|| ApiError::internal("a dispute vanished"))?;
            Ok((stored, order::nudge(db, d.order_id)?))
        })
        .await?;
    kit::workflow::wake_now(&ctx, &woken);
    kit::outbox::wake(&ctx, SCHEMA);
    json::created(
        &format!("/api/v1/order/disputes/{}", d.id),
        &DisputeView::from(d),
    )
}

fn status_filter(ctx: &Ctx) -> ApiResult<Option<&'static str>> {
    match ctx.query("status").as_deref() {
        None => Ok(None),
        Some("open") => Ok(Some("open")),
        Some("resolved") => Ok(Some("resolved")),
        Some(_) => Err(ApiError::validation("status: open or resolved")),
    }
}

fn page_of(ctx: &Ctx, account: Option<Uuid>) -> ApiResult<Response> {
    let status = status_filter(ctx)?;
    let page = kit::page::request::<TimeKey>(ctx)?;
    let rows = order_refund::disputes(
        ctx.db()?,
        account,
        status,
        page.after.as_ref(),
        page.fetch(),
    )?;
    json::ok(
        &page
            .page(rows, |d| TimeKey::of(d.created_at, d.id))
            .map(DisputeView::from),
    )
}

/// `GET /api/v1/order/disputes`.
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let account = ctx.user()?.sub;
    page_of(&ctx, Some(account))
}

/// `GET /api/v1/order/disputes/:id`.
pub async fn get(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let account = ctx.user()?.sub;
    let id = ctx.param_id("id", "dispute")?;
    let db = ctx.db()?;
    let d = order_refund::find_dispute(db, id, Lock::None)?
        .filter(|d| {
            order_refund::find(db, d.refund_id, Lock::None)
                .ok()
                .flatten()
                .is_some_and(|r| r.buyer_id == account || r.seller_id == account)
        })
        .ok_or_else(|| ApiError::not_found("dispute_not_found", "no such dispute"))?;
    json::ok(&DisputeView::from(d))
}

/// `GET /api/v1/order/admin/disputes` (admin token).
pub async fn admin_list(ctx: Ctx, req: Request) -> ApiResult<Response> {
    kit::auth::require_admin(&req)?;
    page_of(&ctx, None)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolveRequest {
    favour: String,
    #[serde(default)]
    refund_minor: Option<i64>,
    note: String,
}

/// `POST /api/v1/order/admin/disputes/:id/resolve` (admin token).
pub async fn resolve(ctx: Ctx, req: Request) -> ApiResult<Response> {
    kit::auth::require_admin(&req)?;
    let id = ctx.param_id("id", "dispute")?;
    let body: ResolveRequest = json::read(&req)?;
    let note = kit::validate::text("note", &body.note, 1, MAX_NOTE_CHARS)?;
    let buyer = match body.favour.as_str() {
        "buyer" => true,
        "seller" if body.refund_minor.is_none() => false,
        "seller" => {
            return Err(ApiError::validation(
                "refund_minor: only in the buyer's favour",
            ));
        }
        _ => return Err(ApiError::validation("favour: buyer or seller")),
    };
    let peers = Peers::of(&ctx);
    let (d, woken) = ctx
        .db()?
        .transaction(async |db: &Db| {
            let seen = order_refund::find_dispute(db, id, Lock::None)?
                .ok_or_else(|| ApiError::not_found("dispute_not_found", "no such dispute"))?;
            let o = order::find(db, seen.order_id, Lock::ForUpdate)?
                .ok_or_else(|| ApiError::internal("a dispute without its order"))?;
            let d = order_refund::find_dispute(db, id, Lock::ForUpdate)?
                .ok_or_else(|| ApiError::internal("a dispute vanished"))?;
            if d.status != "open" {
                return Err(ApiError::conflict(
                    "dispute_resolved",
                    "the dispute is resolved already",
                ));
            }
            let refund = if buyer {
                let amount = body.refund_minor.unwrap_or_else(|| left_of(&o));
                give_back(&peers, db, &o, amount, &format!("dispute:{id}"), false).await?;
                Some(amount)
            } else {
                None
            };
            order_refund::resolve(db, id, &body.favour, refund, &note)?;
            let r = order_refund::find(db, d.refund_id, Lock::None)?
                .ok_or_else(|| ApiError::internal("a dispute without its refund"))?;
            let title = format!("The dispute over order {} is resolved", short(d.order_id));
            for (party, who) in [(r.buyer_id, "buyer"), (r.seller_id, "seller")] {
                tell(
                    db,
                    &format!("order:dispute:{id}:resolved:{who}"),
                    party,
                    "dispute_resolved",
                    title.clone(),
                    &d,
                )?;
            }
            let stored = order_refund::find_dispute(db, id, Lock::None)?
                .ok_or_else(|| ApiError::internal("a dispute vanished"))?;
            Ok((stored, order::nudge(db, d.order_id)?))
        })
        .await?;
    kit::workflow::wake_now(&ctx, &woken);
    kit::outbox::wake(&ctx, SCHEMA);
    json::ok(&DisputeView::from(d))
}

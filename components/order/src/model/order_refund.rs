//! `"order".order_refund`: refunds of delivered orders in two stages, and
//! `"order".dispute`: disputes over refunds that were rejected.

use chrono::{DateTime, Utc};
use kit::db::{Db, FromRow, Lock, Param, Row, json, optional_text, text, uuid};
use kit::page::TimeKey;
use kit::{ApiError, ApiResult};
use serde_json::Value;
use uuid::Uuid;

use super::SCHEMA;

/// A stored refund.
#[derive(Clone, Debug)]
pub struct Refund {
    pub id: Uuid,
    pub order_id: Uuid,
    pub buyer_id: Uuid,
    pub seller_id: Uuid,
    pub status: String,
    pub method: String,
    pub reason: String,
    pub refund_to: String,
    pub address: Option<Value>,
    pub return_shipment_id: Option<Uuid>,
    pub amount_minor: Option<i64>,
    pub currency: String,
    pub rejection_note: Option<String>,
    pub rejected_at_stage: Option<i32>,
    pub decided_by: Option<String>,
    pub round: i32,
    pub created_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub returned_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl Refund {
    /// Whether the seller has yet to decide it.
    pub fn is_active(&self) -> bool {
        self.status == "requested" || self.status == "accepted"
    }
}

impl FromRow for Refund {
    fn from_row(row: &Row<'_>) -> ApiResult<Refund> {
        Ok(Refund {
            id: row.get("id")?,
            order_id: row.get("order_id")?,
            buyer_id: row.get("buyer_id")?,
            seller_id: row.get("seller_id")?,
            status: row.get("status")?,
            method: row.get("method")?,
            reason: row.get("reason")?,
            refund_to: row.get("refund_to")?,
            address: row.json("address")?,
            return_shipment_id: row.get("return_shipment_id")?,
            amount_minor: row.get("amount_minor")?,
            currency: row.get("currency")?,
            rejection_note: row.get("rejection_note")?,
            rejected_at_stage: row.get("rejected_at_stage")?,
            decided_by: row.get("decided_by")?,
            round: row.get("round")?,
            created_at: row.time("created_at")?,
            accepted_at: row.optional_time("accepted_at")?,
            returned_at: row.optional_time("returned_at")?,
            decided_at: row.optional_time("decided_at")?,
        })
    }
}

const COLUMNS: &str = "SELECT id, order_id, buyer_id, seller_id, status, method, reason, \
                       refund_to, address, \
                       return_shipment_id, amount_minor, currency, rejection_note, \
                       rejected_at_stage, decided_by, round, \
                       created_at AT TIME ZONE 'UTC' AS created_at, \
                       accepted_at AT TIME ZONE 'UTC' AS accepted_at, \
                       returned_at AT TIME ZONE 'UTC' AS returned_at, \
                       decided_at AT TIME ZONE 'UTC' AS decided_at \
                       FROM \"order\".order_refund";

/// A new refund, as its buyer asks for it.
pub struct New<'a> {
    pub id: Uuid,
    pub order_id: Uuid,
    pub buyer_id: Uuid,
    pub seller_id: Uuid,
    pub method: &'a str,
    pub reason: &'a str,
    pub refund_to: &'a str,
    pub address: Option<&'a Value>,
    pub currency: &'a str,
}

/// Writes the refund; 409 `refund_active` when the order has one the seller has not decided.
pub fn insert(db: &Db, r: &New<'_>) -> ApiResult<()> {
    db.execute(
        "INSERT INTO \"order\".order_refund (id, order_id, buyer_id, seller_id, method, reason, \
         address, currency, refund_to) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            uuid(r.id),
            uuid(r.order_id),
            uuid(r.buyer_id),
            uuid(r.seller_id),
            text(r.method),
            text(r.reason),
            match r.address {
                Some(a) => json(a)?,
                None => Param::DbNull,
            },
            text(r.currency),
            text(r.refund_to),
        ],
    )
    .map_err(|e| {
        e.to_api(&[kit::db::constraint(
            "order_refund_one_active",
            ApiError::conflict(
                "refund_active",
                "this order has a refund its seller has not decided",
            ),
        )])
    })?;
    Ok(())
}

pub fn find(db: &Db, id: Uuid, lock: Lock) -> ApiResult<Option<Refund>> {
    db.fetch_optional(
        &format!("{COLUMNS} WHERE id = $1{}", lock.clause()),
        &[uuid(id)],
    )
}

/// Refund `id` as its buyer or seller (`account`) sees it; 404 `refund_not_found` otherwise.
pub fn load_party(db: &Db, id: Uuid, account: Uuid, lock: Lock) -> ApiResult<Refund> {
    find(db, id, lock)?
        .filter(|r| r.buyer_id == account || r.seller_id == account)
        .ok_or_else(|| ApiError::not_found("refund_not_found", "no such refund"))
}

/// `account`'s refunds as `party` (`buyer_id` or `seller_id`), newest first, after `before`.
pub fn page(
    db: &Db,
    account: Uuid,
    seller: bool,
    before: Option<&TimeKey>,
    limit: i64,
) -> ApiResult<Vec<Refund>> {
    let party = if seller { "seller_id" } else { "buyer_id" };
    db.fetch_all(
        &format!(
            "{COLUMNS} WHERE {party} = $1 AND ($2::int8 IS NULL \
                  OR (created_at, id) < (timestamptz 'epoch' + $2::int8 * interval '1 microsecond', \
                                         $3::text::uuid)) \
             ORDER BY created_at DESC, id DESC LIMIT $4"
        ),
        &[
            uuid(account),
            before.map_or(Param::DbNull, |k| k.t.into()),
            text(before.map_or(Uuid::nil(), |k| k.id).to_string()),
            limit.into(),
        ],
    )
}

/// Stage 1: refund `id` is accepted and its return booked as `shipment`.
pub fn accepted(db: &Db, id: Uuid, shipment: Uuid) -> ApiResult<()> {
    db.execute(
        "UPDATE \"order\".order_refund SET status = 'accepted', accepted_at = now(), \
         return_shipment_id = $2 WHERE id = $1 AND status = 'requested'",
        &[uuid(id), uuid(shipment)],
    )?;
    Ok(())
}

/// Refund `id`'s return reached the seller (the first report counts).
pub fn returned(db: &Db, id: Uuid) -> ApiResult<()> {
    db.execute(
        "UPDATE \"order\".order_refund SET returned_at = now() \
         WHERE id = $1 AND returned_at IS NULL",
        &[uuid(id)],
    )?;
    Ok(())
}

/// Stage 2: refund `id` is approved for `amount`, by the seller or the timeout.
pub fn approved(db: &Db, id: Uuid, amount: i64, by: &str) -> ApiResult<()> {
    db.execute(
        "UPDATE \"order\".order_refund SET status = 'approved', amount_minor = $2, \
         decided_by = $3, decided_at = now() WHERE id = $1",
        &[uuid(id), amount.into(), text(by)],
    )?;
    Ok(())
}

/// Refund `id` is rejected by its seller at `stage` with `note`.
pub fn rejected(db: &Db, id: Uuid, stage: i32, note: &str) -> ApiResult<()> {
    db.execute(
        "UPDATE \"order\".order_refund SET status = 'rejected', rejection_note = $2, \
         rejected_at_stage = $3, decided_by = 'seller', decided_at = now() WHERE id = $1",
        &[uuid(id), text(note), stage.into()],
    )?;
    Ok(())
}

/// The signal a refund waiting in `round` wakes on.
pub fn signal_name(id: Uuid, round: i32) -> String {
    format!("refund:{id}:{round}")
}

/// A look of the refund workflow: refund `id` locked, its round moved on.
pub fn look(db: &Db, id: Uuid) -> ApiResult<Refund> {
    let r = find(db, id, Lock::ForUpdate)?
        .ok_or_else(|| ApiError::internal("a refund's workflow lost its refund"))?;
    db.execute(
        "UPDATE \"order\".order_refund SET round = round + 1 WHERE id = $1",
        &[uuid(id)],
    )?;
    Ok(r)
}

/// Tells refund `id`'s workflow that something it waits on changed, under the refund's lock.
pub fn nudge(db: &Db, id: Uuid) -> ApiResult<Vec<Uuid>> {
    let Some(r) = find(db, id, Lock::ForUpdate)? else {
        return Ok(Vec::new());
    };
    kit::workflow::signal(
        db,
        SCHEMA,
        &signal_name(id, r.round),
        &serde_json::json!({}),
    )
}

/// What a return shipment names as its owner: `refund:<id>`.
pub fn owner_of(id: Uuid) -> String {
    format!("refund:{id}")
}

/// The refund a shipment's owner names, if it names one.
pub fn of_owner(owner: &str) -> Option<Uuid> {
    owner.strip_prefix("refund:")?.parse().ok()
}

/// What holds order `id`'s payout back: a refund its seller has not decided, or an open
/// dispute; and when its last refund was rejected, if it was.
pub struct Holding {
    pub blocked: bool,
    pub rejected_at: Option<DateTime<Utc>>,
}

pub fn holding(db: &Db, id: Uuid) -> ApiResult<Holding> {
    let set = db.query(
        "SELECT EXISTS (SELECT 1 FROM \"order\".order_refund WHERE order_id = $1 \
           AND status IN ('requested', 'accepted')) \
         OR EXISTS (SELECT 1 FROM \"order\".dispute WHERE order_id = $1 AND status = 'open') \
           AS blocked, \
         (SELECT max(decided_at) FROM \"order\".order_refund WHERE order_id = $1 \
           AND status = 'rejected') AT TIME ZONE 'UTC' AS rejected_at",
        &[uuid(id)],
    )?;
    let row = kit::db::rows(&set)
        .next()
        .ok_or_else(|| ApiError::internal("no answer"))?;
    Ok(Holding {
        blocked: row.get("blocked")?,
        rejected_at: row.optional_time("rejected_at")?,
    })
}

/// A stored dispute.
#[derive(Clone, Debug)]
pub struct Dispute {
    pub id: Uuid,
    pub refund_id: Uuid,
    pub order_id: Uuid,
    pub opened_by: Uuid,
    pub opener: String,
    pub reason: String,
    pub note: String,
    pub status: String,
    pub favour: Option<String>,
    pub refund_minor: Option<i64>,
    pub resolution_note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

impl FromRow for Dispute {
    fn from_row(row: &Row<'_>) -> ApiResult<Dispute> {
        Ok(Dispute {
            id: row.get("id")?,
            refund_id: row.get("refund_id")?,
            order_id: row.get("order_id")?,
            opened_by: row.get("opened_by")?,
            opener: row.get("opener")?,
            reason: row.get("reason")?,
            note: row.get("note")?,
            status: row.get("status")?,
            favour: row.get("favour")?,
            refund_minor: row.get("refund_minor")?,
            resolution_note: row.get("resolution_note")?,
            created_at: row.time("created_at")?,
            resolved_at: row.optional_time("resolved_at")?,
        })
    }
}

const DISPUTE_COLUMNS: &str = "SELECT d.id, d.refund_id, d.order_id, d.opened_by, d.opener, \
                               d.reason, d.note, d.status, d.favour, d.refund_minor, \
                               d.resolution_note, d.created_at AT TIME ZONE 'UTC' AS created_at, \
                               d.resolved_at AT TIME ZONE 'UTC' AS resolved_at \
                               FROM \"order\".dispute d \
                               JOIN \"order\".order_refund r ON r.id = d.refund_id";

/// A new dispute over refund `refund`; 409 `dispute_active` when one is open.
pub fn open_dispute(db: &Db, d: &Dispute) -> ApiResult<()> {
    db.execute(
        "INSERT INTO \"order\".dispute (id, refund_id, order_id, opened_by, opener, reason, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            uuid(d.id),
            uuid(d.refund_id),
            uuid(d.order_id),
            uuid(d.opened_by),
            text(d.opener.as_str()),
            text(d.reason.as_str()),
            text(d.note.as_str()),
        ],
    )
    .map_err(|e| {
        e.to_api(&[kit::db::constraint(
            "dispute_one_open",
            ApiError::conflict("dispute_active", "this refund has an open dispute"),
        )])
    })?;
    Ok(())
}

/// Whether a dispute over refund `refund` was resolved.
pub fn was_disputed(db: &Db, refund: Uuid) -> ApiResult<bool> {
    db.scalar(
        "SELECT EXISTS (SELECT 1 FROM \"order\".dispute WHERE refund_id = $1 \
         AND status = 'resolved')",
        &[uuid(refund)],
    )
}

pub fn find_dispute(db: &Db, id: Uuid, lock: Lock) -> ApiResult<Option<Dispute>> {
    let clause = if lock == Lock::ForUpdate {
        " FOR UPDATE OF d"
    } else {
        ""
    };
    db.fetch_optional(
        &format!("{DISPUTE_COLUMNS} WHERE d.id = $1{clause}"),
        &[uuid(id)],
    )
}

/// Disputes where `account` is the refund's buyer or seller — or every one, for an operator
/// (`None`) — in `status` when given, oldest first after `after` (they are worked through in
/// order).
pub fn disputes(
    db: &Db,
    account: Option<Uuid>,
    status: Option<&str>,
    after: Option<&TimeKey>,
    limit: i64,
) -> ApiResult<Vec<Dispute>> {
    db.fetch_all(
        &format!(
            "{DISPUTE_COLUMNS} WHERE ($1::text IS NULL OR r.buyer_id = $1::text::uuid \
               OR r.seller_id = $1::text::uuid) \
             AND ($2::text IS NULL OR d.status = $2) \
             AND ($3::int8 IS NULL \
                  OR (d.created_at, d.id) > (timestamptz 'epoch' + $3::int8 * interval '1 microsecond', \
                                             $4::text::uuid)) \
             ORDER BY d.created_at, d.id LIMIT $5"
        ),
        &[
            optional_text(account.map(|a| a.to_string()).as_deref()),
            optional_text(status),
            after.map_or(Param::DbNull, |k| k.t.into()),
            text(after.map_or(Uuid::nil(), |k| k.id).to_string()),
            limit.into(),
        ],
    )
}

/// Dispute `id` is resolved in `favour` (`buyer` with `refund_minor`, or `seller`).
pub fn resolve(db: &Db, id: Uuid, favour: &str, refund: Option<i64>, note: &str) -> ApiResult<()> {
    db.execute(
        "UPDATE \"order\".dispute SET status = 'resolved', favour = $2, refund_minor = $3, \
         resolution_note = $4, resolved_at = now() WHERE id = $1 AND status = 'open'",
        &[
            uuid(id),
            text(favour),
            refund.map_or(Param::DbNull, Into::into),
            text(note),
        ],
    )?;
    Ok(())
}

//! `"order".seller_order`: what one seller ships to one buyer, made when the seller confirms
//! paid items, and the escrow of what the buyer paid for them until the payout.

use chrono::{DateTime, Utc};
use kit::db::{Db, FromRow, Lock, Param, Row, json, optional_text, text, uuid};
use kit::page::TimeKey;
use kit::{ApiError, ApiResult};
use serde_json::Value;
use uuid::Uuid;

use super::SCHEMA;

/// A stored order.
#[derive(Clone, Debug)]
pub struct Order {
    pub id: Uuid,
    pub seller_id: Uuid,
    pub buyer_id: Uuid,
    pub buyer_name: String,
    pub status: String,
    pub service: String,
    pub delivery: Value,
    pub note: String,
    pub currency: String,
    pub items_minor: i64,
    pub shipping_minor: i64,
    pub cod_minor: i64,
    pub payout_currency: String,
    pub gross_minor: i64,
    pub commission_bps: i32,
    pub commission_minor: i64,
    pub fee_minor: i64,
    pub fee_source: String,
    pub fee_attempts: i32,
    pub fee_expires_at: Option<DateTime<Utc>>,
    pub cancel_requested: bool,
    pub wants_attempt: bool,
    pub payout_minor: i64,
    pub refunded_minor: i64,
    pub cut_minor: i64,
    pub payout_status: String,
    pub shipment_id: Option<Uuid>,
    pub round: i32,
    pub invocation_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub released_at: Option<DateTime<Utc>>,
}

impl FromRow for Order {
    fn from_row(row: &Row<'_>) -> ApiResult<Order> {
        Ok(Order {
            id: row.get("id")?,
            seller_id: row.get("seller_id")?,
            buyer_id: row.get("buyer_id")?,
            buyer_name: row.get("buyer_name")?,
            status: row.get("status")?,
            service: row.get("service")?,
            delivery: row.json("delivery")?,
            note: row.get("note")?,
            currency: row.get("currency")?,
            items_minor: row.get("items_minor")?,
            shipping_minor: row.get("shipping_minor")?,
            cod_minor: row.get("cod_minor")?,
            payout_currency: row.get("payout_currency")?,
            gross_minor: row.get("gross_minor")?,
            commission_bps: row.get("commission_bps")?,
            commission_minor: row.get("commission_minor")?,
            fee_minor: row.get("fee_minor")?,
            fee_source: row.get("fee_source")?,
            fee_attempts: row.get("fee_attempts")?,
            fee_expires_at: row.optional_time("fee_expires_at")?,
            cancel_requested: row.get("cancel_requested")?,
            wants_attempt: row.get("wants_attempt")?,
            payout_minor: row.get("payout_minor")?,
            refunded_minor: row.get("refunded_minor")?,
            cut_minor: row.get("cut_minor")?,
            payout_status: row.get("payout_status")?,
            shipment_id: row.get("shipment_id")?,
            round: row.get("round")?,
            invocation_id: row.get("invocation_id")?,
            created_at: row.time("created_at")?,
            confirmed_at: row.optional_time("confirmed_at")?,
            delivered_at: row.optional_time("delivered_at")?,
            released_at: row.optional_time("released_at")?,
        })
    }
}

const COLUMNS: &str = "SELECT id, seller_id, buyer_id, buyer_name, status, service, \
                       delivery, note, currency, items_minor, shipping_minor, cod_minor, \
                       payout_currency, gross_minor, commission_bps, commission_minor, fee_minor, \
                       fee_source, fee_attempts, \
                       fee_expires_at AT TIME ZONE 'UTC' AS fee_expires_at, cancel_requested, \
                       wants_attempt, payout_minor, refunded_minor, cut_minor, payout_status, \
                       shipment_id, round, invocation_id, \
                       created_at AT TIME ZONE 'UTC' AS created_at, \
                       confirmed_at AT TIME ZONE 'UTC' AS confirmed_at, \
                       delivered_at AT TIME ZONE 'UTC' AS delivered_at, \
                       released_at AT TIME ZONE 'UTC' AS released_at \
                       FROM \"order\".seller_order";

/// A new order, as the confirmation's first step writes it.
pub struct New<'a> {
    pub id: Uuid,
    pub seller_id: Uuid,
    pub buyer_id: Uuid,
    pub buyer_name: &'a str,
    pub service: &'a str,
    pub delivery: &'a Value,
    pub note: &'a str,
    pub currency: &'a str,
    pub items_minor: i64,
    pub shipping_minor: i64,
    pub cod_minor: i64,
    pub payout_currency: &'a str,
    pub gross_minor: i64,
    pub commission_bps: i64,
    pub commission_minor: i64,
    pub fee_minor: i64,
    pub fee_source: &'a str,
    /// The gateway and method of a fee paid through one, and when its payment session ends.
    pub fee_gateway: Option<(&'a str, &'a str)>,
    pub fee_expires_at: Option<DateTime<Utc>>,
    pub return_url: &'a str,
    pub client_ip: &'a str,
    pub payout_minor: i64,
    pub invocation_id: Uuid,
}

pub fn insert(db: &Db, o: &New<'_>) -> ApiResult<()> {
    db.execute(
        "INSERT INTO \"order\".seller_order (id, seller_id, buyer_id, buyer_name, service, \
         delivery, note, currency, items_minor, shipping_minor, cod_minor, payout_currency, \
         gross_minor, commission_bps, commission_minor, fee_minor, fee_source, payout_minor, \
         invocation_id, fee_gateway, fee_method, fee_expires_at, return_url, client_ip) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18, $19, $20, $21, $22::text::timestamptz, $23, $24)",
        &[
            uuid(o.id),
            uuid(o.seller_id),
            uuid(o.buyer_id),
            text(o.buyer_name),
            text(o.service),
            json(o.delivery)?,
            text(o.note),
            text(o.currency),
            o.items_minor.into(),
            o.shipping_minor.into(),
            o.cod_minor.into(),
            text(o.payout_currency),
            o.gross_minor.into(),
            i32::try_from(o.commission_bps)
                .map_err(ApiError::internal)?
                .into(),
            o.commission_minor.into(),
            o.fee_minor.into(),
            text(o.fee_source),
            o.payout_minor.into(),
            uuid(o.invocation_id),
            optional_text(o.fee_gateway.map(|g| g.0)),
            optional_text(o.fee_gateway.map(|g| g.1)),
            optional_text(o.fee_expires_at.map(kit::time::rfc3339).as_deref()),
            text(o.return_url),
            text(o.client_ip),
        ],
    )?;
    Ok(())
}

/// Takes `seller`'s lock until the transaction ends: one seller's confirmations and
/// rejections are decided one after the other. Taken before any checkout's row lock (which a
/// buyer's cancel takes alone), so the two never wait on each other in a circle.
pub fn lock_seller(db: &Db, seller: Uuid) -> ApiResult<()> {
    db.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('order.seller:' || $1::text, 0))",
        &[text(seller.to_string())],
    )?;
    Ok(())
}

pub fn find(db: &Db, id: Uuid, lock: Lock) -> ApiResult<Option<Order>> {
    db.fetch_optional(
        &format!("{COLUMNS} WHERE id = $1{}", lock.clause()),
        &[uuid(id)],
    )
}

/// Order `id` as its buyer or its seller (`account`) sees it; 404 `order_not_found` for
/// anyone else, as for none. Its buyer sees it once it is confirmed; its seller also while the
/// confirmation runs, and after it failed.
pub fn load_party(db: &Db, id: Uuid, account: Uuid, lock: Lock) -> ApiResult<Order> {
    find(db, id, lock)?
        .filter(|o| {
            o.seller_id == account
                || (o.buyer_id == account && o.status != "confirming" && o.status != "failed")
        })
        .ok_or_else(|| ApiError::not_found("order_not_found", "no such order"))
}

/// Which orders a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The buyer's: `pending` (confirmed, not yet delivered), `delivered` (within the
    /// refund window), `completed` (paid out), or all of them.
    Buyer(Option<&'static str>),
    /// The seller's, all of them.
    Seller,
}

/// The orders of `account` on `side`, newest first, after `before`; `search` matches the
/// order id's text or the buyer's name (case-insensitive, anywhere).
pub fn page(
    db: &Db,
    account: Uuid,
    side: Side,
    search: Option<&str>,
    before: Option<&TimeKey>,
    limit: i64,
) -> ApiResult<Vec<Order>> {
    let (party, status) = match side {
        Side::Buyer(s) => ("buyer_id", s),
        Side::Seller => ("seller_id", None),
    };
    let pattern = search.map(|s| format!("%{}%", kit::db::like_escape(s)));
    db.fetch_all(
        &format!(
            "{COLUMNS} WHERE {party} = $1 AND status NOT IN ('confirming', 'failed') \
             AND ($2::text IS NULL OR status = $2) \
             AND ($3::text IS NULL OR id::text ILIKE $3 OR buyer_name ILIKE $3) \
             AND ($4::int8 IS NULL \
                  OR (created_at, id) < (timestamptz 'epoch' + $4::int8 * interval '1 microsecond', \
                                         $5::text::uuid)) \
             ORDER BY created_at DESC, id DESC LIMIT $6"
        ),
        &[
            uuid(account),
            optional_text(status),
            optional_text(pattern.as_deref()),
            before.map_or(Param::DbNull, |k| k.t.into()),
            text(before.map_or(Uuid::nil(), |k| k.id).to_string()),
            limit.into(),
        ],
    )
}

/// Order `id` is booked: shipment `shipment` takes it to the buyer.
pub fn confirmed(db: &Db, id: Uuid, shipment: Uuid) -> ApiResult<()> {
    db.execute(
        "UPDATE \"order\".seller_order SET status = 'confirmed', shipment_id = $2, \
         confirmed_at = now() WHERE id = $1 AND status = 'confirming'",
        &[uuid(id), uuid(shipment)],
    )?;
    Ok(())
}

/// Order `id`'s confirmation was refused with `reason`.
pub fn failed(db: &Db, id: Uuid, reason: &str) -> ApiResult<()> {
    db.execute(
        "UPDATE \"order\".seller_order SET status = 'failed', reason = $2 \
         WHERE id = $1 AND status = 'confirming'",
        &[uuid(id), text(reason)],
    )?;
    Ok(())
}

/// Order `id`'s shipment was delivered (the first report counts).
pub fn delivered(db: &Db, id: Uuid) -> ApiResult<()> {
    db.execute(
        "UPDATE \"order\".seller_order SET status = 'delivered', delivered_at = now() \
         WHERE id = $1 AND status = 'confirmed'",
        &[uuid(id)],
    )?;
    Ok(())
}

/// Order `id` is paid out: its escrow went to the seller.
pub fn released(db: &Db, id: Uuid) -> ApiResult<()> {
    db.execute(
        "UPDATE \"order\".seller_order SET status = 'completed', payout_status = 'released', \
         released_at = now() WHERE id = $1 AND payout_status = 'held'",
        &[uuid(id)],
    )?;
    Ok(())
}

/// What one checkout contributed to an order.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Part {
    pub checkout_id: Uuid,
    pub items_minor: i64,
    pub shipping_minor: i64,
    pub cod_minor: i64,
    pub refunded_minor: i64,
}

impl Part {
    /// What is left to refund of it.
    pub fn left_minor(&self) -> i64 {
        self.items_minor + self.shipping_minor - self.refunded_minor
    }
}

impl FromRow for Part {
    fn from_row(row: &Row<'_>) -> ApiResult<Part> {
        Ok(Part {
            checkout_id: row.get("checkout_id")?,
            items_minor: row.get("items_minor")?,
            shipping_minor: row.get("shipping_minor")?,
            cod_minor: row.get("cod_minor")?,
            refunded_minor: row.get("refunded_minor")?,
        })
    }
}

pub fn insert_part(db: &Db, id: Uuid, p: &Part) -> ApiResult<()> {
    db.execute(
        "INSERT INTO \"order\".order_part (order_id, checkout_id, items_minor, shipping_minor, \
         cod_minor) VALUES ($1, $2, $3, $4, $5)",
        &[
            uuid(id),
            uuid(p.checkout_id),
            p.items_minor.into(),
            p.shipping_minor.into(),
            p.cod_minor.into(),
        ],
    )?;
    Ok(())
}

/// The parts of order `id`, by checkout.
pub fn parts(db: &Db, id: Uuid) -> ApiResult<Vec<Part>> {
    db.fetch_all(
        "SELECT checkout_id, items_minor, shipping_minor, cod_minor, refunded_minor \
         FROM \"order\".order_part WHERE order_id = $1 ORDER BY checkout_id",
        &[uuid(id)],
    )
}

/// `amount` of part `checkout` of order `id` was refunded.
pub fn part_refunded(db: &Db, id: Uuid, checkout: Uuid, amount: i64) -> ApiResult<()> {
    db.execute(
        "UPDATE \"order\".order_part SET refunded_minor = refunded_minor + $3 \
         WHERE order_id = $1 AND checkout_id = $2",
        &[uuid(id), uuid(checkout), amount.into()],
    )?;
    Ok(())
}

/// `amount` of order `id` was refunded to its buyer: in full (`cut` is `None`: the payout is
/// cancelled) or in part, `cut` taken off the payout.
pub fn refunded(db: &Db, id: Uuid, amount: i64, cut: Option<i64>) -> ApiResult<()> {
    match cut {
        None => db.execute(
            "UPDATE \"order\".seller_order SET refunded_minor = refunded_minor + $2, \
             status = 'refunded', payout_status = 'cancelled', \
             cut_minor = cut_minor + payout_minor, payout_minor = 0 WHERE id = $1",
            &[uuid(id), amount.into()],
        )?,
        Some(cut) => db.execute(
            "UPDATE \"order\".seller_order SET refunded_minor = refunded_minor + $2, \
             cut_minor = cut_minor + $3, payout_minor = payout_minor - $3 WHERE id = $1",
            &[uuid(id), amount.into(), cut.into()],
        )?,
    };
    Ok(())
}

/// What the attempts paying order `id`'s confirmation fee name as their owner.
pub fn fee_owner_of(id: Uuid) -> String {
    format!("order:{id}:fee")
}

/// The order whose fee an attempt's owner names, if it names one.
pub fn of_fee_owner(owner: &str) -> Option<Uuid> {
    owner
        .strip_prefix("order:")?
        .strip_suffix(":fee")?
        .parse()
        .ok()
}

/// The signal a confirmation waiting for its fee in `round` wakes on.
pub fn fee_signal_name(id: Uuid, round: i32) -> String {
    format!("confirm:{id}:{round}")
}

/// The seller's asks about the fee's payment, which the workflow's next look reads.
pub fn fee_ask(db: &Db, id: Uuid, cancel: bool, attempt: bool) -> ApiResult<()> {
    db.execute(
        "UPDATE \"order\".seller_order SET cancel_requested = cancel_requested OR $2, \
         wants_attempt = wants_attempt OR $3 WHERE id = $1",
        &[uuid(id), cancel.into(), attempt.into()],
    )?;
    Ok(())
}

/// A new attempt at the fee is out: the seller's ask is answered.
pub fn fee_attempt_started(db: &Db, id: Uuid) -> ApiResult<()> {
    db.execute(
        "UPDATE \"order\".seller_order SET fee_attempts = fee_attempts + 1, \
         wants_attempt = false WHERE id = $1",
        &[uuid(id)],
    )?;
    Ok(())
}

/// Tells order `id`'s confirmation that something its fee payment waits on changed, under the
/// order's row lock as its looks take it. Wake what it returns after the commit.
pub fn fee_nudge(db: &Db, id: Uuid) -> ApiResult<Vec<Uuid>> {
    let Some(o) = find(db, id, Lock::ForUpdate)? else {
        return Ok(Vec::new());
    };
    if o.status != "confirming" {
        return Ok(Vec::new());
    }
    kit::workflow::signal(
        db,
        SCHEMA,
        &fee_signal_name(id, o.round),
        &serde_json::json!({}),
    )
}

/// The signal a payout waiting in `round` wakes on.
pub fn signal_name(id: Uuid, round: i32) -> String {
    format!("payout:{id}:{round}")
}

/// A look of the payout workflow, or of the fee payment before it: order `id` locked, its
/// round moved on. The order as it was.
pub fn look(db: &Db, id: Uuid) -> ApiResult<Order> {
    let o = find(db, id, Lock::ForUpdate)?
        .ok_or_else(|| ApiError::internal("a payout lost its order"))?;
    db.execute(
        "UPDATE \"order\".seller_order SET round = round + 1 WHERE id = $1",
        &[uuid(id)],
    )?;
    Ok(o)
}

/// Tells order `id`'s payout that something it waits on changed (a delivery), under the
/// order's row lock as its looks take it. Wake what it returns after the commit.
pub fn nudge(db: &Db, id: Uuid) -> ApiResult<Vec<Uuid>> {
    let Some(o) = find(db, id, Lock::ForUpdate)? else {
        return Ok(Vec::new());
    };
    if o.payout_status != "held" {
        return Ok(Vec::new());
    }
    kit::workflow::signal(
        db,
        SCHEMA,
        &signal_name(id, o.round),
        &serde_json::json!({}),
    )
}

/// What an order's shipment names as its owner: `order:<id>`.
pub fn owner_of(id: Uuid) -> String {
    format!("order:{id}")
}

/// The order a shipment's owner names, if it names one.
pub fn of_owner(owner: &str) -> Option<Uuid> {
    owner.strip_prefix("order:")?.parse().ok()
}

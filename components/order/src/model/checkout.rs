//! `"order".checkout`, `checkout_item` and `checkout_shipment`: what a buyer asked to buy,
//! priced once, and where its payment stands. The checkout workflow writes them in its steps;
//! the buyer's asks (cancel, a new payment URL) set a flag and signal the workflow
//! ([`nudge`]), which decides in its next look.

use chrono::{DateTime, Utc};
use kit::db::{
    Db, FromRow, Lock, Param, Row, json, micros, optional_text, optional_uuid, text, uuid,
};
use kit::page::TimeKey;
use kit::{ApiError, ApiResult};
use serde_json::Value;
use uuid::Uuid;

use super::SCHEMA;

/// Where a checkout stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Pending,
    AwaitingPayment,
    Paid,
    Cancelled,
    Expired,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::AwaitingPayment => "awaiting_payment",
            Status::Paid => "paid",
            Status::Cancelled => "cancelled",
            Status::Expired => "expired",
            Status::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> ApiResult<Status> {
        Ok(match s {
            "pending" => Status::Pending,
            "awaiting_payment" => Status::AwaitingPayment,
            "paid" => Status::Paid,
            "cancelled" => Status::Cancelled,
            "expired" => Status::Expired,
            "failed" => Status::Failed,
            _ => return Err(ApiError::internal(format_args!("checkout status `{s}`"))),
        })
    }

    /// Whether nothing more happens to it: paid, or ended without payment.
    pub fn is_final(self) -> bool {
        !matches!(self, Status::Pending | Status::AwaitingPayment)
    }
}

/// A stored checkout.
#[derive(Clone, Debug)]
pub struct Checkout {
    pub id: Uuid,
    pub buyer_id: Uuid,
    pub invocation_id: Uuid,
    pub status: Status,
    pub source: String,
    pub currency: String,
    pub rate_snapshot_id: Option<Uuid>,
    pub subtotal_minor: i64,
    pub discount_minor: i64,
    pub shipping_minor: i64,
    pub shipping_discount_minor: i64,
    pub total_minor: i64,
    pub cashback_minor: i64,
    pub wallet_minor: i64,
    pub gateway_minor: i64,
    pub cod_minor: i64,
    pub gateway: Option<String>,
    pub method: Option<String>,
    pub delivery: Value,
    pub codes: Value,
    /// Promotions were redeemed under `checkout:<id>`.
    pub redeemed: bool,
    pub cancelled_minor: i64,
    pub refunded_minor: i64,
    pub cod_waived_minor: i64,
    pub cod_assigned_minor: i64,
    pub reservation_id: Option<Uuid>,
    pub return_url: String,
    pub buyer_ip: String,
    pub round: i32,
    pub attempts: i32,
    pub cancel_requested: bool,
    pub wants_attempt: bool,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
}

impl FromRow for Checkout {
    fn from_row(row: &Row<'_>) -> ApiResult<Checkout> {
        Ok(Checkout {
            id: row.get("id")?,
            buyer_id: row.get("buyer_id")?,
            invocation_id: row.get("invocation_id")?,
            status: Status::parse(&row.get::<String>("status")?)?,
            source: row.get("source")?,
            currency: row.get("currency")?,
            rate_snapshot_id: row.get("rate_snapshot_id")?,
            subtotal_minor: row.get("subtotal_minor")?,
            discount_minor: row.get("discount_minor")?,
            shipping_minor: row.get("shipping_minor")?,
            shipping_discount_minor: row.get("shipping_discount_minor")?,
            total_minor: row.get("total_minor")?,
            cashback_minor: row.get("cashback_minor")?,
            wallet_minor: row.get("wallet_minor")?,
            gateway_minor: row.get("gateway_minor")?,
            cod_minor: row.get("cod_minor")?,
            gateway: row.get("gateway")?,
            method: row.get("method")?,
            delivery: row.json("delivery")?,
            codes: row.json("codes")?,
            redeemed: row.get("redeemed")?,
            cancelled_minor: row.get("cancelled_minor")?,
            refunded_minor: row.get("refunded_minor")?,
            cod_waived_minor: row.get("cod_waived_minor")?,
            cod_assigned_minor: row.get("cod_assigned_minor")?,
            reservation_id: row.get("reservation_id")?,
            return_url: row.get("return_url")?,
            buyer_ip: row.get("buyer_ip")?,
            round: row.get("round")?,
            attempts: row.get("attempts")?,
            cancel_requested: row.get("cancel_requested")?,
            wants_attempt: row.get("wants_attempt")?,
            reason: row.get("reason")?,
            created_at: row.time("created_at")?,
            expires_at: row.time("expires_at")?,
            paid_at: row.optional_time("paid_at")?,
            ended_at: row.optional_time("ended_at")?,
        })
    }
}

const COLUMNS: &str = "SELECT id, buyer_id, invocation_id, status, source, currency, \
                       rate_snapshot_id, subtotal_minor, discount_minor, shipping_minor, \
                       shipping_discount_minor, total_minor, cashback_minor, wallet_minor, \
                       gateway_minor, cod_minor, gateway, method, delivery, codes, redeemed, \
                       cancelled_minor, refunded_minor, cod_waived_minor, cod_assigned_minor, \
                       reservation_id, return_url, buyer_ip, round, attempts, cancel_requested, \
                       wants_attempt, reason, created_at AT TIME ZONE 'UTC' AS created_at, \
                       expires_at AT TIME ZONE 'UTC' AS expires_at, \
                       paid_at AT TIME ZONE 'UTC' AS paid_at, \
                       ended_at AT TIME ZONE 'UTC' AS ended_at \
                       FROM \"order\".checkout";

/// A checkout as its first step writes it.
pub struct New<'a> {
    pub id: Uuid,
    pub buyer_id: Uuid,
    pub invocation_id: Uuid,
    pub source: &'a str,
    pub currency: &'a str,
    pub rate_snapshot_id: Option<Uuid>,
    pub subtotal_minor: i64,
    pub discount_minor: i64,
    pub shipping_minor: i64,
    pub shipping_discount_minor: i64,
    pub total_minor: i64,
    pub cashback_minor: i64,
    pub wallet_minor: i64,
    pub gateway_minor: i64,
    pub cod_minor: i64,
    pub gateway: Option<&'a str>,
    pub method: Option<&'a str>,
    pub delivery: &'a Value,
    pub codes: &'a [String],
    pub redeemed: bool,
    pub return_url: &'a str,
    pub buyer_ip: &'a str,
    pub expires_at: DateTime<Utc>,
}

const INSERT: &str = "INSERT INTO \"order\".checkout (id, buyer_id, invocation_id, source, \
                      currency, rate_snapshot_id, subtotal_minor, discount_minor, shipping_minor, \
                      shipping_discount_minor, total_minor, cashback_minor, wallet_minor, \
                      gateway_minor, cod_minor, gateway, method, delivery, codes, redeemed, \
                      return_url, buyer_ip, expires_at) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
                      $16, $17, $18, $19, $20, $21, $22, $23::text::timestamptz)";

pub fn insert(db: &Db, c: &New<'_>) -> ApiResult<()> {
    db.execute(
        INSERT,
        &[
            uuid(c.id),
            uuid(c.buyer_id),
            uuid(c.invocation_id),
            text(c.source),
            text(c.currency),
            optional_uuid(c.rate_snapshot_id),
            c.subtotal_minor.into(),
            c.discount_minor.into(),
            c.shipping_minor.into(),
            c.shipping_discount_minor.into(),
            c.total_minor.into(),
            c.cashback_minor.into(),
            c.wallet_minor.into(),
            c.gateway_minor.into(),
            c.cod_minor.into(),
            optional_text(c.gateway),
            optional_text(c.method),
            json(c.delivery)?,
            json(&c.codes)?,
            c.redeemed.into(),
            text(c.return_url),
            text(c.buyer_ip),
            micros(c.expires_at),
        ],
    )?;
    Ok(())
}

/// Checkout `id`, if there is one.
pub fn find(db: &Db, id: Uuid, lock: Lock) -> ApiResult<Option<Checkout>> {
    db.fetch_optional(
        &format!("{COLUMNS} WHERE id = $1{}", lock.clause()),
        &[uuid(id)],
    )
}

/// Checkout `id` of `buyer`; 404 `checkout_not_found` for anyone else's, as for none.
pub fn load_own(db: &Db, id: Uuid, buyer: Uuid, lock: Lock) -> ApiResult<Checkout> {
    find(db, id, lock)?
        .filter(|c| c.buyer_id == buyer)
        .ok_or_else(|| ApiError::not_found("checkout_not_found", "no such checkout"))
}

/// `buyer`'s checkouts, newest first, after `before` (the last one of the previous page: its
/// creation time in microseconds and its id), in `status` when given.
pub fn page(
    db: &Db,
    buyer: Uuid,
    status: Option<Status>,
    before: Option<&TimeKey>,
    limit: i64,
) -> ApiResult<Vec<Checkout>> {
    db.fetch_all(
        &format!(
            "{COLUMNS} WHERE buyer_id = $1 AND ($2::text IS NULL OR status = $2) \
             AND ($3::int8 IS NULL \
                  OR (created_at, id) < (timestamptz 'epoch' + $3::int8 * interval '1 microsecond', \
                                         $4::text::uuid)) \
             ORDER BY created_at DESC, id DESC LIMIT $5"
        ),
        &[
            uuid(buyer),
            optional_text(status.map(Status::as_str)),
            before.map_or(Param::DbNull, |k| k.t.into()),
            text(before.map_or(Uuid::nil(), |k| k.id).to_string()),
            limit.into(),
        ],
    )
}

/// Whether `buyer` has never had a checkout paid: their next would be their first order.
pub fn first_order(db: &Db, buyer: Uuid) -> ApiResult<bool> {
    db.scalar(
        "SELECT NOT EXISTS (SELECT 1 FROM \"order\".checkout \
         WHERE buyer_id = $1 AND status = 'paid')",
        &[uuid(buyer)],
    )
}

/// The signal a checkout waiting in `round` wakes on.
pub fn signal_name(id: Uuid, round: i32) -> String {
    format!("checkout:{id}:{round}")
}

/// Tells the workflow of checkout `id` that something it waits on changed (a payment settled,
/// the buyer asked something): under the checkout's row lock, which its looks take too, so
/// the look either sees the change or the signal reaches the wait after it. Call it in the
/// transaction of the change; wake the invocations it returns after the commit.
pub fn nudge(db: &Db, id: Uuid) -> ApiResult<Vec<Uuid>> {
    let Some(c) = find(db, id, Lock::ForUpdate)? else {
        return Ok(Vec::new());
    };
    if c.status.is_final() {
        return Ok(Vec::new());
    }
    kit::workflow::signal(
        db,
        SCHEMA,
        &signal_name(id, c.round),
        &serde_json::json!({}),
    )
}

/// What the owner string of a checkout's payment attempts names: `checkout:<id>`.
pub fn owner_of(id: Uuid) -> String {
    format!("checkout:{id}")
}

/// The checkout a payment attempt's owner names, if it names one.
pub fn of_owner(owner: &str) -> Option<Uuid> {
    owner.strip_prefix("checkout:")?.parse().ok()
}

/// The buyer's asks, which the workflow's next look reads.
pub fn ask(db: &Db, id: Uuid, cancel: bool, attempt: bool) -> ApiResult<()> {
    db.execute(
        "UPDATE \"order\".checkout SET cancel_requested = cancel_requested OR $2, \
         wants_attempt = wants_attempt OR $3 WHERE id = $1",
        &[uuid(id), cancel.into(), attempt.into()],
    )?;
    Ok(())
}

/// A look of the workflow: checkout `id` locked, its round moved on (asks made after this
/// signal the next round). Returns the checkout as it was.
pub fn look(db: &Db, id: Uuid) -> ApiResult<Checkout> {
    let c = find(db, id, Lock::ForUpdate)?
        .ok_or_else(|| ApiError::internal("a checkout's workflow lost its checkout"))?;
    db.execute(
        "UPDATE \"order\".checkout SET round = round + 1 WHERE id = $1",
        &[uuid(id)],
    )?;
    Ok(c)
}

/// A new payment attempt is out: the checkout awaits payment, the buyer's ask is answered.
pub fn attempt_started(db: &Db, id: Uuid) -> ApiResult<()> {
    db.execute(
        "UPDATE \"order\".checkout SET status = 'awaiting_payment', attempts = attempts + 1, \
         wants_attempt = false WHERE id = $1",
        &[uuid(id)],
    )?;
    Ok(())
}

/// The stock of checkout `id` is held by inventory's `reservation`.
pub fn set_reservation(db: &Db, id: Uuid, reservation: Uuid) -> ApiResult<()> {
    db.execute(
        "UPDATE \"order\".checkout SET reservation_id = $2 WHERE id = $1",
        &[uuid(id), uuid(reservation)],
    )?;
    Ok(())
}

/// Checkout `id` is paid: its items await their sellers.
pub fn paid(db: &Db, id: Uuid) -> ApiResult<()> {
    db.execute(
        "UPDATE \"order\".checkout SET status = 'paid', paid_at = now() WHERE id = $1",
        &[uuid(id)],
    )?;
    db.execute(
        "UPDATE \"order\".checkout_item SET status = 'awaiting_seller' WHERE checkout_id = $1",
        &[uuid(id)],
    )?;
    Ok(())
}

/// Ends checkout `id` without payment in `status` with `reason`, unless it ended already (the
/// first ending says why); its items are cancelled.
pub fn end(db: &Db, id: Uuid, status: Status, reason: &str) -> ApiResult<()> {
    db.execute(
        "UPDATE \"order\".checkout SET status = $2, reason = $3, ended_at = now() \
         WHERE id = $1 AND status IN ('pending', 'awaiting_payment')",
        &[uuid(id), text(status.as_str()), text(reason)],
    )?;
    db.execute(
        "UPDATE \"order\".checkout_item SET status = 'cancelled' \
         WHERE checkout_id = $1 AND status = 'pending'",
        &[uuid(id)],
    )?;
    Ok(())
}

/// One line of a checkout.
#[derive(Clone, Debug)]
pub struct Item {
    pub id: Uuid,
    pub seller_id: Uuid,
    pub sku_id: Uuid,
    pub product_id: Uuid,
    pub name: String,
    pub quantity: i32,
    pub seller_currency: String,
    pub seller_unit_minor: i64,
    pub unit_price_minor: i64,
    pub discount_minor: i64,
    pub total_minor: i64,
    pub status: String,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Who cancelled a paid item: `buyer`, `seller` or `deadline`.
    pub cancelled_by: Option<String>,
}

impl FromRow for Item {
    fn from_row(row: &Row<'_>) -> ApiResult<Item> {
        Ok(Item {
            id: row.get("id")?,
            seller_id: row.get("seller_id")?,
            sku_id: row.get("sku_id")?,
            product_id: row.get("product_id")?,
            name: row.get("name")?,
            quantity: row.get("quantity")?,
            seller_currency: row.get("seller_currency")?,
            seller_unit_minor: row.get("seller_unit_minor")?,
            unit_price_minor: row.get("unit_price_minor")?,
            discount_minor: row.get("discount_minor")?,
            total_minor: row.get("total_minor")?,
            status: row.get("status")?,
            cancelled_at: row.optional_time("cancelled_at")?,
            cancelled_by: row.get("cancelled_by")?,
        })
    }
}

pub fn insert_item(db: &Db, checkout: Uuid, i: &Item) -> ApiResult<()> {
    db.execute(
        "INSERT INTO \"order\".checkout_item (id, checkout_id, seller_id, sku_id, product_id, \
         name, quantity, seller_currency, seller_unit_minor, unit_price_minor, discount_minor, \
         total_minor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        &[
            uuid(i.id),
            uuid(checkout),
            uuid(i.seller_id),
            uuid(i.sku_id),
            uuid(i.product_id),
            text(i.name.as_str()),
            i.quantity.into(),
            text(i.seller_currency.as_str()),
            i.seller_unit_minor.into(),
            i.unit_price_minor.into(),
            i.discount_minor.into(),
            i.total_minor.into(),
        ],
    )?;
    Ok(())
}

/// The lines of checkouts `ids`, by checkout, in the order they were written.
pub fn items(db: &Db, ids: &[Uuid]) -> ApiResult<Vec<(Uuid, Item)>> {
    let set = db.query(
        "SELECT checkout_id, id, seller_id, sku_id, product_id, name, quantity, \
         seller_currency, seller_unit_minor, unit_price_minor, discount_minor, total_minor, \
         status, cancelled_by, cancelled_at AT TIME ZONE 'UTC' AS cancelled_at \
         FROM \"order\".checkout_item WHERE checkout_id = ANY($1::text[]::uuid[]) \
         ORDER BY checkout_id, id",
        &[kit::db::uuids(ids)],
    )?;
    kit::db::rows(&set)
        .map(|r| Ok((r.get("checkout_id")?, Item::from_row(&r)?)))
        .collect()
}

/// One seller's shipping of a checkout.
#[derive(Clone, Debug)]
pub struct Shipping {
    pub seller_id: Uuid,
    pub service: String,
    pub carrier: String,
    pub carrier_fee_minor: i64,
    pub carrier_currency: String,
    pub fee_minor: i64,
    pub discount_minor: i64,
    pub pickup: Value,
    pub parcel: Value,
}

impl FromRow for Shipping {
    fn from_row(row: &Row<'_>) -> ApiResult<Shipping> {
        Ok(Shipping {
            seller_id: row.get("seller_id")?,
            service: row.get("service")?,
            carrier: row.get("carrier")?,
            carrier_fee_minor: row.get("carrier_fee_minor")?,
            carrier_currency: row.get("carrier_currency")?,
            fee_minor: row.get("fee_minor")?,
            discount_minor: row.get("discount_minor")?,
            pickup: row.json("pickup")?,
            parcel: row.json("parcel")?,
        })
    }
}

pub fn insert_shipping(db: &Db, checkout: Uuid, s: &Shipping) -> ApiResult<()> {
    db.execute(
        "INSERT INTO \"order\".checkout_shipment (checkout_id, seller_id, service, carrier, \
         carrier_fee_minor, carrier_currency, fee_minor, discount_minor, pickup, parcel) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            uuid(checkout),
            uuid(s.seller_id),
            text(s.service.as_str()),
            text(s.carrier.as_str()),
            s.carrier_fee_minor.into(),
            text(s.carrier_currency.as_str()),
            s.fee_minor.into(),
            s.discount_minor.into(),
            json(&s.pickup)?,
            json(&s.parcel)?,
        ],
    )?;
    Ok(())
}

/// The shipping of checkouts `ids`, by checkout, seller by seller.
pub fn shipping(db: &Db, ids: &[Uuid]) -> ApiResult<Vec<(Uuid, Shipping)>> {
    let set = db.query(
        "SELECT checkout_id, seller_id, service, carrier, carrier_fee_minor, carrier_currency, \
         fee_minor, discount_minor, pickup, parcel FROM \"order\".checkout_shipment \
         WHERE checkout_id = ANY($1::text[]::uuid[]) ORDER BY checkout_id, seller_id",
        &[kit::db::uuids(ids)],
    )?;
    kit::db::rows(&set)
        .map(|r| Ok((r.get("checkout_id")?, Shipping::from_row(&r)?)))
        .collect()
}

/// Whether `buyer` bought one of `skus` in checkout `id`: it is theirs, paid, and holds a line
/// of one of them that was not cancelled.
pub fn bought(db: &Db, buyer: Uuid, id: Uuid, skus: &[Uuid]) -> ApiResult<bool> {
    db.scalar(
        "SELECT EXISTS (SELECT 1 FROM \"order\".checkout c \
         JOIN \"order\".checkout_item i ON i.checkout_id = c.id \
         WHERE c.id = $1 AND c.buyer_id = $2 AND c.status = 'paid' \
         AND i.status <> 'cancelled' AND i.sku_id = ANY($3::text[]::uuid[]))",
        &[uuid(id), uuid(buyer), kit::db::uuids(skus)],
    )
}

const ITEM_COLUMNS: &str = "SELECT i.checkout_id, c.currency, c.buyer_id, c.delivery, \
                            s.service, i.id, i.seller_id, i.sku_id, \
                            i.product_id, i.name, i.quantity, i.seller_currency, \
                            i.seller_unit_minor, i.unit_price_minor, i.discount_minor, \
                            i.total_minor, i.status, i.order_id, i.cancelled_by, \
                            i.cancelled_at AT TIME ZONE 'UTC' AS cancelled_at \
                            FROM \"order\".checkout_item i \
                            JOIN \"order\".checkout c ON c.id = i.checkout_id \
                            LEFT JOIN \"order\".checkout_shipment s \
                              ON s.checkout_id = i.checkout_id AND s.seller_id = i.seller_id";

/// An item with what its checkout says about it: its id, currency, buyer, where it goes and
/// the shipping service its seller ships it with.
pub struct Bought {
    pub checkout_id: Uuid,
    pub currency: String,
    pub buyer_id: Uuid,
    pub delivery: Value,
    pub service: Option<String>,
    pub order_id: Option<Uuid>,
    pub item: Item,
}

impl FromRow for Bought {
    fn from_row(row: &Row<'_>) -> ApiResult<Bought> {
        Ok(Bought {
            checkout_id: row.get("checkout_id")?,
            currency: row.get("currency")?,
            buyer_id: row.get("buyer_id")?,
            delivery: row.json("delivery")?,
            service: row.get("service")?,
            order_id: row.get("order_id")?,
            item: Item::from_row(row)?,
        })
    }
}

/// Items `ids` (those that exist), in id order.
pub fn items_by_id(db: &Db, ids: &[Uuid]) -> ApiResult<Vec<Bought>> {
    db.fetch_all(
        &format!("{ITEM_COLUMNS} WHERE i.id = ANY($1::text[]::uuid[]) ORDER BY i.id"),
        &[kit::db::uuids(ids)],
    )
}

/// The items of orders `ids`.
pub fn items_of_orders(db: &Db, ids: &[Uuid]) -> ApiResult<Vec<Bought>> {
    db.fetch_all(
        &format!("{ITEM_COLUMNS} WHERE i.order_id = ANY($1::text[]::uuid[]) ORDER BY i.id"),
        &[kit::db::uuids(ids)],
    )
}

/// Locks checkouts `ids`, in id order (so two lockers of overlapping sets cannot deadlock).
pub fn lock_all(db: &Db, ids: &[Uuid]) -> ApiResult<Vec<Checkout>> {
    db.fetch_all(
        &format!("{COLUMNS} WHERE id = ANY($1::text[]::uuid[]) ORDER BY id FOR UPDATE"),
        &[kit::db::uuids(ids)],
    )
}

/// Paid items awaiting their seller in checkout `id`.
pub fn awaiting_in(db: &Db, id: Uuid) -> ApiResult<Vec<Bought>> {
    db.fetch_all(
        &format!("{ITEM_COLUMNS} WHERE i.checkout_id = $1 AND i.status = 'awaiting_seller'"),
        &[uuid(id)],
    )
}

/// Items `ids` are held by order `order`'s confirmation; false when one no longer awaits its
/// seller.
pub fn claim(db: &Db, order: Uuid, ids: &[Uuid]) -> ApiResult<bool> {
    let n = db.execute(
        "UPDATE \"order\".checkout_item SET status = 'confirming', order_id = $2 \
         WHERE id = ANY($1::text[]::uuid[]) AND status = 'awaiting_seller'",
        &[kit::db::uuids(ids), uuid(order)],
    )?;
    Ok(usize::try_from(n).unwrap_or(0) == ids.len())
}

/// Order `order` takes `seller`'s shipping of checkout `id`, unless an earlier order took it:
/// what the buyer paid for it (after promotions), or `None`.
pub fn take_shipping(db: &Db, id: Uuid, seller: Uuid, order: Uuid) -> ApiResult<Option<i64>> {
    let set = db.query(
        "UPDATE \"order\".checkout_shipment SET order_id = $3 \
         WHERE checkout_id = $1 AND seller_id = $2 AND order_id IS NULL \
         RETURNING (fee_minor - discount_minor)::int8 AS paid",
        &[uuid(id), uuid(seller), uuid(order)],
    )?;
    kit::db::rows(&set)
        .next()
        .map(|r| r.get("paid"))
        .transpose()
}

/// Puts `amount` of checkout `id`'s cash on delivery on a shipment.
pub fn assign_cod(db: &Db, id: Uuid, amount: i64) -> ApiResult<()> {
    db.execute(
        "UPDATE \"order\".checkout SET cod_assigned_minor = cod_assigned_minor + $2 \
         WHERE id = $1",
        &[uuid(id), amount.into()],
    )?;
    Ok(())
}

/// Order `order`'s confirmation was refused: its items await their seller again, the shipping
/// and cash on delivery it took are free again (`cod`: what it took of each checkout's).
pub fn unclaim(db: &Db, order: Uuid, cod: &[(Uuid, i64)]) -> ApiResult<()> {
    db.execute(
        "UPDATE \"order\".checkout_item SET status = 'awaiting_seller', order_id = NULL \
         WHERE order_id = $1 AND status = 'confirming'",
        &[uuid(order)],
    )?;
    db.execute(
        "UPDATE \"order\".checkout_shipment SET order_id = NULL WHERE order_id = $1",
        &[uuid(order)],
    )?;
    for (id, amount) in cod {
        assign_cod(db, *id, -amount)?;
    }
    Ok(())
}

/// Whether every payout of checkout `id` is released — none of its items awaits a seller or
/// a confirmation, none of its orders is still held, and one was paid out: its cashback is
/// due.
pub fn payouts_released(db: &Db, id: Uuid) -> ApiResult<bool> {
    db.scalar(
        "SELECT NOT EXISTS (SELECT 1 FROM \"order\".checkout_item WHERE checkout_id = $1 \
           AND status IN ('awaiting_seller', 'confirming')) \
         AND NOT EXISTS (SELECT 1 FROM \"order\".order_part p \
           JOIN \"order\".seller_order o ON o.id = p.order_id \
           WHERE p.checkout_id = $1 AND o.payout_status = 'held') \
         AND EXISTS (SELECT 1 FROM \"order\".order_part p \
           JOIN \"order\".seller_order o ON o.id = p.order_id \
           WHERE p.checkout_id = $1 AND o.payout_status = 'released')",
        &[uuid(id)],
    )
}

/// Order `order`'s items are confirmed: in its shipment.
pub fn confirm_items(db: &Db, order: Uuid) -> ApiResult<()> {
    db.execute(
        "UPDATE \"order\".checkout_item SET status = 'confirmed' \
         WHERE order_id = $1 AND status = 'confirming'",
        &[uuid(order)],
    )?;
    Ok(())
}

/// `buyer`'s item `id`; 404 `item_not_found` for anyone else's.
pub fn own_item(db: &Db, buyer: Uuid, id: Uuid) -> ApiResult<Bought> {
    db.fetch_optional(
        &format!("{ITEM_COLUMNS} WHERE i.id = $1 AND c.buyer_id = $2"),
        &[uuid(id), uuid(buyer)],
    )?
    .ok_or_else(|| ApiError::not_found("item_not_found", "no such item"))
}

/// Whose items a list shows: the checkouts' buyer's, or the items' seller's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    Buyer,
    Seller,
}

/// The items of `account` as `party` in `status` (`awaiting_seller`: paid, before the seller
/// confirms; `cancelled`), newest first (item ids are time-ordered), after `before`.
pub fn items_page(
    db: &Db,
    party: Party,
    account: Uuid,
    status: &str,
    before: Option<Uuid>,
    limit: i64,
) -> ApiResult<Vec<Bought>> {
    let column = match party {
        Party::Buyer => "c.buyer_id",
        Party::Seller => "i.seller_id",
    };
    db.fetch_all(
        &format!(
            "{ITEM_COLUMNS} WHERE {column} = $1 AND i.status = $2 \
             AND ($3::text IS NULL OR i.id < $3::text::uuid) ORDER BY i.id DESC LIMIT $4"
        ),
        &[
            uuid(account),
            text(status),
            optional_text(before.map(|b| b.to_string()).as_deref()),
            limit.into(),
        ],
    )
}

/// Whether checkout `id` has another item of `seller` besides `item` that was not cancelled
/// (awaiting them, or in one of their orders, which took the seller's shipping).
pub fn seller_has_other_items(db: &Db, id: Uuid, seller: Uuid, item: Uuid) -> ApiResult<bool> {
    db.scalar(
        "SELECT EXISTS (SELECT 1 FROM \"order\".checkout_item WHERE checkout_id = $1 \
         AND seller_id = $2 AND id <> $3 AND status <> 'cancelled')",
        &[uuid(id), uuid(seller), uuid(item)],
    )
}

/// What cancelling one paid item does to its checkout's money.
pub struct Cancelled {
    pub amount_minor: i64,
    pub refunded_minor: i64,
    pub cod_waived_minor: i64,
}

/// Item `item` of checkout `id` is cancelled (`by`: buyer, seller, deadline), with what it
/// came to.
pub fn cancel_item(db: &Db, id: Uuid, item: Uuid, by: &str, c: &Cancelled) -> ApiResult<()> {
    db.execute(
        "UPDATE \"order\".checkout_item SET status = 'cancelled', cancelled_at = now(), \
         cancelled_by = $2 WHERE id = $1",
        &[uuid(item), text(by)],
    )?;
    db.execute(
        "UPDATE \"order\".checkout SET cancelled_minor = cancelled_minor + $2, \
         refunded_minor = refunded_minor + $3, cod_waived_minor = cod_waived_minor + $4 \
         WHERE id = $1",
        &[
            uuid(id),
            c.amount_minor.into(),
            c.refunded_minor.into(),
            c.cod_waived_minor.into(),
        ],
    )?;
    Ok(())
}

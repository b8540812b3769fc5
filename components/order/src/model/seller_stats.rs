//! A seller's dashboard, read from `"order".seller_order` and its items: orders confirmed in
//! a range (their revenue in the seller's wallet currency, units, refunds, payouts), the same
//! by day, week or month, what waits on the seller, and their best-selling products.

use chrono::{DateTime, Utc};
use kit::ApiResult;
use kit::db::{Db, FromRow, Row, text, uuid};
use kit::time::rfc3339 as stamp;
use uuid::Uuid;

/// One period's figures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Period {
    pub start: String,
    pub end: String,
    pub revenue_minor: i64,
    pub orders: i64,
    pub items_sold: i64,
    pub refunded_orders: i64,
    pub cut_minor: i64,
    pub paid_out_minor: i64,
}

impl FromRow for Period {
    fn from_row(row: &Row<'_>) -> ApiResult<Period> {
        Ok(Period {
            start: stamp(row.time("start")?),
            end: stamp(row.time("end")?),
            revenue_minor: row.get("revenue_minor")?,
            orders: row.get("orders")?,
            items_sold: row.get("items_sold")?,
            refunded_orders: row.get("refunded_orders")?,
            cut_minor: row.get("cut_minor")?,
            paid_out_minor: row.get("paid_out_minor")?,
        })
    }
}

/// The seller's orders confirmed in [$3, $4) in currency $2, each with its bucket's start
/// (`date_trunc($5)`, UTC) and its units; then each bucket's figures. An order refunded in full
/// counts as refunded only.
const PERIODS: &str = "WITH b AS ( \
       SELECT s AS start, \
              LEAST(s + ('1 ' || $5)::interval, $4::text::timestamptz AT TIME ZONE 'UTC') \
                AS \"end\" \
       FROM generate_series(date_trunc($5, $3::text::timestamptz AT TIME ZONE 'UTC'), \
                            $4::text::timestamptz AT TIME ZONE 'UTC' - interval '1 microsecond', \
                            ('1 ' || $5)::interval) s), \
     o AS ( \
       SELECT date_trunc($5, o.confirmed_at AT TIME ZONE 'UTC') AS start, o.id, o.status, \
              o.gross_minor, o.cut_minor, o.payout_minor, o.payout_status, \
              (SELECT COALESCE(sum(i.quantity), 0) FROM \"order\".checkout_item i \
                WHERE i.order_id = o.id) AS units \
       FROM \"order\".seller_order o \
       WHERE o.seller_id = $1 AND o.payout_currency = $2 \
         AND o.confirmed_at >= $3::text::timestamptz AND o.confirmed_at < $4::text::timestamptz \
         AND o.status NOT IN ('confirming', 'failed')) \
     SELECT GREATEST(b.start, $3::text::timestamptz AT TIME ZONE 'UTC') AS start, b.\"end\", \
       COALESCE(sum(o.gross_minor) FILTER (WHERE o.status <> 'refunded'), 0)::int8 AS revenue_minor, \
       count(o.id) FILTER (WHERE o.status <> 'refunded')::int8 AS orders, \
       COALESCE(sum(o.units) FILTER (WHERE o.status <> 'refunded'), 0)::int8 AS items_sold, \
       count(o.id) FILTER (WHERE o.status = 'refunded')::int8 AS refunded_orders, \
       COALESCE(sum(o.cut_minor) FILTER (WHERE o.status <> 'refunded'), 0)::int8 AS cut_minor, \
       COALESCE(sum(o.payout_minor) FILTER (WHERE o.payout_status = 'released'), 0)::int8 \
         AS paid_out_minor \
     FROM b LEFT JOIN o ON o.start = b.start GROUP BY b.start, b.\"end\" ORDER BY b.start";

/// The currency of the seller's latest order's payout (their wallet's), if they have one.
pub fn currency(db: &Db, seller: Uuid) -> ApiResult<Option<String>> {
    let set = db.query(
        "SELECT payout_currency FROM \"order\".seller_order WHERE seller_id = $1 \
         ORDER BY created_at DESC LIMIT 1",
        &[uuid(seller)],
    )?;
    kit::db::rows(&set)
        .next()
        .map(|r| r.get("payout_currency"))
        .transpose()
}

/// The figures of `[from, to)` by `bucket` (`day`, `week` or `month`).
pub fn periods(
    db: &Db,
    seller: Uuid,
    currency: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    bucket: &str,
) -> ApiResult<Vec<Period>> {
    db.fetch_all(
        PERIODS,
        &[
            uuid(seller),
            text(currency),
            text(stamp(from)),
            text(stamp(to)),
            text(bucket),
        ],
    )
}

/// The figures of `periods` together, as one period from the first's start to the last's end.
pub fn total(periods: &[Period]) -> Period {
    let mut sum = Period {
        start: periods.first().map(|p| p.start.clone()).unwrap_or_default(),
        end: periods.last().map(|p| p.end.clone()).unwrap_or_default(),
        ..Period::default()
    };
    for p in periods {
        sum.revenue_minor += p.revenue_minor;
        sum.orders += p.orders;
        sum.items_sold += p.items_sold;
        sum.refunded_orders += p.refunded_orders;
        sum.cut_minor += p.cut_minor;
        sum.paid_out_minor += p.paid_out_minor;
    }
    sum
}

/// What waits on the seller: paid items to confirm, refunds to decide, open disputes.
pub fn pending_actions(db: &Db, seller: Uuid) -> ApiResult<(i64, i64, i64)> {
    let set = db.query(
        "SELECT (SELECT count(*) FROM \"order\".checkout_item \
                  WHERE seller_id = $1 AND status = 'awaiting_seller')::int8 AS items, \
                (SELECT count(*) FROM \"order\".order_refund \
                  WHERE seller_id = $1 AND status IN ('requested', 'accepted'))::int8 AS refunds, \
                (SELECT count(*) FROM \"order\".dispute d \
                  JOIN \"order\".order_refund r ON r.id = d.refund_id \
                  WHERE r.seller_id = $1 AND d.status = 'open')::int8 AS disputes",
        &[uuid(seller)],
    )?;
    let row = kit::db::rows(&set)
        .next()
        .ok_or_else(|| kit::ApiError::internal("no answer"))?;
    Ok((row.get("items")?, row.get("refunds")?, row.get("disputes")?))
}

/// A product's sales.
pub struct Top {
    pub product_id: Uuid,
    pub name: String,
    pub quantity: i64,
    pub orders: i64,
    pub list_minor: i64,
}

impl FromRow for Top {
    fn from_row(row: &Row<'_>) -> ApiResult<Top> {
        Ok(Top {
            product_id: row.get("product_id")?,
            name: row.get("name")?,
            quantity: row.get("quantity")?,
            orders: row.get("orders")?,
            list_minor: row.get("list_minor")?,
        })
    }
}

/// The seller's products by units sold in orders confirmed in `[from, to)` and not refunded
/// in full, most first.
pub fn top_products(
    db: &Db,
    seller: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> ApiResult<Vec<Top>> {
    db.fetch_all(
        "SELECT i.product_id, min(i.name) AS name, sum(i.quantity)::int8 AS quantity, \
         count(DISTINCT o.id)::int8 AS orders, sum(i.seller_unit_minor * i.quantity)::int8 \
         AS list_minor \
         FROM \"order\".seller_order o JOIN \"order\".checkout_item i ON i.order_id = o.id \
         WHERE o.seller_id = $1 AND o.status NOT IN ('confirming', 'failed', 'refunded') \
           AND o.confirmed_at >= $2::text::timestamptz AND o.confirmed_at < $3::text::timestamptz \
         GROUP BY i.product_id ORDER BY quantity DESC, i.product_id LIMIT $4",
        &[
            uuid(seller),
            text(stamp(from)),
            text(stamp(to)),
            limit.into(),
        ],
    )
}

//! `/internal/sellers/:id/…`: a seller's dashboard, for analytic. Every amount is in the
//! seller's wallet currency (their orders' payout currency): what buyers paid, converted by
//! each checkout's rate snapshot.
//!
//! - `GET …/order-stats?from=&to=`: orders confirmed in `[from, to)` — revenue of those not
//!   refunded in full, orders, units sold, full refunds, what partial refunds cut, what was
//!   paid out — and the same for the period of equal length before.
//! - `GET …/order-series?from=&to=&bucket=day|week|month`: the same by bucket (UTC), every
//!   bucket present.
//! - `GET …/pending-actions`: paid items to confirm, refunds to decide, open disputes.
//! - `GET …/top-products?from=&to=&limit=`: products by units sold (1 to 50, default 5).
//!
//! `from` and `to` are RFC 3339 times, `from` before `to`, at most 366 days apart.

use chrono::{DateTime, Duration, Utc};
use contracts::order::{
    SellerOrderStats, SellerPendingActions, SellerPeriod, SellerSeries, SellerTopProducts,
    TopProduct,
};
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use uuid::Uuid;

use crate::model::seller_stats::{self, Period};

/// The longest range one question covers.
const MAX_DAYS: i64 = 366;

fn time(ctx: &Ctx, name: &str) -> ApiResult<DateTime<Utc>> {
    let value = ctx
        .query(name)
        .ok_or_else(|| ApiError::validation(format!("{name}: an RFC 3339 time is required")))?;
    DateTime::parse_from_rfc3339(&value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| ApiError::validation(format!("{name}: an RFC 3339 time")))
}

/// The seller and the range asked about.
fn asked(ctx: &Ctx) -> ApiResult<(Uuid, DateTime<Utc>, DateTime<Utc>)> {
    let seller = ctx.param_id("id", "seller")?;
    let (from, to) = (time(ctx, "from")?, time(ctx, "to")?);
    if from >= to || to - from > Duration::days(MAX_DAYS) {
        return Err(ApiError::validation(format!(
            "from before to, at most {MAX_DAYS} days apart"
        )));
    }
    Ok((seller, from, to))
}

fn period(p: Period) -> SellerPeriod {
    SellerPeriod {
        from: p.start,
        to: p.end,
        revenue_minor: p.revenue_minor,
        orders: p.orders,
        items_sold: p.items_sold,
        refunded_orders: p.refunded_orders,
        cut_minor: p.cut_minor,
        paid_out_minor: p.paid_out_minor,
    }
}

/// The seller's currency; a seller without orders has none, and every figure is 0.
fn currency(ctx: &Ctx, seller: Uuid) -> ApiResult<Option<String>> {
    seller_stats::currency(ctx.db()?, seller)
}

fn empty(from: DateTime<Utc>, to: DateTime<Utc>) -> SellerPeriod {
    SellerPeriod {
        from: kit::time::rfc3339(from),
        to: kit::time::rfc3339(to),
        ..SellerPeriod::default()
    }
}

/// `GET /internal/sellers/:id/order-stats`.
pub async fn stats(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let (seller, from, to) = asked(&ctx)?;
    let before = from - (to - from);
    let Some(currency) = currency(&ctx, seller)? else {
        return json::ok(&SellerOrderStats {
            currency: String::new(),
            current: empty(from, to),
            previous: empty(before, from),
        });
    };
    let db = ctx.db()?;
    let sum = |a, b| -> ApiResult<SellerPeriod> {
        let days = seller_stats::periods(db, seller, &currency, a, b, "day")?;
        let mut p = period(seller_stats::total(&days));
        p.from = kit::time::rfc3339(a);
        p.to = kit::time::rfc3339(b);
        Ok(p)
    };
    json::ok(&SellerOrderStats {
        current: sum(from, to)?,
        previous: sum(before, from)?,
        currency,
    })
}

/// `GET /internal/sellers/:id/order-series`.
pub async fn series(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let (seller, from, to) = asked(&ctx)?;
    let bucket = match ctx.query("bucket").as_deref() {
        None | Some("day") => "day",
        Some("week") => "week",
        Some("month") => "month",
        Some(_) => return Err(ApiError::validation("bucket: day, week or month")),
    };
    let currency = currency(&ctx, seller)?.unwrap_or_default();
    let items = seller_stats::periods(ctx.db()?, seller, &currency, from, to, bucket)?
        .into_iter()
        .map(period)
        .collect();
    json::ok(&SellerSeries {
        currency,
        bucket: bucket.to_string(),
        items,
    })
}

/// `GET /internal/sellers/:id/pending-actions`.
pub async fn pending_actions(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let seller = ctx.param_id("id", "seller")?;
    let (items, refunds, disputes) = seller_stats::pending_actions(ctx.db()?, seller)?;
    json::ok(&SellerPendingActions {
        unconfirmed_items: items,
        open_refunds: refunds,
        open_disputes: disputes,
    })
}

/// `GET /internal/sellers/:id/top-products`.
pub async fn top_products(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let (seller, from, to) = asked(&ctx)?;
    let limit = match ctx.query("limit") {
        None => 5,
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=50).contains(l))
            .ok_or_else(|| ApiError::validation("limit: 1 to 50"))?,
    };
    let items = seller_stats::top_products(ctx.db()?, seller, from, to, limit)?
        .into_iter()
        .map(|t| TopProduct {
            product_id: t.product_id,
            name: t.name,
            quantity: t.quantity,
            orders: t.orders,
            list_minor: t.list_minor,
        })
        .collect();
    json::ok(&SellerTopProducts { items })
}

//! Exchange rates, fetched through the rates provider and kept as snapshots:
//!
//! - `GET /api/v1/common/currencies/rates?base=VND`: the latest rates against any currency
//!   the snapshot quotes (public).
//! - `POST /internal/rates/convert`: an amount in another currency, with the snapshot it was
//!   converted by; a checkout keeps that snapshot's id, and converting again with it gives the
//!   same amount for ever.
//!
//! Rates are fetched by a durable timer every `rates_refresh_seconds` ([`crate::timers`]). A
//! snapshot older than `rates_max_age_hours` is not used: the rates are fetched again, and
//! when the provider cannot be reached the answer is 503 `rates_unavailable`, never a stale
//! rate.
//!
//! Rounding ([`convert`]): `amount` minor units of `from` are `amount × rate(to) × 10^d(to) /
//! (rate(from) × 10^d(from))` minor units of `to`, computed exactly in 128-bit integers, then
//! rounded half away from zero once — where `rate(c)` is what one unit of the snapshot's base
//! buys of `c` (the base's own rate is 1) and `d(c)` the ISO 4217 exponent of `c`.

use chrono::{Duration, Utc};
use contracts::common::{Amount, ConvertAnswer, ConvertRequest};
use kit::db::Db;
use kit::time::rfc3339 as stamp;
use kit::validate::Currency;
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde_json::json;

use protocols::rates::Rate;

use crate::model::rates::{self, Snapshot};
use crate::providers;

/// The rate of a snapshot's base against itself, in the snapshot's units (10⁻¹²).
const ONE: i64 = protocols::rates::RATE_SCALE;

/// How old a snapshot may be by default (hours): the open rates are published daily.
const DEFAULT_MAX_AGE_HOURS: i64 = 36;

/// `amount` minor units of `from` in minor units of `to`, by `snapshot`, rounded half away
/// from zero; `None` when either currency is not quoted or the result does not fit.
pub fn convert(snapshot: &Snapshot, amount: i64, from: &Currency, to: &Currency) -> Option<i64> {
    let rate = |c: &Currency| {
        if c.as_str() == snapshot.base {
            Some(ONE)
        } else {
            snapshot.rates.get(c.as_str()).copied()
        }
    };
    Rate::between(
        amount,
        Rate(rate(from)?),
        from.minor_digits(),
        Rate(rate(to)?),
        to.minor_digits(),
    )
}

fn max_age(ctx: &Ctx) -> Duration {
    let hours = ctx.settings().number(
        "rates_max_age_hours",
        DEFAULT_MAX_AGE_HOURS,
        1..=i64::from(i32::MAX),
    );
    Duration::hours(hours)
}

/// The latest snapshot fresher than `rates_max_age_hours`, fetched now when there is none.
async fn fresh(ctx: &Ctx) -> ApiResult<Snapshot> {
    let db = ctx.db()?;
    match rates::latest(db)? {
        Some(s) if Utc::now() - s.fetched_at <= max_age(ctx) => Ok(s),
        _ => {
            // The refresh timer should have kept one fresh: (re)start its chain, then fetch
            // for this request.
            let snapshot = providers::latest_rates(ctx);
            db.transaction(async |db: &Db| {
                crate::timers::ensure(ctx, db)?;
                if let Ok(s) = &snapshot {
                    rates::insert(db, s)?;
                }
                Ok(())
            })
            .await?;
            snapshot
        }
    }
}

/// `GET /api/v1/common/currencies/rates?base=…` — what one unit of `base` buys of every
/// quoted currency, as a decimal string exact to 12 places, from the latest snapshot.
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let snapshot = fresh(&ctx).await?;
    let base = match ctx.query("base") {
        Some(b) => Currency::parse("base", &b)?,
        None => Currency::parse("base", &snapshot.base)?,
    };
    let base_rate = if base.as_str() == snapshot.base {
        ONE
    } else {
        *snapshot.rates.get(base.as_str()).ok_or_else(|| {
            ApiError::unprocessable(
                "currency_not_quoted",
                format!("the rates quote no {}", base.as_str()),
            )
        })?
    };
    let mut quoted: Vec<(&str, i64)> = snapshot
        .rates
        .iter()
        .map(|(c, r)| (c.as_str(), *r))
        .chain(std::iter::once((snapshot.base.as_str(), ONE)))
        .filter(|(c, _)| *c != base.as_str())
        .collect();
    quoted.sort_unstable();
    quoted.dedup_by_key(|(c, _)| *c);
    let rates: serde_json::Map<String, serde_json::Value> = quoted
        .into_iter()
        .map(|(c, r)| (c.to_string(), decimal(cross(r, base_rate)).into()))
        .collect();
    json::ok(&json!({
        "base": base.as_str(),
        "snapshot_id": snapshot.id,
        "source": snapshot.source,
        "published_at": stamp(snapshot.published_at),
        "fetched_at": stamp(snapshot.fetched_at),
        "rates": rates,
    }))
}

/// `rate ÷ base_rate` in units of 10⁻¹², rounded half up (both are positive).
fn cross(rate: i64, base_rate: i64) -> i128 {
    (i128::from(rate) * i128::from(ONE) + i128::from(base_rate) / 2) / i128::from(base_rate)
}

/// Units of 10⁻¹² as a decimal string (`25400.000000000000` for 25400 × 10¹²), trailing zeros
/// trimmed.
fn decimal(units: i128) -> String {
    let one = i128::from(ONE);
    let whole = units / one;
    let frac = format!("{:012}", units % one);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        whole.to_string()
    } else {
        format!("{whole}.{frac}")
    }
}

/// `POST /internal/rates/convert` — `{amount_minor, currency, snapshot_id, from, to}`; 422
/// `currency_not_quoted`, 503 `rates_unavailable`.
pub async fn convert_route(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: ConvertRequest = json::read(&req)?;
    if body.amount_minor.unsigned_abs() > 1_000_000_000_000_000 {
        return Err(ApiError::validation(
            "amount_minor: at most 10^15 either way",
        ));
    }
    let from = Currency::parse("from", &body.from)?;
    let to = Currency::parse("to", &body.to)?;
    let snapshot = match body.snapshot_id {
        Some(id) => rates::load(ctx.db()?, id)?,
        None => fresh(&ctx).await?,
    };
    let amount = convert(&snapshot, body.amount_minor, &from, &to).ok_or_else(|| {
        ApiError::unprocessable(
            "currency_not_quoted",
            format!(
                "the snapshot quotes no rate for {} or {}",
                from.as_str(),
                to.as_str()
            ),
        )
    })?;
    json::ok(&ConvertAnswer {
        amount_minor: amount,
        currency: to.as_str().to_string(),
        from: Amount {
            amount_minor: body.amount_minor,
            currency: from.as_str().to_string(),
        },
        snapshot_id: snapshot.id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use uuid::Uuid;

    fn snapshot() -> Snapshot {
        Snapshot {
            id: Uuid::nil(),
            base: "USD".into(),
            source: "test".into(),
            published_at: Utc::now(),
            next_at: None,
            fetched_at: Utc::now(),
            rates: BTreeMap::from([
                ("VND".to_string(), 25_400 * ONE),
                ("EUR".to_string(), 920_000_000_000),
                ("JPY".to_string(), 151_250_000_000_000),
            ]),
        }
    }

    fn c(code: &str) -> Currency {
        Currency::parse("c", code).unwrap()
    }

    #[test]
    fn conversions_use_each_currencys_exponent() {
        let s = snapshot();
        // 10.00 USD = 254,000 đồng (VND has no minor unit).
        assert_eq!(convert(&s, 1_000, &c("USD"), &c("VND")), Some(254_000));
        // 254,000 đồng = 10.00 USD.
        assert_eq!(convert(&s, 254_000, &c("VND"), &c("USD")), Some(1_000));
        // 1.00 EUR = 1.00 / 0.92 × 151.25 = 164.40… yen → 164.
        assert_eq!(convert(&s, 100, &c("EUR"), &c("JPY")), Some(164));
    }

    #[test]
    fn rounding_is_half_away_from_zero_once() {
        let s = snapshot();
        // 1 đồng = 0.003937… cents → 0; 127 đồng = 0.5 cents → 1 (127 / 254 = 0.5 exactly).
        assert_eq!(convert(&s, 1, &c("VND"), &c("USD")), Some(0));
        assert_eq!(convert(&s, 127, &c("VND"), &c("USD")), Some(1));
        assert_eq!(convert(&s, -127, &c("VND"), &c("USD")), Some(-1));
        assert_eq!(convert(&s, 126, &c("VND"), &c("USD")), Some(0));
    }

    #[test]
    fn a_currency_the_snapshot_does_not_quote_converts_to_nothing() {
        assert_eq!(convert(&snapshot(), 100, &c("USD"), &c("GBP")), None);
    }

    #[test]
    fn cross_rates_are_exact_decimals() {
        assert_eq!(decimal(cross(25_400 * ONE, ONE)), "25400");
        assert_eq!(decimal(cross(ONE, 25_400 * ONE)), "0.000039370079");
        assert_eq!(decimal(cross(920_000_000_000, ONE)), "0.92");
    }
}

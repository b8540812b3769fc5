//! Exchange rates from ExchangeRate-API's open access endpoint (`GET /v6/latest/{BASE}`, no
//! key; `https://open.er-api.com`), as both sides speak it, and the conversion of an amount
//! in minor units with them.
//!
//! An answer: `{"result": "success", "base_code": "USD", "time_last_update_unix": …,
//! "time_next_update_unix": …, "rates": {"VND": 25400.5, …}}`, rates once a day; a failure:
//! `{"result": "error", "error-type": "unsupported-code"}`. Rates are read into integers
//! (units of 10⁻¹² of the quote currency per unit of the base) so that conversions are exact
//! integer arithmetic, rounded once, half away from zero.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

/// Units of a [`Rate`] per 1.
pub const RATE_SCALE: i64 = 1_000_000_000_000;

/// Largest rate read: one unit of the base buys at most this many of another currency.
const MAX_RATE: f64 = 9_000_000.0;

/// How many of a currency one unit of the base buys, in units of 10⁻¹².
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rate(pub i64);

impl Rate {
    /// The rate a published number says; `None` for one that is not positive and finite or
    /// too large.
    pub fn from_published(x: f64) -> Option<Rate> {
        (x.is_finite() && x > 0.0 && x <= MAX_RATE)
            .then(|| Rate((x * RATE_SCALE as f64).round() as i64))
            .filter(|r| r.0 > 0)
    }

    /// `amount` minor units of the base (with `from_digits` minor digits) in minor units of
    /// the quote currency (with `to_digits`), rounded half away from zero; `None` when the
    /// result does not fit.
    pub fn convert(self, amount: i64, from_digits: u8, to_digits: u8) -> Option<i64> {
        Rate::between(amount, Rate(RATE_SCALE), from_digits, self, to_digits)
    }

    /// `amount` minor units of a currency bought at `from` per unit of the base (with
    /// `from_digits` minor digits) in minor units of one bought at `to` (with `to_digits`):
    /// `amount × to × 10^to_digits / (from × 10^from_digits)`, exact in 128 bits, rounded half
    /// away from zero once; `None` when it does not fit.
    pub fn between(
        amount: i64,
        from: Rate,
        from_digits: u8,
        to: Rate,
        to_digits: u8,
    ) -> Option<i64> {
        let numerator = i128::from(amount)
            .checked_mul(i128::from(to.0))?
            .checked_mul(10_i128.checked_pow(u32::from(to_digits))?)?;
        let denominator =
            i128::from(from.0).checked_mul(10_i128.checked_pow(u32::from(from_digits))?)?;
        if denominator == 0 {
            return None;
        }
        let half = denominator / 2;
        let rounded = if numerator >= 0 {
            (numerator + half) / denominator
        } else {
            (numerator - half) / denominator
        };
        i64::try_from(rounded).ok()
    }
}

/// The rates of one base currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rates {
    /// ISO 4217 code of the base.
    pub base: String,
    /// When the provider last updated them.
    pub updated_at: DateTime<Utc>,
    /// When it will next.
    pub next_update_at: Option<DateTime<Utc>>,
    /// By ISO 4217 code.
    pub rates: BTreeMap<String, Rate>,
}

/// Why an answer could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The provider refused: its `error-type` (`unsupported-code`, `malformed-request`, …).
    Refused(String),
    /// The answer is not the documented shape: what is wrong.
    Malformed(&'static str),
}

/// Reads an answer of `GET /v6/latest/{base}`.
pub fn read_latest(v: &serde_json::Value) -> Result<Rates, Failure> {
    match v["result"].as_str() {
        Some("success") => {}
        Some("error") => {
            let kind = v["error-type"].as_str().unwrap_or("unknown");
            return Err(Failure::Refused(kind.to_string()));
        }
        _ => return Err(Failure::Malformed("result")),
    }
    let base = v["base_code"]
        .as_str()
        .filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
        .ok_or(Failure::Malformed("base_code"))?;
    let time = |name: &'static str| {
        v[name]
            .as_i64()
            .and_then(|t| DateTime::from_timestamp(t, 0))
            .ok_or(Failure::Malformed(name))
    };
    let updated_at = time("time_last_update_unix")?;
    let next_update_at = time("time_next_update_unix").ok();
    let rates = v["rates"]
        .as_object()
        .ok_or(Failure::Malformed("rates"))?
        .iter()
        .map(|(code, rate)| {
            let rate = rate
                .as_f64()
                .and_then(Rate::from_published)
                .ok_or(Failure::Malformed("rates"))?;
            Ok((code.clone(), rate))
        })
        .collect::<Result<BTreeMap<_, _>, Failure>>()?;
    Ok(Rates {
        base: base.to_string(),
        updated_at,
        next_update_at,
        rates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_read_into_exact_rates() {
        let answer = serde_json::json!({
            "result": "success", "provider": "https://www.exchangerate-api.com",
            "time_last_update_unix": 1_764_720_000, "time_next_update_unix": 1_764_806_400,
            "time_eol_unix": 0, "base_code": "USD",
            "rates": { "USD": 1, "VND": 25_400.5, "EUR": 0.92, "JPY": 155.0 },
        });
        let rates = read_latest(&answer).unwrap();
        assert_eq!(rates.base, "USD");
        assert_eq!(rates.updated_at.timestamp(), 1_764_720_000);
        assert_eq!(rates.rates["VND"], Rate(25_400_500_000_000_000));
        assert_eq!(rates.rates["USD"], Rate(RATE_SCALE));
        let refused = serde_json::json!({ "result": "error", "error-type": "unsupported-code" });
        assert_eq!(
            read_latest(&refused),
            Err(Failure::Refused("unsupported-code".into()))
        );
        let mut negative = answer.clone();
        negative["rates"]["EUR"] = serde_json::json!(-1);
        assert_eq!(read_latest(&negative), Err(Failure::Malformed("rates")));
    }

    #[test]
    fn conversions_round_once_half_away_from_zero_across_minor_digits() {
        let vnd_per_usd = Rate::from_published(25_400.5).unwrap();
        // 12.34 USD (cents) → đồng (no minor digits): 313,442.17 → 313,442.
        assert_eq!(vnd_per_usd.convert(1_234, 2, 0), Some(313_442));
        // 0.01 USD → 254.005 đồng → 254.
        assert_eq!(vnd_per_usd.convert(1, 2, 0), Some(254));
        let usd_per_vnd = Rate::from_published(1.0 / 25_400.5).unwrap();
        // 313,442 đồng → 12.34 USD.
        assert_eq!(usd_per_vnd.convert(313_442, 0, 2), Some(1_234));
        let half = Rate(RATE_SCALE / 2);
        assert_eq!(half.convert(1, 0, 0), Some(1), "0.5 rounds away from zero");
        assert_eq!(half.convert(-1, 0, 0), Some(-1));
        assert_eq!(Rate(RATE_SCALE * 9_000_000).convert(i64::MAX, 0, 0), None);
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e9] {
            assert_eq!(Rate::from_published(bad), None, "{bad}");
        }
    }
}

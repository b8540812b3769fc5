//! ExchangeRate-API's open access endpoint, played locally with fixed rates.
//!
//! - `GET /v6/latest/:base` — every rate against `base`, in the provider's shape, updated at
//!   the start of today (UTC) and next at the start of tomorrow; an unknown base is the
//!   provider's `{"result": "error", "error-type": "unsupported-code"}`.

use chrono::{Days, Utc};
use hyper::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::{Call, Reply};

/// How many of each currency one US dollar buys, in the sandbox.
pub const PER_USD: &[(&str, f64)] = &[
    ("USD", 1.0),
    ("VND", 25_400.0),
    ("EUR", 0.92),
    ("GBP", 0.79),
    ("JPY", 155.0),
    ("SGD", 1.35),
    ("THB", 36.5),
    ("KRW", 1_380.0),
    ("CNY", 7.2),
    ("AUD", 1.52),
];

/// Answers the rates route; `None` for any other.
pub async fn handle(call: &Call) -> Option<Reply> {
    let base = call.path.strip_prefix("/v6/latest/")?;
    if call.method != Method::GET {
        return None;
    }
    let Some(&(_, base_per_usd)) = PER_USD.iter().find(|(code, _)| *code == base) else {
        return Some(crate::json(
            StatusCode::NOT_FOUND,
            &json!({ "result": "error", "error-type": "unsupported-code" }),
        ));
    };
    let rates: Map<String, Value> = PER_USD
        .iter()
        .map(|(code, per_usd)| (code.to_string(), json!(per_usd / base_per_usd)))
        .collect();
    let today = Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    let tomorrow = today.checked_add_days(Days::new(1)).expect("a day later");
    Some(crate::json(
        StatusCode::OK,
        &json!({
            "result": "success", "provider": "souk-sandbox", "time_eol_unix": 0,
            "time_last_update_unix": today.timestamp(),
            "time_last_update_utc": today.to_rfc2822(),
            "time_next_update_unix": tomorrow.timestamp(),
            "time_next_update_utc": tomorrow.to_rfc2822(),
            "base_code": base, "rates": rates,
        }),
    ))
}

//! GHTK's shipping API, played locally.
//!
//! Every API call must carry the `Token` and `X-Client-Source` headers Souk is configured
//! with; answers are GHTK's envelopes (`{"success": …, "message": …}`).
//! - `GET /services/shipment/fee?…` — a fee from the weight and whether pickup and delivery
//!   are in one province, plus insurance above 1,000,000 VND of declared value.
//! - `POST /services/shipment/order` — creates a shipment (required fields checked, a partner
//!   id used once) at status 2, received; answers its label, the tracking code of every later
//!   call.
//! - `GET /services/shipment/v2/:label` — its status (by label or partner id).
//! - `POST /services/shipment/cancel/:label` — cancels while GHTK allows it (status 1, 2 or 12;
//!   `partner_id:<id>` names it by partner id).
//! - `POST /sandbox/ghtk/shipments/:label/status` `{"status_id": n, "reason"?}` — the sandbox's
//!   own driver: moves a shipment (or reports a courier's attempt, which changes no status) and
//!   sends GHTK's webhook — a form, to the configured callback URL with its secret — resent
//!   once when not answered 200, as GHTK does. A cancellation through the API sends it too.
//! - `GET /sandbox/ghtk/shipments/:label` — the sandbox's view of a shipment.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{FixedOffset, Utc};
use hyper::{Method, StatusCode};
use protocols::form;
use protocols::ghtk::{SHIPPER_REPORTS, Status};
use serde_json::{Value, json};

use crate::{Call, Reply, keep_sending};

/// Webhook deliveries of one change, at most: GHTK resends once.
pub const WEBHOOK_ATTEMPTS: usize = 2;

/// GHTK's side of the sandbox.
#[derive(Clone, Debug)]
pub struct Config {
    /// The API token every call carries in `Token`.
    pub token: String,
    /// The partner code every call carries in `X-Client-Source`.
    pub client_source: String,
    /// The callback URL registered with GHTK, its secret included (`…?hash=…`); `None`: no
    /// webhooks are sent.
    pub webhook_url: Option<String>,
    /// The wait before the one resend.
    pub webhook_retry: Duration,
}

#[derive(Clone, Debug)]
struct Shipment {
    partner_id: String,
    status: Status,
    pick_money: i64,
    weight_grams: i64,
    fee: i64,
    created: String,
    webhook_replies: Vec<String>,
}

/// The shipments the sandbox has created, by label.
pub struct State {
    config: Config,
    shipments: Mutex<HashMap<String, Shipment>>,
    next_tracking: Mutex<u64>,
    client: reqwest::Client,
}

impl State {
    /// An empty sandbox.
    pub fn new(config: Config) -> State {
        State {
            config,
            shipments: Mutex::new(HashMap::new()),
            next_tracking: Mutex::new(1_375_800_000),
            client: crate::callback_client(),
        }
    }
}

fn envelope(status: StatusCode, success: bool, message: &str, mut extra: Value) -> Reply {
    extra["success"] = success.into();
    extra["message"] = message.into();
    crate::json(status, &extra)
}

fn fail(message: &str) -> Reply {
    envelope(StatusCode::OK, false, message, json!({}))
}

/// Answers the GHTK routes; `None` for any other.
pub async fn handle(state: &Arc<State>, call: &Call) -> Option<Reply> {
    let path = call.path.as_str();
    if let Some(rest) = path.strip_prefix("/sandbox/ghtk/shipments/") {
        return Some(match (&call.method, rest.strip_suffix("/status")) {
            (&Method::POST, Some(label)) => drive(state, label, &call.body),
            (&Method::GET, None) => view(state, rest),
            _ => return None,
        });
    }
    if !path.starts_with("/services/shipment/") {
        return None;
    }
    let header = |name: &str| call.headers.get(name).and_then(|v| v.to_str().ok());
    let authorised = protocols::secret_matches(&state.config.token, header("token"))
        && header("x-client-source") == Some(state.config.client_source.as_str());
    if !authorised {
        return Some(envelope(
            StatusCode::UNAUTHORIZED,
            false,
            "Token hoặc X-Client-Source không hợp lệ",
            json!({}),
        ));
    }
    Some(match (&call.method, path) {
        (&Method::GET, "/services/shipment/fee") => fee(&call.query),
        (&Method::POST, "/services/shipment/order") => create(state, &call.body),
        (&Method::GET, p) if p.starts_with("/services/shipment/v2/") => {
            status(state, &p["/services/shipment/v2/".len()..])
        }
        (&Method::POST, p) if p.starts_with("/services/shipment/cancel/") => {
            cancel(state, &p["/services/shipment/cancel/".len()..])
        }
        _ => return None,
    })
}

/// The fee of `grams` between provinces: 22,000 within one, 30,000 across, and 2,500 per
/// 500 g above the first 500 g.
fn ship_fee(grams: i64, same_province: bool) -> i64 {
    let base = if same_province { 22_000 } else { 30_000 };
    let extra = (grams - 500).max(0).div_euclid(500) + i64::from((grams - 500).max(0) % 500 != 0);
    base + 2_500 * extra
}

/// Insurance: 0.5% of a declared value above 1,000,000 VND.
fn insurance(value: i64) -> i64 {
    if value > 1_000_000 { value / 200 } else { 0 }
}

fn fee(query: &str) -> Reply {
    let Some(q) = form::parse(query) else {
        return fail("Tham số không hợp lệ");
    };
    for name in [
        "pick_province",
        "pick_district",
        "province",
        "district",
        "weight",
    ] {
        if q.get(name).is_none_or(|v| v.trim().is_empty()) {
            return fail(&format!("Thiếu tham số {name}"));
        }
    }
    let Some(grams) = q["weight"].parse::<i64>().ok().filter(|g| *g > 0) else {
        return fail("weight: số gram lớn hơn 0");
    };
    if let Some(option) = q.get("deliver_option")
        && option != "xteam"
        && option != "none"
    {
        return fail("deliver_option: xteam hoặc none");
    }
    let value = q
        .get("value")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    let ship = ship_fee(grams, q["pick_province"] == q["province"]);
    let insurance_fee = insurance(value);
    envelope(
        StatusCode::OK,
        true,
        "",
        json!({ "fee": {
            "name": "area1", "fee": ship + insurance_fee, "insurance_fee": insurance_fee,
            "include_vat": 0, "cost_id": 0, "delivery_type": "", "a": 1, "dt": "local",
            "extFees": [], "promotion_key": "", "delivery": true, "ship_fee_only": ship,
            "distance": 0.0, "options": {},
        }}),
    )
}

/// GHTK's time format, in GMT+7.
fn now_text() -> String {
    let vietnam = FixedOffset::east_opt(7 * 3600).expect("a valid offset");
    Utc::now()
        .with_timezone(&vietnam)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn create(state: &Arc<State>, body: &[u8]) -> Reply {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return fail("Dữ liệu không phải JSON");
    };
    let order = &request["order"];
    let required = [
        "id",
        "pick_name",
        "pick_address",
        "pick_province",
        "pick_district",
        "pick_tel",
        "name",
        "address",
        "province",
        "district",
        "ward",
        "hamlet",
        "tel",
    ];
    for name in required {
        if order[name].as_str().is_none_or(|v| v.trim().is_empty()) {
            return fail(&format!("Thiếu thông tin order.{name}"));
        }
    }
    let Some(pick_money) = order["pick_money"].as_i64().filter(|m| *m >= 0) else {
        return fail("order.pick_money: số tiền thu hộ (0 nếu không thu)");
    };
    let Some(products) = request["products"].as_array().filter(|p| !p.is_empty()) else {
        return fail("Thiếu thông tin products");
    };
    let grams_option = order["weight_option"].as_str() == Some("gram");
    let mut grams = 0.0;
    for p in products {
        let weight = p["weight"].as_f64().filter(|w| *w > 0.0);
        let quantity = p["quantity"].as_i64().filter(|q| *q > 0);
        let (Some(weight), Some(quantity), Some(_)) = (weight, quantity, p["name"].as_str()) else {
            return fail("products: name, weight > 0 và quantity > 0");
        };
        grams += weight * quantity as f64 * if grams_option { 1.0 } else { 1000.0 };
    }
    let grams = grams.ceil() as i64;
    let partner_id = order["id"].as_str().unwrap_or_default().to_string();
    let mut shipments = state.shipments.lock().expect("shipments lock");
    if shipments.values().any(|s| s.partner_id == partner_id) {
        return fail("Mã đơn hàng đã tồn tại");
    }
    let tracking = {
        let mut next = state.next_tracking.lock().expect("counter lock");
        *next += 1;
        *next
    };
    let label = format!("S{}.SBX1.{tracking}", 22_000_000 + tracking % 1_000_000);
    let same = order["pick_province"] == order["province"];
    let value = order["value"].as_i64().unwrap_or(0);
    let fee = ship_fee(grams, same);
    shipments.insert(
        label.clone(),
        Shipment {
            partner_id: partner_id.clone(),
            status: Status::Received,
            pick_money,
            weight_grams: grams,
            fee,
            created: now_text(),
            webhook_replies: Vec::new(),
        },
    );
    envelope(
        StatusCode::OK,
        true,
        "Các đơn hàng đã được add vào hệ thống GHTK thành công.",
        json!({ "order": {
            "partner_id": partner_id, "label": label, "area": 1, "fee": fee,
            "insurance_fee": insurance(value), "estimated_pick_time": "Sáng mai",
            "estimated_deliver_time": "Chiều ngày kia", "products": [],
            "status_id": Status::Received.id(), "tracking_id": tracking, "sorting_code": "SBX1",
        }}),
    )
}

/// The label of the shipment `key` names: its label, or `partner_id:<id>` / its partner id.
fn find(shipments: &HashMap<String, Shipment>, key: &str) -> Option<String> {
    if shipments.contains_key(key) {
        return Some(key.to_string());
    }
    let partner = key.strip_prefix("partner_id:").unwrap_or(key);
    shipments
        .iter()
        .find(|(_, s)| s.partner_id == partner)
        .map(|(label, _)| label.clone())
}

fn status(state: &Arc<State>, key: &str) -> Reply {
    let shipments = state.shipments.lock().expect("shipments lock");
    let Some(label) = find(&shipments, key) else {
        return fail("Không tìm thấy đơn hàng");
    };
    let s = &shipments[&label];
    envelope(
        StatusCode::OK,
        true,
        "",
        json!({ "order": {
            "label_id": label, "partner_id": s.partner_id, "status": s.status.id().to_string(),
            "status_text": format!("{:?}", s.status), "created": s.created,
            "modified": now_text(), "pick_money": s.pick_money, "ship_money": s.fee,
            "weight": s.weight_grams,
        }}),
    )
}

fn cancel(state: &Arc<State>, key: &str) -> Reply {
    let mut shipments = state.shipments.lock().expect("shipments lock");
    let Some(label) = find(&shipments, key) else {
        return fail("Không tìm thấy đơn hàng");
    };
    let s = shipments.get_mut(&label).expect("found above");
    if s.status == Status::Cancelled {
        return fail("Đơn hàng đã ở trạng thái hủy");
    }
    if !s.status.can_cancel() {
        return fail("Đơn đã lấy hàng, không thể hủy đơn.");
    }
    s.status = Status::Cancelled;
    let fields = webhook_fields(&label, s, Status::Cancelled.id(), "Shop hủy đơn");
    drop(shipments);
    send_webhook(state, label.clone(), fields);
    envelope(
        StatusCode::OK,
        true,
        "",
        json!({ "log_id": format!("log_{label}") }),
    )
}

fn webhook_fields(
    label: &str,
    s: &Shipment,
    status_id: i64,
    reason: &str,
) -> Vec<(String, String)> {
    let vietnam = FixedOffset::east_opt(7 * 3600).expect("a valid offset");
    let at = Utc::now().with_timezone(&vietnam).to_rfc3339();
    [
        ("label_id", label.to_string()),
        ("partner_id", s.partner_id.clone()),
        ("status_id", status_id.to_string()),
        ("action_time", at),
        ("reason_code", String::new()),
        ("reason", reason.to_string()),
        ("weight", format!("{}", s.weight_grams as f64 / 1000.0)),
        ("fee", s.fee.to_string()),
        ("pick_money", s.pick_money.to_string()),
        ("return_part_package", "0".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Posts the webhook form for shipment `label`, resent once when not answered 200.
fn send_webhook(state: &Arc<State>, label: String, fields: Vec<(String, String)>) {
    let Some(url) = state.config.webhook_url.clone() else {
        return;
    };
    let body = form::encode_pairs(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let state = state.clone();
    tokio::spawn(async move {
        let send = || {
            let request = state
                .client
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.clone());
            async move {
                match request.send().await {
                    Ok(r) => (r.status().as_u16() == 200, r.status().as_u16().to_string()),
                    Err(e) => (false, format!("unreachable: {e}")),
                }
            }
        };
        let record = |what: String| {
            crate::update(&state.shipments, &label, |s| s.webhook_replies.push(what))
        };
        keep_sending(WEBHOOK_ATTEMPTS, state.config.webhook_retry, send, record).await;
    });
}

fn drive(state: &Arc<State>, key: &str, body: &[u8]) -> Reply {
    let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let Some(status_id) = request["status_id"].as_i64() else {
        return crate::json(StatusCode::BAD_REQUEST, &json!({ "error": "status_id" }));
    };
    let moved = Status::from_id(status_id);
    if moved.is_none() && !SHIPPER_REPORTS.contains(&status_id) {
        return crate::json(
            StatusCode::BAD_REQUEST,
            &json!({ "error": "unknown status_id" }),
        );
    }
    let mut shipments = state.shipments.lock().expect("shipments lock");
    let Some(label) = find(&shipments, key) else {
        return crate::json(
            StatusCode::NOT_FOUND,
            &json!({ "error": "no such shipment" }),
        );
    };
    let s = shipments.get_mut(&label).expect("found above");
    if s.status.is_final() {
        return crate::json(
            StatusCode::CONFLICT,
            &json!({ "error": "the shipment's status is final" }),
        );
    }
    if let Some(status) = moved {
        s.status = status;
    }
    let reason = request["reason"].as_str().unwrap_or("");
    let fields = webhook_fields(&label, s, status_id, reason);
    drop(shipments);
    send_webhook(state, label.clone(), fields);
    crate::json(
        StatusCode::OK,
        &json!({ "label": label, "status_id": status_id }),
    )
}

fn view(state: &Arc<State>, key: &str) -> Reply {
    let shipments = state.shipments.lock().expect("shipments lock");
    match find(&shipments, key) {
        Some(label) => {
            let s = &shipments[&label];
            crate::json(
                StatusCode::OK,
                &json!({
                    "label": label, "partner_id": s.partner_id, "status_id": s.status.id(),
                    "weight_grams": s.weight_grams, "fee": s.fee,
                    "webhook_replies": s.webhook_replies,
                }),
            )
        }
        None => crate::json(
            StatusCode::NOT_FOUND,
            &json!({ "error": "no such shipment" }),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fees_grow_by_the_started_half_kilo_and_insurance_starts_above_a_million() {
        assert_eq!(ship_fee(500, true), 22_000);
        assert_eq!(ship_fee(501, true), 24_500);
        assert_eq!(ship_fee(1_000, false), 32_500);
        assert_eq!(ship_fee(1_001, false), 35_000);
        assert_eq!(insurance(1_000_000), 0);
        assert_eq!(insurance(2_000_000), 10_000);
    }
}

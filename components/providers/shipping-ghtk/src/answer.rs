//! GHTK's answers read into Souk's terms. GHTK wraps every answer in an envelope
//! (`{"success": bool, "message": "…", …}`) and refuses with `success: false` and a
//! Vietnamese message, usually under HTTP 200. Numbers are read leniently: GHTK's clients see
//! `fee`, `area`, `status` and `status_id` as numbers in one version and as strings in
//! another.

use protocols::ghtk::Status;
use serde_json::Value;

use crate::request::CURRENCY;
use crate::souk::shipping::types::{Booked, Error, FeeQuote, Money, Tracking};
use crate::status::Report;
use crate::time;

/// An envelope GHTK answered.
#[derive(Debug)]
pub enum Envelope {
    /// `success: true`: the whole answer.
    Accepted(Value),
    /// `success: false`: the HTTP status and the whole answer.
    Refused(u16, Value),
}

/// Reads an answer of GHTK's API. Wrong credentials are `misconfigured`; a 408, 429 or 5xx,
/// or an answer that is not GHTK's envelope, is `unavailable`.
pub fn envelope(status: u16, body: &[u8]) -> Result<Envelope, Error> {
    match status {
        401 | 403 => {
            return Err(Error::Misconfigured(format!(
                "GHTK refused the token or the client source (HTTP {status})"
            )));
        }
        408 | 429 | 500.. => {
            return Err(Error::Unavailable(format!("GHTK answered HTTP {status}")));
        }
        _ => {}
    }
    let value: Value = serde_json::from_slice(body).ok().unwrap_or(Value::Null);
    match value["success"].as_bool() {
        Some(true) if (200..300).contains(&status) => Ok(Envelope::Accepted(value)),
        Some(_) => Ok(Envelope::Refused(status, value)),
        None if status == 404 => Err(Error::Misconfigured(
            "there is no GHTK API at `ghtk_api_url` (HTTP 404)".to_string(),
        )),
        None => Err(Error::Unavailable(format!(
            "GHTK answered HTTP {status} without its envelope"
        ))),
    }
}

/// GHTK's message in an answer.
pub fn message(answer: &Value) -> String {
    text(&answer["message"]).unwrap_or_else(|| "GHTK refused without a message".to_string())
}

/// Whether a refusal says GHTK knows no such order ("Không tìm thấy đơn hàng", "… không tồn
/// tại"; "đã tồn tại", "already exists", is not one).
pub fn means_not_found(status: u16, answer: &Value) -> bool {
    let message = message(answer).to_lowercase();
    status == 404
        || ["không tìm thấy", "không tồn tại", "not found"]
            .iter()
            .any(|words| message.contains(words))
}

/// The label of the order GHTK already has under the partner id it was asked to book again
/// (`error: {"code": "ORDER_ID_EXIST", "ghtk_label": …}`), when it says.
pub fn existing_label(answer: &Value) -> Option<String> {
    let error = &answer["error"];
    (error["code"].as_str() == Some("ORDER_ID_EXIST"))
        .then(|| text(&error["ghtk_label"]))
        .flatten()
}

/// A string, or a number written as one; `None` when absent or empty.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A whole number, or a string or float holding one.
fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f.round() as i64)),
        Value::String(s) => {
            let s = s.trim();
            s.parse()
                .ok()
                .or_else(|| s.parse::<f64>().ok().map(|f| f.round() as i64))
        }
        _ => None,
    }
}

/// A yes or no, written as a boolean, `0`/`1` or `"true"`/`"false"`.
fn flag(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" || s == "false" => Some(s == "true"),
        _ => int(v).map(|n| n != 0),
    }
}

fn dong(minor: i64) -> Money {
    Money {
        minor,
        currency: CURRENCY.to_string(),
    }
}

fn unexpected(what: &str) -> Error {
    Error::Unavailable(format!("GHTK's answer has no {what}"))
}

/// A fee answer: `fee.fee` is the total, insurance included; `fee.delivery` whether GHTK
/// serves the route at all. GHTK gives no delivery time with a fee.
pub fn quote(answer: &Value) -> Result<FeeQuote, Error> {
    let fee = &answer["fee"];
    let total = int(&fee["fee"]).ok_or_else(|| unexpected("fee.fee"))?;
    Ok(FeeQuote {
        fee: dong(total),
        insurance: dong(int(&fee["insurance_fee"]).unwrap_or(0)),
        deliverable: flag(&fee["delivery"]).ok_or_else(|| unexpected("fee.delivery"))?,
        earliest_ms: None,
        latest_ms: None,
    })
}

/// An order answer, `now_ms` being when it came (GHTK's estimates may name days relative to
/// it). GHTK's `order.fee` is the freight, `insurance_fee` beside it (as the sandbox answers
/// and GHTK's clients read them); `booked.fee` is their sum, insurance included as in a
/// quote. `order.label` is the tracking code every later call uses, and what is printed on
/// the parcel.
pub fn booked(answer: &Value, now_ms: i64) -> Result<Booked, Error> {
    let order = &answer["order"];
    let label = text(&order["label"]).ok_or_else(|| unexpected("order.label"))?;
    let insurance = int(&order["insurance_fee"]).unwrap_or(0);
    let freight = int(&order["fee"]).unwrap_or(0);
    let estimate = |name: &str| text(&order[name]).and_then(|t| time::estimate_ms(&t, now_ms));
    Ok(Booked {
        tracking_code: label.clone(),
        label,
        fee: dong(freight.saturating_add(insurance)),
        insurance: dong(insurance),
        pickup_at_ms: estimate("estimated_pick_time"),
        deliver_at_ms: estimate("estimated_deliver_time"),
    })
}

/// The first booking of `reference`, from the status answer (at `now_ms`) of the order GHTK
/// already had under it (`ship_money` its freight, `insurance` beside it, `pick_date` and
/// `deliver_date` its plan). An order of another partner id is not it: `declined`, with
/// GHTK's `refusal` of the booking.
pub fn first_booking(
    answer: &Value,
    reference: &str,
    refusal: &str,
    now_ms: i64,
) -> Result<Booked, Error> {
    let order = &answer["order"];
    let label = text(&order["label_id"]).ok_or_else(|| unexpected("order.label_id"))?;
    if text(&order["partner_id"]).is_some_and(|p| p != reference.trim()) {
        return Err(Error::Declined(refusal.to_string()));
    }
    let insurance = int(&order["insurance"]).unwrap_or(0);
    let freight = int(&order["ship_money"]).unwrap_or(0);
    let planned = |name: &str| text(&order[name]).and_then(|t| time::estimate_ms(&t, now_ms));
    Ok(Booked {
        tracking_code: label.clone(),
        label,
        fee: dong(freight.saturating_add(insurance)),
        insurance: dong(insurance),
        pickup_at_ms: planned("pick_date"),
        deliver_at_ms: planned("deliver_date"),
    })
}

/// A status answer. Its `status` must be an order status GHTK documents (the API reports
/// no courier's attempts); `modified` is when it last changed.
pub fn tracking(answer: &Value) -> Result<Tracking, Error> {
    let order = &answer["order"];
    let label = text(&order["label_id"]).ok_or_else(|| unexpected("order.label_id"))?;
    let id = int(&order["status"]).ok_or_else(|| unexpected("order.status"))?;
    let status = Status::from_id(id).ok_or_else(|| {
        Error::Unavailable(format!(
            "GHTK answered status {id}, not an order status it documents"
        ))
    })?;
    Ok(Report {
        label,
        reference: text(&order["partner_id"]),
        status,
        words: text(&order["status_text"]),
        detail: text(&order["message"]).unwrap_or_default(),
        at_ms: text(&order["modified"]).and_then(|t| time::instant_ms(&t)),
    }
    .tracking())
}

/// The tracking of shipment `code` GHTK has just cancelled (its answer names no status: a
/// successful cancel is status `-1`).
pub fn cancelled(code: &str, answer: &Value) -> Tracking {
    Report {
        label: code.trim().to_string(),
        reference: None,
        status: Status::Cancelled,
        words: None,
        detail: text(&answer["message"]).unwrap_or_default(),
        at_ms: None,
    }
    .tracking()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::souk::shipping::types::State;

    fn accepted(answer: &Value) -> Value {
        match envelope(200, answer.to_string().as_bytes()) {
            Ok(Envelope::Accepted(v)) => v,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn envelopes_are_accepted_refused_or_errors_by_what_ghtk_answered() {
        let refusal = json!({ "success": false, "message": "Không tìm thấy đơn hàng" });
        let Ok(Envelope::Refused(200, body)) = envelope(200, refusal.to_string().as_bytes()) else {
            panic!("a refusal");
        };
        assert_eq!(message(&body), "Không tìm thấy đơn hàng");
        assert!(means_not_found(200, &body));
        let exists = json!({ "success": false, "message": "Mã đơn hàng đã tồn tại" });
        assert!(!means_not_found(200, &exists));
        let envelope_of = |status, body: &str| envelope(status, body.as_bytes());
        assert!(matches!(
            envelope_of(401, "{}"),
            Err(Error::Misconfigured(_))
        ));
        assert!(matches!(envelope_of(503, "{}"), Err(Error::Unavailable(_))));
        assert!(matches!(envelope_of(429, ""), Err(Error::Unavailable(_))));
        assert!(matches!(
            envelope_of(200, "<html>"),
            Err(Error::Unavailable(_))
        ));
        assert!(matches!(
            envelope_of(404, "Not Found"),
            Err(Error::Misconfigured(_))
        ));
        assert!(matches!(
            envelope_of(400, r#"{"success":true}"#),
            Ok(Envelope::Refused(400, _))
        ));
        assert_eq!(
            message(&json!({ "success": false })),
            "GHTK refused without a message"
        );
    }

    #[test]
    fn a_fee_answer_is_its_total_insurance_and_whether_ghtk_delivers() {
        let answer = accepted(&json!({ "success": true, "message": "", "fee": {
            "name": "area1", "fee": 78_500, "insurance_fee": 15_000, "include_vat": 0,
            "delivery": true, "ship_fee_only": 60_500, "extFees": [],
        }}));
        let q = quote(&answer).unwrap();
        assert_eq!((q.fee.minor, q.fee.currency.as_str()), (78_500, "VND"));
        assert_eq!((q.insurance.minor, q.deliverable), (15_000, true));
        assert_eq!((q.earliest_ms, q.latest_ms), (None, None));
        let strings = json!({ "fee": { "fee": "30000", "insurance_fee": "0", "delivery": false } });
        let q = quote(&strings).unwrap();
        assert_eq!(
            (q.fee.minor, q.insurance.minor, q.deliverable),
            (30_000, 0, false)
        );
        assert!(matches!(
            quote(&json!({ "fee": {} })),
            Err(Error::Unavailable(_))
        ));
    }

    #[test]
    fn an_order_answer_is_its_label_fee_with_insurance_and_estimates_in_vietnam_time() {
        let answer = json!({ "success": true, "message": "…", "order": {
            "partner_id": "shp_1", "label": "S22749126.SGP39-J31.1375835526", "area": "1",
            "fee": "37000", "insurance_fee": 15_000, "estimated_pick_time": "Sáng 2024-11-26",
            "estimated_deliver_time": "Chiều 2024-11-27", "products": [], "status_id": 2,
            "tracking_id": 1_375_835_526_u64, "sorting_code": "SGP39-J31",
        }, "warning_message": "" });
        let b = booked(&answer, 0).unwrap();
        assert_eq!(b.tracking_code, "S22749126.SGP39-J31.1375835526");
        assert_eq!(b.label, b.tracking_code);
        assert_eq!((b.fee.minor, b.insurance.minor), (52_000, 15_000));
        // 2024-11-26 12:00 and 2024-11-27 18:00 in GMT+7.
        assert_eq!(b.pickup_at_ms, Some(1_732_597_200_000));
        assert_eq!(b.deliver_at_ms, Some(1_732_705_200_000));
        let vague = json!({ "order": { "label": "S1.A.2", "fee": 22_000,
            "estimated_pick_time": "Sớm nhất có thể" } });
        let b = booked(&vague, 0).unwrap();
        assert_eq!(
            (b.fee.minor, b.pickup_at_ms, b.deliver_at_ms),
            (22_000, None, None)
        );
        assert!(matches!(
            booked(&json!({ "order": {} }), 0),
            Err(Error::Unavailable(_))
        ));
    }

    #[test]
    fn a_repeated_booking_is_answered_from_the_order_ghtk_already_has() {
        let refusal = json!({ "success": false, "message": "Đơn hàng đã tồn tại",
            "error": { "code": "ORDER_ID_EXIST", "partner_id": "shp_1",
                "ghtk_label": "S1.SBX1.1375800001", "created": "2024-11-25 10:00:00", "status": 2 } });
        assert_eq!(
            existing_label(&refusal).as_deref(),
            Some("S1.SBX1.1375800001")
        );
        assert_eq!(
            existing_label(&json!({ "success": false, "message": "x" })),
            None
        );
        let status = json!({ "success": true, "order": {
            "label_id": "S1.SBX1.1375800001", "partner_id": "shp_1", "status": "2",
            "ship_money": 32_500, "insurance": 0, "pick_date": "2024-11-26",
        }});
        let b = first_booking(&status, "shp_1", "Đơn hàng đã tồn tại", 0).unwrap();
        assert_eq!(
            (b.tracking_code.as_str(), b.fee.minor),
            ("S1.SBX1.1375800001", 32_500)
        );
        assert_eq!(b.pickup_at_ms, Some(1_732_640_399_000));
        assert_eq!(b.deliver_at_ms, None);
        assert!(matches!(
            first_booking(&status, "shp_2", "refused", 0),
            Err(Error::Declined(m)) if m == "refused"
        ));
    }

    #[test]
    fn a_status_answer_is_its_state_words_and_time_and_a_shipper_code_is_not_believed() {
        let answer = json!({ "success": true, "message": "", "order": {
            "label_id": "S1.SBX1.1375800001", "partner_id": "shp_1", "status": "10",
            "status_text": "Delay giao hàng", "created": "2024-11-25 10:00:00",
            "modified": "2024-11-26 14:05:00", "message": "Khách hẹn giao lại", "weight": 900,
        }});
        let t = tracking(&answer).unwrap();
        assert_eq!(
            (t.tracking_code.as_str(), t.reference.as_deref()),
            ("S1.SBX1.1375800001", Some("shp_1"))
        );
        assert_eq!(
            (t.state, t.delayed, t.final_),
            (State::OutForDelivery, true, false)
        );
        assert_eq!(t.carrier_status, "10 Delay giao hàng");
        assert_eq!(t.detail, "Khách hẹn giao lại");
        assert_eq!(t.at_ms, Some(1_732_554_000_000 + 14 * 3_600_000 + 300_000));
        let numeric = json!({ "order": { "label_id": "S1", "status": 6 } });
        let t = tracking(&numeric).unwrap();
        assert_eq!(
            (t.state, t.final_, t.reference, t.at_ms),
            (State::Delivered, true, None, None)
        );
        let shipper = json!({ "order": { "label_id": "S1", "status": "45" } });
        assert!(matches!(tracking(&shipper), Err(Error::Unavailable(m)) if m.contains("45")));
        assert!(matches!(
            tracking(&json!({ "order": { "label_id": "S1" } })),
            Err(Error::Unavailable(_))
        ));
    }

    #[test]
    fn a_cancelled_shipment_is_final() {
        let t = cancelled(
            "S1.A.2",
            &json!({ "success": true, "message": "", "log_id": "x" }),
        );
        assert_eq!(
            (t.state, t.final_, t.delayed),
            (State::Cancelled, true, false)
        );
        assert_eq!(
            (t.tracking_code.as_str(), t.carrier_status.as_str()),
            ("S1.A.2", "-1")
        );
    }
}

//! Reconciliation: what SePay's order detail (`GET /v1/order/detail/{invoice}`, HTTP Basic
//! with the merchant id and secret key) says became of an attempt.

use outbound::{Call, Failure};
use protocols::sepay::{self, OrderStatus};

use crate::config::Config;
use crate::souk::payment::types::{Error, Money, Outcome, Status, StatusRequest};

/// The most of an error answer quoted in an error.
const QUOTED: usize = 200;

/// The call that asks for the order detail of `request`'s attempt (a read: safe to repeat).
pub fn call(config: &Config, request: &StatusRequest) -> Result<Call, Error> {
    let url = sepay::order_detail_url(&config.api_url, &request.reference)
        .map_err(|e| Error::Invalid(format!("{}: {}", e.field, e.rule)))?;
    Ok(Call::get(url)
        .header(
            "authorization",
            &sepay::basic_auth(&config.merchant_id, &config.secret_key),
        )
        .header("accept", "application/json"))
}

/// Souk's outcome for an order status. A void took the payment back; a status Souk does not
/// know is nothing final, which reconciliation will ask about again.
pub fn outcome(status: OrderStatus) -> Outcome {
    match status {
        OrderStatus::Captured => Outcome::Paid,
        OrderStatus::Failed => Outcome::Failed,
        OrderStatus::Cancelled | OrderStatus::Voided => Outcome::Cancelled,
        OrderStatus::Expired => Outcome::Expired,
        OrderStatus::Pending | OrderStatus::Other => Outcome::Pending,
    }
}

/// SePay's `message`, cut short, or nothing.
fn message(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v["message"]
                .as_str()
                .map(|m| m.chars().take(QUOTED).collect())
        })
        .map(|m: String| format!(": {m}"))
        .unwrap_or_default()
}

/// What an answer of HTTP `status` with `body` says of the attempt `reference`.
pub fn status(reference: &str, status: u16, body: &[u8]) -> Result<Status, Error> {
    match status {
        200..=299 => {}
        // SePay has no order with this invoice number: the buyer never posted the form.
        // Nothing is final until the attempt expires, which Souk decides on its own clock.
        404 => {
            return Ok(Status {
                outcome: Outcome::Pending,
                amount: None,
                transaction_id: None,
                code: "NOT_FOUND".to_string(),
            });
        }
        401 | 403 => {
            return Err(Error::Misconfigured(format!(
                "SePay refused the merchant id and secret key (HTTP {status}){}",
                message(body)
            )));
        }
        408 | 429 | 500.. => {
            return Err(Error::Unavailable(format!(
                "SePay's order detail answered HTTP {status}{}",
                message(body)
            )));
        }
        _ => {
            return Err(Error::Invalid(format!(
                "SePay refused the order-detail request (HTTP {status}){}",
                message(body)
            )));
        }
    }
    let unreadable = |why: &str| Error::Unavailable(format!("SePay's order detail {why}"));
    let json: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| unreadable("is not JSON"))?;
    let detail = sepay::read_order_detail(&json)
        .map_err(|field| unreadable(&format!("has no readable {field}")))?;
    if detail.invoice_number != reference {
        return Err(unreadable(&format!(
            "is of another order ({}), not {reference}",
            detail.invoice_number
        )));
    }
    Ok(Status {
        outcome: outcome(detail.status),
        amount: Some(Money {
            minor: detail.amount_vnd,
            currency: sepay::CURRENCY.to_string(),
        }),
        transaction_id: detail.transaction_id,
        code: detail.status_code,
    })
}

/// Asks SePay what became of `request`'s attempt.
pub fn query(config: &Config, request: &StatusRequest) -> Result<Status, Error> {
    let answer = call(config, request)?.send().map_err(|f| match f {
        Failure::Invalid(m) => Error::Misconfigured(m),
        Failure::Timeout(m) | Failure::Unreachable(m) => Error::Unavailable(m),
    })?;
    status(&request.reference, answer.status, &answer.body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::config;

    fn request() -> StatusRequest {
        StatusRequest {
            reference: "DH1756370479".into(),
            created_at_ms: 1_756_370_479_000,
            requester_ip: "203.0.113.9".into(),
        }
    }

    /// SePay's documented order detail, its card details left out.
    fn detail() -> serde_json::Value {
        serde_json::json!({ "data": {
            "id": "1", "customer_id": null, "order_id": "SEPAY-68B01673A77FF",
            "order_invoice_number": "DH1756370479", "order_status": "CAPTURED",
            "order_amount": "300000.00", "order_currency": "VND",
            "created_at": "2025-08-28 15:43:48", "updated_at": "2025-08-28 15:43:48",
            "transactions": [{
                "id": "1", "payment_method": "CARD", "transaction_type": "PAYMENT",
                "transaction_amount": "300000", "transaction_currency": "VND",
                "transaction_status": "APPROVED", "transaction_date": "2025-08-28 15:43:41",
            }],
        }})
    }

    #[test]
    fn the_order_detail_call_names_the_invoice_with_basic_auth_and_describes_no_credentials() {
        let call = call(&config(), &request()).unwrap();
        assert_eq!(
            call.describe(),
            "GET https://pgapi-sandbox.sepay.vn/v1/order/detail/DH1756370479"
        );
        let basic = sepay::basic_auth("SP-TEST-XXXX", "spsk_test_FAKEFAKEFAKE");
        assert_eq!(
            call.sends_header("authorization")
                .map(|h| h.contains(&basic)),
            Some(true),
            "the header is Basic merchant:secret"
        );
        assert!(
            !format!("{call:?}").contains(&basic),
            "and its Debug does not show it"
        );
        let unsafe_ref = StatusRequest {
            reference: "../refund".into(),
            ..request()
        };
        assert!(matches!(
            super::call(&config(), &unsafe_ref),
            Err(Error::Invalid(_))
        ));
    }

    #[test]
    fn reading_an_order_detail_gives_its_outcome_amount_and_transaction() {
        let body = detail().to_string();
        let s = status("DH1756370479", 200, body.as_bytes()).unwrap();
        assert_eq!(s.outcome, Outcome::Paid);
        assert_eq!(
            s.amount.map(|m| (m.minor, m.currency)),
            Some((300_000, "VND".into()))
        );
        assert_eq!(s.transaction_id.as_deref(), Some("1"));
        assert_eq!(s.code, "CAPTURED");
        for (order_status, want) in [
            ("PENDING", Outcome::Pending),
            ("FAILED", Outcome::Failed),
            ("CANCELLED", Outcome::Cancelled),
            ("VOIDED", Outcome::Cancelled),
            ("EXPIRED", Outcome::Expired),
            ("AUTHORIZED", Outcome::Pending),
        ] {
            let mut b = detail();
            b["data"]["order_status"] = order_status.into();
            let s = status("DH1756370479", 200, b.to_string().as_bytes()).unwrap();
            assert_eq!((s.outcome, s.code.as_str()), (want, order_status));
        }
    }

    #[test]
    fn an_order_sepay_does_not_know_is_nothing_final_yet() {
        let s = status("DH1756370479", 404, br#"{"message":"Order not found"}"#).unwrap();
        assert_eq!(
            (s.outcome, s.code.as_str()),
            (Outcome::Pending, "NOT_FOUND")
        );
        assert!(s.amount.is_none() && s.transaction_id.is_none());
    }

    #[test]
    fn failed_order_detail_answers_become_errors_by_who_can_fix_them() {
        let bad_key = status("DH1756370479", 401, br#"{"message":"Unauthenticated"}"#);
        assert!(
            matches!(bad_key, Err(Error::Misconfigured(ref m)) if m.ends_with("Unauthenticated"))
        );
        for code in [429, 500, 502, 503] {
            assert!(
                matches!(status("X", code, b""), Err(Error::Unavailable(_))),
                "{code}"
            );
        }
        assert!(matches!(status("X", 400, b"{}"), Err(Error::Invalid(_))));
        assert!(matches!(
            status("X", 200, b"<html>"),
            Err(Error::Unavailable(_))
        ));
        let other = status("att_2", 200, detail().to_string().as_bytes());
        assert!(matches!(other, Err(Error::Unavailable(ref m)) if m.contains("another order")));
    }
}

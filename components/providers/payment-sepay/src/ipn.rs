//! SePay's IPN: a JSON `POST` believed only when it carries the IPN secret in `X-Secret-Key`
//! (it has no signature), read with `protocols::sepay`, and answered so that SePay stops
//! sending it once sending again could change nothing. SePay takes HTTP 200 as received and
//! sends anything else again, a bounded number of times.

use protocols::sepay::{self, OrderStatus};

use crate::config::Config;
use crate::souk::payment::types::{
    Error, Inbound, Money, Notice, Outcome, Refusal, Reply, Verdict,
};

/// A JSON reply.
fn reply(status: u16, body: String) -> Reply {
    Reply {
        status,
        content_type: "application/json".to_string(),
        body,
    }
}

/// A refused IPN: `reason` recorded by Souk and told to the sender (it never holds a secret),
/// with a non-2xx `status`, so SePay sends it again — harmless for a forgery, and a genuine
/// IPN gets through once the configuration is right.
fn refusal(status: u16, reason: String) -> Refusal {
    let body = serde_json::json!({ "success": false, "message": reason }).to_string();
    Refusal {
        reason,
        reply: reply(status, body),
    }
}

/// The refusal of every IPN while the provider is not configured: 503, so SePay retries.
pub fn unconfigured(e: &Error) -> Refusal {
    let (Error::Declined(m)
    | Error::Invalid(m)
    | Error::Unsupported(m)
    | Error::Unavailable(m)
    | Error::Misconfigured(m)) = e;
    refusal(503, format!("the SePay provider is not configured: {m}"))
}

/// What became of the attempt, from what [`sepay::read_ipn`] made of it and the order's
/// status. A void takes the payment back, so the attempt is cancelled; an IPN that is neither
/// is read by its order status, and one Souk does not know is nothing final.
pub fn outcome(read: sepay::Outcome, status: OrderStatus) -> Outcome {
    match (read, status) {
        (sepay::Outcome::Paid, _) => Outcome::Paid,
        (sepay::Outcome::Voided, _) => Outcome::Cancelled,
        (sepay::Outcome::NotPaid, OrderStatus::Failed) => Outcome::Failed,
        (sepay::Outcome::NotPaid, OrderStatus::Cancelled | OrderStatus::Voided) => {
            Outcome::Cancelled
        }
        (sepay::Outcome::NotPaid, OrderStatus::Expired) => Outcome::Expired,
        // A capture under another notification (a recurring renewal, which Souk never sets
        // up) is not this attempt's payment.
        (
            sepay::Outcome::NotPaid,
            OrderStatus::Pending | OrderStatus::Captured | OrderStatus::Other,
        ) => Outcome::Pending,
    }
}

/// Checks and reads an IPN.
pub fn verify(config: &Config, request: &Inbound) -> Result<Notice, Refusal> {
    if !request.method.eq_ignore_ascii_case("POST") {
        return Err(refusal(
            405,
            format!("an IPN is a POST, not {}", request.method),
        ));
    }
    let given = request
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("x-secret-key"))
        .map(|(_, value)| value.as_str());
    if !protocols::secret_matches(&config.ipn_secret, given) {
        let why = if given.is_some() { "wrong" } else { "missing" };
        return Err(refusal(401, format!("{why} X-Secret-Key")));
    }
    let body: serde_json::Value = serde_json::from_slice(&request.body)
        .map_err(|_| refusal(400, "the body is not JSON".to_string()))?;
    let read =
        sepay::read_ipn(&body).map_err(|field| refusal(400, format!("missing or bad {field}")))?;
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let kind = text(&body["notification_type"]);
    let status = text(&body["order"]["order_status"]);
    let at_ms = body["transaction"]["transaction_date"]
        .as_str()
        .and_then(sepay::parse_time)
        .map(|t| t.timestamp_millis());
    Ok(Notice {
        reference: read.invoice_number,
        outcome: outcome(read.outcome, OrderStatus::parse(&status)),
        amount: Money {
            minor: read.amount_vnd,
            currency: sepay::CURRENCY.to_string(),
        },
        transaction_id: read.transaction_id,
        code: if status.is_empty() {
            kind
        } else {
            format!("{kind}/{status}")
        },
        at_ms,
    })
}

/// The answer to a verified IPN that Souk took as `verdict`.
///
/// SePay must stop sending when sending again would be answered the same: the notice is
/// recorded (`accepted`, which a repeat is too), the attempt was settled otherwise
/// (`already-settled`), no attempt has the reference (`unknown-attempt`: Souk creates the
/// attempt before the buyer ever gets the form, so a late one is not coming) or the amount is
/// not the attempt's (`amount-mismatch`: it will not change; Souk flags the attempt for a
/// person). Those get HTTP 200 `{"success":true}`. Only `retry-later` — Souk could not record
/// it now — must be sent again: it gets a 503, which SePay retries.
pub fn answer(verdict: Verdict) -> Reply {
    match verdict {
        Verdict::Accepted
        | Verdict::AlreadySettled
        | Verdict::UnknownAttempt
        | Verdict::AmountMismatch => reply(200, sepay::IPN_REPLY.to_string()),
        Verdict::RetryLater => reply(
            503,
            serde_json::json!({ "success": false, "message": "retry later" }).to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::config;

    fn body() -> serde_json::Value {
        serde_json::json!({
            "timestamp": 1_757_058_220,
            "notification_type": "ORDER_PAID",
            "order": {
                "id": "256", "order_id": "NPSETVI00101000042R", "order_status": "CAPTURED",
                "order_currency": "VND", "order_amount": "50000.00",
                "order_invoice_number": "att_01J9Z", "custom_data": [],
            },
            "transaction": {
                "id": "189", "payment_method": "CARD", "transaction_id": "68ba94ac80123",
                "transaction_type": "PAYMENT", "transaction_date": "2025-09-01 00:00:15",
                "transaction_status": "APPROVED", "transaction_amount": "50000",
                "transaction_currency": "VND",
            },
            "customer": {},
        })
    }

    fn ipn(secret: Option<&str>, body: &serde_json::Value) -> Inbound {
        let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
        if let Some(secret) = secret {
            headers.push(("x-secret-key".to_string(), secret.to_string()));
        }
        Inbound {
            method: "POST".into(),
            query: String::new(),
            headers,
            body: body.to_string().into_bytes(),
        }
    }

    #[test]
    fn a_paid_ipn_with_the_secret_is_read_into_a_notice() {
        let notice = verify(&config(), &ipn(Some("ipn-secret-for-tests"), &body())).unwrap();
        assert_eq!(notice.reference, "att_01J9Z");
        assert_eq!(notice.outcome, Outcome::Paid);
        assert_eq!(
            (notice.amount.minor, notice.amount.currency.as_str()),
            (50_000, "VND")
        );
        assert_eq!(notice.transaction_id.as_deref(), Some("68ba94ac80123"));
        assert_eq!(notice.code, "ORDER_PAID/CAPTURED");
        // 2025-09-01 00:00:15 in GMT+7 is 2025-08-31 17:00:15 UTC.
        assert_eq!(notice.at_ms, Some(1_756_659_615_000));
    }

    #[test]
    fn an_ipn_with_a_wrong_or_missing_secret_is_refused_with_a_non_success_reply() {
        for (secret, reason) in [
            (Some("ipn-secret-for-test"), "wrong X-Secret-Key"),
            (Some(""), "wrong X-Secret-Key"),
            (None, "missing X-Secret-Key"),
        ] {
            let refused = verify(&config(), &ipn(secret, &body())).unwrap_err();
            assert_eq!(refused.reason, reason);
            assert_eq!(
                refused.reply.status, 401,
                "SePay sends it again, a forger in vain"
            );
            assert!(
                !refused.reply.body.contains("ipn-secret"),
                "{}",
                refused.reply.body
            );
        }
        let unset = Config {
            ipn_secret: String::new(),
            ..config()
        };
        let refused = verify(&unset, &ipn(Some(""), &body())).unwrap_err();
        assert_eq!(
            refused.reply.status, 401,
            "no secret configured admits nobody"
        );
    }

    #[test]
    fn a_malformed_or_misdirected_ipn_is_refused() {
        let mut get = ipn(Some("ipn-secret-for-tests"), &body());
        get.method = "GET".into();
        assert_eq!(verify(&config(), &get).unwrap_err().reply.status, 405);
        let mut garbage = ipn(Some("ipn-secret-for-tests"), &body());
        garbage.body = b"order=1".to_vec();
        assert_eq!(
            verify(&config(), &garbage).unwrap_err().reason,
            "the body is not JSON"
        );
        let mut dollars = body();
        dollars["order"]["order_currency"] = "USD".into();
        let refused = verify(&config(), &ipn(Some("ipn-secret-for-tests"), &dollars));
        let refused = refused.unwrap_err();
        assert_eq!(
            (refused.reason.as_str(), refused.reply.status),
            ("missing or bad order.order_currency", 400)
        );
        let e = Error::Misconfigured("the variable `sepay_ipn_secret` is not set".into());
        let refused = unconfigured(&e);
        assert_eq!(
            refused.reply.status, 503,
            "retried until the secret is configured"
        );
    }

    #[test]
    fn outcomes_map_to_paid_failed_cancelled_expired_or_nothing_final() {
        let with = |kind: &str, status: &str| {
            let mut b = body();
            b["notification_type"] = kind.into();
            b["order"]["order_status"] = status.into();
            verify(&config(), &ipn(Some("ipn-secret-for-tests"), &b))
                .unwrap()
                .outcome
        };
        assert_eq!(with("ORDER_PAID", "CAPTURED"), Outcome::Paid);
        assert_eq!(with("TRANSACTION_VOID", "CAPTURED"), Outcome::Cancelled);
        assert_eq!(with("TRANSACTION_VOID", "VOIDED"), Outcome::Cancelled);
        assert_eq!(with("ORDER_PAID", "FAILED"), Outcome::Failed);
        assert_eq!(with("ORDER_PAID", "DECLINED"), Outcome::Failed);
        assert_eq!(with("ORDER_PAID", "CANCELLED"), Outcome::Cancelled);
        assert_eq!(with("ORDER_PAID", "EXPIRED"), Outcome::Expired);
        assert_eq!(with("ORDER_PAID", "PENDING"), Outcome::Pending);
        assert_eq!(with("RENEWAL_ORDER_PAID", "CAPTURED"), Outcome::Pending);
        assert_eq!(with("ORDER_PAID", "SOMETHING_NEW"), Outcome::Pending);
    }

    #[test]
    fn answers_stop_retries_for_every_verdict_but_retry_later() {
        for verdict in [
            Verdict::Accepted,
            Verdict::AlreadySettled,
            Verdict::UnknownAttempt,
            Verdict::AmountMismatch,
        ] {
            let r = answer(verdict);
            assert_eq!(
                (r.status, r.body.as_str()),
                (200, r#"{"success":true}"#),
                "{verdict:?}"
            );
            assert_eq!(r.content_type, "application/json");
        }
        let again = answer(Verdict::RetryLater);
        assert!(
            !(200..300).contains(&again.status),
            "SePay retries only a non-2xx"
        );
        assert_eq!(again.status, 503);
    }
}

//! `refund`: giving back all or part of a payment.

use chrono::{DateTime, Utc};
use outbound::{Answer, Call};
use protocols::vnpay::{self, REFUND_ANSWER_ORDER, REFUND_ORDER, format_time, json_checksum};
use serde_json::{Value, json};

use super::{
    REQUEST_ID_LEN, about, check_ip, check_reference, digest, said, signed_answer, text,
    transaction_no, unsent,
};
use crate::Config;
use crate::exports::souk::payment::gateway::{Error, RefundReceipt, RefundRequest};
use crate::fold;
use crate::pay::at;

/// Gives back `request.amount` of the payment.
///
/// A refund is sent once, never retried here: VNPay answers a repeated `vnp_RequestId` with
/// `94` ("already requested", for a window only) rather than with the first answer, so a retry
/// could not tell a refund made from one refused. Its `vnp_RequestId` is derived from the
/// refund's own reference all the same, so that if the consumer asks again for the same refund
/// VNPay refuses the repeat instead of paying it twice.
pub fn refund(
    config: &Config,
    request: &RefundRequest,
    now: DateTime<Utc>,
) -> Result<RefundReceipt, Error> {
    let url = config.api_url().map_err(Error::Misconfigured)?;
    let body = refund_body(config, request, now)?;
    let call = Call::post(url).body("application/json", body.to_string());
    let answer = call.send().map_err(|f| unsent(&f))?;
    read_refund(config, request, &answer)
}

/// The signed `refund` body for `request`, sent at `now`: a full refund (`02`) when it gives
/// back what was paid, a partial one (`03`) when less.
pub fn refund_body(
    config: &Config,
    request: &RefundRequest,
    now: DateTime<Utc>,
) -> Result<Value, Error> {
    check_reference(&request.reference)?;
    check_ip(&request.requester_ip)?;
    let (amount, paid) = (&request.amount, &request.paid);
    if amount.currency != vnpay::CURRENCY || paid.currency != vnpay::CURRENCY {
        return Err(Error::Invalid(format!(
            "VNPay refunds VND only, not {} of {}",
            amount.currency, paid.currency
        )));
    }
    let kind = match amount.minor {
        m if m <= 0 || m > paid.minor => {
            return Err(Error::Invalid(format!(
                "amount: {m} VND is not a refund of a {} VND payment",
                paid.minor
            )));
        }
        m if m == paid.minor => "02",
        _ => "03",
    };
    let amount_field = vnpay::amount_field(amount.minor)
        .ok_or_else(|| Error::Invalid("amount: at most 9,999,999,999 VND".to_string()))?;
    let created = at(request.created_at_ms, "created-at-ms")?;
    let order_info = match fold::plain(&request.reason) {
        reason if reason.is_empty() => format!("Hoan tien {}", request.reference),
        reason => reason,
    };
    let create_by = match request.requested_by.trim() {
        "" => "system",
        who => who,
    };
    let mut body = json!({
        "vnp_RequestId": refund_request_id(&request.refund_reference)?,
        "vnp_Version": vnpay::VERSION,
        "vnp_Command": "refund",
        "vnp_TmnCode": config.tmn_code,
        "vnp_TransactionType": kind,
        "vnp_TxnRef": request.reference,
        "vnp_Amount": amount_field,
        "vnp_OrderInfo": order_info,
        "vnp_TransactionNo": request.transaction_id,
        "vnp_TransactionDate": format_time(created),
        "vnp_CreateBy": create_by,
        "vnp_CreateDate": format_time(now),
        "vnp_IpAddr": request.requester_ip,
    });
    body["vnp_SecureHash"] = json_checksum(&config.hash_secret, &REFUND_ORDER, &body).into();
    Ok(body)
}

/// The receipt a `refund` answer gives `request`, or why VNPay did not make it.
pub fn read_refund(
    config: &Config,
    request: &RefundRequest,
    answer: &Answer,
) -> Result<RefundReceipt, Error> {
    let fields = signed_answer(config, REFUND_ANSWER_ORDER, answer)?;
    let code = text(&fields, "vnp_ResponseCode");
    match code.as_str() {
        "00" => {}
        "03" => return Err(Error::Invalid(said(&fields, "the refund is malformed"))),
        // 98: VNPay timed out; 99: anything else. Neither says the refund is refused.
        "98" | "99" => return Err(Error::Unavailable(said(&fields, "the refund failed"))),
        // 94 means a refund of this payment was asked before and VNPay is on it (a repeat of
        // this one, or another in flight): the money may be on its way, so the consumer must
        // not take this as "nothing was refunded" without looking.
        _ => return Err(Error::Declined(said(&fields, "the refund is refused"))),
    }
    about(&fields, &request.reference)?;
    let status = text(&fields, "vnp_TransactionStatus");
    if status == "09" {
        return Err(Error::Declined("09: VNPay rejected the refund".to_string()));
    }
    Ok(RefundReceipt {
        transaction_id: transaction_no(&fields),
        // VNPay has taken the refund on (05: processing, 06: sent to the bank) and reports
        // nothing more about it: there is no refund IPN, and querydr speaks of the payment.
        done: true,
        code: if status.is_empty() { code } else { status },
    })
}

/// `vnp_RequestId` of a refund: its own reference when VNPay takes it as it is, else the first
/// 32 hex digits of a digest of it; the same for every request of the same refund.
pub fn refund_request_id(refund_reference: &str) -> Result<String, Error> {
    let reference = refund_reference.trim();
    if reference.is_empty() {
        return Err(Error::Invalid("refund-reference: required".to_string()));
    }
    if reference.len() <= REQUEST_ID_LEN && reference.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(reference.to_string());
    }
    Ok(digest(reference)[..REQUEST_ID_LEN].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::fixtures::{REFERENCE, SECRET, config, now, signed};
    use crate::api::vnd;
    use crate::souk::payment::types::Money;
    use protocols::vnpay::parse_time;

    fn refund_request(amount: i64) -> RefundRequest {
        RefundRequest {
            reference: REFERENCE.to_string(),
            transaction_id: "14000001".to_string(),
            refund_reference: "0190ffeeddccbbaa9988776655443322".to_string(),
            amount: vnd(amount),
            paid: vnd(250_000),
            created_at_ms: parse_time("20260101190000").unwrap().timestamp_millis(),
            requested_by: "system".to_string(),
            reason: "Hoàn tiền: hết hàng".to_string(),
            requester_ip: "10.0.0.1".to_string(),
        }
    }

    fn refund_answer(code: &str, status: &str) -> Value {
        json!({
            "vnp_ResponseId": "SBXR1", "vnp_Command": "refund", "vnp_ResponseCode": code,
            "vnp_Message": "Invalid refund amount", "vnp_TmnCode": "SOUKTEST",
            "vnp_TxnRef": REFERENCE, "vnp_Amount": "10000000", "vnp_BankCode": "NCB",
            "vnp_PayDate": "20260101190500", "vnp_TransactionNo": "14000001",
            "vnp_TransactionType": "03", "vnp_TransactionStatus": status,
            "vnp_OrderInfo": "Hoan tien",
        })
    }

    #[test]
    fn a_refund_is_full_when_it_gives_back_what_was_paid_and_partial_when_less() {
        let full = refund_body(&config(), &refund_request(250_000), now()).unwrap();
        assert_eq!(
            (
                full["vnp_TransactionType"].as_str(),
                full["vnp_Amount"].as_str()
            ),
            (Some("02"), Some("25000000"))
        );
        let partial = refund_body(&config(), &refund_request(100_000), now()).unwrap();
        assert_eq!(partial["vnp_TransactionType"], "03");
        assert_eq!(partial["vnp_OrderInfo"], "Hoan tien: het hang");
        assert_eq!(partial["vnp_TransactionNo"], "14000001");
        assert_eq!(partial["vnp_TransactionDate"], "20260101190000");
        assert_eq!(
            partial["vnp_SecureHash"].as_str().unwrap(),
            json_checksum(SECRET, &REFUND_ORDER, &partial)
        );
        for amount in [0, -1, 250_001] {
            assert!(
                matches!(
                    refund_body(&config(), &refund_request(amount), now()),
                    Err(Error::Invalid(_))
                ),
                "{amount}"
            );
        }
        let usd = RefundRequest {
            paid: Money {
                minor: 250_000,
                currency: "USD".to_string(),
            },
            ..refund_request(250_000)
        };
        assert!(matches!(
            refund_body(&config(), &usd, now()),
            Err(Error::Invalid(_))
        ));
    }

    #[test]
    fn every_request_of_the_same_refund_carries_the_same_request_id() {
        let at_ten = refund_body(&config(), &refund_request(100_000), now()).unwrap();
        let later = refund_body(
            &config(),
            &refund_request(100_000),
            now() + chrono::Duration::hours(1),
        )
        .unwrap();
        assert_eq!(at_ten["vnp_RequestId"], later["vnp_RequestId"]);
        assert_eq!(at_ten["vnp_RequestId"], "0190ffeeddccbbaa9988776655443322");
        let dashed = refund_request_id("0190ffee-ddcc-bbaa-9988-776655443322").unwrap();
        assert_eq!(dashed.len(), 32);
        assert!(dashed.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(
            refund_request_id("0190ffee-ddcc-bbaa-9988-776655443322").unwrap(),
            dashed
        );
        assert_ne!(
            refund_request_id("0190ffee-ddcc-bbaa-9988-776655443323").unwrap(),
            dashed
        );
        assert!(matches!(refund_request_id(" "), Err(Error::Invalid(_))));
    }

    #[test]
    fn refund_answers_become_a_receipt_or_declined_invalid_unavailable() {
        let read = |answer: Answer| read_refund(&config(), &refund_request(100_000), &answer);
        let answer = |code: &str, status: &str| {
            signed(SECRET, REFUND_ANSWER_ORDER, refund_answer(code, status))
        };
        let receipt = read(answer("00", "05")).unwrap();
        assert!(receipt.done);
        assert_eq!(
            (receipt.transaction_id.as_deref(), receipt.code.as_str()),
            (Some("14000001"), "05")
        );
        let Err(Error::Declined(why)) = read(answer("93", "")) else {
            panic!("93 is a refusal");
        };
        assert_eq!(why, "93: the refund is refused (Invalid refund amount)");
        for code in ["02", "04", "13", "91", "94", "95"] {
            assert!(
                matches!(read(answer(code, "")), Err(Error::Declined(_))),
                "{code}"
            );
        }
        assert!(matches!(read(answer("00", "09")), Err(Error::Declined(_))));
        assert!(matches!(read(answer("03", "")), Err(Error::Invalid(_))));
        assert!(matches!(read(answer("98", "")), Err(Error::Unavailable(_))));
        assert!(matches!(read(answer("99", "")), Err(Error::Unavailable(_))));
        assert!(matches!(
            read(answer("97", "")),
            Err(Error::Misconfigured(_))
        ));
        let forged = signed(
            "ANOTHERSECRET",
            REFUND_ANSWER_ORDER,
            refund_answer("00", "05"),
        );
        assert!(matches!(read(forged), Err(Error::Unavailable(_))));
        for status in [500, 503, 429] {
            let failed = Answer {
                status,
                headers: Vec::new(),
                body: b"<html>busy</html>".to_vec(),
            };
            assert!(
                matches!(read(failed), Err(Error::Unavailable(_))),
                "{status}"
            );
        }
        let refused = Answer {
            status: 400,
            headers: Vec::new(),
            body: br#"{"vnp_ResponseCode":"03"}"#.to_vec(),
        };
        assert!(matches!(read(refused), Err(Error::Invalid(_))));
    }

    #[test]
    fn no_error_carries_the_secret_or_a_checksum() {
        let forged = signed(
            "ANOTHERSECRET",
            REFUND_ANSWER_ORDER,
            refund_answer("00", "05"),
        );
        let hash = serde_json::from_slice::<Value>(&forged.body).unwrap()["vnp_SecureHash"]
            .as_str()
            .unwrap()
            .to_string();
        let mut messages = Vec::new();
        for answer in [
            forged,
            signed(SECRET, REFUND_ANSWER_ORDER, refund_answer("97", "")),
        ] {
            if let Err(
                Error::Declined(m)
                | Error::Invalid(m)
                | Error::Unsupported(m)
                | Error::Unavailable(m)
                | Error::Misconfigured(m),
            ) = read_refund(&config(), &refund_request(100_000), &answer)
            {
                messages.push(m);
            }
        }
        assert_eq!(messages.len(), 2);
        for m in messages {
            assert!(!m.contains(SECRET) && !m.contains(&hash), "{m}");
        }
    }
}

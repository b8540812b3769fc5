//! `querydr`: what VNPay says became of an attempt.

use chrono::{DateTime, Utc};
use outbound::{Answer, Call};
use protocols::vnpay::{self, QUERYDR_ANSWER_ORDER, QUERYDR_ORDER, format_time, json_checksum};
use serde_json::{Value, json};

use super::{
    REQUEST_ID_LEN, about, check_ip, check_reference, digest, said, signed_answer, text,
    transaction_no, unsent, vnd,
};
use crate::Config;
use crate::exports::souk::payment::gateway::{Error, Status, StatusRequest};
use crate::pay::at;
use crate::souk::payment::types::Outcome;

/// What VNPay says became of `request`'s attempt.
///
/// A query changes nothing, so it is sent as idempotent: retried on a failed connection, a 429
/// or a 502–504. A retry repeats the `vnp_RequestId`, which VNPay may answer `94` (duplicate):
/// that reads as unavailable, and the consumer's next query has a fresh id.
pub fn query(
    config: &Config,
    request: &StatusRequest,
    now: DateTime<Utc>,
) -> Result<Status, Error> {
    let url = config.api_url().map_err(Error::Misconfigured)?;
    let body = querydr_body(config, request, now)?;
    let call = Call::post(url)
        .body("application/json", body.to_string())
        .idempotent(true);
    let answer = call.send().map_err(|f| unsent(&f))?;
    read_querydr(config, &request.reference, &answer)
}

/// The signed `querydr` body for `request`, sent at `now`.
pub fn querydr_body(
    config: &Config,
    request: &StatusRequest,
    now: DateTime<Utc>,
) -> Result<Value, Error> {
    check_reference(&request.reference)?;
    check_ip(&request.requester_ip)?;
    let created = at(request.created_at_ms, "created-at-ms")?;
    let mut body = json!({
        "vnp_RequestId": query_request_id(&request.reference, now),
        "vnp_Version": vnpay::VERSION,
        "vnp_Command": "querydr",
        "vnp_TmnCode": config.tmn_code,
        "vnp_TxnRef": request.reference,
        "vnp_OrderInfo": format!("Truy van giao dich {}", request.reference),
        // VNPay finds the attempt by its reference and the vnp_CreateDate it was paid with.
        "vnp_TransactionDate": format_time(created),
        "vnp_CreateDate": format_time(now),
        "vnp_IpAddr": request.requester_ip,
    });
    body["vnp_SecureHash"] = json_checksum(&config.hash_secret, &QUERYDR_ORDER, &body).into();
    Ok(body)
}

/// The status a `querydr` answer gives the attempt `reference`.
pub fn read_querydr(config: &Config, reference: &str, answer: &Answer) -> Result<Status, Error> {
    let fields = signed_answer(config, &QUERYDR_ANSWER_ORDER, answer)?;
    let code = text(&fields, "vnp_ResponseCode");
    match code.as_str() {
        "00" => {}
        // VNPay has no transaction under this reference: the buyer never reached the payment
        // page, or has not finished on it. Whether that is final is the consumer's to say, from
        // the attempt's deadline.
        "91" => {
            about(&fields, reference)?;
            return Ok(Status {
                outcome: Outcome::Pending,
                amount: None,
                transaction_id: None,
                code,
            });
        }
        "02" => {
            return Err(Error::Misconfigured(said(
                &fields,
                "vnpay_tmn_code is refused",
            )));
        }
        "03" => return Err(Error::Invalid(said(&fields, "the query is malformed"))),
        _ => return Err(Error::Unavailable(said(&fields, "the query failed"))),
    }
    about(&fields, reference)?;
    let status = text(&fields, "vnp_TransactionStatus");
    Ok(Status {
        outcome: transaction_outcome(&status),
        amount: vnpay::parse_amount_field(&text(&fields, "vnp_Amount")).map(vnd),
        transaction_id: transaction_no(&fields),
        code: status,
    })
}

/// What a `querydr` answer's `vnp_TransactionStatus` says of the payment. A refund under way
/// or refused (05, 06, 09) leaves it paid; a suspected fraud (07) is held by VNPay until the
/// merchant decides; a reversal (04) is money the bank gives back. An unknown status is not
/// taken for anything final.
pub fn transaction_outcome(status: &str) -> Outcome {
    match status {
        "00" | "05" | "06" | "09" => Outcome::Paid,
        "02" | "04" => Outcome::Failed,
        _ => Outcome::Pending,
    }
}

/// `vnp_RequestId` of a query about `reference` at `now`: `Q`, the Unix milliseconds and a
/// digest of the reference, so that queries about different attempts in the same millisecond
/// differ.
fn query_request_id(reference: &str, now: DateTime<Utc>) -> String {
    let mut id = format!("Q{}{}", now.timestamp_millis(), digest(reference));
    id.truncate(REQUEST_ID_LEN);
    id
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::fixtures::{REFERENCE, SECRET, config, now, signed};
    use protocols::vnpay::parse_time;

    fn status_request() -> StatusRequest {
        StatusRequest {
            reference: REFERENCE.to_string(),
            created_at_ms: parse_time("20260101190000").unwrap().timestamp_millis(),
            requester_ip: "10.0.0.1".to_string(),
        }
    }

    fn querydr_answer(code: &str, status: &str) -> Value {
        json!({
            "vnp_ResponseId": "SBXQ1", "vnp_Command": "querydr", "vnp_ResponseCode": code,
            "vnp_Message": "Success", "vnp_TmnCode": "SOUKTEST", "vnp_TxnRef": REFERENCE,
            "vnp_Amount": "25000000", "vnp_BankCode": "NCB", "vnp_PayDate": "20260101190500",
            "vnp_TransactionNo": "14000001", "vnp_TransactionType": "01",
            "vnp_TransactionStatus": status,
        })
    }

    #[test]
    fn a_querydr_request_is_signed_in_vnpay_s_order_with_the_attempt_s_dates_in_gmt7() {
        let body = querydr_body(&config(), &status_request(), now()).unwrap();
        assert_eq!(body["vnp_Command"], "querydr");
        assert_eq!(body["vnp_TxnRef"], REFERENCE);
        assert_eq!(body["vnp_TransactionDate"], "20260101190000");
        assert_eq!(body["vnp_CreateDate"], "20260102100000");
        let id = body["vnp_RequestId"].as_str().unwrap();
        assert!(
            id.len() <= 32 && id.bytes().all(|b| b.is_ascii_alphanumeric()),
            "{id}"
        );
        assert_eq!(
            body["vnp_SecureHash"].as_str().unwrap(),
            json_checksum(SECRET, &QUERYDR_ORDER, &body)
        );
        let other = StatusRequest {
            reference: "0190a1b2c3d4e5f60718293a4b5c6d7f".to_string(),
            ..status_request()
        };
        let other = querydr_body(&config(), &other, now()).unwrap();
        assert_ne!(
            other["vnp_RequestId"], body["vnp_RequestId"],
            "one id per attempt"
        );
    }

    #[test]
    fn a_querydr_answer_is_read_when_its_checksum_verifies() {
        let answer = signed(SECRET, &QUERYDR_ANSWER_ORDER, querydr_answer("00", "00"));
        let status = read_querydr(&config(), REFERENCE, &answer).unwrap();
        assert!(matches!(status.outcome, Outcome::Paid));
        assert_eq!(
            status.amount.map(|m| (m.minor, m.currency)),
            Some((250_000, "VND".into()))
        );
        assert_eq!(status.transaction_id.as_deref(), Some("14000001"));
        assert_eq!(status.code, "00");
    }

    #[test]
    fn a_querydr_answer_with_a_forged_or_missing_checksum_is_not_believed() {
        let forged = signed(
            "ANOTHERSECRET",
            &QUERYDR_ANSWER_ORDER,
            querydr_answer("00", "00"),
        );
        let Err(Error::Unavailable(why)) = read_querydr(&config(), REFERENCE, &forged) else {
            panic!("a forged answer was believed");
        };
        assert_eq!(why, "VNPay's answer does not carry a valid checksum");
        let bare = Answer {
            status: 200,
            headers: Vec::new(),
            body: querydr_answer("00", "00").to_string().into_bytes(),
        };
        assert!(matches!(
            read_querydr(&config(), REFERENCE, &bare),
            Err(Error::Unavailable(_))
        ));
        let altered = signed(SECRET, &QUERYDR_ANSWER_ORDER, querydr_answer("00", "02"));
        let altered = Answer {
            body: String::from_utf8(altered.body)
                .unwrap()
                .replace(
                    r#""vnp_TransactionStatus":"02""#,
                    r#""vnp_TransactionStatus":"00""#,
                )
                .into_bytes(),
            ..altered
        };
        assert!(read_querydr(&config(), REFERENCE, &altered).is_err());
        let elsewhere = signed(SECRET, &QUERYDR_ANSWER_ORDER, querydr_answer("00", "00"));
        assert!(matches!(
            read_querydr(&config(), "0190a1b2c3d4e5f60718293a4b5c6d7f", &elsewhere),
            Err(Error::Unavailable(_))
        ));
    }

    #[test]
    fn querydr_codes_map_to_a_status_or_the_error_that_says_what_to_do() {
        let read = |code: &str| {
            read_querydr(
                &config(),
                REFERENCE,
                &signed(SECRET, &QUERYDR_ANSWER_ORDER, querydr_answer(code, "")),
            )
        };
        let not_found = read("91").unwrap();
        assert!(matches!(not_found.outcome, Outcome::Pending));
        assert_eq!(not_found.code, "91");
        assert!(not_found.amount.is_none() && not_found.transaction_id.is_none());
        assert!(matches!(read("02"), Err(Error::Misconfigured(_))));
        assert!(matches!(read("03"), Err(Error::Invalid(_))));
        assert!(matches!(read("94"), Err(Error::Unavailable(_))));
        assert!(matches!(read("99"), Err(Error::Unavailable(_))));
        assert!(matches!(read("97"), Err(Error::Misconfigured(_))));
    }

    #[test]
    fn transaction_statuses_map_to_outcomes() {
        let cases = [
            ("00", "paid"),
            ("01", "pending"),
            ("02", "failed"),
            ("04", "failed"),
            ("05", "paid"),
            ("06", "paid"),
            ("07", "pending"),
            ("09", "paid"),
            ("", "pending"),
        ];
        for (status, want) in cases {
            let got = match transaction_outcome(status) {
                Outcome::Paid => "paid",
                Outcome::Failed => "failed",
                Outcome::Pending => "pending",
                Outcome::Expired => "expired",
                Outcome::Cancelled => "cancelled",
            };
            assert_eq!(got, want, "{status}");
        }
    }
}

//! VNPay's IPN: verifying the callback, and the answer VNPay expects for it.
//!
//! VNPay reads an IPN's answer only as HTTP 200 with `{"RspCode": …, "Message": …}`; `00` and
//! `02` end the deliveries, any other code (or no such answer) makes VNPay send the IPN again,
//! up to ten times five minutes apart.

use protocols::vnpay::{self, IpnReply, Outcome as Ended, Refusal as Refused};

use crate::Config;
use crate::exports::souk::payment::gateway::{Inbound, Notice, Refusal, Reply, Verdict};
use crate::souk::payment::types::{Money, Outcome};

/// What VNPay's IPN says about an attempt, or why it must not be believed.
pub fn verify(config: &Config, inbound: &Inbound) -> Result<Notice, Refusal> {
    let query = parameters(inbound)?;
    let callback = vnpay::verify_callback(&config.hash_secret, &config.tmn_code, query).map_err(
        |refused| match refused {
            Refused::BadSignature => refusal("bad signature", IpnReply::InvalidSignature),
            Refused::WrongTerminal => refusal("wrong merchant", IpnReply::Unknown),
            Refused::Malformed(field) => {
                refusal(&format!("missing or malformed {field}"), IpnReply::Unknown)
            }
        },
    )?;
    Ok(Notice {
        reference: callback.txn_ref,
        outcome: outcome(callback.outcome),
        amount: Money {
            minor: callback.amount_vnd,
            currency: vnpay::CURRENCY.to_string(),
        },
        transaction_id: callback.transaction_no.filter(|no| no != "0"),
        code: callback.response_code,
        at_ms: callback.paid_at.map(|t| t.timestamp_millis()),
    })
}

/// The refusal of an IPN that reached a component without its terminal or secret (`reason`
/// names the variable).
///
/// VNPay documents no answer for "the merchant cannot check this now" but `99` (unknown
/// error), and it reads nothing but an HTTP 200 with its JSON; a 500 would be taken as no
/// answer and retried the same way, but says nothing VNPay parses. `99` makes VNPay send the
/// IPN again, so a payment made while the variables were missing still lands once they are
/// set — within VNPay's retries.
pub fn misconfigured(reason: &str) -> Refusal {
    refusal(&format!("misconfigured: {reason}"), IpnReply::Unknown)
}

/// VNPay's answer to a verified IPN the consumer took this way.
pub fn answer(verdict: Verdict) -> Reply {
    reply(match verdict {
        Verdict::Accepted => IpnReply::Confirmed,
        Verdict::UnknownAttempt => IpnReply::NotFound,
        Verdict::AlreadySettled => IpnReply::AlreadyConfirmed,
        Verdict::AmountMismatch => IpnReply::InvalidAmount,
        Verdict::RetryLater => IpnReply::Unknown,
    })
}

/// The IPN's parameters: VNPay sends them as a GET query; a form body posted instead (by a
/// proxy or a test) is read the same way.
fn parameters(inbound: &Inbound) -> Result<&str, Refusal> {
    if inbound.method.eq_ignore_ascii_case("POST") && !inbound.body.is_empty() {
        std::str::from_utf8(&inbound.body)
            .map_err(|_| refusal("the form body is not UTF-8", IpnReply::Unknown))
    } else {
        Ok(&inbound.query)
    }
}

fn outcome(ended: Ended) -> Outcome {
    match ended {
        Ended::Paid => Outcome::Paid,
        Ended::Cancelled => Outcome::Cancelled,
        Ended::Expired => Outcome::Expired,
        Ended::Failed => Outcome::Failed,
    }
}

fn refusal(reason: &str, reply_with: IpnReply) -> Refusal {
    Refusal {
        reason: reason.to_string(),
        reply: reply(reply_with),
    }
}

fn reply(with: IpnReply) -> Reply {
    Reply {
        status: 200,
        content_type: "application/json".to_string(),
        body: with.body(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocols::vnpay::{hmac_sha512_hex, signed_query};

    const SECRET: &str = "TESTSECRET0123456789ABCDEFGHIJKL";

    fn config() -> Config {
        Config::new("SOUKTEST", SECRET, "", "").unwrap()
    }

    /// An IPN query as VNPay sends it, `fields` changed from a paid one and signed with
    /// `secret`.
    fn ipn(secret: &str, fields: &[(&str, &str)]) -> String {
        let mut all = vec![
            ("vnp_TmnCode", "SOUKTEST"),
            ("vnp_Amount", "25000000"),
            ("vnp_BankCode", "NCB"),
            ("vnp_CardType", "ATM"),
            ("vnp_OrderInfo", "Don hang 42"),
            ("vnp_PayDate", "20260101190500"),
            ("vnp_ResponseCode", "00"),
            ("vnp_TransactionNo", "14000001"),
            ("vnp_TransactionStatus", "00"),
            ("vnp_TxnRef", "0190a1b2c3d4e5f6"),
        ];
        for (name, value) in fields {
            all.retain(|(n, _)| n != name);
            all.push((name, value));
        }
        let query = signed_query(all);
        format!("{query}&vnp_SecureHash={}", hmac_sha512_hex(secret, &query))
    }

    fn get(query: String) -> Inbound {
        Inbound {
            method: "GET".to_string(),
            query,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    #[test]
    fn a_signed_paid_ipn_becomes_a_notice_in_vnd_with_vnpay_s_transaction_and_time() {
        let notice = verify(&config(), &get(ipn(SECRET, &[]))).unwrap();
        assert_eq!(notice.reference, "0190a1b2c3d4e5f6");
        assert!(matches!(notice.outcome, Outcome::Paid));
        assert_eq!(
            (notice.amount.minor, notice.amount.currency.as_str()),
            (250_000, "VND")
        );
        assert_eq!(notice.transaction_id.as_deref(), Some("14000001"));
        assert_eq!(notice.code, "00");
        // 19:05 in GMT+7 is 12:05 UTC.
        assert_eq!(notice.at_ms, Some(1_767_268_800_000 + 5 * 60_000));
    }

    #[test]
    fn outcomes_follow_vnpay_s_response_code_and_transaction_status() {
        let cases = [
            ("00", "00", "paid"),
            ("00", "01", "failed"),
            ("24", "02", "cancelled"),
            ("11", "02", "expired"),
            ("51", "02", "failed"),
            ("07", "07", "failed"),
            ("99", "02", "failed"),
        ];
        for (code, status, want) in cases {
            let query = ipn(
                SECRET,
                &[
                    ("vnp_ResponseCode", code),
                    ("vnp_TransactionStatus", status),
                    ("vnp_TransactionNo", "0"),
                ],
            );
            let notice = verify(&config(), &get(query)).unwrap();
            let got = match notice.outcome {
                Outcome::Paid => "paid",
                Outcome::Failed => "failed",
                Outcome::Expired => "expired",
                Outcome::Cancelled => "cancelled",
                Outcome::Pending => "pending",
            };
            assert_eq!(got, want, "{code}/{status}");
            assert_eq!(notice.code, code);
            assert_eq!(notice.transaction_id, None, "VNPay's 0 is no transaction");
        }
    }

    #[test]
    fn a_posted_form_is_read_as_the_query() {
        let posted = Inbound {
            method: "POST".to_string(),
            query: String::new(),
            headers: vec![(
                "content-type".to_string(),
                "application/x-www-form-urlencoded".to_string(),
            )],
            body: ipn(SECRET, &[]).into_bytes(),
        };
        assert_eq!(
            verify(&config(), &posted).unwrap().reference,
            "0190a1b2c3d4e5f6"
        );
    }

    #[test]
    fn refused_ipns_are_answered_with_vnpay_s_json_on_a_200() {
        let refused = |inbound: Inbound| verify(&config(), &inbound).unwrap_err();
        let cases = [
            (
                refused(get(ipn("ANOTHERSECRET", &[]))),
                "bad signature",
                r#"{"RspCode":"97","Message":"Invalid signature"}"#,
            ),
            (
                refused(get(ipn(SECRET, &[("vnp_TmnCode", "OTHER123")]))),
                "wrong merchant",
                r#"{"RspCode":"99","Message":"Unknown error"}"#,
            ),
            (
                refused(get(ipn(SECRET, &[("vnp_Amount", "25000050")]))),
                "missing or malformed vnp_Amount",
                r#"{"RspCode":"99","Message":"Unknown error"}"#,
            ),
            (
                refused(get(format!("{}&vnp_TxnRef=2", ipn(SECRET, &[])))),
                "missing or malformed query",
                r#"{"RspCode":"99","Message":"Unknown error"}"#,
            ),
            (
                misconfigured("the Spin variable `vnpay_hash_secret` is not set"),
                "misconfigured: the Spin variable `vnpay_hash_secret` is not set",
                r#"{"RspCode":"99","Message":"Unknown error"}"#,
            ),
        ];
        for (refusal, reason, body) in cases {
            assert_eq!(refusal.reason, reason);
            assert_eq!(refusal.reply.status, 200, "{reason}");
            assert_eq!(refusal.reply.content_type, "application/json");
            assert_eq!(refusal.reply.body, body, "{reason}");
        }
    }

    #[test]
    fn verdicts_are_answered_with_the_codes_that_end_or_repeat_vnpay_s_deliveries() {
        let cases = [
            (Verdict::Accepted, "00", "Confirm Success"),
            (Verdict::UnknownAttempt, "01", "Order not found"),
            (Verdict::AlreadySettled, "02", "Order already confirmed"),
            (Verdict::AmountMismatch, "04", "Invalid amount"),
            (Verdict::RetryLater, "99", "Unknown error"),
        ];
        for (verdict, code, message) in cases {
            let reply = answer(verdict);
            assert_eq!(
                (reply.status, reply.content_type.as_str()),
                (200, "application/json")
            );
            let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
            assert_eq!(
                body,
                serde_json::json!({ "RspCode": code, "Message": message })
            );
        }
    }
}

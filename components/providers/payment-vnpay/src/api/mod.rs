//! VNPay's merchant API: `querydr` (what became of an attempt) and `refund`, JSON posted to
//! `vnpay_api_url`, each request and answer carrying a pipe-joined checksum
//! (`protocols::vnpay`'s orders). An answer is believed only when its checksum verifies under
//! the merchant's secret and it names the merchant's terminal and the attempt asked about.
//!
//! - [`querydr`]: the status of an attempt.
//! - [`refund`]: giving back all or part of a payment.
//!
//! This module holds what both read and check.

pub mod querydr;
pub mod refund;

use outbound::{Answer, Failure};
use protocols::vnpay::{self, json_checksum};
use serde_json::Value;

use crate::Config;
use crate::exports::souk::payment::gateway::Error;
use crate::souk::payment::types::Money;

pub use querydr::query;
pub use refund::refund;

/// `vnp_RequestId`'s longest (alphanumeric, unique per day).
const REQUEST_ID_LEN: usize = 32;

/// A hex digest of `s` (HMAC-SHA512 under a fixed key, used as a plain hash).
fn digest(s: &str) -> String {
    vnpay::hmac_sha512_hex("vnp_RequestId", s)
}

/// The answer's fields, once its HTTP status, its checksum and its terminal are right.
fn signed_answer(config: &Config, order: &[&str], answer: &Answer) -> Result<Value, Error> {
    match answer.status {
        200..=299 => {}
        408 | 429 | 500.. => {
            return Err(Error::Unavailable(format!(
                "VNPay's API answered HTTP {}",
                answer.status
            )));
        }
        401 | 403 | 404 => {
            return Err(Error::Misconfigured(format!(
                "VNPay's API answered HTTP {}: check vnpay_api_url",
                answer.status
            )));
        }
        status => {
            return Err(Error::Invalid(format!(
                "VNPay's API refused the request (HTTP {status})"
            )));
        }
    }
    let fields = answer.json().map_err(Error::Unavailable)?;
    // 97: VNPay computed another checksum for the request, so the two sides hold different
    // secrets; its answer then fails ours too, so this is read before the checksum is.
    if text(&fields, "vnp_ResponseCode") == "97" {
        return Err(Error::Misconfigured(
            "VNPay refused the request's checksum (97): vnpay_hash_secret is not the terminal's"
                .to_string(),
        ));
    }
    let want = json_checksum(&config.hash_secret, order, &fields);
    let given = text(&fields, "vnp_SecureHash").to_ascii_lowercase();
    if !protocols::same_bytes(want.as_bytes(), given.as_bytes()) {
        return Err(Error::Unavailable(
            "VNPay's answer does not carry a valid checksum".to_string(),
        ));
    }
    if text(&fields, "vnp_TmnCode") != config.tmn_code {
        return Err(Error::Unavailable(
            "VNPay answered for another terminal".to_string(),
        ));
    }
    Ok(fields)
}

/// `Ok` when the answer is about the attempt `reference`.
fn about(fields: &Value, reference: &str) -> Result<(), Error> {
    match text(fields, "vnp_TxnRef") {
        txn_ref if txn_ref == reference => Ok(()),
        txn_ref => Err(Error::Unavailable(format!(
            "VNPay answered about attempt {txn_ref}, not {reference}"
        ))),
    }
}

/// `what`, with VNPay's code and message.
fn said(fields: &Value, what: &str) -> String {
    format!(
        "{}: {what} ({})",
        text(fields, "vnp_ResponseCode"),
        text(fields, "vnp_Message")
    )
}

/// A field as text: a string as it is, a number written out, anything else empty.
fn text(fields: &Value, name: &str) -> String {
    match &fields[name] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// VNPay's transaction number, when it names one (it writes `0` for none).
fn transaction_no(fields: &Value) -> Option<String> {
    Some(text(fields, "vnp_TransactionNo")).filter(|no| !no.is_empty() && no != "0")
}

fn vnd(minor: i64) -> Money {
    Money {
        minor,
        currency: vnpay::CURRENCY.to_string(),
    }
}

fn check_reference(reference: &str) -> Result<(), Error> {
    if (1..=100).contains(&reference.len()) && reference.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        Ok(())
    } else {
        Err(Error::Invalid(
            "reference: 1 to 100 letters and digits".to_string(),
        ))
    }
}

fn check_ip(ip: &str) -> Result<(), Error> {
    if (7..=45).contains(&ip.len()) {
        Ok(())
    } else {
        Err(Error::Invalid("requester-ip: an IP address".to_string()))
    }
}

/// A call that got no answer: a refused URL or host is the operator's to fix, anything else
/// may pass. The failure's text names the call by method, host and path only.
fn unsent(failure: &Failure) -> Error {
    match failure {
        Failure::Invalid(why) => Error::Misconfigured(why.clone()),
        Failure::Timeout(why) | Failure::Unreachable(why) => Error::Unavailable(why.clone()),
    }
}

/// What the tests of both calls share.
#[cfg(test)]
mod fixtures {
    use chrono::{DateTime, Utc};
    use outbound::Answer;
    use protocols::vnpay::{json_checksum, parse_time};
    use serde_json::Value;

    use crate::Config;

    pub const SECRET: &str = "TESTSECRET0123456789ABCDEFGHIJKL";
    pub const REFERENCE: &str = "0190a1b2c3d4e5f60718293a4b5c6d7e";

    pub fn config() -> Config {
        Config::new(
            "SOUKTEST",
            SECRET,
            "",
            "https://vnpay.example/api/transaction",
        )
        .unwrap()
    }

    pub fn now() -> DateTime<Utc> {
        parse_time("20260102100000").unwrap()
    }

    /// An HTTP 200 answer with `fields`, signed over `order` with `secret`.
    pub fn signed(secret: &str, order: &[&str], mut fields: Value) -> Answer {
        fields["vnp_SecureHash"] = json_checksum(secret, order, &fields).into();
        Answer {
            status: 200,
            headers: Vec::new(),
            body: fields.to_string().into_bytes(),
        }
    }
}

//! VNPay's payment gateway, API 2.1.0, as both sides speak it: the pay URL a buyer is sent to,
//! the signed callback (return URL and IPN) VNPay sends back, the answer an IPN expects, and
//! the checksums of the server-to-server `querydr` and `refund` calls.
//!
//! Signing (VNPay's own demos agree on it): every `vnp_*` parameter with a value except
//! `vnp_SecureHash` and `vnp_SecureHashType`, sorted by name, form-URL-encoded (space as `+`,
//! every byte but `A–Z a–z 0–9 - _ .` as `%XX` in upper-case hex), joined with `&`; the hash is
//! the lower-case hex HMAC-SHA512 of that string under the merchant's secret. A callback is
//! verified by decoding its parameters and encoding them again that way — never by hashing the
//! raw query — and its hash is compared without regard to case, in constant time.
//!
//! Amounts are VND only, sent multiplied by 100; dates are `yyyyMMddHHmmss` in GMT+7.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha512;

use crate::{Invalid, check, form};

/// The API version every request names.
pub const VERSION: &str = "2.1.0";

/// The only currency VNPay takes.
pub const CURRENCY: &str = "VND";

/// Largest `vnp_Amount` (12 digits), in hundredths of a đồng.
const MAX_AMOUNT_FIELD: i64 = 999_999_999_999;

/// The parameter carrying the hash, and the one 2.0 sent beside it; neither is signed.
const HASH: &str = "vnp_SecureHash";
const HASH_TYPE: &str = "vnp_SecureHashType";

/// The string VNPay signs for these parameters (see the module docs); it is also the query of
/// a pay URL, before the hash is appended.
pub fn signed_query<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let signed: BTreeMap<&str, &str> = params
        .into_iter()
        .filter(|(name, value)| {
            name.starts_with("vnp_") && !value.is_empty() && *name != HASH && *name != HASH_TYPE
        })
        .collect();
    form::encode_pairs(signed)
}

/// Lower-case hex HMAC-SHA512 of `message` under `secret`.
pub fn hmac_sha512_hex(secret: &str, message: &str) -> String {
    let mut mac =
        Hmac::<Sha512>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `given` is the hex HMAC-SHA512 of `message` under `secret`, in either case; the
/// comparison takes the same time wherever the two differ.
pub fn hash_matches(secret: &str, message: &str, given: &str) -> bool {
    let want = hmac_sha512_hex(secret, message);
    crate::same_bytes(want.as_bytes(), given.to_ascii_lowercase().as_bytes())
}

/// GMT+7, the zone of every VNPay date.
fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("seven hours is a valid offset")
}

/// `t` as VNPay writes a date: `yyyyMMddHHmmss` in GMT+7.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&vietnam())
        .format("%Y%m%d%H%M%S")
        .to_string()
}

/// A VNPay date (`yyyyMMddHHmmss`, GMT+7); `None` when it is not one.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let local = NaiveDateTime::parse_from_str(s, "%Y%m%d%H%M%S").ok()?;
    Some(vietnam().from_local_datetime(&local).single()?.to_utc())
}

/// `vnp_Amount` for an amount in đồng (VND has no minor unit): ×100, positive, 12 digits at
/// most; `None` otherwise.
pub fn amount_field(vnd: i64) -> Option<String> {
    let field = vnd.checked_mul(100)?;
    (vnd > 0 && field <= MAX_AMOUNT_FIELD).then(|| field.to_string())
}

/// The đồng a `vnp_Amount` names: digits only, a whole number of đồng; `None` otherwise.
pub fn parse_amount_field(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let field: i64 = s.parse().ok()?;
    (field % 100 == 0).then_some(field / 100)
}

/// Whether `s` is safe to sign whatever URL encoder the other side uses: VNPay's demos encode
/// `~ * ! ' ( )` differently, and order texts must be Vietnamese without diacritics anyway.
fn plain_text(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b" :._-".contains(&b))
}

/// A payment attempt to send a buyer to VNPay for.
#[derive(Clone, Debug)]
pub struct PayRequest<'a> {
    /// The terminal code VNPay issued the merchant (`vnp_TmnCode`).
    pub tmn_code: &'a str,
    /// Đồng.
    pub amount_vnd: i64,
    /// The attempt's reference, letters and digits, 1 to 100, unique per day (`vnp_TxnRef`).
    pub txn_ref: &'a str,
    /// What is paid for, 1 to 255 characters without diacritics (`vnp_OrderInfo`).
    pub order_info: &'a str,
    /// VNPay's goods category, e.g. `other`.
    pub order_type: &'a str,
    /// `vn` or `en`.
    pub locale: &'a str,
    /// Where the buyer's browser returns, 10 to 255 characters.
    pub return_url: &'a str,
    /// The buyer's IP address.
    pub ip: &'a str,
    /// When the attempt was made.
    pub created: DateTime<Utc>,
    /// When it expires.
    pub expires: DateTime<Utc>,
    /// `VNPAYQR`, `VNBANK`, `INTCARD` or a bank's code; `None`: the buyer picks on VNPay.
    pub bank_code: Option<&'a str>,
}

/// The URL that sends the buyer to pay `r` on the payment page at `base`, signed with
/// `secret`.
pub fn pay_url(base: &str, secret: &str, r: &PayRequest<'_>) -> Result<String, Invalid> {
    let amount = amount_field(r.amount_vnd).ok_or(Invalid {
        field: "amount",
        rule: "positive, at most 9,999,999,999 VND",
    })?;
    let len = |s: &str| s.chars().count();
    check(
        (1..=100).contains(&r.txn_ref.len())
            && r.txn_ref.bytes().all(|b| b.is_ascii_alphanumeric()),
        "reference",
        "1 to 100 letters and digits",
    )?;
    check(
        (1..=255).contains(&len(r.order_info)) && plain_text(r.order_info),
        "order_info",
        "1 to 255 letters, digits, spaces and :._-",
    )?;
    check(
        !r.order_type.is_empty() && plain_text(r.order_type),
        "order_type",
        "a VNPay goods category",
    )?;
    check(matches!(r.locale, "vn" | "en"), "locale", "vn or en")?;
    check(
        (10..=255).contains(&len(r.return_url)),
        "return_url",
        "10 to 255 characters",
    )?;
    check((7..=45).contains(&r.ip.len()), "ip", "an IP address")?;
    check(
        r.expires > r.created,
        "expires",
        "after the attempt is made",
    )?;
    if let Some(bank) = r.bank_code {
        check(
            !bank.is_empty() && bank.bytes().all(|b| b.is_ascii_alphanumeric()),
            "bank_code",
            "letters and digits",
        )?;
    }
    let created = format_time(r.created);
    let expires = format_time(r.expires);
    let mut params = vec![
        ("vnp_Version", VERSION),
        ("vnp_Command", "pay"),
        ("vnp_TmnCode", r.tmn_code),
        ("vnp_Amount", amount.as_str()),
        ("vnp_CurrCode", CURRENCY),
        ("vnp_TxnRef", r.txn_ref),
        ("vnp_OrderInfo", r.order_info),
        ("vnp_OrderType", r.order_type),
        ("vnp_Locale", r.locale),
        ("vnp_ReturnUrl", r.return_url),
        ("vnp_IpAddr", r.ip),
        ("vnp_CreateDate", created.as_str()),
        ("vnp_ExpireDate", expires.as_str()),
    ];
    if let Some(bank) = r.bank_code {
        params.push(("vnp_BankCode", bank));
    }
    let query = signed_query(params);
    let hash = hmac_sha512_hex(secret, &query);
    Ok(format!("{base}?{query}&{HASH}={hash}"))
}

/// How an attempt ended, as a callback says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Paid: `vnp_ResponseCode` and `vnp_TransactionStatus` both `00`.
    Paid,
    /// The buyer cancelled (`24`).
    Cancelled,
    /// The attempt timed out (`11`).
    Expired,
    /// Anything else: declined, wrong OTP, insufficient balance…
    Failed,
}

/// A verified callback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Callback {
    /// The attempt's reference, as sent.
    pub txn_ref: String,
    /// Đồng.
    pub amount_vnd: i64,
    /// How the attempt ended.
    pub outcome: Outcome,
    /// `vnp_ResponseCode`, for the record.
    pub response_code: String,
    /// VNPay's transaction number, when it gave one.
    pub transaction_no: Option<String>,
    /// When it was paid, when VNPay says.
    pub paid_at: Option<DateTime<Utc>>,
}

/// Why a callback was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The hash is missing or wrong: not from VNPay, or altered.
    BadSignature,
    /// Signed, but not for this merchant's terminal.
    WrongTerminal,
    /// Signed, but a field is missing or malformed (named).
    Malformed(&'static str),
}

/// Verifies a return-URL or IPN query for terminal `tmn_code` under `secret`.
pub fn verify_callback(secret: &str, tmn_code: &str, query: &str) -> Result<Callback, Refusal> {
    let params = form::parse(query).ok_or(Refusal::Malformed("query"))?;
    let given = params.get(HASH).ok_or(Refusal::BadSignature)?;
    let signed = signed_query(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if !hash_matches(secret, &signed, given) {
        return Err(Refusal::BadSignature);
    }
    let field = |name: &'static str| {
        params
            .get(name)
            .filter(|v| !v.is_empty())
            .ok_or(Refusal::Malformed(name))
    };
    if field("vnp_TmnCode")? != tmn_code {
        return Err(Refusal::WrongTerminal);
    }
    let amount_vnd =
        parse_amount_field(field("vnp_Amount")?).ok_or(Refusal::Malformed("vnp_Amount"))?;
    let response_code = field("vnp_ResponseCode")?.clone();
    let status = params.get("vnp_TransactionStatus").map(String::as_str);
    let outcome = match (response_code.as_str(), status) {
        ("00", Some("00")) => Outcome::Paid,
        ("24", _) => Outcome::Cancelled,
        ("11", _) => Outcome::Expired,
        _ => Outcome::Failed,
    };
    let paid_at = match params.get("vnp_PayDate").filter(|v| !v.is_empty()) {
        Some(date) => Some(parse_time(date).ok_or(Refusal::Malformed("vnp_PayDate"))?),
        None => None,
    };
    Ok(Callback {
        txn_ref: field("vnp_TxnRef")?.clone(),
        amount_vnd,
        outcome,
        response_code,
        transaction_no: params
            .get("vnp_TransactionNo")
            .filter(|v| !v.is_empty())
            .cloned(),
        paid_at,
    })
}

/// What a merchant answers an IPN, and what VNPay does next: `Confirmed` and
/// `AlreadyConfirmed` end it; the others make VNPay send the IPN again later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpnReply {
    /// `00`: recorded (a failed payment too).
    Confirmed,
    /// `01`: no such attempt.
    NotFound,
    /// `02`: recorded before (a replay).
    AlreadyConfirmed,
    /// `04`: the amount is not the attempt's.
    InvalidAmount,
    /// `97`: the signature is wrong.
    InvalidSignature,
    /// `99`: anything else.
    Unknown,
}

impl IpnReply {
    /// The JSON body VNPay expects, with HTTP 200: `{"RspCode": …, "Message": …}`.
    pub fn body(self) -> String {
        let (code, message) = match self {
            IpnReply::Confirmed => ("00", "Confirm Success"),
            IpnReply::NotFound => ("01", "Order not found"),
            IpnReply::AlreadyConfirmed => ("02", "Order already confirmed"),
            IpnReply::InvalidAmount => ("04", "Invalid amount"),
            IpnReply::InvalidSignature => ("97", "Invalid signature"),
            IpnReply::Unknown => ("99", "Unknown error"),
        };
        format!(r#"{{"RspCode":"{code}","Message":"{message}"}}"#)
    }
}

/// The checksum of a server-to-server call or its answer: the hex HMAC-SHA512 of its fields'
/// values joined with `|`, in the order VNPay defines for that call ([`QUERYDR_ORDER`],
/// [`REFUND_ORDER`] and their answers).
pub fn pipe_checksum(secret: &str, values: &[&str]) -> String {
    hmac_sha512_hex(secret, &values.join("|"))
}

/// The fields of a `querydr` request, in checksum order.
pub const QUERYDR_ORDER: [&str; 9] = [
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_TransactionDate",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
];

/// The fields of a `querydr` answer, in checksum order.
pub const QUERYDR_ANSWER_ORDER: [&str; 15] = [
    "vnp_ResponseId",
    "vnp_Command",
    "vnp_ResponseCode",
    "vnp_Message",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_PayDate",
    "vnp_TransactionNo",
    "vnp_TransactionType",
    "vnp_TransactionStatus",
    "vnp_OrderInfo",
    "vnp_PromotionCode",
    "vnp_PromotionAmount",
];

/// The fields of a `refund` request, in checksum order.
pub const REFUND_ORDER: [&str; 13] = [
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TransactionType",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_TransactionNo",
    "vnp_TransactionDate",
    "vnp_CreateBy",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
];

/// The fields of a `refund` answer, in checksum order: a `querydr` answer's without the
/// promotion fields.
pub const REFUND_ANSWER_ORDER: &[&str] = QUERYDR_ANSWER_ORDER.as_slice().split_at(13).0;

/// The checksum of a JSON call or answer whose fields are `fields`, in `order` (a missing
/// field counts as empty, as VNPay's demos hash it).
pub fn json_checksum(secret: &str, order: &[&str], fields: &serde_json::Value) -> String {
    let values: Vec<String> = order
        .iter()
        .map(|name| match &fields[name] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        })
        .collect();
    let values: Vec<&str> = values.iter().map(String::as_str).collect();
    pipe_checksum(secret, &values)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "TESTSECRET0123456789ABCDEFGHIJKL";

    fn at(s: &str) -> DateTime<Utc> {
        parse_time(s).unwrap()
    }

    #[test]
    fn the_pay_url_matches_the_reference_vector() {
        let request = PayRequest {
            tmn_code: "DEMOV210",
            amount_vnd: 18_060,
            txn_ref: "5",
            order_info: "Thanh toan don hang :5",
            order_type: "other",
            locale: "vn",
            return_url: "https://domainmerchant.vn/ReturnUrl",
            ip: "127.0.0.1",
            created: at("20210801153333"),
            expires: at("20210801154833"),
            bank_code: None,
        };
        let url = pay_url(
            "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html",
            SECRET,
            &request,
        )
        .unwrap();
        let query = "vnp_Amount=1806000&vnp_Command=pay&vnp_CreateDate=20210801153333\
                     &vnp_CurrCode=VND&vnp_ExpireDate=20210801154833&vnp_IpAddr=127.0.0.1\
                     &vnp_Locale=vn&vnp_OrderInfo=Thanh+toan+don+hang+%3A5&vnp_OrderType=other\
                     &vnp_ReturnUrl=https%3A%2F%2Fdomainmerchant.vn%2FReturnUrl\
                     &vnp_TmnCode=DEMOV210&vnp_TxnRef=5&vnp_Version=2.1.0";
        let hash = "872d3e8850100e32629d5dc5b54c4ee18fbf9bcc9f391c9f3a7db1c246cf2a37417f4e2588aa\
                    d7f59e2bb61293b971b4f835b7e1f79407ae2dc1abc7b7a48389";
        assert_eq!(
            url,
            format!(
                "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html?{query}&vnp_SecureHash={hash}"
            )
        );
    }

    #[test]
    fn a_refund_answer_is_signed_over_a_querydr_answer_s_fields_but_the_promotion() {
        assert_eq!(REFUND_ANSWER_ORDER.len(), 13);
        assert_eq!(REFUND_ANSWER_ORDER.last(), Some(&"vnp_OrderInfo"));
        assert!(!REFUND_ANSWER_ORDER.iter().any(|f| f.contains("Promotion")));
    }

    #[test]
    fn the_server_calls_match_the_reference_vectors() {
        let querydr = "REQ124|2.1.0|querydr|DEMOV210|5|20210801153333|20210802100000|10.0.0.1|\
                       Truy van don 5";
        assert_eq!(
            hmac_sha512_hex(SECRET, querydr),
            "3cb21c1a7f3a36c4701e07d8bbba7c4786ffbd4fc4bd9c1c1b769b0cb04189a2b6200a8f4067dd6a9cb2\
             b96c3c2fd53c959e73ff378e55ce5e7a8cf8eb68a7eb"
        );
        let refund = serde_json::json!({
            "vnp_RequestId": "REQ123", "vnp_Version": "2.1.0", "vnp_Command": "refund",
            "vnp_TmnCode": "DEMOV210", "vnp_TransactionType": "02", "vnp_TxnRef": "5",
            "vnp_Amount": "1806000", "vnp_TransactionDate": "20210801153333",
            "vnp_CreateBy": "admin", "vnp_CreateDate": "20210802100000",
            "vnp_IpAddr": "10.0.0.1", "vnp_OrderInfo": "Hoan tien don 5",
        });
        assert_eq!(
            json_checksum(SECRET, &REFUND_ORDER, &refund),
            "8caf06cfa0048f3ff8a6dc3723aceec077dfc49e5e4323a579d4941d4743c0ff81d92c9fa13110f68b1c\
             6c2c93f70fbb88967ef1638887ff8670d8931d7240db",
            "an absent vnp_TransactionNo is hashed empty"
        );
    }

    /// A callback as VNPay would send it for `txn_ref`, signed with `secret`.
    fn callback(secret: &str, fields: &[(&str, &str)]) -> String {
        let query = signed_query(fields.iter().copied());
        format!(
            "{query}&vnp_SecureHashType=HmacSHA512&vnp_SecureHash={}",
            hmac_sha512_hex(secret, &query)
        )
    }

    const PAID: [(&str, &str); 10] = [
        ("vnp_TmnCode", "DEMOV210"),
        ("vnp_Amount", "1806000"),
        ("vnp_BankCode", "NCB"),
        ("vnp_OrderInfo", "Thanh toan don hang :5"),
        ("vnp_PayDate", "20210801153500"),
        ("vnp_ResponseCode", "00"),
        ("vnp_TransactionStatus", "00"),
        ("vnp_TransactionNo", "13934751"),
        ("vnp_TxnRef", "5"),
        ("vnp_CardType", "ATM"),
    ];

    #[test]
    fn a_signed_callback_is_verified_and_read() {
        let verified = verify_callback(SECRET, "DEMOV210", &callback(SECRET, &PAID)).unwrap();
        assert_eq!(
            verified,
            Callback {
                txn_ref: "5".into(),
                amount_vnd: 18_060,
                outcome: Outcome::Paid,
                response_code: "00".into(),
                transaction_no: Some("13934751".into()),
                paid_at: Some(at("20210801153500")),
            }
        );
        assert_eq!(
            verified.paid_at.unwrap().to_rfc3339(),
            "2021-08-01T08:35:00+00:00",
            "GMT+7"
        );
    }

    #[test]
    fn a_callback_is_verified_on_its_decoded_values_whatever_encoder_sent_it() {
        // The same values, encoded as another client would: %20 for spaces, lower-case hex.
        let query = callback(SECRET, &PAID).replace(
            "Thanh+toan+don+hang+%3A5",
            "Thanh%20toan%20don%20hang%20%3a5",
        );
        let verified = verify_callback(SECRET, "DEMOV210", &query).unwrap();
        assert_eq!(verified.outcome, Outcome::Paid);
        // The hash in upper case is the same hash.
        let signed = callback(SECRET, &PAID);
        let (head, hash) = signed.rsplit_once('=').unwrap();
        let upper = format!("{head}={}", hash.to_ascii_uppercase());
        assert!(verify_callback(SECRET, "DEMOV210", &upper).is_ok());
    }

    #[test]
    fn forged_altered_and_foreign_callbacks_are_refused() {
        let forged = callback("ANOTHERSECRET", &PAID);
        assert_eq!(
            verify_callback(SECRET, "DEMOV210", &forged),
            Err(Refusal::BadSignature)
        );
        let altered = callback(SECRET, &PAID).replace("vnp_Amount=1806000", "vnp_Amount=100");
        assert_eq!(
            verify_callback(SECRET, "DEMOV210", &altered),
            Err(Refusal::BadSignature)
        );
        let unsigned = signed_query(PAID);
        assert_eq!(
            verify_callback(SECRET, "DEMOV210", &unsigned),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            verify_callback(SECRET, "OTHER123", &callback(SECRET, &PAID)),
            Err(Refusal::WrongTerminal)
        );
        let twice = format!("{}&vnp_TxnRef=6", callback(SECRET, &PAID));
        assert_eq!(
            verify_callback(SECRET, "DEMOV210", &twice),
            Err(Refusal::Malformed("query"))
        );
        let mut odd = PAID;
        odd[1] = ("vnp_Amount", "1806050");
        assert_eq!(
            verify_callback(SECRET, "DEMOV210", &callback(SECRET, &odd)),
            Err(Refusal::Malformed("vnp_Amount")),
            "not a whole number of đồng"
        );
    }

    #[test]
    fn outcomes_follow_the_response_code_and_the_transaction_status() {
        let cases = [
            ("00", "00", Outcome::Paid),
            ("00", "01", Outcome::Failed),
            ("24", "02", Outcome::Cancelled),
            ("11", "02", Outcome::Expired),
            ("51", "02", Outcome::Failed),
            ("07", "07", Outcome::Failed),
        ];
        for (code, status, want) in cases {
            let mut fields = PAID;
            fields[5] = ("vnp_ResponseCode", code);
            fields[6] = ("vnp_TransactionStatus", status);
            let got = verify_callback(SECRET, "DEMOV210", &callback(SECRET, &fields));
            assert_eq!(got.map(|c| c.outcome), Ok(want), "{code}/{status}");
        }
    }

    #[test]
    fn requests_outside_vnpay_s_rules_are_refused_before_signing() {
        let good = PayRequest {
            tmn_code: "DEMOV210",
            amount_vnd: 10_000,
            txn_ref: "a1b2",
            order_info: "Order a1b2",
            order_type: "other",
            locale: "en",
            return_url: "https://souk.example/return",
            ip: "203.0.113.9",
            created: at("20260101120000"),
            expires: at("20260101121500"),
            bank_code: Some("VNPAYQR"),
        };
        let field = |r: PayRequest<'_>| pay_url("https://x", SECRET, &r).err().map(|e| e.field);
        assert_eq!(field(good.clone()), None);
        assert!(
            pay_url("https://x", SECRET, &good)
                .unwrap()
                .contains("vnp_BankCode=VNPAYQR")
        );
        let cases: Vec<(PayRequest<'_>, &str)> = vec![
            (
                PayRequest {
                    amount_vnd: 0,
                    ..good.clone()
                },
                "amount",
            ),
            (
                PayRequest {
                    amount_vnd: 10_000_000_000,
                    ..good.clone()
                },
                "amount",
            ),
            (
                PayRequest {
                    txn_ref: "a-1",
                    ..good.clone()
                },
                "reference",
            ),
            (
                PayRequest {
                    order_info: "Đơn hàng",
                    ..good.clone()
                },
                "order_info",
            ),
            (
                PayRequest {
                    order_info: "50% off!",
                    ..good.clone()
                },
                "order_info",
            ),
            (
                PayRequest {
                    locale: "fr",
                    ..good.clone()
                },
                "locale",
            ),
            (
                PayRequest {
                    return_url: "http://x",
                    ..good.clone()
                },
                "return_url",
            ),
            (
                PayRequest {
                    expires: at("20260101115959"),
                    ..good.clone()
                },
                "expires",
            ),
            (
                PayRequest {
                    bank_code: Some("NC B"),
                    ..good.clone()
                },
                "bank_code",
            ),
        ];
        for (request, want) in cases {
            assert_eq!(field(request), Some(want));
        }
    }

    #[test]
    fn amounts_and_dates_round_trip_and_refuse_what_is_not_theirs() {
        assert_eq!(amount_field(18_060).as_deref(), Some("1806000"));
        assert_eq!(amount_field(9_999_999_999).as_deref(), Some("999999999900"));
        assert_eq!(amount_field(-1), None);
        assert_eq!(amount_field(i64::MAX), None);
        assert_eq!(parse_amount_field("1806000"), Some(18_060));
        for bad in ["", "18.06", "-100", "+100", "1806001", "1000000000000"] {
            assert_eq!(parse_amount_field(bad), None, "{bad}");
        }
        let t = at("20211231235959");
        assert_eq!(format_time(t), "20211231235959");
        assert_eq!(t.to_rfc3339(), "2021-12-31T16:59:59+00:00");
        assert_eq!(parse_time("2021-12-31"), None);
    }

    #[test]
    fn ipn_replies_are_vnpay_s_json() {
        assert_eq!(
            IpnReply::Confirmed.body(),
            r#"{"RspCode":"00","Message":"Confirm Success"}"#
        );
        let parsed: serde_json::Value =
            serde_json::from_str(&IpnReply::InvalidSignature.body()).unwrap();
        assert_eq!(parsed["RspCode"], "97");
    }
}

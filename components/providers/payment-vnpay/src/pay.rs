//! Starting an attempt: the signed URL of VNPay's payment page for it.

use chrono::{DateTime, Utc};
use protocols::vnpay::{self, PayRequest};

use crate::Config;
use crate::exports::souk::payment::gateway::{Error, Method, StartRequest, Started};
use crate::fold;
use crate::souk::payment::types::NextStep;

/// VNPay's goods category for whatever a marketplace sells.
const ORDER_TYPE: &str = "other";

/// What the buyer needs to pay `request`: a redirect to VNPay's payment page. VNPay gives no
/// reference of its own before the buyer pays.
pub fn start(config: &Config, request: &StartRequest) -> Result<Started, Error> {
    let base = config.pay_url().map_err(Error::Misconfigured)?;
    if request.amount.currency != vnpay::CURRENCY {
        return Err(Error::Invalid(format!(
            "VNPay takes VND only, not {}",
            request.amount.currency
        )));
    }
    let locale = match request.locale.as_str() {
        "vi" => "vn",
        "en" => "en",
        other => return Err(Error::Invalid(format!("locale: vi or en, not {other}"))),
    };
    let order_info = order_info(&request.description, &request.reference);
    let pay = PayRequest {
        tmn_code: &config.tmn_code,
        // VND has no minor unit: the minor amount is the đồng.
        amount_vnd: request.amount.minor,
        txn_ref: &request.reference,
        order_info: &order_info,
        order_type: ORDER_TYPE,
        locale,
        return_url: &request.return_url,
        ip: &request.buyer_ip,
        created: at(request.created_at_ms, "created-at-ms")?,
        expires: at(request.expires_at_ms, "expires-at-ms")?,
        bank_code: bank_code(request.method),
    };
    let url = vnpay::pay_url(base, &config.hash_secret, &pay).map_err(invalid)?;
    Ok(Started {
        next: NextStep::Redirect(url),
        provider_reference: None,
    })
}

/// `vnp_OrderInfo` for an attempt: its description folded to plain text, or, when nothing of
/// it survives folding, a sentence naming the reference.
pub fn order_info(description: &str, reference: &str) -> String {
    match fold::plain(description) {
        folded if folded.is_empty() => format!("Thanh toan {reference}"),
        folded => folded,
    }
}

/// `vnp_BankCode` for a method; `None` lets the buyer pick on VNPay's page.
pub fn bank_code(method: Method) -> Option<&'static str> {
    match method {
        Method::Any => None,
        Method::Qr => Some("VNPAYQR"),
        Method::Bank => Some("VNBANK"),
        Method::Card => Some("INTCARD"),
    }
}

/// Unix milliseconds as a time, or why `field` is not one.
pub fn at(ms: i64, field: &str) -> Result<DateTime<Utc>, Error> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| Error::Invalid(format!("{field}: {ms} is not a time")))
}

/// A request outside VNPay's rules, as the gateway error says it.
pub fn invalid(e: protocols::Invalid) -> Error {
    Error::Invalid(format!("{}: {}", e.field, e.rule))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::souk::payment::types::Money;
    use protocols::vnpay::{format_time, hash_matches, signed_query};

    const SECRET: &str = "TESTSECRET0123456789ABCDEFGHIJKL";
    const BASE: &str = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html";

    fn config() -> Config {
        Config::new("SOUKTEST", SECRET, BASE, "https://sandbox.vnpayment.vn/api").unwrap()
    }

    fn request() -> StartRequest {
        StartRequest {
            reference: "0190a1b2c3d4e5f60718293a4b5c6d7e".to_string(),
            amount: Money {
                minor: 250_000,
                currency: "VND".to_string(),
            },
            description: "Đơn hàng #42 — Áo thun".to_string(),
            method: Method::Qr,
            return_url: "https://souk.example/payments/return".to_string(),
            buyer_ip: "203.0.113.7".to_string(),
            locale: "vi".to_string(),
            created_at_ms: 1_767_268_800_000,
            expires_at_ms: 1_767_268_800_000 + 15 * 60_000,
        }
    }

    fn url(request: &StartRequest) -> Result<String, Error> {
        match start(&config(), request)?.next {
            NextStep::Redirect(url) => Ok(url),
            other => panic!("not a redirect: {other:?}"),
        }
    }

    #[test]
    fn a_start_url_is_one_vnpay_s_payment_page_verifies_and_reads_as_sent() {
        let url = url(&request()).unwrap();
        let (base, query) = url.split_once('?').unwrap();
        assert_eq!(base, BASE);
        let params = protocols::form::parse(query).unwrap();
        let signed = signed_query(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        assert!(hash_matches(SECRET, &signed, &params["vnp_SecureHash"]));
        assert!(!hash_matches(
            "ANOTHERSECRET",
            &signed,
            &params["vnp_SecureHash"]
        ));
        let field = |name: &str| params[name].as_str();
        assert_eq!(field("vnp_TmnCode"), "SOUKTEST");
        assert_eq!(field("vnp_Amount"), "25000000");
        assert_eq!(field("vnp_CurrCode"), "VND");
        assert_eq!(field("vnp_TxnRef"), "0190a1b2c3d4e5f60718293a4b5c6d7e");
        assert_eq!(field("vnp_OrderInfo"), "Don hang 42 Ao thun");
        assert_eq!(field("vnp_Locale"), "vn");
        assert_eq!(field("vnp_BankCode"), "VNPAYQR");
        assert_eq!(field("vnp_IpAddr"), "203.0.113.7");
        // 2026-01-01 12:00 UTC is 19:00 in GMT+7.
        assert_eq!(field("vnp_CreateDate"), "20260101190000");
        assert_eq!(field("vnp_ExpireDate"), "20260101191500");
        assert!(
            !params.contains_key("vnp_SecureHashType"),
            "2.1.0 sends none"
        );
    }

    #[test]
    fn each_method_names_its_bank_code_and_any_lets_the_buyer_pick() {
        for (method, code) in [
            (Method::Qr, Some("VNPAYQR")),
            (Method::Bank, Some("VNBANK")),
            (Method::Card, Some("INTCARD")),
            (Method::Any, None),
        ] {
            let url = url(&StartRequest {
                method,
                ..request()
            })
            .unwrap();
            let params = protocols::form::parse(url.split_once('?').unwrap().1).unwrap();
            assert_eq!(params.get("vnp_BankCode").map(String::as_str), code);
        }
    }

    #[test]
    fn a_description_nothing_survives_of_is_replaced_by_the_reference() {
        assert_eq!(order_info("🎁🎁", "a1"), "Thanh toan a1");
        assert_eq!(order_info("Quà tặng", "a1"), "Qua tang");
    }

    #[test]
    fn starts_outside_vnpay_s_rules_are_invalid_and_name_why() {
        let invalid = |r: StartRequest| match url(&r) {
            Err(Error::Invalid(why)) => why,
            other => panic!("not invalid: {other:?}"),
        };
        let usd = StartRequest {
            amount: Money {
                minor: 1_000,
                currency: "USD".to_string(),
            },
            ..request()
        };
        assert_eq!(invalid(usd), "VNPay takes VND only, not USD");
        let dashed = StartRequest {
            reference: "a1-b2".to_string(),
            ..request()
        };
        assert_eq!(invalid(dashed), "reference: 1 to 100 letters and digits");
        let french = StartRequest {
            locale: "fr".to_string(),
            ..request()
        };
        assert_eq!(invalid(french), "locale: vi or en, not fr");
        let free = StartRequest {
            amount: Money {
                minor: 0,
                currency: "VND".to_string(),
            },
            ..request()
        };
        assert!(invalid(free).starts_with("amount: "));
        let late = StartRequest {
            expires_at_ms: request().created_at_ms,
            ..request()
        };
        assert!(invalid(late).starts_with("expires: "));
    }

    #[test]
    fn without_a_payment_page_the_gateway_is_misconfigured() {
        let config = Config::new("SOUKTEST", SECRET, "", "").unwrap();
        let Err(Error::Misconfigured(why)) = start(&config, &request()) else {
            panic!("started without a payment page");
        };
        assert!(why.contains("vnpay_pay_url"));
        assert!(!why.contains(SECRET));
        assert_eq!(format_time(at(0, "t").unwrap()), "19700101070000");
    }
}

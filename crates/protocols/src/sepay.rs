//! SePay's payment gateway as both sides speak it: the checkout form the buyer's browser posts
//! to SePay, its signature, and the IPN SePay posts back.
//!
//! The form is signed, not its transport: the fields SePay allows to be signed that the form
//! has, in the order the form sends them, as raw `name=value` pairs joined with `,`; the
//! signature is the standard base64 (padded) HMAC-SHA256 of that string under the merchant's
//! secret key. Souk sends the fields in one fixed order ([`SIGNED_ORDER`]), so the order it
//! signs in is the order it submits in. The IPN carries no signature: SePay sends the secret
//! configured for the IPN in the `X-Secret-Key` header ([`crate::secret_matches`]), and expects
//! HTTP 200 (Souk answers `{"success":true}`).
//!
//! Amounts are whole đồng written as decimal strings (`100000`; the IPN writes `50000.00`).

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{Invalid, check};

/// The only currency SePay takes.
pub const CURRENCY: &str = "VND";

/// The fields SePay signs, in the order Souk sends and signs them.
pub const SIGNED_ORDER: [&str; 11] = [
    "merchant",
    "operation",
    "payment_method",
    "order_amount",
    "currency",
    "order_invoice_number",
    "order_description",
    "customer_id",
    "success_url",
    "error_url",
    "cancel_url",
];

/// The signature of the form `fields` (in submission order): the allowed ones with a value.
pub fn signature(secret: &str, fields: &[(&str, &str)]) -> String {
    let signed: Vec<String> = fields
        .iter()
        .filter(|(name, value)| SIGNED_ORDER.contains(name) && !value.is_empty())
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(signed.join(",").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// How the buyer pays on SePay's page; `None` in a checkout lets them choose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// A card.
    Card,
    /// A bank transfer (VietQR).
    BankTransfer,
    /// A transfer through NAPAS.
    NapasBankTransfer,
}

impl Method {
    /// SePay's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Card => "CARD",
            Method::BankTransfer => "BANK_TRANSFER",
            Method::NapasBankTransfer => "NAPAS_BANK_TRANSFER",
        }
    }
}

/// A one-time purchase to send a buyer to SePay for.
#[derive(Clone, Debug)]
pub struct Checkout<'a> {
    /// The merchant id SePay issued (`SP-…`).
    pub merchant: &'a str,
    /// Đồng, above 0.
    pub amount_vnd: i64,
    /// The attempt's reference: `[A-Za-z0-9_-]`, 1 to 100 (`order_invoice_number`).
    pub invoice_number: &'a str,
    /// What is paid for.
    pub description: &'a str,
    /// How, or `None` for the buyer's choice.
    pub method: Option<Method>,
    /// Where the browser goes after paying.
    pub success_url: &'a str,
    /// After a failure.
    pub error_url: &'a str,
    /// After cancelling.
    pub cancel_url: &'a str,
}

/// The form fields (in submission order, `signature` last) that start checkout `c`.
pub fn checkout_form(secret: &str, c: &Checkout<'_>) -> Result<Vec<(String, String)>, Invalid> {
    check(c.amount_vnd > 0, "amount", "above 0")?;
    let reference_ok = (1..=100).contains(&c.invoice_number.len())
        && c.invoice_number
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    check(
        reference_ok,
        "reference",
        "1 to 100 letters, digits, _ and -",
    )?;
    // A comma would make the signed string ambiguous.
    check(
        !c.description.is_empty() && !c.description.contains(','),
        "description",
        "a text without commas",
    )?;
    let amount = c.amount_vnd.to_string();
    let method = c.method.map_or("", Method::as_str);
    let fields: Vec<(&str, &str)> = vec![
        ("merchant", c.merchant),
        ("operation", "PURCHASE"),
        ("payment_method", method),
        ("order_amount", &amount),
        ("currency", CURRENCY),
        ("order_invoice_number", c.invoice_number),
        ("order_description", c.description),
        ("success_url", c.success_url),
        ("error_url", c.error_url),
        ("cancel_url", c.cancel_url),
    ];
    let signature = signature(secret, &fields);
    let mut form: Vec<(String, String)> = fields
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    form.push(("signature".to_string(), signature));
    Ok(form)
}

/// How an attempt ended, as an IPN says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `ORDER_PAID` with order status `CAPTURED`.
    Paid,
    /// A paid transaction voided (`TRANSACTION_VOID`).
    Voided,
    /// Any other status: not paid.
    NotPaid,
}

/// A read IPN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    /// The attempt's reference (`order.order_invoice_number`).
    pub invoice_number: String,
    /// Đồng (`order.order_amount`).
    pub amount_vnd: i64,
    /// How it ended.
    pub outcome: Outcome,
    /// SePay's transaction id, when it names one.
    pub transaction_id: Option<String>,
}

/// Whole đồng from SePay's decimal text (`50000`, `50000.00`); `None` for anything else,
/// fractions of a đồng included.
pub fn parse_amount(s: &str) -> Option<i64> {
    let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 15 || !digits(whole) || !digits(fraction) {
        return None;
    }
    if fraction.bytes().any(|b| b != b'0') {
        return None;
    }
    whole.parse().ok()
}

/// Reads an IPN body; `Err` names what is missing or malformed.
pub fn read_ipn(body: &serde_json::Value) -> Result<Notification, &'static str> {
    let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
    let order = &body["order"];
    let invoice_number = text(&order["order_invoice_number"])
        .filter(|s| !s.is_empty())
        .ok_or("order.order_invoice_number")?;
    let amount = match &order["order_amount"] {
        serde_json::Value::String(s) => parse_amount(s),
        serde_json::Value::Number(n) => n.as_i64(),
        _ => None,
    }
    .ok_or("order.order_amount")?;
    if text(&order["order_currency"]).is_some_and(|c| c != CURRENCY) {
        return Err("order.order_currency");
    }
    let kind = text(&body["notification_type"]).ok_or("notification_type")?;
    let status = text(&order["order_status"]).unwrap_or_default();
    let outcome = match (kind.as_str(), status.as_str()) {
        ("TRANSACTION_VOID", _) => Outcome::Voided,
        ("ORDER_PAID", "CAPTURED") => Outcome::Paid,
        _ => Outcome::NotPaid,
    };
    let transaction = &body["transaction"];
    let transaction_id = text(&transaction["transaction_id"])
        .or_else(|| transaction["id"].as_i64().map(|n| n.to_string()))
        .or_else(|| text(&transaction["id"]));
    Ok(Notification {
        invoice_number,
        amount_vnd: amount,
        outcome,
        transaction_id,
    })
}

/// What Souk answers an IPN it accepted, with HTTP 200.
pub const IPN_REPLY: &str = r#"{"success":true}"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_matches_the_reference_vector() {
        let fields = [
            ("merchant", "SP-TEST-XXXX"),
            ("operation", "PURCHASE"),
            ("payment_method", "BANK_TRANSFER"),
            ("order_amount", "100000"),
            ("currency", "VND"),
            ("order_invoice_number", "INV_001"),
            ("order_description", "Thanh toan don INV_001"),
            ("success_url", "https://shop.example/success"),
        ];
        assert_eq!(
            signature("spsk_test_FAKEFAKEFAKE", &fields),
            "01mZJnyYViueJCo1YK+I1ETuqFW2vkP5XxftajDii5c="
        );
        // Unsigned and empty fields change nothing; order does.
        let mut more = fields.to_vec();
        more.push(("custom_data", "x"));
        more.push(("error_url", ""));
        assert_eq!(
            signature("spsk_test_FAKEFAKEFAKE", &more),
            "01mZJnyYViueJCo1YK+I1ETuqFW2vkP5XxftajDii5c="
        );
        let mut swapped = fields.to_vec();
        swapped.swap(0, 1);
        assert_ne!(
            signature("spsk_test_FAKEFAKEFAKE", &swapped),
            "01mZJnyYViueJCo1YK+I1ETuqFW2vkP5XxftajDii5c="
        );
    }

    fn checkout() -> Checkout<'static> {
        Checkout {
            merchant: "SP-TEST-XXXX",
            amount_vnd: 100_000,
            invoice_number: "INV_001",
            description: "Thanh toan don INV_001",
            method: Some(Method::BankTransfer),
            success_url: "https://shop.example/success",
            error_url: "",
            cancel_url: "",
        }
    }

    #[test]
    fn the_checkout_form_is_sent_in_the_order_it_is_signed() {
        let form = checkout_form("spsk_test_FAKEFAKEFAKE", &checkout()).unwrap();
        let names: Vec<&str> = form.iter().map(|(n, _)| n.as_str()).collect();
        // The signed fields it has, in signing order, then the signature.
        let unsent = ["customer_id", "error_url", "cancel_url"];
        let signed = SIGNED_ORDER.iter().filter(|n| !unsent.contains(n));
        let want: Vec<&str> = signed.copied().chain(["signature"]).collect();
        assert_eq!(names, want);
        assert_eq!(
            form.last().unwrap().1,
            "01mZJnyYViueJCo1YK+I1ETuqFW2vkP5XxftajDii5c="
        );
        let bad = |c: Checkout<'static>| checkout_form("k", &c).err().map(|e| e.field);
        assert_eq!(
            bad(Checkout {
                amount_vnd: 0,
                ..checkout()
            }),
            Some("amount")
        );
        assert_eq!(
            bad(Checkout {
                invoice_number: "INV 1",
                ..checkout()
            }),
            Some("reference")
        );
        assert_eq!(
            bad(Checkout {
                description: "a, b",
                ..checkout()
            }),
            Some("description")
        );
    }

    #[test]
    fn an_ipn_is_read_whatever_its_outcome() {
        let body = serde_json::json!({
            "timestamp": 1_759_134_682,
            "notification_type": "ORDER_PAID",
            "order": { "order_status": "CAPTURED", "order_currency": "VND",
                       "order_amount": "100000.00", "order_invoice_number": "INV_001" },
            "transaction": { "id": 384, "transaction_id": "68da43da2d9de",
                             "transaction_status": "APPROVED" },
        });
        assert_eq!(
            read_ipn(&body),
            Ok(Notification {
                invoice_number: "INV_001".into(),
                amount_vnd: 100_000,
                outcome: Outcome::Paid,
                transaction_id: Some("68da43da2d9de".into()),
            })
        );
        let mut declined = body.clone();
        declined["order"]["order_status"] = "DECLINED".into();
        assert_eq!(read_ipn(&declined).unwrap().outcome, Outcome::NotPaid);
        let mut void = body.clone();
        void["notification_type"] = "TRANSACTION_VOID".into();
        assert_eq!(read_ipn(&void).unwrap().outcome, Outcome::Voided);
        let mut dollars = body.clone();
        dollars["order"]["order_currency"] = "USD".into();
        assert_eq!(read_ipn(&dollars), Err("order.order_currency"));
        let mut cents = body;
        cents["order"]["order_amount"] = "100000.50".into();
        assert_eq!(read_ipn(&cents), Err("order.order_amount"));
    }

    #[test]
    fn amounts_are_whole_dong() {
        assert_eq!(parse_amount("50000"), Some(50_000));
        assert_eq!(parse_amount("50000.00"), Some(50_000));
        for bad in ["", ".00", "50000.5", "-1", "5e4", "1,000"] {
            assert_eq!(parse_amount(bad), None, "{bad}");
        }
    }
}

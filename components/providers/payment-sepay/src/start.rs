//! Beginning an attempt: the signed checkout form the buyer's browser posts to SePay, and the
//! return URLs SePay sends the browser back to.

use protocols::sepay::{self, Checkout};

use crate::config::Config;
use crate::souk::payment::types::{Error, Form, Method, NextStep, StartRequest, Started};

/// How the browser came back, as the return URL's `result` parameter says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Back {
    /// From `success_url`.
    Success,
    /// From `error_url`.
    Error,
    /// From `cancel_url`.
    Cancel,
}

impl Back {
    fn as_str(self) -> &'static str {
        match self {
            Back::Success => "success",
            Back::Error => "error",
            Back::Cancel => "cancel",
        }
    }
}

/// `url` with `result=…` added to its query, before any fragment.
pub fn return_url(url: &str, result: Back) -> String {
    let (base, fragment) = match url.find('#') {
        Some(at) => url.split_at(at),
        None => (url, ""),
    };
    let joiner = match base.find('?') {
        None => "?",
        Some(_) if base.ends_with('?') || base.ends_with('&') => "",
        Some(_) => "&",
    };
    format!("{base}{joiner}result={}{fragment}", result.as_str())
}

/// SePay's method for Souk's; `None` lets the buyer choose on SePay's page.
pub fn method(m: Method) -> Option<sepay::Method> {
    match m {
        Method::Any => None,
        Method::Qr => Some(sepay::Method::BankTransfer),
        Method::Bank => Some(sepay::Method::NapasBankTransfer),
        Method::Card => Some(sepay::Method::Card),
    }
}

/// `s` as a form value SePay can verify: a comma would make the signed string ambiguous (and
/// is refused), and a browser posts a line break as CRLF whatever the form said, which would
/// break the signature; both become harmless, the text otherwise unchanged (SePay shows
/// Vietnamese as it is).
pub fn form_text(s: &str) -> String {
    let text: String = s
        .chars()
        .map(|c| match c {
            ',' => ';',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    text.trim().to_string()
}

/// The form that starts `request`, and what the buyer's browser must do with it.
pub fn start(config: &Config, request: &StartRequest) -> Result<Started, Error> {
    if request.amount.currency != sepay::CURRENCY {
        return Err(Error::Invalid(format!(
            "SePay takes VND only, not {}",
            request.amount.currency
        )));
    }
    let back = request.return_url.as_str();
    if !(back.starts_with("https://") || back.starts_with("http://")) {
        return Err(Error::Invalid(
            "return-url: an http(s) URL the browser comes back to".to_string(),
        ));
    }
    let (success, error, cancel) = (
        return_url(back, Back::Success),
        return_url(back, Back::Error),
        return_url(back, Back::Cancel),
    );
    let description = form_text(&request.description);
    let checkout = Checkout {
        merchant: &config.merchant_id,
        amount_vnd: request.amount.minor,
        invoice_number: &request.reference,
        description: &description,
        method: method(request.method),
        success_url: &success,
        error_url: &error,
        cancel_url: &cancel,
    };
    let fields = sepay::checkout_form(&config.secret_key, &checkout)
        .map_err(|e| Error::Invalid(format!("{}: {}", e.field, e.rule)))?;
    Ok(Started {
        next: NextStep::PostForm(Form {
            action: config.checkout_url.clone(),
            fields,
        }),
        // SePay names the order only in its IPN and API; Souk's reference is its key.
        provider_reference: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::config;
    use crate::souk::payment::types::Money;

    fn request() -> StartRequest {
        StartRequest {
            reference: "att_01J9Z".into(),
            amount: Money {
                minor: 120_000,
                currency: "VND".into(),
            },
            description: "Souk order 7, 2 items".into(),
            method: Method::Qr,
            return_url: "https://souk.example/orders/7/payment".into(),
            buyer_ip: "203.0.113.9".into(),
            locale: "vi".into(),
            created_at_ms: 1_759_134_682_000,
            expires_at_ms: 1_759_135_582_000,
        }
    }

    fn form(started: Started) -> Form {
        match started.next {
            NextStep::PostForm(form) => form,
            _ => panic!("SePay's checkout is a posted form"),
        }
    }

    #[test]
    fn the_start_form_verifies_with_the_signature_rule() {
        let form = form(start(&config(), &request()).unwrap());
        assert_eq!(form.action, "https://pay-sandbox.sepay.vn/v1/checkout/init");
        let (signature, signed) = form.fields.split_last().unwrap();
        assert_eq!(signature.0, "signature");
        let pairs: Vec<(&str, &str)> = signed
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            signature.1,
            sepay::signature("spsk_test_FAKEFAKEFAKE", &pairs),
            "signed over the fields in the order they are posted"
        );
        let field = |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        assert_eq!(field("merchant"), Some("SP-TEST-XXXX"));
        assert_eq!(field("order_amount"), Some("120000"));
        assert_eq!(field("currency"), Some("VND"));
        assert_eq!(field("order_invoice_number"), Some("att_01J9Z"));
        assert_eq!(field("payment_method"), Some("BANK_TRANSFER"));
        assert_eq!(field("order_description"), Some("Souk order 7; 2 items"));
    }

    #[test]
    fn the_start_form_names_sepay_s_method_or_none_for_any() {
        let cases = [
            (Method::Any, None),
            (Method::Qr, Some("BANK_TRANSFER")),
            (Method::Bank, Some("NAPAS_BANK_TRANSFER")),
            (Method::Card, Some("CARD")),
        ];
        for (m, want) in cases {
            let r = StartRequest {
                method: m,
                ..request()
            };
            let form = form(start(&config(), &r).unwrap());
            let got = form.fields.iter().find(|(n, _)| n == "payment_method");
            assert_eq!(got.map(|(_, v)| v.as_str()), want, "{m:?}");
        }
    }

    #[test]
    fn return_urls_carry_the_result_whether_or_not_they_have_a_query() {
        let cases = [
            (
                "https://s.example/pay",
                "https://s.example/pay?result=success",
            ),
            (
                "https://s.example/pay?o=7",
                "https://s.example/pay?o=7&result=success",
            ),
            (
                "https://s.example/pay?",
                "https://s.example/pay?result=success",
            ),
            (
                "https://s.example/pay?o=7&",
                "https://s.example/pay?o=7&result=success",
            ),
            (
                "https://s.example/pay#top",
                "https://s.example/pay?result=success#top",
            ),
            (
                "https://s.example/p?o=7#t",
                "https://s.example/p?o=7&result=success#t",
            ),
        ];
        for (url, want) in cases {
            assert_eq!(return_url(url, Back::Success), want, "{url}");
        }
        let form = form(start(&config(), &request()).unwrap());
        let field = |name: &str| {
            form.fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let base = "https://souk.example/orders/7/payment";
        assert_eq!(field("success_url"), Some(format!("{base}?result=success")));
        assert_eq!(field("error_url"), Some(format!("{base}?result=error")));
        assert_eq!(field("cancel_url"), Some(format!("{base}?result=cancel")));
    }

    #[test]
    fn starts_sepay_cannot_take_are_refused_as_invalid() {
        let dollars = StartRequest {
            amount: Money {
                minor: 500,
                currency: "USD".into(),
            },
            ..request()
        };
        let nothing = StartRequest {
            amount: Money {
                minor: 0,
                currency: "VND".into(),
            },
            ..request()
        };
        let spaced = StartRequest {
            reference: "att 1".into(),
            ..request()
        };
        let nowhere = StartRequest {
            return_url: "/orders/7".into(),
            ..request()
        };
        for r in [dollars, nothing, spaced, nowhere] {
            assert!(
                matches!(start(&config(), &r), Err(Error::Invalid(_))),
                "{r:?}"
            );
        }
    }

    #[test]
    fn form_texts_lose_commas_and_line_breaks_only() {
        assert_eq!(form_text(" Áo dài, đỏ\r\nsize M "), "Áo dài; đỏ  size M");
        assert_eq!(form_text("Đơn hàng #7"), "Đơn hàng #7");
    }
}

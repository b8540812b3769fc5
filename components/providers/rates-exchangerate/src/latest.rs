//! One request for the latest rates: the base it asks for, its URL, and its answer read into
//! the WIT's `rates` — rates in units of 10⁻¹² (protocols' [`Rate`], exactly the WIT's `rate`),
//! times in Unix milliseconds.
//!
//! The provider refuses an unknown base with `{"result": "error", "error-type":
//! "unsupported-code"}` (with HTTP 404), so an error body is read whatever the status.

use outbound::{Answer, Failure};
use protocols::rates::{self, Rate, read_latest};

use crate::config::Config;
use crate::{Error, Quote, Rates};

/// The most of a refused code quoted back.
const MAX_SHOWN: usize = 16;

/// An ISO 4217-shaped currency code: three ASCII letters, upper case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Base(String);

fn is_code(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

impl Base {
    /// `code` as a base, upper-cased; anything but three ASCII letters is
    /// `unsupported-currency`.
    pub fn parse(code: &str) -> Result<Base, Error> {
        let upper = code.trim().to_ascii_uppercase();
        if is_code(&upper) {
            Ok(Base(upper))
        } else {
            let shown: String = code.chars().take(MAX_SHOWN).collect();
            Err(Error::UnsupportedCurrency(format!(
                "`{shown}` is not a currency code (three letters, ISO 4217)"
            )))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The URL of the latest rates against `base`.
pub fn url(config: &Config, base: &Base) -> String {
    format!("{}/v6/latest/{}", config.rates_url, base.0)
}

/// The error of a request that got no answer.
pub fn failure(e: &Failure) -> Error {
    match e {
        // A URL or host the component may not call: the configuration, not the provider.
        Failure::Invalid(m) => Error::Misconfigured(m.clone()),
        Failure::Timeout(m) | Failure::Unreachable(m) => Error::Unavailable(m.clone()),
    }
}

/// The rates `answer` gives for `base`, fetched at `fetched_at_ms`.
pub fn read(
    answer: &Answer,
    base: &Base,
    config: &Config,
    fetched_at_ms: i64,
) -> Result<Rates, Error> {
    let status = answer.status;
    let what = format!("the rates provider at {}", config.source);
    let unavailable = |why: String| Error::Unavailable(format!("{what} {why}"));
    let json = answer
        .json()
        .map_err(|e| unavailable(format!("failed: {e}")))?;
    let latest = match read_latest(&json) {
        Ok(latest) if (200..300).contains(&status) => latest,
        Ok(_) => return Err(unavailable(format!("answered HTTP {status}"))),
        Err(rates::Failure::Refused(kind)) if kind == "unsupported-code" => {
            return Err(Error::UnsupportedCurrency(format!(
                "{} does not quote {}",
                config.source, base.0
            )));
        }
        Err(rates::Failure::Refused(kind)) => {
            return Err(unavailable(format!(
                "refused the request (HTTP {status}): {kind}"
            )));
        }
        Err(rates::Failure::Malformed(field)) => {
            return Err(unavailable(format!(
                "answered HTTP {status} without a valid `{field}`"
            )));
        }
    };
    if latest.base != base.0 {
        return Err(unavailable(format!(
            "answered the rates of {} when asked for {}",
            latest.base, base.0
        )));
    }
    if latest.rates.is_empty() {
        return Err(unavailable("answered no rates".to_string()));
    }
    if let Some(code) = latest.rates.keys().find(|code| !is_code(code)) {
        return Err(unavailable(format!(
            "answered a rate for `{code}`, not a currency code"
        )));
    }
    Ok(Rates {
        base: latest.base,
        quotes: latest
            .rates
            .into_iter()
            .map(|(currency, Rate(rate))| Quote { currency, rate })
            .collect(),
        published_at_ms: latest.updated_at.timestamp_millis(),
        fetched_at_ms,
        next_at_ms: latest.next_update_at.map(|t| t.timestamp_millis()),
        source: config.source.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::read(|_| Some("https://open.er-api.com".into())).unwrap()
    }

    fn answer(status: u16, body: serde_json::Value) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: body.to_string().into_bytes(),
        }
    }

    fn usd() -> serde_json::Value {
        serde_json::json!({
            "result": "success", "provider": "https://www.exchangerate-api.com",
            "documentation": "https://www.exchangerate-api.com/docs/free",
            "time_last_update_unix": 1_764_720_151, "time_next_update_unix": 1_764_807_741,
            "time_eol_unix": 0, "base_code": "USD",
            "rates": { "USD": 1, "VND": 25_400.5, "EUR": 0.92, "JPY": 155.0 },
        })
    }

    fn base(code: &str) -> Base {
        Base::parse(code).unwrap()
    }

    #[test]
    fn a_base_is_three_letters_upper_cased() {
        assert_eq!(base(" usd ").as_str(), "USD");
        assert_eq!(base("Vnd").as_str(), "VND");
        for bad in ["", "US", "USDT", "U$D", "12A", "ĐỒN", "us d"] {
            assert!(
                matches!(Base::parse(bad), Err(Error::UnsupportedCurrency(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_url_names_the_base_under_v6_latest() {
        assert_eq!(
            url(&config(), &base("usd")),
            "https://open.er-api.com/v6/latest/USD"
        );
    }

    #[test]
    fn an_answer_is_read_into_exact_quotes_with_its_times_and_source() {
        let rates = read(
            &answer(200, usd()),
            &base("USD"),
            &config(),
            1_764_730_000_123,
        )
        .unwrap();
        assert_eq!(rates.base, "USD");
        let quote = |code: &str| {
            rates
                .quotes
                .iter()
                .find(|q| q.currency == code)
                .unwrap()
                .rate
        };
        assert_eq!(quote("VND"), 25_400_500_000_000_000);
        assert_eq!(quote("USD"), rates::RATE_SCALE);
        assert_eq!(quote("EUR"), 920_000_000_000);
        let codes: Vec<&str> = rates.quotes.iter().map(|q| q.currency.as_str()).collect();
        assert_eq!(codes, ["EUR", "JPY", "USD", "VND"], "sorted by code");
        assert_eq!(rates.published_at_ms, 1_764_720_151_000);
        assert_eq!(rates.next_at_ms, Some(1_764_807_741_000));
        assert_eq!(rates.fetched_at_ms, 1_764_730_000_123);
        assert_eq!(rates.source, "open.er-api.com");
    }

    #[test]
    fn an_answer_without_a_next_update_has_none() {
        let mut v = usd();
        v.as_object_mut().unwrap().remove("time_next_update_unix");
        let rates = read(&answer(200, v), &base("USD"), &config(), 0).unwrap();
        assert_eq!(rates.next_at_ms, None);
    }

    #[test]
    fn an_unsupported_code_is_an_unsupported_currency_whatever_the_status() {
        let refused = serde_json::json!({ "result": "error", "error-type": "unsupported-code" });
        for status in [200, 404] {
            match read(&answer(status, refused.clone()), &base("XYZ"), &config(), 0) {
                Err(Error::UnsupportedCurrency(m)) => assert!(m.contains("XYZ"), "{m}"),
                other => panic!("{status}: {other:?}"),
            }
        }
    }

    #[test]
    fn other_refusals_and_malformed_answers_are_unavailable() {
        let unavailable = |a: Answer, code: &str| {
            matches!(
                read(&a, &base(code), &config(), 0),
                Err(Error::Unavailable(_))
            )
        };
        let refused = serde_json::json!({ "result": "error", "error-type": "malformed-request" });
        assert!(unavailable(answer(400, refused), "USD"));
        assert!(unavailable(
            answer(200, serde_json::json!({ "result": "success" })),
            "USD"
        ));
        assert!(
            unavailable(answer(503, usd()), "USD"),
            "a success body with a 503"
        );
        assert!(
            unavailable(answer(200, usd()), "EUR"),
            "the rates of another base"
        );
        let mut nonsense = usd();
        nonsense["rates"]["usd?"] = serde_json::json!(1);
        assert!(unavailable(answer(200, nonsense), "USD"));
        let mut none = usd();
        none["rates"] = serde_json::json!({});
        assert!(unavailable(answer(200, none), "USD"));
        let html = Answer {
            status: 502,
            headers: Vec::new(),
            body: b"<html>Bad gateway</html>".to_vec(),
        };
        assert!(unavailable(html, "USD"));
    }

    #[test]
    fn a_request_that_got_no_answer_is_unavailable_unless_the_host_is_refused() {
        assert!(matches!(
            failure(&Failure::Timeout("GET …: timed out".into())),
            Error::Unavailable(_)
        ));
        assert!(matches!(
            failure(&Failure::Unreachable("GET …: reset".into())),
            Error::Unavailable(_)
        ));
        assert!(matches!(
            failure(&Failure::Invalid("not in allowed_outbound_hosts".into())),
            Error::Misconfigured(_)
        ));
    }
}

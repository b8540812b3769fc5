//! The component's settings, read once per call from Spin variables.

/// The merchant's VNPay terminal and where VNPay is reached. Its `Debug` leaves the secret
/// out.
#[derive(Clone)]
pub struct Config {
    /// `vnp_TmnCode`: the terminal VNPay issued the merchant.
    pub tmn_code: String,
    /// `vnp_HashSecret`: what both sides sign with. Never written to an error or a log.
    pub hash_secret: String,
    pay_url: String,
    api_url: String,
}

/// Where the merchant API answers, below `vnpay_api_url` (scheme://host[:port], as Spin's
/// `allowed_outbound_hosts` takes it).
const API_PATH: &str = "/merchant_webapi/api/transaction";

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("tmn_code", &self.tmn_code)
            .field("pay_url", &self.pay_url)
            .field("api_url", &self.api_url)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// The settings in the consumer's Spin variables; `Err` names the one that is missing.
    pub fn load() -> Result<Config, String> {
        // An undeclared variable and an empty one are the same mistake to the operator.
        let var = |name: &str| spin_sdk::variables::get(name).unwrap_or_default();
        Config::new(
            &var("vnpay_tmn_code"),
            &var("vnpay_hash_secret"),
            &var("vnpay_pay_url"),
            &var("vnpay_api_url"),
        )
    }

    /// Settings from their values. The terminal and the secret are required by every call;
    /// an empty secret in particular would make a valid signature anyone can compute.
    pub fn new(
        tmn_code: &str,
        hash_secret: &str,
        pay_url: &str,
        api_url: &str,
    ) -> Result<Config, String> {
        Ok(Config {
            tmn_code: required(tmn_code, "vnpay_tmn_code")?.to_string(),
            hash_secret: required(hash_secret, "vnpay_hash_secret")?.to_string(),
            pay_url: pay_url.trim().to_string(),
            api_url: api_url.trim().to_string(),
        })
    }

    /// The payment page buyers are sent to (`vnpay_pay_url`).
    pub fn pay_url(&self) -> Result<&str, String> {
        required(&self.pay_url, "vnpay_pay_url")
    }

    /// The merchant API that answers `querydr` and `refund`: [`API_PATH`] on
    /// `vnpay_api_url`.
    pub fn api_url(&self) -> Result<String, String> {
        let base = required(&self.api_url, "vnpay_api_url")?;
        Ok(format!("{}{API_PATH}", base.trim_end_matches('/')))
    }
}

/// `value` trimmed, or why the component cannot work without variable `name`.
fn required<'a>(value: &'a str, name: &str) -> Result<&'a str, String> {
    match value.trim() {
        "" => Err(format!("the Spin variable `{name}` is not set")),
        set => Ok(set),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_terminal_or_secret_is_named_and_the_urls_are_asked_for_when_used() {
        assert_eq!(
            Config::new("SOUKTEST", " ", "", "").unwrap_err(),
            "the Spin variable `vnpay_hash_secret` is not set"
        );
        assert_eq!(
            Config::new("", "s3cret", "", "").unwrap_err(),
            "the Spin variable `vnpay_tmn_code` is not set"
        );
        let config = Config::new(
            "SOUKTEST",
            "s3cret",
            " https://pay.example/vpcpay.html ",
            "",
        )
        .unwrap();
        assert_eq!(config.pay_url(), Ok("https://pay.example/vpcpay.html"));
        assert_eq!(
            config.api_url(),
            Err("the Spin variable `vnpay_api_url` is not set".to_string())
        );
        let config =
            Config::new("SOUKTEST", "s3cret", "", "https://sandbox.vnpayment.vn/").unwrap();
        assert_eq!(
            config.api_url().unwrap(),
            "https://sandbox.vnpayment.vn/merchant_webapi/api/transaction"
        );
        assert!(!format!("{config:?}").contains("s3cret"));
    }
}

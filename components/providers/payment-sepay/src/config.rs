//! The provider's settings: Spin variables the consumer passes on, read into one struct.

use crate::souk::payment::types::Error;

/// What the provider needs for every call.
#[derive(Clone)]
pub struct Config {
    /// The merchant id SePay issued (`SP-…`).
    pub merchant_id: String,
    /// The merchant's secret key: signs checkout forms and authenticates API calls.
    pub secret_key: String,
    /// Where the buyer's browser posts the checkout form.
    pub checkout_url: String,
    /// The REST API base, without `/v1`.
    pub api_url: String,
    /// The secret SePay sends with each IPN in `X-Secret-Key`.
    pub ipn_secret: String,
}

impl std::fmt::Debug for Config {
    /// The secrets are never shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("merchant_id", &self.merchant_id)
            .field("checkout_url", &self.checkout_url)
            .field("api_url", &self.api_url)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Reads the variables; one that is unset or empty makes the provider misconfigured.
    pub fn load() -> Result<Config, Error> {
        Ok(Config {
            merchant_id: var("sepay_merchant_id")?,
            secret_key: var("sepay_secret_key")?,
            checkout_url: var("sepay_checkout_url")?,
            api_url: var("sepay_api_url")?,
            ipn_secret: var("sepay_ipn_secret")?,
        })
    }
}

/// The variable `name`, not empty. Errors name the variable, never a value: two are secrets.
fn var(name: &str) -> Result<String, Error> {
    use spin_sdk::variables::Error as VarError;
    match spin_sdk::variables::get(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value.trim().to_string()),
        Ok(_) | Err(VarError::Undefined(_)) => Err(Error::Misconfigured(format!(
            "the variable `{name}` is not set"
        ))),
        Err(VarError::InvalidName(_)) => Err(Error::Misconfigured(format!(
            "`{name}` is not a valid variable name"
        ))),
        // The provider's own text is left out: it could quote what it read.
        Err(VarError::Provider(_) | VarError::Other(_)) => Err(Error::Unavailable(format!(
            "the variable `{name}` could not be read from its provider"
        ))),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The settings the tests run with (SePay's documented sandbox hosts, fake secrets).
    pub(crate) fn config() -> Config {
        Config {
            merchant_id: "SP-TEST-XXXX".into(),
            secret_key: "spsk_test_FAKEFAKEFAKE".into(),
            checkout_url: "https://pay-sandbox.sepay.vn/v1/checkout/init".into(),
            api_url: "https://pgapi-sandbox.sepay.vn".into(),
            ipn_secret: "ipn-secret-for-tests".into(),
        }
    }

    #[test]
    fn the_config_never_shows_its_secrets() {
        let shown = format!("{:?}", config());
        assert!(shown.contains("SP-TEST-XXXX"), "{shown}");
        assert!(
            !shown.contains("FAKEFAKE") && !shown.contains("ipn-secret"),
            "{shown}"
        );
    }
}

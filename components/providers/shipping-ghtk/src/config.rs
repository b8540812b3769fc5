//! The provider's settings, read once per call from the Spin variables it inherits from its
//! consumer.

/// The Spin variables read, in the order they are checked.
pub const VARIABLES: [&str; 4] = [
    "ghtk_api_url",
    "ghtk_token",
    "ghtk_client_source",
    "ghtk_webhook_secret",
];

/// Where GHTK is and how Souk proves itself to it, and how GHTK proves itself to Souk.
///
/// Deliberately not `Debug`: it holds the token and the webhook secret, which no message or
/// log line may show.
pub struct Config {
    /// The API's base, without a trailing `/` (GHTK's staging is
    /// `https://services-staging.ghtklab.com`).
    pub api_url: String,
    /// Sent as `Token` with every call.
    pub token: String,
    /// The partner code, sent as `X-Client-Source` with every call.
    pub client_source: String,
    /// The `hash` of the callback URL Souk registers with GHTK, which GHTK signs nothing
    /// with: a webhook carrying it is GHTK's.
    pub webhook_secret: String,
}

impl Config {
    /// The settings from the component's Spin variables; `Err` says what is missing, to be
    /// answered as `misconfigured`.
    pub fn load() -> Result<Config, String> {
        Config::from_lookup(|name| spin_sdk::variables::get(name).ok())
    }

    /// The settings from `get` (a variable's value, `None` when it is not set). An unset or
    /// empty variable, or an API URL that is not http(s), is refused, named by the variable,
    /// never by its value.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, String> {
        let [api_url, token, client_source, webhook_secret] = VARIABLES.map(|name| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("the variable `{name}` is not set"))
        });
        let api_url = api_url?.trim_end_matches('/').to_string();
        if !(api_url.starts_with("https://") || api_url.starts_with("http://")) {
            return Err("the variable `ghtk_api_url` is not an http(s) URL".to_string());
        }
        Ok(Config {
            api_url,
            token: token?,
            client_source: client_source?,
            webhook_secret: webhook_secret?,
        })
    }

    /// The URL of `path` (which starts with `/`, its query included) on GHTK's API.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api_url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    const ALL: [(&str, &str); 4] = [
        ("ghtk_api_url", "https://services-staging.ghtklab.com/"),
        ("ghtk_token", "tok-secret"),
        ("ghtk_client_source", "S000000"),
        ("ghtk_webhook_secret", "hook-secret"),
    ];

    #[test]
    fn every_variable_is_read_and_the_url_loses_its_trailing_slash() {
        let config = Config::from_lookup(lookup(&ALL)).unwrap();
        assert_eq!(
            config.url("/services/shipment/fee"),
            "https://services-staging.ghtklab.com/services/shipment/fee"
        );
        assert_eq!(
            (config.token.as_str(), config.client_source.as_str()),
            ("tok-secret", "S000000")
        );
        assert_eq!(config.webhook_secret, "hook-secret");
    }

    #[test]
    fn a_missing_credential_is_refused_and_named_without_any_value() {
        for missing in VARIABLES {
            let rest: Vec<(&str, &str)> = ALL.into_iter().filter(|(k, _)| *k != missing).collect();
            let Err(message) = Config::from_lookup(lookup(&rest)) else {
                panic!("{missing} missing must be refused");
            };
            assert_eq!(message, format!("the variable `{missing}` is not set"));
        }
        let mut empty = ALL;
        empty[1] = ("ghtk_token", "  ");
        let Err(message) = Config::from_lookup(lookup(&empty)) else {
            panic!("an empty token must be refused");
        };
        assert!(message.contains("ghtk_token") && !message.contains("tok-secret"));
        let mut ftp = ALL;
        ftp[0] = ("ghtk_api_url", "ftp://ghtk.example");
        assert!(Config::from_lookup(lookup(&ftp)).is_err());
    }
}

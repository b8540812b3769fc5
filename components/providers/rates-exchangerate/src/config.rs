//! The provider's variable, read once per call into one checked [`Config`].

use crate::Error;

/// What the provider needs to know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The server, `http(s)://host[:port][/prefix]`, without a trailing `/`.
    pub rates_url: String,
    /// The URL's host (no scheme, credentials or port): who publishes the rates.
    pub source: String,
}

impl Config {
    /// The configuration from the component's Spin variables.
    pub fn from_spin() -> Result<Config, Error> {
        Config::read(|name| spin_sdk::variables::get(name).ok())
    }

    /// The configuration from `var`, which gives a variable's value (`None`: not defined).
    pub fn read(var: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        let rates_url = var("rates_url")
            .map(|v| v.trim().trim_end_matches('/').to_string())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| misconfigured("the variable `rates_url` is not set"))?;
        let source = host(&rates_url)
            .ok_or_else(|| {
                misconfigured("`rates_url` must be an http:// or https:// URL with a host")
            })?
            .to_string();
        Ok(Config { rates_url, source })
    }
}

fn misconfigured(message: &str) -> Error {
    Error::Misconfigured(format!("rates-exchangerate: {message}"))
}

/// The host of an `http(s)://` URL: without credentials or port (an IPv6 address keeps its
/// brackets); `None` for another scheme or no host.
pub fn host(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if authority.starts_with('[') {
        authority.split_inclusive(']').next().unwrap_or(authority)
    } else {
        authority.split(':').next().unwrap_or(authority)
    };
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(url: Option<&str>) -> Result<Config, Error> {
        Config::read(|name| {
            assert_eq!(name, "rates_url");
            url.map(str::to_string)
        })
    }

    #[test]
    fn the_url_is_trimmed_and_its_host_is_the_source() {
        let config = read(Some(" https://open.er-api.com/ ")).unwrap();
        assert_eq!(config.rates_url, "https://open.er-api.com");
        assert_eq!(config.source, "open.er-api.com");
        assert_eq!(
            read(Some("http://127.0.0.1:7070")).unwrap().source,
            "127.0.0.1"
        );
    }

    #[test]
    fn hosts_lose_their_credentials_ports_and_paths() {
        assert_eq!(
            host("https://u:p@rates.example:8443/api?x=1"),
            Some("rates.example")
        );
        assert_eq!(host("http://[::1]:7070/v6"), Some("[::1]"));
        assert_eq!(host("ftp://rates.example"), None);
        assert_eq!(host("https:///v6"), None);
    }

    #[test]
    fn a_missing_or_unusable_url_is_misconfigured() {
        for url in [
            None,
            Some(""),
            Some("  "),
            Some("open.er-api.com"),
            Some("https://"),
        ] {
            match read(url) {
                Err(Error::Misconfigured(m)) => assert!(m.contains("rates_url"), "{url:?}: {m}"),
                other => panic!("{url:?}: {other:?}"),
            }
        }
    }
}

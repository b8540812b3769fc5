//! The provider's variables, read once per call into one checked [`Config`]. Anything wrong
//! with them is `misconfigured`, naming the variable, never showing its value.

use std::fmt;
use std::time::Duration;

use protocols::nominatim::identifies_application;

use crate::Error;

/// The longest `geocoding_cache_hours` accepted: a year.
const MAX_CACHE_HOURS: u64 = 24 * 366;

/// What the provider needs to know.
#[derive(Clone, PartialEq)]
pub struct Config {
    /// The Nominatim server, `http(s)://host[:port][/prefix]`, without a trailing `/`.
    pub nominatim_url: String,
    /// The `User-Agent` of every request: one that identifies the application.
    pub user_agent: String,
    /// The app's Redis; it may carry a password, so `Debug` does not show it.
    pub redis_url: String,
    /// How long an answer is cached.
    pub cache_for: Duration,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("nominatim_url", &self.nominatim_url)
            .field("user_agent", &self.user_agent)
            .field("redis_url", &"..")
            .field("cache_for", &self.cache_for)
            .finish()
    }
}

impl Config {
    /// The configuration from the component's Spin variables.
    pub fn from_spin() -> Result<Config, Error> {
        Config::read(|name| spin_sdk::variables::get(name).ok())
    }

    /// The configuration from `var`, which gives a variable's value (`None`: not defined).
    pub fn read(var: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        let required = |name: &str| {
            var(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| misconfigured(format!("the variable `{name}` is not set")))
        };
        let nominatim_url = required("nominatim_url")?.trim_end_matches('/').to_string();
        if !is_http_url(&nominatim_url) {
            return Err(misconfigured(
                "`nominatim_url` must be an http:// or https:// URL with a host".to_string(),
            ));
        }
        let user_agent = required("nominatim_user_agent")?;
        if !identifies_application(Some(&user_agent)) {
            return Err(misconfigured(
                "`nominatim_user_agent` must identify the application (e.g. `Souk/0.1 \
                 (ops@example.com)`), as Nominatim's usage policy asks; an HTTP library's \
                 default is refused"
                    .to_string(),
            ));
        }
        if user_agent.chars().any(|c| c.is_control()) {
            return Err(misconfigured(
                "`nominatim_user_agent` holds a control character".to_string(),
            ));
        }
        let redis_url = required("redis_url")?;
        let hours = required("geocoding_cache_hours")?
            .parse::<u64>()
            .ok()
            .filter(|h| (1..=MAX_CACHE_HOURS).contains(h))
            .ok_or_else(|| {
                misconfigured(format!(
                    "`geocoding_cache_hours` must be a whole number of hours from 1 to \
                     {MAX_CACHE_HOURS} (Nominatim's usage policy asks that results be cached)"
                ))
            })?;
        Ok(Config {
            nominatim_url,
            user_agent,
            redis_url,
            cache_for: Duration::from_secs(hours * 3600),
        })
    }
}

fn misconfigured(message: String) -> Error {
    Error::Misconfigured(format!("geocoding-nominatim: {message}"))
}

/// Whether `url` is `http(s)://` followed by a host.
fn is_http_url(url: &str) -> bool {
    url.strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with(['/', '?', '#']))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(overrides: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let mut all = vec![
            ("nominatim_url", "https://nominatim.openstreetmap.org/"),
            ("nominatim_user_agent", "Souk/0.1 (ops@example.com)"),
            ("redis_url", "redis://:s3cret@redis:6379"),
            ("geocoding_cache_hours", "720"),
        ];
        for (name, value) in overrides {
            all.retain(|(n, _)| n != name);
            all.push((name, value));
        }
        let all: Vec<(String, String)> = all
            .into_iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        move |name| all.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    }

    fn refused(overrides: &[(&str, &str)]) -> String {
        match Config::read(vars(overrides)) {
            Err(Error::Misconfigured(m)) => m,
            other => panic!("expected misconfigured for {overrides:?}, got {other:?}"),
        }
    }

    #[test]
    fn a_complete_configuration_is_read_and_trimmed() {
        let config = Config::read(vars(&[])).unwrap();
        assert_eq!(config.nominatim_url, "https://nominatim.openstreetmap.org");
        assert_eq!(config.user_agent, "Souk/0.1 (ops@example.com)");
        assert_eq!(config.cache_for, Duration::from_secs(720 * 3600));
    }

    #[test]
    fn an_empty_or_generic_user_agent_is_refused() {
        for agent in [
            "",
            "  ",
            "curl/8.5.0",
            "reqwest/0.12",
            "python-requests/2.31",
        ] {
            let m = refused(&[("nominatim_user_agent", agent)]);
            assert!(m.contains("nominatim_user_agent"), "{agent:?}: {m}");
        }
        assert!(refused(&[("nominatim_user_agent", "Souk/0.1\r\nX: y")]).contains("control"));
    }

    #[test]
    fn a_missing_variable_is_named() {
        let missing = |name: &'static str| {
            move |n: &str| {
                if n == name { None } else { vars(&[])(n) }
            }
        };
        for name in [
            "nominatim_url",
            "nominatim_user_agent",
            "redis_url",
            "geocoding_cache_hours",
        ] {
            match Config::read(missing(name)) {
                Err(Error::Misconfigured(m)) => assert!(m.contains(name), "{m}"),
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_url_without_http_or_a_host_and_a_cache_of_no_hours_are_refused() {
        for url in [
            "nominatim.openstreetmap.org",
            "ftp://x",
            "https://",
            "https:///search",
        ] {
            assert!(
                refused(&[("nominatim_url", url)]).contains("nominatim_url"),
                "{url}"
            );
        }
        for hours in ["0", "-1", "1.5", "forever", "9000"] {
            let m = refused(&[("geocoding_cache_hours", hours)]);
            assert!(m.contains("geocoding_cache_hours"), "{hours}");
        }
    }

    #[test]
    fn the_redis_address_never_shows_in_debug_output() {
        let config = Config::read(vars(&[])).unwrap();
        assert!(!format!("{config:?}").contains("s3cret"));
    }
}

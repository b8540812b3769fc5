//! account's own settings, read from its component variables once per request into
//! [`Config`]. The variables every module shares (`database_url`, `redis_url`,
//! `jwt_signing_key`, …) are kit's (`kit::config::Settings`).

use kit::config::Settings;

/// Access-token lifetime when `access_token_ttl_seconds` is absent or not a positive number.
pub const DEFAULT_ACCESS_TOKEN_TTL_SECS: i64 = 900;

/// What account reads from its variables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// `access_token_ttl_seconds`: how long an access token is valid. Kept short, since a
    /// token stays valid until it expires, whatever happens to its session.
    pub access_token_ttl_secs: i64,
}

impl Config {
    /// The configuration, from the request's variables.
    pub fn read(settings: &Settings) -> Config {
        Config {
            access_token_ttl_secs: access_token_ttl(
                settings.optional("access_token_ttl_seconds").as_deref(),
            ),
        }
    }
}

/// `access_token_ttl_seconds` as seconds: a positive whole number, the default otherwise.
fn access_token_ttl(value: Option<&str>) -> i64 {
    value
        .and_then(|v| v.parse().ok())
        .filter(|secs: &i64| *secs > 0)
        .unwrap_or(DEFAULT_ACCESS_TOKEN_TTL_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_access_token_ttl_is_a_positive_number_of_seconds_or_the_default() {
        assert_eq!(access_token_ttl(Some("60")), 60);
        for unusable in [None, Some(""), Some("0"), Some("-5"), Some("15m")] {
            assert_eq!(
                access_token_ttl(unusable),
                DEFAULT_ACCESS_TOKEN_TTL_SECS,
                "{unusable:?}"
            );
        }
    }
}

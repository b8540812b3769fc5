//! account's own settings, read from its component variables once per request into
//! [`Config`]. The variables every module shares (`database_url`, `redis_url`,
//! `jwt_verify_key`, …) and account's `jwt_signing_key` are kit's (`kit::config::Settings`).

use kit::config::Settings;
use kit::{ApiError, ApiResult};

use crate::rules::address::TrustedProxies;

/// Access-token lifetime when `access_token_ttl_seconds` is absent or not a positive number.
pub const DEFAULT_ACCESS_TOKEN_TTL_SECS: i64 = 900;

/// Registrations allowed per client address per hour when `registrations_per_address_per_hour`
/// is absent or not a positive number.
pub const DEFAULT_REGISTRATIONS_PER_ADDRESS: i64 = 20;

/// What account reads from its variables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `access_token_ttl_seconds`: how long an access token is valid. Kept short, since a
    /// token stays valid until it expires, whatever happens to its session.
    pub access_token_ttl_secs: i64,
    /// `trusted_proxies`: the proxies whose `X-Forwarded-For` names the client (none by
    /// default); see `rules::address`.
    pub trusted_proxies: TrustedProxies,
    /// `registrations_per_address_per_hour`: accounts one client address may register per hour.
    pub registrations_per_address: i64,
}

impl Config {
    /// The configuration, from the request's variables; a `trusted_proxies` entry that is not
    /// an address or a block is a configuration error naming it (500, logged), never ignored.
    pub fn read(settings: &Settings) -> ApiResult<Config> {
        let proxies = settings.optional("trusted_proxies").unwrap_or_default();
        Ok(Config {
            access_token_ttl_secs: settings.number(
                "access_token_ttl_seconds",
                DEFAULT_ACCESS_TOKEN_TTL_SECS,
                1..=i64::MAX,
            ),
            trusted_proxies: TrustedProxies::parse(&proxies).map_err(|entry| {
                ApiError::internal(format_args!(
                    "variable `trusted_proxies`: `{entry}` is not an IP address or a CIDR block"
                ))
            })?,
            registrations_per_address: settings.number(
                "registrations_per_address_per_hour",
                DEFAULT_REGISTRATIONS_PER_ADDRESS,
                1..=i64::MAX,
            ),
        })
    }
}

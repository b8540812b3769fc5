//! Settings from component variables, each read when first needed and kept for the request: a
//! component that never opens a database, sends a wake-up or checks a token is not made to
//! declare `database_url`, `redis_url` or `jwt_verify_key`. Secrets are [`Secret`]s, which
//! never show in `Debug` output or logs; an empty secret is refused with one clear line.
//! A component's own variables belong in one typed struct of its own, built from
//! [`Settings::var`] / [`Settings::optional`] once per request.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::RangeInclusive;
use std::rc::Rc;

use crate::error::{ApiError, ApiResult};
use crate::platform::Platform;

/// The shortest signing key or token accepted: 32 bytes, a 256-bit key's worth of text.
pub const MIN_KEY_BYTES: usize = 32;

/// A secret variable's value: shown as `Secret(..)` by `Debug`, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The value, for signing or comparing; never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// The variables of the component serving a request.
pub struct Settings {
    platform: Rc<dyn Platform>,
    read: RefCell<BTreeMap<String, Option<String>>>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values may be secrets: only the names read so far.
        f.debug_struct("Settings")
            .field("read", &self.read.borrow().keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Settings {
    /// Settings read through `platform`.
    pub fn new(platform: Rc<dyn Platform>) -> Settings {
        Settings {
            platform,
            read: RefCell::new(BTreeMap::new()),
        }
    }

    /// An optional variable: `None` when the component does not declare it.
    pub fn optional(&self, name: &str) -> Option<String> {
        if let Some(value) = self.read.borrow().get(name) {
            return value.clone();
        }
        let value = self.platform.variable(name);
        self.read
            .borrow_mut()
            .insert(name.to_string(), value.clone());
        value
    }

    /// A whole-number variable within `range`: `default` when the variable is absent, not a
    /// whole number or outside the range (a tuning knob never stops a request).
    pub fn number(&self, name: &str, default: i64, range: RangeInclusive<i64>) -> i64 {
        self.optional(name)
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|v| range.contains(v))
            .unwrap_or(default)
    }

    /// A required variable; missing, it is a configuration error (500, logged with its name).
    pub fn var(&self, name: &str) -> ApiResult<String> {
        self.optional(name).ok_or_else(|| {
            ApiError::internal(format_args!(
                "variable `{name}` is not declared for this component (spin.toml `[variables]` \
                 and the component's `[component.<id>.variables]`)"
            ))
        })
    }

    /// A required secret; missing or empty, it is a configuration error.
    pub fn secret(&self, name: &str) -> ApiResult<Secret> {
        let value = self.var(name)?;
        if value.trim().is_empty() {
            return Err(ApiError::internal(format_args!(
                "variable `{name}` is empty: give it a value (e.g. SPIN_VARIABLE_{})",
                name.to_ascii_uppercase()
            )));
        }
        Ok(Secret(value))
    }

    /// A required key (a signing key, a token): a secret of at least [`MIN_KEY_BYTES`] bytes,
    /// since a short one can be guessed; shorter, it is a configuration error naming it.
    pub fn key(&self, name: &str) -> ApiResult<Secret> {
        let secret = self.secret(name)?;
        if secret.0.len() < MIN_KEY_BYTES {
            return Err(ApiError::internal(format_args!(
                "variable `{name}` is {} bytes long: keys need at least {MIN_KEY_BYTES} \
                 (for example 64 hex characters from `openssl rand -hex 32`)",
                secret.0.len()
            )));
        }
        Ok(secret)
    }

    /// `database_url`: the PostgreSQL every module uses (its own schema).
    pub fn database_url(&self) -> ApiResult<Secret> {
        self.secret("database_url")
    }

    /// `redis_url`: locks, rate limits, outbox and workflow wake-ups.
    pub fn redis_url(&self) -> ApiResult<Secret> {
        self.secret("redis_url")
    }

    /// `jwt_signing_key`: the Ed25519 private key (its seed, 64 hex characters) that signs
    /// access tokens — account's alone. It may not be the service token: a module given that
    /// token could then mint tokens.
    pub fn jwt_signing_key(&self) -> ApiResult<Secret> {
        let key = self.key("jwt_signing_key")?;
        if self.optional("service_token").as_deref() == Some(key.expose()) {
            return Err(ApiError::internal(
                "variables `jwt_signing_key` and `service_token` hold the same secret: give \
                 each its own",
            ));
        }
        Ok(key)
    }

    /// `jwt_verify_key`: the Ed25519 public key (64 hex characters) every module verifies
    /// access tokens with. Not a secret: it mints nothing.
    pub fn jwt_verify_key(&self) -> ApiResult<String> {
        self.var("jwt_verify_key")
    }

    /// `service_token`: authorises `/internal/...` calls between modules.
    pub fn service_token(&self) -> ApiResult<Secret> {
        self.key("service_token")
    }
}

/// A required variable read straight from Spin, for code that runs outside a request (trigger
/// handlers); inside a request use [`Settings`].
pub fn var(name: &str) -> ApiResult<String> {
    spin_sdk::variables::get(name)
        .map_err(|e| ApiError::internal(format_args!("variable `{name}` is not available: {e}")))
}

/// An optional variable read straight from Spin (`None` when the component does not declare
/// it), for code that runs outside a request.
pub fn optional_var(name: &str) -> Option<String> {
    spin_sdk::variables::get(name).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;
    use crate::platform::RedisCommand;

    struct Vars(&'static [(&'static str, &'static str)]);

    impl Platform for Vars {
        fn variable(&self, name: &str) -> Option<String> {
            self.0
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
        fn connect(&self, _: &str) -> ApiResult<Db> {
            Err(ApiError::unavailable("database_unavailable", "none here"))
        }
        fn redis(&self, _: &str, _: &RedisCommand) -> Result<bool, String> {
            Err("no redis".into())
        }
        fn redis_get(&self, _: &str, _: &[String]) -> Result<Vec<Option<String>>, String> {
            Err("no redis".into())
        }
        fn send(&self, _: spin_sdk::http::Request) -> crate::platform::Sending {
            Box::pin(async { Err("no network".to_string()) })
        }
    }

    fn settings(vars: &'static [(&'static str, &'static str)]) -> Settings {
        Settings::new(Rc::new(Vars(vars)))
    }

    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn secrets_never_show_in_debug_output() {
        let s = settings(&[("service_token", TOKEN)]);
        let token = s.service_token().unwrap();
        assert_eq!(token.expose(), TOKEN);
        assert_eq!(format!("{token:?}"), "Secret(..)");
        assert!(!format!("{s:?}").contains(TOKEN), "{s:?}");
    }

    #[test]
    fn keys_shorter_than_32_bytes_are_refused_but_urls_are_not_keys() {
        const SHORT: &[(&str, &str)] = &[
            ("service_token", "0123456789abcdef0123456789abcde"),
            ("jwt_signing_key", TOKEN),
            ("redis_url", "redis://cache:6379"),
        ];
        let s = settings(SHORT);
        assert_eq!(s.service_token().unwrap_err().status, 500);
        assert!(s.jwt_signing_key().is_ok());
        assert!(s.redis_url().is_ok(), "a URL is a secret, not a key");
    }

    #[test]
    fn the_signing_key_may_not_be_the_service_token() {
        let s = settings(&[("service_token", TOKEN), ("jwt_signing_key", TOKEN)]);
        assert!(s.service_token().is_ok());
        assert_eq!(s.jwt_signing_key().unwrap_err().status, 500);
    }

    #[test]
    fn an_empty_or_missing_secret_is_refused() {
        let s = settings(&[("service_token", " ")]);
        assert_eq!(s.service_token().unwrap_err().status, 500);
        assert_eq!(s.jwt_signing_key().unwrap_err().status, 500);
    }

    #[test]
    fn variables_are_read_once_and_optional_ones_may_be_missing() {
        let s = settings(&[("a", "1")]);
        assert_eq!(s.optional("a").as_deref(), Some("1"));
        assert_eq!(s.optional("b"), None);
        assert_eq!(s.var("a").unwrap(), "1");
    }

    #[test]
    fn numbers_outside_their_range_or_unreadable_fall_back_to_the_default() {
        let s = settings(&[
            ("n", " 60 "),
            ("zero", "0"),
            ("text", "15m"),
            ("big", "99999"),
        ]);
        assert_eq!(s.number("n", 900, 1..=3600), 60);
        for name in ["zero", "text", "big", "absent"] {
            assert_eq!(s.number(name, 900, 1..=3600), 900, "{name}");
        }
    }
}

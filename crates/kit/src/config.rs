//! Settings every component reads from Spin variables, once per request. Component-specific
//! variables are read with [`var`] / [`optional_var`] by the component's own config type.

use crate::error::{ApiError, ApiResult};

/// Variables shared by all modules.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `database_url`: the PostgreSQL every module uses (its own schema).
    pub database_url: String,
    /// `redis_url`: locks, rate limits, outbox wake-ups.
    pub redis_url: String,
    /// `jwt_signing_key`: verifies access tokens (account also signs with it).
    pub jwt_signing_key: String,
    /// `service_token`: authorises `/internal/...` calls between modules.
    pub service_token: String,
}

impl Settings {
    /// Reads the shared variables; a missing one is a configuration error (500, logged).
    pub fn load() -> ApiResult<Settings> {
        Ok(Settings {
            database_url: var("database_url")?,
            redis_url: var("redis_url")?,
            jwt_signing_key: var("jwt_signing_key")?,
            service_token: var("service_token")?,
        })
    }
}

/// A required component variable.
pub fn var(name: &str) -> ApiResult<String> {
    spin_sdk::variables::get(name)
        .map_err(|e| ApiError::internal(format_args!("variable `{name}` is not available: {e}")))
}

/// An optional component variable (`None` when the component does not declare it).
pub fn optional_var(name: &str) -> Option<String> {
    spin_sdk::variables::get(name).ok()
}

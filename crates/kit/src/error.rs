//! The one error type every handler returns, with one status mapping and one JSON shape:
//! `{"error": {"code": "...", "message": "...", "request_id": "..."}}`.
//!
//! Causes that the client must not see (database texts, host error strings) are logged with
//! their whole chain by [`ApiError::internal`] and replaced by a generic message.

use std::borrow::Cow;
use std::fmt;

/// A client-facing error.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Stable, lower snake-case code clients can branch on.
    pub code: Cow<'static, str>,
    /// A sentence for humans.
    pub message: String,
    /// Seconds to wait before retrying (429/503), sent as `Retry-After`.
    pub retry_after: Option<u64>,
    /// The methods a path allows, sent as `Allow` with a 405.
    pub allow: Option<String>,
}

/// What handlers return.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error with any status and code.
    pub fn new(
        status: u16,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            code: code.into(),
            message: message.into(),
            retry_after: None,
            allow: None,
        }
    }

    /// 400: the request is malformed (bad JSON, bad query parameter).
    pub fn bad_request(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }

    /// 422 `validation`: well-formed but invalid input.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(422, "validation", message)
    }

    /// 422 with a specific code.
    pub fn unprocessable(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(422, code, message)
    }

    /// 401 `unauthorized`: no valid credentials.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(401, "unauthorized", message)
    }

    /// 403 `forbidden`: authenticated, but not allowed.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, "forbidden", message)
    }

    /// 404 with a specific code (`account_not_found`, …).
    pub fn not_found(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(404, code, message)
    }

    /// 405 `method_not_allowed` for `path`, with the methods it allows.
    pub fn method_not_allowed(path: &str, allow: &[&str]) -> Self {
        ApiError {
            allow: Some(allow.join(", ")),
            ..Self::new(
                405,
                "method_not_allowed",
                format!("{path} allows {}", allow.join(", ")),
            )
        }
    }

    /// 409: conflicts with the current state.
    pub fn conflict(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(409, code, message)
    }

    /// 413 `payload_too_large`.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            413,
            "payload_too_large",
            format!("the request body is over the {limit}-byte limit"),
        )
    }

    /// 429 `too_many_requests` with `Retry-After`.
    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after_secs),
            ..Self::new(
                429,
                "too_many_requests",
                format!("too many attempts; retry in {retry_after_secs} seconds"),
            )
        }
    }

    /// 503 with a specific code, retryable.
    pub fn unavailable(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        ApiError {
            retry_after: Some(1),
            ..Self::new(503, code, message)
        }
    }

    /// 500: logs `cause` with its whole chain and tells the client only that something failed.
    pub fn internal(cause: impl fmt::Display) -> Self {
        crate::log::error(format_args!("internal error: {cause:#}"));
        Self::new(
            500,
            "internal",
            "an internal error occurred; it has been logged",
        )
    }

    /// The same error with another code
    /// (`ApiError::unauthorized(…).with_code("invalid_credentials")`).
    pub fn with_code(mut self, code: impl Into<Cow<'static, str>>) -> Self {
        self.code = code.into();
        self
    }

    /// Whether the caller may retry the same request (5xx other than 501, and 429).
    pub fn is_retryable(&self) -> bool {
        self.status == 429 || (self.status >= 500 && self.status != 501)
    }

    /// The JSON body, with the request id.
    pub fn body(&self, request_id: &str) -> serde_json::Value {
        serde_json::json!({
            "error": { "code": self.code, "message": self.message, "request_id": request_id }
        })
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

/// Adds a sentence of context to any fallible I/O and turns its failure into an internal error.
pub trait Context<T> {
    /// `conn.query(…).context("loading the account")?`
    fn context(self, what: &str) -> ApiResult<T>;
}

impl<T, E: fmt::Display> Context<T> for Result<T, E> {
    fn context(self, what: &str) -> ApiResult<T> {
        self.map_err(|e| ApiError::internal(format_args!("{what}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_has_code_message_and_request_id() {
        let body = ApiError::conflict("username_taken", "that username is taken").body("rid-1");
        assert_eq!(body["error"]["code"], "username_taken");
        assert_eq!(body["error"]["message"], "that username is taken");
        assert_eq!(body["error"]["request_id"], "rid-1");
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let e = ApiError::internal("relation account.secret does not exist");
        assert_eq!(e.status, 500);
        assert!(!e.message.contains("secret"));
    }

    #[test]
    fn retryable_statuses() {
        assert!(ApiError::too_many_requests(3).is_retryable());
        assert!(ApiError::unavailable("x", "y").is_retryable());
        assert!(!ApiError::conflict("x", "y").is_retryable());
    }
}

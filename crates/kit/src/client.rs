//! Typed calls to another module's `/internal/...` routes through Spin's local service chaining.
//!
//! The target's base URL is the component variable `<module>_base_url` (by default
//! `http://<module>.spin.internal`), so a module can move to its own app or cluster by
//! configuration. Every call carries the service token and the request id; mutating calls carry
//! an `Idempotency-Key` derived from what the caller is doing, so a retried call has its effect
//! once. A 4xx from the callee comes back as the same client error; anything else is 503.

use std::rc::Rc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use spin_sdk::http::{Method, Request};

use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::platform::{Platform, Spin};
use crate::router::{REQUEST_ID_HEADER, SERVICE_TOKEN_HEADER};

/// A client for one module's internal routes.
pub struct Internal {
    module: String,
    base: String,
    service_token: ApiResult<String>,
    request_id: String,
    platform: Rc<dyn Platform>,
}

impl Ctx {
    /// A client for `module`'s internal routes, carrying this request's id; a missing service
    /// token fails the first call, not this.
    pub fn internal(&self, module: &str) -> Internal {
        Internal {
            module: module.to_string(),
            base: base_url(
                module,
                self.settings().optional(&format!("{module}_base_url")),
            ),
            service_token: self
                .settings()
                .service_token()
                .map(|t| t.expose().to_string()),
            request_id: self.request_id.clone(),
            platform: self.platform().clone(),
        }
    }
}

/// `<module>_base_url` when the component declares it, else Spin's service chaining.
fn base_url(module: &str, configured: Option<String>) -> String {
    configured
        .unwrap_or_else(|| format!("http://{module}.spin.internal"))
        .trim_end_matches('/')
        .to_string()
}

impl Internal {
    /// A client for `module` outside a request (a trigger handler), through Spin, with its own
    /// request id.
    pub fn new(module: &str, service_token: &str, request_id: &str) -> Internal {
        Internal {
            module: module.to_string(),
            base: base_url(
                module,
                crate::config::optional_var(&format!("{module}_base_url")),
            ),
            service_token: Ok(service_token.to_string()),
            request_id: request_id.to_string(),
            platform: Rc::new(Spin),
        }
    }

    /// `GET /internal/...` returning `R`.
    pub async fn get<R: DeserializeOwned>(&self, path: &str) -> ApiResult<R> {
        self.send(Method::Get, path, None, None).await
    }

    /// `POST /internal/...` with a JSON body and an idempotency key, returning `R`.
    pub async fn post<B: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        idempotency_key: Option<&str>,
    ) -> ApiResult<R> {
        let body = serde_json::to_vec(body).map_err(ApiError::internal)?;
        self.send(Method::Post, path, Some(body), idempotency_key)
            .await
    }

    async fn send<R: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        key: Option<&str>,
    ) -> ApiResult<R> {
        let url = format!("{}{path}", self.base);
        let token = self.service_token.clone()?;
        let mut builder = Request::builder();
        builder
            .method(method)
            .uri(url.clone())
            .header(SERVICE_TOKEN_HEADER, token)
            .header(REQUEST_ID_HEADER, self.request_id.clone())
            .header("accept", "application/json");
        if let Some(key) = key {
            builder.header("idempotency-key", key);
        }
        if let Some(body) = body {
            builder
                .header("content-type", "application/json")
                .body(body);
        }
        let response = self.platform.send(builder.build()).await.map_err(|e| {
            crate::log::error(format_args!("calling {url}: {e}"));
            ApiError::unavailable(
                "upstream_unavailable",
                format!("the {} module is not reachable", self.module),
            )
        })?;
        let status = *response.status();
        if (200..300).contains(&status) {
            let bytes = response.body();
            let bytes = if bytes.is_empty() {
                b"null".as_slice()
            } else {
                bytes
            };
            return serde_json::from_slice(bytes).map_err(|e| {
                ApiError::internal(format_args!("{url} answered unexpected JSON: {e}"))
            });
        }
        Err(upstream_error(&self.module, &url, status, response.body()))
    }
}

/// The caller-side error for a failed internal call.
fn upstream_error(module: &str, url: &str, status: u16, body: &[u8]) -> ApiError {
    let parsed: Option<(String, String)> = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            Some((
                v["error"]["code"].as_str()?.to_string(),
                v["error"]["message"].as_str()?.to_string(),
            ))
        });
    match parsed {
        Some((code, message)) if (400..500).contains(&status) => {
            ApiError::new(status, code, message)
        }
        _ => {
            crate::log::error(format_args!(
                "{url} answered {status}: {}",
                String::from_utf8_lossy(body)
            ));
            ApiError::unavailable(
                "upstream_unavailable",
                format!("the {module} module failed; retry"),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_errors_keep_their_code_and_message() {
        let body = br#"{"error":{"code":"out_of_stock","message":"only 2 left","request_id":"r"}}"#;
        let e = upstream_error("inventory", "u", 409, body);
        assert_eq!(
            (e.status, e.code.as_ref(), e.message.as_str()),
            (409, "out_of_stock", "only 2 left")
        );
    }

    #[test]
    fn server_errors_become_retryable_503() {
        let e = upstream_error("inventory", "u", 500, b"boom");
        assert_eq!((e.status, e.code.as_ref()), (503, "upstream_unavailable"));
        assert!(e.is_retryable());
    }
}

//! A small HTTP client for tests, and assertions on its replies that print the whole reply when
//! they fail.

use reqwest::Method;
use serde_json::Value;

/// A client bound to one stack.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
}

/// A client for one module's internal routes, through the test gateway.
#[derive(Clone)]
pub struct Internal {
    api: Api,
    module: String,
    token: String,
}

impl Internal {
    /// A client for `module` at `base`, sending `token` as the service token.
    pub fn new(base: &str, module: &str, token: &str) -> Internal {
        Internal {
            api: Api::new(base),
            module: module.to_string(),
            token: token.to_string(),
        }
    }

    /// Starts a request to `path` (which begins with `/internal/`).
    pub fn call(&self, method: Method, path: &str) -> Call {
        self.api
            .call(method, &format!("/__internal/{}{path}", self.module))
            .header("x-souk-service-token", &self.token)
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> Call {
        self.call(Method::GET, path)
    }

    /// `POST path`.
    pub fn post(&self, path: &str) -> Call {
        self.call(Method::POST, path)
    }
}

/// A request being built.
pub struct Call {
    builder: reqwest::RequestBuilder,
    label: String,
}

/// A reply, read whole.
#[derive(Debug)]
pub struct Reply {
    /// `METHOD path`, for failure messages.
    pub label: String,
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: reqwest::header::HeaderMap,
    /// Body parsed as JSON (`Value::Null` when empty or not JSON).
    pub body: Value,
    /// Body as text.
    pub text: String,
}

impl Api {
    /// A client for `base` (`http://127.0.0.1:port`).
    pub fn new(base: &str) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_string(),
        }
    }

    /// Starts a request with any method.
    pub fn call(&self, method: Method, path: &str) -> Call {
        Call {
            builder: self
                .http
                .request(method.clone(), format!("{}{path}", self.base)),
            label: format!("{method} {path}"),
        }
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> Call {
        self.call(Method::GET, path)
    }

    /// `POST path`.
    pub fn post(&self, path: &str) -> Call {
        self.call(Method::POST, path)
    }

    /// `PUT path`.
    pub fn put(&self, path: &str) -> Call {
        self.call(Method::PUT, path)
    }

    /// `PATCH path`.
    pub fn patch(&self, path: &str) -> Call {
        self.call(Method::PATCH, path)
    }

    /// `DELETE path`.
    pub fn delete(&self, path: &str) -> Call {
        self.call(Method::DELETE, path)
    }
}

impl Call {
    /// A JSON body.
    pub fn json(mut self, body: Value) -> Call {
        self.builder = self.builder.json(&body);
        self
    }

    /// A raw body with a content type.
    pub fn body(mut self, content_type: &str, body: impl Into<reqwest::Body>) -> Call {
        self.builder = self.builder.header("content-type", content_type).body(body);
        self
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer(mut self, token: &str) -> Call {
        self.builder = self.builder.bearer_auth(token);
        self
    }

    /// Any header.
    pub fn header(mut self, name: &str, value: &str) -> Call {
        self.builder = self.builder.header(name, value);
        self
    }

    /// Sends the request and reads the whole reply; transport failures panic with the label.
    pub async fn send(self) -> Reply {
        let label = self.label;
        let response = match self.builder.send().await {
            Ok(r) => r,
            Err(e) => panic!("{label}: request failed: {e}"),
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            label,
            status,
            headers,
            body,
            text,
        }
    }
}

impl Reply {
    /// Panics unless the status is `expected`.
    #[track_caller]
    pub fn assert_status(&self, expected: u16) -> &Reply {
        assert_eq!(
            self.status, expected,
            "{}: expected status {expected}, got {} with body {}",
            self.label, self.status, self.text
        );
        self
    }

    /// Panics unless this is the standard error body with `status` and `code`.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) -> &Reply {
        self.assert_status(status);
        let error = &self.body["error"];
        assert_eq!(
            error["code"], code,
            "{}: expected error code {code}, got body {}",
            self.label, self.text
        );
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{}: error without a message: {}",
            self.label,
            self.text
        );
        self
    }

    /// The JSON body (`null` when the body is not JSON).
    pub fn json(&self) -> &Value {
        &self.body
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl std::ops::Index<&str> for Reply {
    type Output = Value;

    fn index(&self, key: &str) -> &Value {
        &self.body[key]
    }
}

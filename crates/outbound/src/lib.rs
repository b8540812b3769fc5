//! How Souk's provider components call the outside world.
//!
//! Every call has a connect, a first-byte and a between-bytes timeout, which Spin (and
//! souk-host) enforce through WASI HTTP's request options, so a provider that stops answering
//! costs its caller a bounded wait, never a hang. A call marked idempotent is tried again a
//! bounded number of times when the connection fails or the provider answers 429, 502, 503 or
//! 504; any other call is tried once. Errors and log lines describe a call by its method,
//! scheme, host and path only: query strings and headers carry signatures and tokens.
//!
//! Provider calls are synchronous (WIT exports are), so this client blocks on WASI's
//! pollables rather than running an executor.

use std::time::Duration;

use spin_sdk::wit::wasi::http0_2_0::outgoing_handler;
use spin_sdk::wit::wasi::http0_2_0::types::{
    ErrorCode, Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use wasi::io::streams::StreamError;

/// The most of a response body read; a provider answering more is answering nonsense.
const MAX_BODY: usize = 4 * 1024 * 1024;

/// Bytes written to a WASI output stream per call (its documented minimum budget).
const WRITE_CHUNK: usize = 4096;

/// How long a call may take, and how often it is tried.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub connect: Duration,
    pub first_byte: Duration,
    pub between_bytes: Duration,
    /// Tries of an idempotent call, the first included (others are tried once).
    pub attempts: u32,
    /// The pause before the second try; it doubles before each later one.
    pub backoff: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            connect: Duration::from_secs(5),
            first_byte: Duration::from_secs(15),
            between_bytes: Duration::from_secs(15),
            attempts: 3,
            backoff: Duration::from_millis(200),
        }
    }
}

/// An HTTP call to make. Its `Debug` shows what [`Call::describe`] shows: headers, query and
/// body carry credentials and signatures.
#[derive(Clone)]
pub struct Call {
    method: &'static str,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    idempotent: bool,
    limits: Limits,
}

/// What the provider answered.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON, or what is wrong with it.
    pub fn json(&self) -> Result<serde_json::Value, String> {
        serde_json::from_slice(&self.body)
            .map_err(|e| format!("the answer (HTTP {}) is not JSON: {e}", self.status))
    }
}

/// Why a call got no answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The URL or request could not be made (a configuration error).
    Invalid(String),
    /// Connecting, or waiting for the answer, took longer than the limits.
    Timeout(String),
    /// The provider could not be reached or broke the connection.
    Unreachable(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Invalid(m) | Failure::Timeout(m) | Failure::Unreachable(m) => f.write_str(m),
        }
    }
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("request", &self.describe())
            .field("idempotent", &self.idempotent)
            .finish_non_exhaustive()
    }
}

impl Call {
    /// A `GET`, idempotent.
    pub fn get(url: impl Into<String>) -> Call {
        Call::new("GET", url).idempotent(true)
    }

    /// A `POST`, tried once unless marked idempotent.
    pub fn post(url: impl Into<String>) -> Call {
        Call::new("POST", url)
    }

    fn new(method: &'static str, url: impl Into<String>) -> Call {
        Call {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
            idempotent: false,
            limits: Limits::default(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Call {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Call {
        self.body = body.into();
        self.header("content-type", content_type)
    }

    /// Marks the call safe to repeat: the provider does it once however often it is asked
    /// (a query, or a write keyed by Souk's reference).
    pub fn idempotent(mut self, yes: bool) -> Call {
        self.idempotent = yes;
        self
    }

    pub fn limits(mut self, limits: Limits) -> Call {
        self.limits = limits;
        self
    }

    /// The value of header `name` the call will send (for tests of what providers send; never
    /// for logs).
    pub fn sends_header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The call as errors and logs may show it: method, scheme, host and path.
    pub fn describe(&self) -> String {
        format!("{} {}", self.method, without_query(&self.url))
    }

    /// Makes the call, trying an idempotent one again on a failed connection or a 429, 502,
    /// 503 or 504 (after `Retry-After` when it asks for at most two seconds).
    pub fn send(&self) -> Result<Answer, Failure> {
        let tries = if self.idempotent {
            self.limits.attempts.max(1)
        } else {
            1
        };
        let mut pause = self.limits.backoff;
        let mut attempt = 1;
        loop {
            let result = self.send_once();
            let again = attempt < tries
                && match &result {
                    Ok(a) => matches!(a.status, 429 | 502 | 503 | 504),
                    Err(Failure::Invalid(_)) => false,
                    Err(_) => true,
                };
            if !again {
                return result;
            }
            let wait = result
                .as_ref()
                .ok()
                .and_then(|a| a.header("retry-after"))
                .and_then(|s| s.trim().parse::<u64>().ok())
                .map(Duration::from_secs)
                .filter(|d| *d <= Duration::from_secs(2))
                .unwrap_or(pause);
            sleep(wait);
            pause *= 2;
            attempt += 1;
        }
    }

    fn send_once(&self) -> Result<Answer, Failure> {
        let what = self.describe();
        let (scheme, authority, path) = split_url(&self.url)
            .ok_or_else(|| Failure::Invalid(format!("{what}: not an http(s) URL")))?;
        let pairs: Vec<(String, Vec<u8>)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.as_bytes().to_vec()))
            .collect();
        let fields = Fields::from_list(&pairs)
            .map_err(|e| Failure::Invalid(format!("{what}: a header is malformed ({e:?})")))?;
        let request = OutgoingRequest::new(fields);
        let method = match self.method {
            "GET" => Method::Get,
            "POST" => Method::Post,
            other => Method::Other(other.to_string()),
        };
        let invalid = |part: &str| Failure::Invalid(format!("{what}: the {part} is refused"));
        request
            .set_method(&method)
            .map_err(|()| invalid("method"))?;
        request
            .set_scheme(Some(&scheme))
            .map_err(|()| invalid("scheme"))?;
        request
            .set_authority(Some(authority))
            .map_err(|()| invalid("host"))?;
        request
            .set_path_with_query(Some(path))
            .map_err(|()| invalid("path"))?;
        let body = request.body().map_err(|()| invalid("body"))?;
        let options = RequestOptions::new();
        let nanos = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        // A host that ignores an option still bounds the call with its own limits.
        let _ = options.set_connect_timeout(Some(nanos(self.limits.connect)));
        let _ = options.set_first_byte_timeout(Some(nanos(self.limits.first_byte)));
        let _ = options.set_between_bytes_timeout(Some(nanos(self.limits.between_bytes)));
        let pending =
            outgoing_handler::handle(request, Some(options)).map_err(|e| failure(&what, &e))?;
        write_body(body, &self.body).map_err(|m| Failure::Unreachable(format!("{what}: {m}")))?;
        pending.subscribe().block();
        let response = match pending.get() {
            Some(Ok(Ok(r))) => r,
            Some(Ok(Err(e))) => return Err(failure(&what, &e)),
            Some(Err(())) | None => {
                return Err(Failure::Unreachable(format!("{what}: no answer")));
            }
        };
        let status = response.status();
        let headers = response
            .headers()
            .entries()
            .into_iter()
            .map(|(n, v)| (n, String::from_utf8_lossy(&v).into_owned()))
            .collect();
        let incoming = response
            .consume()
            .map_err(|()| Failure::Unreachable(format!("{what}: the body could not be read")))?;
        let body = read_body(incoming).map_err(|m| Failure::Unreachable(format!("{what}: {m}")))?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

fn write_body(body: OutgoingBody, bytes: &[u8]) -> Result<(), String> {
    {
        let stream = body
            .write()
            .map_err(|()| "the request body could not be opened")?;
        for chunk in bytes.chunks(WRITE_CHUNK) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| format!("sending the request body failed ({})", stream_error(&e)))?;
        }
    }
    OutgoingBody::finish(body, None).map_err(|e| format!("the request failed ({e:?})"))
}

fn read_body(incoming: IncomingBody) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let stream = incoming
            .stream()
            .map_err(|()| "the answer's body could not be opened".to_string())?;
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => {
                    out.extend_from_slice(&chunk);
                    if out.len() > MAX_BODY {
                        return Err(format!("the answer is larger than {MAX_BODY} bytes"));
                    }
                }
                Err(StreamError::Closed) => break,
                Err(e) => return Err(format!("reading the answer failed ({})", stream_error(&e))),
            }
        }
    }
    drop(incoming);
    Ok(out)
}

fn stream_error(e: &StreamError) -> String {
    match e {
        StreamError::Closed => "closed".to_string(),
        StreamError::LastOperationFailed(err) => err.to_debug_string(),
    }
}

/// The failure a WASI HTTP error code means.
fn failure(what: &str, e: &ErrorCode) -> Failure {
    match e {
        ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout => {
            Failure::Timeout(format!("{what}: timed out ({e:?})"))
        }
        ErrorCode::HttpRequestDenied => Failure::Invalid(format!(
            "{what}: the host is not in the component's allowed_outbound_hosts"
        )),
        ErrorCode::HttpRequestUriInvalid => Failure::Invalid(format!("{what}: the URL is refused")),
        _ => Failure::Unreachable(format!("{what}: {e:?}")),
    }
}

/// `scheme://host[:port]/path?query` without the query.
pub fn without_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

fn split_url(url: &str) -> Option<(Scheme, &str, &str)> {
    let (scheme, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (Scheme::Https, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (Scheme::Http, rest)
    } else {
        return None;
    };
    let cut = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(cut);
    if authority.is_empty() {
        return None;
    }
    Some((scheme, authority, if path.is_empty() { "/" } else { path }))
}

/// Waits `d` without spinning.
pub fn sleep(d: Duration) {
    let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    wasi::clocks::monotonic_clock::subscribe_duration(nanos).block();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_never_carry_the_query() {
        let call = Call::get(
            "https://sandbox.vnpayment.vn/merchant_webapi/api/transaction?vnp_SecureHash=abc",
        );
        assert_eq!(
            call.describe(),
            "GET https://sandbox.vnpayment.vn/merchant_webapi/api/transaction"
        );
    }

    #[test]
    fn debug_output_carries_no_header_or_body() {
        let call = Call::post("https://pgapi.sepay.vn/v1/order?x=secret")
            .header("authorization", "Basic c2VjcmV0")
            .body("application/json", "{\"key\":\"secret\"}");
        let shown = format!("{call:?}");
        assert!(
            !shown.contains("secret") && !shown.contains("c2VjcmV0"),
            "{shown}"
        );
        assert!(
            shown.contains("POST https://pgapi.sepay.vn/v1/order"),
            "{shown}"
        );
    }

    #[test]
    fn urls_split_into_scheme_host_and_path() {
        let (_, host, path) = split_url("http://127.0.0.1:7070/v6/latest/USD?x=1").unwrap();
        assert_eq!((host, path), ("127.0.0.1:7070", "/v6/latest/USD?x=1"));
        let (_, host, path) = split_url("https://example.com").unwrap();
        assert_eq!((host, path), ("example.com", "/"));
        assert!(split_url("ftp://example.com/").is_none());
        assert!(split_url("https:///path").is_none());
    }
}

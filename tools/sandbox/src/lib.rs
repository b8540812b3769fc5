//! `souk-sandbox`: a local stand-in for the outside services Souk's providers talk to, speaking
//! their real protocols, so that Souk runs with no provider credentials and its tests exercise
//! the providers' real wire formats. It checks what it is sent the way the real service does
//! (signatures, required fields, amount and date formats) and answers and calls back the way
//! the real service does, signed — so a provider bug fails here, not on a real payment.
//!
//! - [`vnpay`]: VNPay's payment page (a developer or a test clicks pay, fail or cancel; the
//!   signed IPN then goes to Souk and the browser back to the return URL) and its `querydr`
//!   and `refund` API.
//! - [`sepay`]: SePay's checkout (the signed form; pay sends the IPN with its secret, fail and
//!   cancel only send the browser back).
//! - [`ghtk`]: GHTK's fee, create, status and cancel API, and a driver that moves shipments
//!   through GHTK's statuses, each sent as GHTK's webhook.
//! - [`nominatim`]: search and reverse over a small gazetteer, the usage policy enforced.
//! - [`rates`]: ExchangeRate-API's daily rates, fixed.
//!
//! State lives in memory: a restarted sandbox forgets its attempts, as a sandbox may.

pub mod ghtk;
pub mod nominatim;
pub mod rates;
pub mod sepay;
pub mod vnpay;

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use tokio::net::TcpListener;

/// What the sandbox plays, and where it calls back.
#[derive(Clone, Debug)]
pub struct Config {
    /// VNPay's side.
    pub vnpay: vnpay::Config,
    /// SePay's side.
    pub sepay: sepay::Config,
    /// GHTK's side.
    pub ghtk: ghtk::Config,
}

/// Every service's state.
struct Services {
    vnpay: Arc<vnpay::State>,
    sepay: Arc<sepay::State>,
    ghtk: Arc<ghtk::State>,
    nominatim: nominatim::State,
}

/// A response the sandbox sends.
pub type Reply = Response<Full<Bytes>>;

/// `body` with `status` and `content_type`.
pub fn reply(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Reply {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(body.into()))
        .expect("a status and a header make a response")
}

/// A JSON reply.
pub fn json(status: StatusCode, body: &serde_json::Value) -> Reply {
    reply(status, "application/json", body.to_string())
}

/// `s` safe inside HTML text and attribute values.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An HTML page titled `title` around `body` (already HTML).
pub fn page(status: StatusCode, title: &str, body: &str) -> Reply {
    let html = format!(
        "<!doctype html><meta charset=utf-8><title>{}</title>{body}",
        escape(title)
    );
    reply(status, "text/html; charset=utf-8", html)
}

/// The buttons of a payment page: each posts `reference` and its outcome to `action`, as a
/// developer's click or a test's `POST` does.
pub fn buttons(action: &str, reference: &str, outcomes: &[(&str, &str)]) -> String {
    outcomes
        .iter()
        .map(|(outcome, label)| {
            format!(
                "<form method=post action={action}><input type=hidden name=reference \
                 value=\"{}\"><input type=hidden name=outcome value={outcome}>\
                 <button>{}</button></form>",
                escape(reference),
                escape(label)
            )
        })
        .collect()
}

/// A 303 that sends the browser to `url` with `query` added.
pub fn redirect(url: &str, query: &str) -> Reply {
    let location = match (query.is_empty(), url.contains('?')) {
        (true, _) => url.to_string(),
        (false, true) => format!("{url}&{query}"),
        (false, false) => format!("{url}?{query}"),
    };
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header("location", location)
        .body(Full::new(Bytes::new()))
        .expect("a redirect")
}

/// The `reference` and `outcome` a payment page's button posted.
pub fn clicked(body: &[u8]) -> Option<(String, String)> {
    let form = protocols::form::parse(std::str::from_utf8(body).ok()?)?;
    Some((form.get("reference")?.clone(), form.get("outcome")?.clone()))
}

/// The client every service calls back with: a callback never hangs the sandbox.
pub fn callback_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .expect("a client with a timeout")
}

/// Runs `change` on the entry `key` of `entries`, when there is one (a callback's reply is
/// recorded on its attempt).
pub fn update<T>(
    entries: &std::sync::Mutex<std::collections::HashMap<String, T>>,
    key: &str,
    change: impl FnOnce(&mut T),
) {
    if let Some(entry) = entries.lock().expect("sandbox state lock").get_mut(key) {
        change(entry);
    }
}

/// Runs `send` until it says the callback was acknowledged, at most `attempts` times,
/// `every` apart; each try's result is recorded with `record`.
pub async fn keep_sending<F, Fut, R>(
    attempts: usize,
    every: std::time::Duration,
    mut send: F,
    mut record: R,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = (bool, String)>,
    R: FnMut(String),
{
    for attempt in 0..attempts {
        if attempt > 0 {
            tokio::time::sleep(every).await;
        }
        let (done, what) = send().await;
        record(what);
        if done {
            return;
        }
    }
}

/// A request as the handlers see it: method, path, query and the whole body.
pub struct Call {
    /// The method.
    pub method: Method,
    /// The path, without the query.
    pub path: String,
    /// The raw query, without `?`.
    pub query: String,
    /// The headers.
    pub headers: hyper::HeaderMap,
    /// The body.
    pub body: Bytes,
}

/// Serves the sandbox on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, config: Config) -> anyhow::Result<()> {
    let state = Arc::new(Services {
        vnpay: Arc::new(vnpay::State::new(config.vnpay)),
        sepay: Arc::new(sepay::State::new(config.sepay)),
        ghtk: Arc::new(ghtk::State::new(config.ghtk)),
        nominatim: nominatim::State::new(),
    });
    loop {
        let (stream, _) = listener.accept().await?;
        let state = state.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let state = state.clone();
                async move { Ok::<_, hyper::Error>(route(&state, req).await) }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            // A client that hangs up mid-request is its own business.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await;
        });
    }
}

/// Binds `addr` and serves there; answers the bound address (port 0 picks a free one).
pub async fn start(addr: SocketAddr, config: Config) -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = serve(listener, config).await {
            eprintln!("souk-sandbox stopped: {e:#}");
        }
    });
    Ok(bound)
}

async fn route(state: &Services, req: Request<Incoming>) -> Reply {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return reply(StatusCode::BAD_REQUEST, "text/plain", "unreadable body"),
    };
    let call = Call {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts.headers,
        body,
    };
    if let Some(reply) = vnpay::handle(&state.vnpay, &call).await {
        return reply;
    }
    if let Some(reply) = sepay::handle(&state.sepay, &call).await {
        return reply;
    }
    if let Some(reply) = ghtk::handle(&state.ghtk, &call).await {
        return reply;
    }
    if let Some(reply) = nominatim::handle(&state.nominatim, &call).await {
        return reply;
    }
    if let Some(reply) = rates::handle(&call).await {
        return reply;
    }
    reply(StatusCode::NOT_FOUND, "text/plain", "no such sandbox route")
}

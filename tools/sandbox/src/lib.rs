//! `souk-sandbox`: a local stand-in for the outside services Souk's providers talk to, speaking
//! their real protocols, so that Souk runs with no provider credentials and its tests exercise
//! the providers' real wire formats. It checks what it is sent the way the real service does
//! (signatures, required fields, amount and date formats) and answers and calls back the way
//! the real service does, signed — so a provider bug fails here, not on a real payment.
//!
//! - [`vnpay`]: VNPay's payment page (a developer or a test clicks pay, fail or cancel; the
//!   signed IPN then goes to Souk and the browser back to the return URL) and its `querydr`
//!   and `refund` API.
//!
//! State lives in memory: a restarted sandbox forgets its attempts, as a sandbox may.

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

/// A request as the handlers see it: method, path, query and the whole body.
pub struct Call {
    /// The method.
    pub method: Method,
    /// The path, without the query.
    pub path: String,
    /// The raw query, without `?`.
    pub query: String,
    /// The body.
    pub body: Bytes,
}

/// Serves the sandbox on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, config: Config) -> anyhow::Result<()> {
    let state = Arc::new(vnpay::State::new(config.vnpay));
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

async fn route(state: &Arc<vnpay::State>, req: Request<Incoming>) -> Reply {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return reply(StatusCode::BAD_REQUEST, "text/plain", "unreadable body"),
    };
    let call = Call {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        body,
    };
    match vnpay::handle(state, &call).await {
        Some(reply) => reply,
        None => reply(StatusCode::NOT_FOUND, "text/plain", "no such sandbox route"),
    }
}

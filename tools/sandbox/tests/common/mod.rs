//! What the sandbox tests share: a merchant endpoint that records the callbacks it gets and
//! answers as scripted, a sandbox on a free port, and a client that does not follow redirects.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use souk_sandbox::{Config, ghtk, sepay, vnpay};

/// One callback a merchant received.
#[derive(Clone, Debug)]
pub struct Received {
    /// The raw query.
    pub query: String,
    /// Its `X-Secret-Key` header.
    pub secret: Option<String>,
    /// Its body.
    pub body: Vec<u8>,
}

/// A merchant's callback endpoint: records every request and answers the next scripted
/// `(status, body)`, then `(200, {"RspCode":"00"})` once the script is spent.
#[derive(Clone, Default)]
pub struct Merchant {
    pub received: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<(u16, &'static str)>>>,
}

impl Merchant {
    /// Starts one; answers its address.
    pub async fn start(answers: &[(u16, &'static str)]) -> (Merchant, SocketAddr) {
        let m = Merchant::default();
        m.answers.lock().unwrap().extend(answers);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = m.clone();
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let m = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(
                        move |req: hyper::Request<hyper::body::Incoming>| {
                            let m = m.clone();
                            async move {
                                use http_body_util::BodyExt;
                                let query = req.uri().query().unwrap_or("").to_string();
                                let secret = req
                                    .headers()
                                    .get("x-secret-key")
                                    .and_then(|v| v.to_str().ok())
                                    .map(str::to_string);
                                let body = req.into_body().collect().await?.to_bytes().to_vec();
                                m.received.lock().unwrap().push(Received {
                                    query,
                                    secret,
                                    body,
                                });
                                let (status, body) = m
                                    .answers
                                    .lock()
                                    .unwrap()
                                    .pop_front()
                                    .unwrap_or((200, r#"{"RspCode":"00","Message":"ok"}"#));
                                Ok::<_, hyper::Error>(souk_sandbox::reply(
                                    hyper::StatusCode::from_u16(status).unwrap(),
                                    "application/json",
                                    body,
                                ))
                            }
                        },
                    );
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await;
                });
            }
        });
        (m, addr)
    }

    /// What it has received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

pub const VNPAY_TMN: &str = "SOUKTEST";
pub const VNPAY_SECRET: &str = "TESTSECRET0123456789ABCDEFGHIJKL";
pub const SEPAY_MERCHANT: &str = "SP-TEST-XXXX";
pub const SEPAY_KEY: &str = "spsk_test_FAKEFAKEFAKE";
pub const SEPAY_IPN_SECRET: &str = "ipn-secret-for-tests";

pub const GHTK_TOKEN: &str = "ghtk-token-for-tests";
pub const GHTK_SOURCE: &str = "S308157";
pub const GHTK_HOOK_SECRET: &str = "hook-secret";

/// A sandbox on a free port whose callbacks go to `vnpay_ipn`, `sepay_ipn` and `ghtk_hook`; its
/// base URL.
pub async fn sandbox(
    vnpay_ipn: Option<SocketAddr>,
    sepay_ipn: Option<SocketAddr>,
    ghtk_hook: Option<SocketAddr>,
) -> String {
    let config = Config {
        vnpay: vnpay::Config {
            tmn_code: VNPAY_TMN.into(),
            hash_secret: VNPAY_SECRET.into(),
            ipn_url: vnpay_ipn.map(|a| format!("http://{a}/ipn")),
            ipn_retry: Duration::from_millis(100),
        },
        sepay: sepay::Config {
            merchant: SEPAY_MERCHANT.into(),
            secret_key: SEPAY_KEY.into(),
            ipn_url: sepay_ipn.map(|a| format!("http://{a}/ipn")),
            ipn_secret: SEPAY_IPN_SECRET.into(),
            ipn_retry: Duration::from_millis(100),
        },
        ghtk: ghtk::Config {
            token: GHTK_TOKEN.into(),
            client_source: GHTK_SOURCE.into(),
            webhook_url: ghtk_hook.map(|a| format!("http://{a}/ghtk?hash={GHTK_HOOK_SECRET}")),
            webhook_retry: Duration::from_millis(100),
        },
    };
    let bound = souk_sandbox::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    format!("http://{bound}")
}

/// A client that shows redirects instead of following them.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Clicks `outcome` on the payment page whose buttons post to `action`.
pub async fn click(base: &str, action: &str, reference: &str, outcome: &str) -> reqwest::Response {
    client()
        .post(format!("{base}{action}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("reference={reference}&outcome={outcome}"))
        .send()
        .await
        .unwrap()
}

/// Polls `check` for up to 5 seconds.
pub async fn eventually<T>(mut check: impl FnMut() -> Option<T>) -> T {
    for _ in 0..100 {
        if let Some(v) = check() {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not within 5 seconds");
}

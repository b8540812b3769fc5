//! The HTTP trigger: the server, request routing with Spin's `spin-*` headers, per-request
//! instances, outbound HTTP with `allowed_outbound_hosts`, and service chaining to
//! `http://<component>.spin.internal`, which runs that component in-process without a socket.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, SizeHint};
use tokio::net::TcpListener;
use wasmtime::{Store, UpdateDeadline};
use wasmtime_wasi_http::p2::bindings::http::types::{ErrorCode, Scheme};
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{RequestOptions, WasiBody, WasiHttpHooks, WasiHttpView};

use crate::app::{App, LoadedComponent};
use crate::host_log;
use crate::outbound::Destination;
use crate::state::HostState;

/// Requests served at once; more wait for a slot. Each holds an instance of the pool (see
/// `app::POOLED_INSTANCES`), and one more for every chained call it waits on, so this leaves
/// room for chains three deep and for the redis trigger's instances.
pub const MAX_CONCURRENT_REQUESTS: usize = 256;

/// How long a shutdown waits for requests in flight before it stops anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Where a request came from: the network, or another component through service chaining.
#[derive(Clone, Debug)]
pub enum Origin {
    /// A client connection on the listener.
    Network {
        /// The client's address (`spin-client-addr`).
        client: SocketAddr,
        /// The `Host` the client addressed, or the listen address.
        host: String,
    },
    /// Service chaining from the named component.
    Chained {
        /// The calling component.
        caller: String,
    },
}

/// The `WasiHttpHooks` of one instance: decides where its outbound requests may go.
pub struct OutboundHttp {
    app: Arc<App>,
    component: Arc<LoadedComponent>,
    chaining: bool,
}

impl OutboundHttp {
    /// Hooks for an instance of `component`; `chaining` is whether it may use service chaining,
    /// which Spin offers only to instances the HTTP trigger runs.
    pub fn new(app: Arc<App>, component: Arc<LoadedComponent>, chaining: bool) -> Self {
        OutboundHttp {
            app,
            component,
            chaining,
        }
    }
}

type SendFuture = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<WasiBody>,
                Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            )>,
        > + Send,
>;

fn done() -> Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send> {
    Box::new(async { Ok(()) })
}

/// Refuses `request` with `HttpRequestDenied`. Its body is read to its end in the background
/// first: a guest writes the body after `handle` returns and only then awaits the response, so
/// dropping the body at once would fail that write ("stream closed") instead of showing the
/// guest the denial, as Spin does.
fn deny(request: http::Request<WasiBody>) -> SendFuture {
    let mut body = request.into_body();
    tokio::spawn(async move { while let Some(Ok(_)) = body.frame().await {} });
    Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) })
}

impl WasiHttpHooks for OutboundHttp {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> SendFuture {
        let uri = request.uri().to_string();
        let Some(dest) = Destination::parse(&uri, "https") else {
            return Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestUriInvalid) });
        };
        if let Some(target) = dest.chaining_target() {
            if !self.chaining && !self.component.caps.allowed_hosts.allows(&dest) {
                return deny(request);
            }
            if !self.chaining {
                // Spin installs its chaining interceptor only in the HTTP trigger: elsewhere
                // `<id>.spin.internal` is an ordinary host name, which does not resolve (only
                // a catch-all entry such as `*://*:*` lets such a component try; one naming
                // `*.spin.internal` is refused at start-up).
                host_log!(
                    "[{}] service chaining to {} is not available outside the HTTP trigger; \
                     the name does not resolve",
                    self.component.id,
                    dest.host
                );
                return Box::new(async {
                    Err(wasmtime_wasi_http::Error::DnsError {
                        rcode: Some("NXDOMAIN".into()),
                        info_code: None,
                    })
                });
            }
            if !self.component.caps.allowed_hosts.allows_chaining_to(target) {
                host_log!(
                    "[{}] outbound request to {} denied: not in allowed_outbound_hosts",
                    self.component.id,
                    dest.host
                );
                return deny(request);
            }
            let app = self.app.clone();
            let target = target.to_string();
            let origin = Origin::Chained {
                caller: self.component.id.clone(),
            };
            return Box::new(async move {
                let response = app.dispatch(&target, request, origin).await?;
                Ok((response, done()))
            });
        }
        if !self.component.caps.allowed_hosts.allows(&dest) {
            host_log!(
                "[{}] outbound request to {}://{}:{} denied: not in allowed_outbound_hosts",
                self.component.id,
                dest.scheme,
                dest.host,
                dest.port.map_or_else(String::new, |p| p.to_string())
            );
            return deny(request);
        }
        Box::new(async move {
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}

fn header(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn plain(status: StatusCode, text: &'static str) -> Response<HyperOutgoingBody> {
    let mut response = Response::new(
        Full::new(Bytes::from_static(text.as_bytes()))
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *response.status_mut() = status;
    response
}

/// The host's answer to a request body over the limit: 413 with the error shape Souk's API uses,
/// so a client sees the same `payload_too_large` whether the host or the component refused it.
fn too_large(limit: u64) -> Response<HyperOutgoingBody> {
    let body = serde_json::json!({ "error": {
        "code": "payload_too_large",
        "message": format!("the request body is over the {limit}-byte limit"),
    }});
    let mut response = Response::new(
        Full::new(Bytes::from(body.to_string()))
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A client's request body, cut off past `limit` bytes: the frame that crosses it fails the
/// guest's read (`HttpRequestBodySize`) and raises `over`, so the host answers 413 whatever
/// the guest then makes of the failed read. Bytes are counted as they stream in; nothing is
/// buffered here.
struct CappedBody<B> {
    inner: Pin<Box<B>>,
    left: u64,
    limit: u64,
    over: Arc<AtomicBool>,
}

impl<B> Body for CappedBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<wasmtime_wasi_http::Error>,
{
    type Data = Bytes;
    type Error = wasmtime_wasi_http::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        match this.inner.as_mut().poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let len = frame.data_ref().map_or(0, |d| d.len() as u64);
                if len > this.left {
                    this.left = 0;
                    this.over.store(true, Ordering::SeqCst);
                    return Poll::Ready(Some(Err(wasmtime_wasi_http::Error::HttpRequestBodySize(
                        Some(this.limit),
                    ))));
                }
                this.left -= len;
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The body length a request declares in `Content-Length`, when it declares one.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The `spin-*` headers for a request routed as `m` from `origin`.
fn spin_headers(headers: &mut HeaderMap, path_and_query: &str, m: &RoutedAs, origin: &Origin) {
    // Clients must not be able to pose as the host: drop any spin-* header they sent.
    let spoofed: Vec<HeaderName> = headers
        .keys()
        .filter(|k| k.as_str().starts_with("spin-"))
        .cloned()
        .collect();
    for name in spoofed {
        headers.remove(name);
    }
    headers.remove(http::header::HOST);
    let mut set = |name: &str, value: &str| {
        if let Ok(name) = HeaderName::from_bytes(name.as_bytes()) {
            headers.insert(name, header(value));
        }
    };
    match origin {
        Origin::Network { client, host } => {
            set("spin-full-url", &format!("http://{host}{path_and_query}"));
            set("spin-client-addr", &client.to_string());
        }
        Origin::Chained { .. } => {
            set(
                "spin-full-url",
                &format!("http://localhost{path_and_query}"),
            );
            set("spin-client-addr", "0.0.0.0:0");
        }
    }
    set("spin-path-info", &m.path_info);
    set("spin-matched-route", &m.matched_route);
    set("spin-raw-component-route", &m.matched_route);
    set("spin-component-route", &m.component_route);
    set("spin-base-path", "/");
    for (name, value) in &m.params {
        set(&format!("spin-path-match-{name}"), value);
    }
}

/// How a request reached its component.
struct RoutedAs {
    matched_route: String,
    component_route: String,
    path_info: String,
    params: Vec<(String, String)>,
}

impl App {
    /// Routes a network request and runs its component.
    pub async fn handle_network<B>(
        self: &Arc<Self>,
        request: Request<B>,
        client: SocketAddr,
        listen: SocketAddr,
    ) -> Response<HyperOutgoingBody>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let started = Instant::now();
        let method = request.method().clone();
        let path = request.uri().path().to_string();
        let host = request
            .headers()
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map_or_else(|| listen.to_string(), str::to_string);
        let (component, status, response) = match self.router.route(&path) {
            None => (
                "-".to_string(),
                StatusCode::NOT_FOUND,
                // Spin answers an unmatched path with an empty 404.
                plain(StatusCode::NOT_FOUND, ""),
            ),
            Some(m) => {
                let routed = RoutedAs {
                    matched_route: m.raw_route.to_string(),
                    component_route: m.component_route.to_string(),
                    path_info: m.path_info.clone(),
                    params: m.params.clone(),
                };
                let id = m.component.to_string();
                let limit = self.max_request_body;
                let response = if declared_length(request.headers()).is_some_and(|n| n > limit) {
                    // Refused before a byte of the body is read, let alone handed to the guest.
                    too_large(limit)
                } else {
                    let over = Arc::new(AtomicBool::new(false));
                    let request = request.map(|body| CappedBody {
                        inner: Box::pin(body),
                        left: limit,
                        limit,
                        over: over.clone(),
                    });
                    let outcome = self
                        .run_http(&id, request, routed, Origin::Network { client, host })
                        .await;
                    match outcome {
                        // A streamed body that ran past the limit: whatever the guest answered
                        // (or however it failed) after its read was cut off.
                        _ if over.load(Ordering::SeqCst) => too_large(limit),
                        Ok(r) => r,
                        Err(e) => {
                            host_log!("[{id}] request failed: {e:#}");
                            plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
                        }
                    }
                };
                (id, response.status(), response)
            }
        };
        host_log!(
            "{method} {path} {component} {} {}ms",
            status.as_u16(),
            started.elapsed().as_millis()
        );
        response
    }

    /// Runs component `id` for a service-chaining request from another component.
    pub async fn dispatch<B>(
        self: &Arc<Self>,
        id: &str,
        request: Request<B>,
        origin: Origin,
    ) -> wasmtime_wasi_http::Result<Response<WasiBody>>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let started = Instant::now();
        let method = request.method().clone();
        let path = request.uri().path().to_string();
        let routed = RoutedAs {
            matched_route: "/...".into(),
            component_route: String::new(),
            path_info: path.clone(),
            params: Vec::new(),
        };
        let caller = match &origin {
            Origin::Chained { caller } => caller.clone(),
            Origin::Network { .. } => "-".into(),
        };
        match self.run_http(id, request, routed, origin).await {
            Ok(response) => {
                host_log!(
                    "{method} {path} {id} {} {}ms (chained from {caller})",
                    response.status().as_u16(),
                    started.elapsed().as_millis()
                );
                Ok(response)
            }
            Err(e) => {
                host_log!(
                    "{method} {path} {id} failed {}ms (chained from {caller}): {e:#}",
                    started.elapsed().as_millis()
                );
                Err(wasmtime_wasi_http::Error::InternalError(Some(format!(
                    "component `{id}` failed"
                ))))
            }
        }
    }

    /// Instantiates component `id` and hands it the request; resolves when the response head
    /// is ready (the body keeps streaming from the instance's task).
    async fn run_http<B>(
        self: &Arc<Self>,
        id: &str,
        request: Request<B>,
        routed: RoutedAs,
        origin: Origin,
    ) -> anyhow::Result<Response<HyperOutgoingBody>>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let component = self
            .components
            .get(id)
            .ok_or_else(|| anyhow::anyhow!("no component `{id}`"))?
            .clone();
        let pre = component
            .http
            .clone()
            .ok_or_else(|| anyhow::anyhow!("component `{id}` does not handle HTTP"))?;

        let (mut parts, body) = request.into_parts();
        let path_and_query = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        spin_headers(&mut parts.headers, &path_and_query, &routed, &origin);
        // A chained request keeps the URI the caller addressed (`<id>.spin.internal`), while
        // its `spin-full-url` says `localhost`, as under Spin.
        let authority = match &origin {
            Origin::Network { host, .. } => host.clone(),
            Origin::Chained { .. } => format!("{id}{}", crate::outbound::SERVICE_CHAINING_SUFFIX),
        };
        parts.uri = http::Uri::builder()
            .scheme("http")
            .authority(authority)
            .path_and_query(path_and_query)
            .build()?;
        let request = Request::from_parts(parts, body);

        let mut store = self.store(&component, true)?;
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let req = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, request)?;
        let out = store.data_mut().http().new_response_outparam(sender)?;
        let timeout = self.request_timeout;
        let task_id = id.to_string();
        let task = tokio::spawn(async move {
            let run = async {
                let proxy = pre.instantiate_async(&mut store).await?;
                proxy
                    .wasi_http_incoming_handler()
                    .call_handle(&mut store, req, out)
                    .await
            };
            match tokio::time::timeout(timeout, run).await {
                Ok(result) => result,
                Err(_) => Err(wasmtime::Error::msg(format!(
                    "component `{task_id}` ran past the {}s request limit",
                    timeout.as_secs()
                ))),
            }
        });
        match receiver.await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(code)) => Err(anyhow::anyhow!(
                "component `{id}` answered with an error: {code:?}"
            )),
            Err(_) => match task.await {
                Ok(Ok(())) => Err(anyhow::anyhow!(
                    "component `{id}` returned without setting a response"
                )),
                Ok(Err(e)) => Err(anyhow::anyhow!("component `{id}` trapped: {e:#}")),
                Err(e) => Err(anyhow::anyhow!("component `{id}` task failed: {e}")),
            },
        }
    }

    /// A fresh store for one instance of `component`, with its limits and deadline;
    /// `chaining` lets it use service chaining (HTTP-triggered instances only, as in Spin).
    pub fn store(
        self: &Arc<Self>,
        component: &Arc<LoadedComponent>,
        chaining: bool,
    ) -> anyhow::Result<Store<HostState>> {
        let mut store = Store::new(&self.engine, HostState::new(self, component, chaining)?);
        store.limiter(|s| &mut s.limits);
        let started = Instant::now();
        let timeout = self.request_timeout;
        // Every tick the guest yields to the executor (so one busy guest cannot starve the
        // others on a worker thread) and is stopped once past its deadline.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            if started.elapsed() > timeout {
                Ok(UpdateDeadline::Interrupt)
            } else {
                Ok(UpdateDeadline::Yield(1))
            }
        });
        Ok(store)
    }
}

/// Serves the application on `listener` until `shutdown` resolves, then lets requests in
/// flight finish for up to [`SHUTDOWN_GRACE`].
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let listen = listener.local_addr()?;
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_REQUESTS));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let builder =
        hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    tokio::pin!(shutdown);
    loop {
        let (stream, client) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    host_log!("accept failed: {e}");
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // A response goes out in more than one write (head, then body chunks): without
        // NODELAY, Nagle holds the last one until the client's delayed ACK, up to 40 ms.
        if let Err(e) = stream.set_nodelay(true) {
            host_log!("cannot set TCP_NODELAY for {client}: {e}");
        }
        let app = app.clone();
        let slots = slots.clone();
        let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
            let app = app.clone();
            let slots = slots.clone();
            async move {
                let _slot = slots.acquire_owned().await;
                Ok::<_, std::convert::Infallible>(app.handle_network(req, client, listen).await)
            }
        });
        let conn =
            builder.serve_connection_with_upgrades(hyper_util::rt::TokioIo::new(stream), service);
        let conn = graceful.watch(conn.into_owned());
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                let text = e.to_string();
                if !text.contains("connection closed") && !text.contains("reset") {
                    host_log!("connection from {client}: {text}");
                }
            }
        });
    }
    host_log!(
        "shutting down: waiting up to {}s for requests in flight",
        SHUTDOWN_GRACE.as_secs()
    );
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        host_log!(
            "requests still running after {}s; stopping anyway",
            SHUTDOWN_GRACE.as_secs()
        );
    }
    Ok(())
}

/// Error code a guest sees for an outbound request that failed before any response.
pub fn error_code(e: &wasmtime_wasi_http::Error) -> ErrorCode {
    match e {
        wasmtime_wasi_http::Error::HttpRequestDenied => ErrorCode::HttpRequestDenied,
        _ => ErrorCode::InternalError(Some(crate::redact::credentials(&format!("{e:?}")))),
    }
}

//! Routing on method and path, and the per-request context handlers receive.
//!
//! A component is reached at its full path: `/api/v1/<module>/...` from clients, and
//! `/internal/...` from other modules through Spin's service chaining (where `spin-path-info`
//! is the whole path). Every `/internal/...` route requires the `service_token` variable in
//! the `x-souk-service-token` header; public routes never start with `/internal/`.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use spin_sdk::http::{Method, Request, Response};

use crate::auth;
pub use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::platform::{Platform, Spin};

pub use crate::auth::SERVICE_TOKEN_HEADER;

/// Header carrying the request id across modules and back to the client.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Longest accepted `x-request-id`; longer (or odd) ids are replaced by a fresh one.
const MAX_REQUEST_ID_LEN: usize = 128;

/// Work that runs after the response has been sent.
type Deferred = Pin<Box<dyn Future<Output = ()>>>;

thread_local! {
    // A component instance serves one request on one thread, so the queue is per request.
    static DEFERRED: RefCell<Vec<Deferred>> = const { RefCell::new(Vec::new()) };
}

/// Runs `work` after this request's response has gone out, before the instance ends: the
/// caller gets its answer without waiting for it. Spin (and souk-host) keep an HTTP instance
/// running until its handler returns, so the work is not cut short; its failures can only be
/// logged. The durable component answers each wake-up this way, because the redis trigger
/// handles one message at a time and waits for every handler.
pub fn after_response(work: impl Future<Output = ()> + 'static) {
    DEFERRED.with(|d| d.borrow_mut().push(Box::pin(work)));
}

/// The HTTP methods routes use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

impl Verb {
    fn of(method: &Method) -> Option<Verb> {
        Some(match method {
            Method::Get | Method::Head => Verb::Get,
            Method::Post => Verb::Post,
            Method::Put => Verb::Put,
            Method::Patch => Verb::Patch,
            Method::Delete => Verb::Delete,
            _ => return None,
        })
    }

    /// Upper-case name, as in `Allow`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Patch => "PATCH",
            Verb::Delete => "DELETE",
        }
    }
}

type HandlerFuture = Pin<Box<dyn Future<Output = ApiResult<Response>>>>;
type Handler = Box<dyn Fn(Ctx, Request) -> HandlerFuture>;

struct Route {
    verb: Verb,
    pattern: String,
    segments: Vec<Segment>,
    handler: Handler,
    keys: Keys,
}

/// What a route does with `Idempotency-Key` (see [`crate::idempotency`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Keys {
    /// A mutating route: a request with a key has its effect once, a repeat gets the first
    /// answer. The default for POST, PUT, PATCH and DELETE.
    Honoured,
    /// As `Honoured`, and a request without a key is refused (internal calls that must be
    /// exactly-once).
    Required,
    /// Reads, and the machinery's own routes (relays, wake-ups), which are safe to repeat.
    Ignored,
}

enum Segment {
    Literal(String),
    Param(String),
}

/// A component's routes.
pub struct Router {
    module: &'static str,
    routes: Vec<Route>,
    /// Whether the module keeps idempotency records (its schema has kit's `idempotency`
    /// tables); a component without a database does not.
    keeps_keys: bool,
}

impl Router {
    /// A router for `module`, with its `GET /api/v1/<module>/health` already mounted.
    pub fn new(module: &'static str) -> Router {
        let router = Router {
            module,
            routes: Vec::new(),
            keeps_keys: true,
        };
        router.get(&format!("/api/v1/{module}/health"), crate::health::get)
    }

    /// Adds a route; `pattern` segments starting with `:` are parameters.
    pub fn route<F, Fut>(mut self, verb: Verb, pattern: &str, handler: F) -> Router
    where
        F: Fn(Ctx, Request) -> Fut + 'static,
        Fut: Future<Output = ApiResult<Response>> + 'static,
    {
        let segments = pattern
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| match s.strip_prefix(':') {
                Some(name) => Segment::Param(name.to_string()),
                None => Segment::Literal(s.to_string()),
            })
            .collect();
        self.routes.push(Route {
            verb,
            pattern: pattern.to_string(),
            segments,
            handler: Box::new(move |ctx, req| Box::pin(handler(ctx, req))),
            keys: if verb == Verb::Get {
                Keys::Ignored
            } else {
                Keys::Honoured
            },
        });
        self
    }

    fn last_route_keys(mut self, keys: Keys) -> Router {
        if let Some(route) = self.routes.last_mut() {
            route.keys = keys;
        }
        self
    }

    /// The route added last refuses a request without `Idempotency-Key` (400
    /// `idempotency_key_required`).
    pub fn key_required(self) -> Router {
        self.last_route_keys(Keys::Required)
    }

    /// The route added last ignores `Idempotency-Key`: it is safe to repeat (a POST that only
    /// reads, a relay, a wake-up).
    pub fn unkeyed(self) -> Router {
        self.last_route_keys(Keys::Ignored)
    }

    /// The module keeps no idempotency records (no database): every route ignores
    /// `Idempotency-Key`.
    pub fn without_idempotency(mut self) -> Router {
        self.keeps_keys = false;
        self
    }

    /// `GET pattern`.
    pub fn get<F, Fut>(self, pattern: &str, handler: F) -> Router
    where
        F: Fn(Ctx, Request) -> Fut + 'static,
        Fut: Future<Output = ApiResult<Response>> + 'static,
    {
        self.route(Verb::Get, pattern, handler)
    }

    /// `POST pattern`.
    pub fn post<F, Fut>(self, pattern: &str, handler: F) -> Router
    where
        F: Fn(Ctx, Request) -> Fut + 'static,
        Fut: Future<Output = ApiResult<Response>> + 'static,
    {
        self.route(Verb::Post, pattern, handler)
    }

    /// `PUT pattern`.
    pub fn put<F, Fut>(self, pattern: &str, handler: F) -> Router
    where
        F: Fn(Ctx, Request) -> Fut + 'static,
        Fut: Future<Output = ApiResult<Response>> + 'static,
    {
        self.route(Verb::Put, pattern, handler)
    }

    /// `PATCH pattern`.
    pub fn patch<F, Fut>(self, pattern: &str, handler: F) -> Router
    where
        F: Fn(Ctx, Request) -> Fut + 'static,
        Fut: Future<Output = ApiResult<Response>> + 'static,
    {
        self.route(Verb::Patch, pattern, handler)
    }

    /// `DELETE pattern`.
    pub fn delete<F, Fut>(self, pattern: &str, handler: F) -> Router
    where
        F: Fn(Ctx, Request) -> Fut + 'static,
        Fut: Future<Output = ApiResult<Response>> + 'static,
    {
        self.route(Verb::Delete, pattern, handler)
    }

    /// Every `(verb, pattern)`, e.g. to check the OpenAPI document covers them.
    pub fn routes(&self) -> impl Iterator<Item = (Verb, &str)> + '_ {
        self.routes.iter().map(|r| (r.verb, r.pattern.as_str()))
    }

    /// The module name.
    pub fn module(&self) -> &'static str {
        self.module
    }

    /// Serves one request: request id, internal-route guard, routing, handler, error body.
    /// Serves `req` on `out`: the response goes out first, then the work handlers left with
    /// [`after_response`] runs before the instance ends. The entry point of every component.
    pub async fn serve(&self, req: Request, out: spin_sdk::http::ResponseOutparam) {
        let mut response = self.handle(req).await;
        let body = std::mem::take(response.body_mut());
        match spin_sdk::http::OutgoingResponse::try_from(response) {
            // The body is finished when `set_with_body` returns (its sink is dropped there),
            // so the caller has the whole response before the deferred work starts.
            Ok(response) => {
                if let Err(e) = out.set_with_body(response, body).await {
                    crate::log::warn(format_args!("sending the response: {e}"));
                }
            }
            Err(e) => crate::log::warn(format_args!("building the response: {e}")),
        }
        let work: Vec<Deferred> = DEFERRED.with(|d| d.borrow_mut().drain(..).collect());
        for task in work {
            task.await;
        }
    }

    /// Serves one request through Spin: request id, internal-route guard, routing, handler,
    /// error body.
    pub async fn handle(&self, req: Request) -> Response {
        self.handle_on(Rc::new(Spin), req).await
    }

    /// [`Router::handle`] on any platform: a native test serves requests with this.
    pub async fn handle_on(&self, platform: Rc<dyn Platform>, req: Request) -> Response {
        let request_id = request_id_of(&req);
        crate::log::set_request_id(&request_id);
        let mut response = match self.dispatch(platform, &request_id, req).await {
            Ok(response) => response,
            Err(e) => {
                if e.status >= 500 {
                    crate::log::warn(format_args!("answered {}", e));
                }
                crate::json::error_response(&e, &request_id)
            }
        };
        response.set_header(REQUEST_ID_HEADER, request_id);
        response
    }

    async fn dispatch(
        &self,
        platform: Rc<dyn Platform>,
        request_id: &str,
        req: Request,
    ) -> ApiResult<Response> {
        let path = req.path().to_string();
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let matching: Vec<(&Route, Vec<(String, String)>)> = self
            .routes
            .iter()
            .filter_map(|r| r.matches(&segments).map(|params| (r, params)))
            .collect();
        if matching.is_empty() {
            return Err(ApiError::not_found(
                "not_found",
                format!("no route for {path}"),
            ));
        }
        let verb = Verb::of(req.method());
        let Some((route, params)) = matching.iter().find(|(r, _)| Some(r.verb) == verb) else {
            let mut allow: Vec<&str> = matching.iter().map(|(r, _)| r.verb.as_str()).collect();
            allow.dedup();
            return Err(ApiError::method_not_allowed(&path, &allow));
        };
        let mut ctx = Ctx::new(self.module, platform);
        ctx.request_id = request_id.to_string();
        ctx.params = params.clone();
        ctx.declared = route.declared();
        ctx.query = req.query().to_string();
        ctx.authorization = header(&req, "authorization");
        ctx.idempotency_key = header(&req, "idempotency-key");
        // The guard follows the route, not the spelling of the path: whatever reached an
        // internal route (`//internal/x`, `/internal//x`) is an internal call.
        if route.is_internal() {
            auth::check_service_token(&req, &ctx.settings)?;
        }
        let keys = if self.keeps_keys {
            route.keys
        } else {
            Keys::Ignored
        };
        let response = match (keys, ctx.idempotency_key.clone()) {
            (Keys::Ignored, _) => (route.handler)(ctx.share(), req).await,
            (Keys::Required, None) => Err(ApiError::bad_request(
                "idempotency_key_required",
                "this call needs an Idempotency-Key header",
            )),
            (Keys::Honoured, None) => (route.handler)(ctx.share(), req).await,
            (Keys::Honoured | Keys::Required, Some(key)) => {
                let caller = if route.is_internal() {
                    "internal".to_string()
                } else {
                    ctx.optional_user()
                        .ok()
                        .flatten()
                        .map_or_else(|| "anonymous".to_string(), |c| c.sub.to_string())
                };
                let handler = &route.handler;
                let shared = ctx.share();
                crate::idempotency::serve(&ctx, &key, &caller, req, async move |req| {
                    handler(shared, req).await
                })
                .await
            }
        };
        ctx.finish_after_commit(response.is_ok()).await;
        ctx.flush_wake_ups();
        response
    }
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.header(name)
        .and_then(|v| v.as_str())
        .map(str::to_string)
}

impl Route {
    fn matches(&self, path: &[&str]) -> Option<Vec<(String, String)>> {
        if path.len() != self.segments.len() {
            return None;
        }
        let mut params = Vec::new();
        for (seg, actual) in self.segments.iter().zip(path) {
            match seg {
                Segment::Literal(l) if l == actual => {}
                Segment::Literal(_) => return None,
                Segment::Param(name) => params.push((name.clone(), percent_decode(actual))),
            }
        }
        Some(params)
    }

    /// Whether the route is an `/internal/...` one (its first segment).
    fn is_internal(&self) -> bool {
        matches!(self.segments.first(), Some(Segment::Literal(l)) if l == "internal")
    }

    fn declared(&self) -> Vec<String> {
        self.segments
            .iter()
            .filter_map(|s| match s {
                Segment::Param(name) => Some(name.clone()),
                Segment::Literal(_) => None,
            })
            .collect()
    }
}

/// A path segment percent-decoded as a path is: `+` and `&` stay literal (form decoding, for
/// query strings, would turn `+` into a space).
fn percent_decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

/// The caller's `x-request-id` when sane, otherwise a fresh one.
fn request_id_of(req: &Request) -> String {
    req.header(REQUEST_ID_HEADER)
        .and_then(|v| v.as_str())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= MAX_REQUEST_ID_LEN
                && v.bytes().all(|b| b.is_ascii_graphic())
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
}

//! Routing on method and path, and the per-request context handlers receive.
//!
//! A component is reached at its full path: `/api/v1/<module>/...` from clients, and
//! `/internal/...` from other modules through Spin's service chaining (where `spin-path-info`
//! is the whole path). Every `/internal/...` route requires the `service_token` variable in
//! the `x-souk-service-token` header; public routes never start with `/internal/`.

use std::cell::OnceCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use spin_sdk::http::{Method, Request, Response};

use crate::auth::{self, Claims};
use crate::config::Settings;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};

/// Header carrying the service token on internal calls.
pub const SERVICE_TOKEN_HEADER: &str = "x-souk-service-token";

/// Header carrying the request id across modules and back to the client.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Longest accepted `x-request-id`; longer (or odd) ids are replaced by a fresh one.
const MAX_REQUEST_ID_LEN: usize = 128;

/// Work that runs after the response has been sent.
type Deferred = Pin<Box<dyn Future<Output = ()>>>;

thread_local! {
    // A component instance serves one request on one thread, so the queue is per request.
    static DEFERRED: std::cell::RefCell<Vec<Deferred>> = const { std::cell::RefCell::new(Vec::new()) };
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
}

enum Segment {
    Literal(String),
    Param(String),
}

/// A component's routes.
pub struct Router {
    module: &'static str,
    routes: Vec<Route>,
}

impl Router {
    /// A router for `module`, with its `GET /api/v1/<module>/health` already mounted.
    pub fn new(module: &'static str) -> Router {
        let router = Router {
            module,
            routes: Vec::new(),
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
        });
        self
    }

    /// Mounts `POST /internal/outbox/relay`, for a module that sends outbox messages (its
    /// schema then has an `outbox` table).
    pub fn with_outbox(self) -> Router {
        self.post("/internal/outbox/relay", crate::outbox::relay)
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

    pub async fn handle(&self, req: Request) -> Response {
        let request_id = request_id_of(&req);
        crate::log::set_request_id(&request_id);
        let mut response = match self.dispatch(&request_id, req).await {
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

    async fn dispatch(&self, request_id: &str, req: Request) -> ApiResult<Response> {
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
            let allow: Vec<&str> = matching.iter().map(|(r, _)| r.verb.as_str()).collect();
            return Err(ApiError::new(
                405,
                "method_not_allowed",
                format!("{path} allows {}", allow.join(", ")),
            ));
        };
        let settings = Rc::new(Settings::load()?);
        if path.starts_with("/internal/") {
            auth::check_service_token(&req, &settings)?;
        }
        let ctx = Ctx {
            request_id: request_id.to_string(),
            module: self.module,
            params: params.clone(),
            query: req.query().to_string(),
            authorization: req
                .header("authorization")
                .and_then(|v| v.as_str())
                .map(str::to_string),
            idempotency_key: req
                .header("idempotency-key")
                .and_then(|v| v.as_str())
                .map(str::to_string),
            settings,
            db: OnceCell::new(),
        };
        (route.handler)(ctx, req).await
    }
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
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
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

/// What a handler knows about its request beyond the request itself.
pub struct Ctx {
    /// The request id (logged, returned, forwarded).
    pub request_id: String,
    /// The module serving the request.
    pub module: &'static str,
    params: Vec<(String, String)>,
    query: String,
    authorization: Option<String>,
    idempotency_key: Option<String>,
    settings: Rc<Settings>,
    db: OnceCell<Db>,
}

impl Ctx {
    /// A path parameter by name (`:id` → `param("id")`); routes guarantee it exists.
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }

    /// A path parameter that must be a UUID; anything else names no resource, so 404.
    pub fn param_id(&self, name: &str, what: &str) -> ApiResult<uuid::Uuid> {
        self.param(name).parse().map_err(|_| {
            ApiError::not_found(
                format!("{what}_not_found"),
                format!("no {what} with id {}", self.param(name)),
            )
        })
    }

    /// The first value of a query parameter, decoded.
    pub fn query(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// Every value of a query parameter (`?tag=a&tag=b` and `?tag=a,b` both give `[a, b]`).
    pub fn query_all(&self, name: &str) -> Vec<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// The settings read from Spin variables.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The request's database connection, opened on first use.
    pub fn db(&self) -> ApiResult<&Db> {
        if let Some(db) = self.db.get() {
            return Ok(db);
        }
        let db = Db::connect(&self.settings.database_url)?;
        Ok(self.db.get_or_init(|| db))
    }

    /// The authenticated account, from `Authorization: Bearer <access token>`; 401 otherwise.
    pub fn user(&self) -> ApiResult<Claims> {
        let header = self.authorization.as_deref().ok_or_else(|| {
            ApiError::unauthorized(
                "this endpoint needs an access token: Authorization: Bearer <token>",
            )
        })?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .unwrap_or(header)
            .trim();
        auth::verify(
            token,
            self.settings.jwt_signing_key.as_bytes(),
            crate::time::now(),
        )
    }

    /// The authenticated account when a token is given; `None` without one; 401 for a bad one.
    pub fn optional_user(&self) -> ApiResult<Option<Claims>> {
        match self.authorization {
            None => Ok(None),
            Some(_) => self.user().map(Some),
        }
    }

    /// The `Idempotency-Key` header, when the caller sent one.
    pub fn idempotency_key(&self) -> Option<&str> {
        self.idempotency_key.as_deref()
    }
}

/// Declares a component's HTTP entry point — serving `router()` — and the unit test that keeps
/// the OpenAPI document (`docs/openapi.json`) in step with the router's public routes.
///
/// ```ignore
/// kit::component!(router);
/// ```
#[macro_export]
macro_rules! component {
    ($router:ident) => {
        #[::spin_sdk::http_component]
        async fn handle(req: $crate::Request, out: ::spin_sdk::http::ResponseOutparam) {
            $router().serve(req, out).await
        }

        #[cfg(test)]
        mod openapi_coverage {
            #[test]
            fn every_public_route_is_in_the_openapi_document_and_back() {
                let document = include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../docs/openapi.json"
                ));
                let problems = $crate::openapi::mismatches(&super::$router(), document);
                assert!(problems.is_empty(), "{problems:#?}");
            }
        }
    };
}

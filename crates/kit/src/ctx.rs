//! The request context a handler receives: the request's id, path parameters, query, caller
//! credentials and `Idempotency-Key`, the component's variables, its one database connection
//! (opened on first use) and the platform it runs on. The router builds it for each request; a
//! native test builds one with [`Ctx::new`].

use std::cell::{OnceCell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use crate::auth::{self, Claims};
use crate::config::Settings;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::platform::{Platform, RedisCommand};

/// What a handler knows about its request beyond the request itself.
pub struct Ctx {
    /// The request id (logged, returned, forwarded).
    pub request_id: String,
    /// The module serving the request.
    pub module: &'static str,
    pub(crate) params: Vec<(String, String)>,
    pub(crate) declared: Vec<String>,
    pub(crate) query: String,
    pub(crate) authorization: Option<String>,
    pub(crate) idempotency_key: Option<String>,
    platform: Rc<dyn Platform>,
    pub(crate) settings: Rc<Settings>,
    shared: Rc<Shared>,
}

/// Work a handler leaves for after its request's commit ([`Ctx::after_commit`]).
type AfterCommit = Pin<Box<dyn Future<Output = ()>>>;

/// What every handle on one request's context shares: its connection, and the wake-ups and
/// work waiting for the commit.
#[derive(Default)]
struct Shared {
    db: OnceCell<Db>,
    user: OnceCell<Claims>,
    wake_ups: RefCell<Vec<RedisCommand>>,
    after_commit: RefCell<Vec<AfterCommit>>,
}

impl Ctx {
    /// A context for `module` on `platform`, with no request data yet; the router fills it in
    /// for each request, and a native test builds one with it.
    pub fn new(module: &'static str, platform: Rc<dyn Platform>) -> Ctx {
        Ctx {
            request_id: uuid::Uuid::new_v4().simple().to_string(),
            module,
            params: Vec::new(),
            declared: Vec::new(),
            query: String::new(),
            authorization: None,
            idempotency_key: None,
            settings: Rc::new(Settings::new(platform.clone())),
            platform,
            shared: Rc::default(),
        }
    }

    /// Another handle on the same request: same connection, same variables.
    pub(crate) fn share(&self) -> Ctx {
        Ctx {
            request_id: self.request_id.clone(),
            module: self.module,
            params: self.params.clone(),
            declared: self.declared.clone(),
            query: self.query.clone(),
            authorization: self.authorization.clone(),
            idempotency_key: self.idempotency_key.clone(),
            settings: self.settings.clone(),
            platform: self.platform.clone(),
            shared: self.shared.clone(),
        }
    }

    /// Sends a wake-up now, or after the commit when the request's transaction is open (a
    /// relay woken before the commit would find nothing to do).
    pub(crate) fn wake_up(&self, command: RedisCommand) -> Result<(), String> {
        if self.shared.db.get().is_some_and(Db::in_transaction) {
            self.shared.wake_ups.borrow_mut().push(command);
            return Ok(());
        }
        self.redis(&command).map(drop)
    }

    /// Runs `work` once the request's effect has committed — after the router's idempotent
    /// transaction, not a savepoint inside it — and before the answer goes out; it is dropped
    /// when the request fails. For calls to other modules that must follow the commit and that
    /// the caller should find done: best effort, so what they do must also be guaranteed by
    /// an outbox message written with the effect (they then deliver it early, under its key).
    pub fn after_commit(&self, work: impl Future<Output = ()> + 'static) {
        self.shared.after_commit.borrow_mut().push(Box::pin(work));
    }

    /// Runs the work left for after the commit when the request `succeeded`, else drops it.
    pub(crate) async fn finish_after_commit(&self, succeeded: bool) {
        let work: Vec<AfterCommit> = self.shared.after_commit.borrow_mut().drain(..).collect();
        if succeeded {
            for task in work {
                task.await;
            }
        }
    }

    /// Sends the wake-ups that waited for the commit (best effort).
    pub(crate) fn flush_wake_ups(&self) {
        let pending: Vec<RedisCommand> = self.shared.wake_ups.borrow_mut().drain(..).collect();
        for command in pending {
            if let Err(e) = self.redis(&command) {
                crate::log::warn(format_args!("a wake-up was not sent ({e}); the sweep will"));
                return;
            }
        }
    }

    /// The same context with a query string (a native test's request).
    pub fn with_query(mut self, query: &str) -> Ctx {
        self.query = query.to_string();
        self
    }

    /// A path parameter by name (`:id` → `param("id")`).
    ///
    /// # Panics
    /// When the route declares no parameter `name`: a misspelt name is a programming error,
    /// and any test that reaches the handler finds it (rather than a silent empty string).
    pub fn param(&self, name: &str) -> &str {
        match self.params.iter().find(|(n, _)| *n == name) {
            Some((_, value)) => value,
            None => panic!(
                "the route declares no parameter `{name}` (it has: {})",
                self.declared.join(", ")
            ),
        }
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

    /// The component's variables.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The platform the request runs on.
    pub fn platform(&self) -> &Rc<dyn Platform> {
        &self.platform
    }

    /// The request's database connection, opened on first use.
    pub fn db(&self) -> ApiResult<&Db> {
        if let Some(db) = self.shared.db.get() {
            return Ok(db);
        }
        let db = self
            .platform
            .connect(self.settings.database_url()?.expose())?;
        Ok(self.shared.db.get_or_init(|| db))
    }

    /// Sends a Redis command kit uses for wake-ups and leases; `Err` carries a text for the log.
    pub fn redis(&self, command: &RedisCommand) -> Result<bool, String> {
        let url = self.settings.redis_url().map_err(|e| e.to_string())?;
        self.platform.redis(url.expose(), command)
    }

    /// The values of `keys` in Redis, in one round trip; `Err` carries a text for the log.
    pub fn redis_get(&self, keys: &[String]) -> Result<Vec<Option<String>>, String> {
        let url = self.settings.redis_url().map_err(|e| e.to_string())?;
        self.platform.redis_get(url.expose(), keys)
    }

    /// The authenticated account, from `Authorization: Bearer <access token>`: its signature
    /// checked with `jwt_verify_key`, then its revocation in Redis (`kit::auth`), once per
    /// request; 401 otherwise.
    ///
    /// The revocation check fails open: when Redis does not answer, the token is accepted (and
    /// a warning logged), so an outage does not refuse every signed-in request of every
    /// module; a revoked token then lives at most until its expiry, as it would without the
    /// check. Its sessions' refresh tokens are revoked in PostgreSQL all the same.
    pub fn user(&self) -> ApiResult<Claims> {
        if let Some(claims) = self.shared.user.get() {
            return Ok(claims.clone());
        }
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
        let key = auth::VerifyKey::from_hex("jwt_verify_key", &self.settings.jwt_verify_key()?)?;
        let claims = auth::verify(token, &key, crate::time::now())?;
        // A missing `redis_url` is a configuration error, not an outage: it fails.
        let url = self.settings.redis_url()?;
        match self
            .platform
            .redis_get(url.expose(), &auth::revocation_keys(&claims))
        {
            Ok(values) => auth::check_revocation(&claims, &values)?,
            Err(e) => crate::log::warn(format_args!(
                "the access token's revocation was not checked ({e}): accepted until it expires"
            )),
        }
        Ok(self.shared.user.get_or_init(|| claims).clone())
    }

    /// The authenticated account when a token is given; `None` without one; 401 for a bad one.
    pub fn optional_user(&self) -> ApiResult<Option<Claims>> {
        match self.authorization {
            None => Ok(None),
            Some(_) => self.user().map(Some),
        }
    }

    /// Who acts: `None` for the platform (the request carries the admin token), else the
    /// signed-in account (401 without a valid token). For resources that either the platform
    /// or an account owns (promotions, service options).
    pub fn acting_account(&self, req: &crate::Request) -> ApiResult<Option<uuid::Uuid>> {
        if auth::require_admin(req).is_ok() {
            return Ok(None);
        }
        Ok(Some(self.user()?.sub))
    }

    /// The `Idempotency-Key` header, when the caller sent one.
    pub fn idempotency_key(&self) -> Option<&str> {
        self.idempotency_key.as_deref()
    }
}

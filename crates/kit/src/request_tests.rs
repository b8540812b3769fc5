//! The router, idempotency and the outbox relay natively: real requests through
//! [`Router::handle_on`] on a [`TestPlatform`], against a real PostgreSQL schema of their own.

use serde_json::{Value, json};
use spin_sdk::http::{Method, Request, Response};

use crate::ctx::Ctx;
use crate::db::{Db, text};
use crate::error::ApiResult;
use crate::outbox::{self, Message};
use crate::platform::RedisCommand;
use crate::router::{Router, SERVICE_TOKEN_HEADER};
use crate::testing::{TestDb, TestPlatform, block_on};

const ITEMS: &str = "CREATE TABLE {{schema}}.item (name text PRIMARY KEY);";

fn request(method: Method, path: &str) -> spin_sdk::http::RequestBuilder {
    let mut builder = Request::builder();
    builder.method(method).uri(path);
    builder
}

fn body(response: &Response) -> Value {
    serde_json::from_slice(response.body()).unwrap_or(Value::Null)
}

fn header(response: &Response, name: &str) -> Option<String> {
    response
        .header(name)
        .and_then(|v| v.as_str())
        .map(str::to_string)
}

/// `POST /api/v1/<m>/items {name}` creates an item (201 + Location); a name starting with
/// `bad` fails after writing; `GET|POST /api/v1/<m>/echo/:name` answers the parameter;
/// `/internal/ping` answers `pong`.
fn router(module: &'static str) -> Router {
    let items = format!("/api/v1/{module}/items");
    let echo = format!("/api/v1/{module}/echo/:name");
    Router::new(module)
        .post(&items, move |ctx: Ctx, req: Request| async move {
            let body: Value = crate::json::read(&req)?;
            let name = body["name"].as_str().unwrap_or_default().to_string();
            ctx.db()?
                .transaction(async |db: &Db| {
                    db.execute(
                        &format!("INSERT INTO \"{}\".item (name) VALUES ($1)", ctx.module),
                        &[text(&name)],
                    )?;
                    if name.starts_with("bad") {
                        return Err(crate::ApiError::validation("bad name"));
                    }
                    Ok(())
                })
                .await?;
            crate::json::created(&format!("/items/{name}"), &json!({ "name": name }))
        })
        .get(&echo, |ctx: Ctx, _| async move {
            crate::json::ok(&json!({ "name": ctx.param("name") }))
        })
        .post(&echo, |ctx: Ctx, _| async move {
            crate::json::ok(&json!({ "name": ctx.param("nmae") }))
        })
        .post("/internal/ping", |_, _| async { crate::json::ok(&"pong") })
        .key_required()
}

struct Setup {
    db: TestDb,
    platform: std::rc::Rc<TestPlatform>,
    router: Router,
}

fn setup(name: &str) -> Setup {
    let db = TestDb::new(name, ITEMS);
    let platform = TestPlatform::new(&db);
    let router = router(db.schema);
    Setup {
        db,
        platform,
        router,
    }
}

impl Setup {
    fn send(&self, req: Request) -> Response {
        block_on(self.router.handle_on(self.platform.dyn_rc(), req))
    }

    fn items(&self) -> i64 {
        let ctx = self.platform.ctx(self.db.schema);
        let sql = format!("SELECT count(*) FROM \"{}\".item", self.db.schema);
        ctx.db().unwrap().scalar(&sql, &[]).unwrap()
    }

    fn create(&self, key: Option<&str>, name: &str) -> Response {
        let mut req = request(Method::Post, &format!("/api/v1/{}/items", self.db.schema));
        req.header("content-type", "application/json")
            .body(json!({ "name": name }).to_string());
        if let Some(key) = key {
            req.header("idempotency-key", key);
        }
        self.send(req.build())
    }
}

#[test]
fn path_parameters_are_percent_decoded_as_paths_not_forms() {
    let s = setup("decode");
    let path = format!("/api/v1/{}/echo/a+b%26c%2Fd%20e", s.db.schema);
    let response = s.send(request(Method::Get, &path).build());
    assert_eq!(*response.status(), 200);
    assert_eq!(body(&response)["name"], "a+b&c/d e");
}

#[test]
fn a_method_the_path_does_not_allow_is_405_with_allow() {
    let s = setup("allow");
    let path = format!("/api/v1/{}/echo/x", s.db.schema);
    let response = s.send(request(Method::Delete, &path).build());
    assert_eq!(*response.status(), 405);
    assert_eq!(header(&response, "allow").as_deref(), Some("GET, POST"));
    assert_eq!(body(&response)["error"]["code"], "method_not_allowed");
}

#[test]
fn a_misspelt_parameter_name_panics_in_any_test_that_reaches_the_handler() {
    let s = setup("misspelt");
    let path = format!("/api/v1/{}/echo/x", s.db.schema);
    let reached = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        s.send(request(Method::Post, &path).build())
    }));
    assert!(
        reached.is_err(),
        "ctx.param(\"nmae\") on a route with :name must panic"
    );
}

#[test]
fn the_internal_guard_follows_the_route_however_the_path_is_spelled() {
    let s = setup("guard");
    for path in [
        "/internal/ping",
        "//internal/ping",
        "/internal//ping",
        "/internal/ping/",
    ] {
        let response = s.send(
            request(Method::Post, path)
                .header("idempotency-key", "k")
                .build(),
        );
        assert_eq!(*response.status(), 401, "{path}");
    }
    let with_token = s.send(
        request(Method::Post, "//internal/ping")
            .header(SERVICE_TOKEN_HEADER, crate::testing::SERVICE_TOKEN)
            .header("idempotency-key", "k")
            .build(),
    );
    assert_eq!(*with_token.status(), 200);
    let without_key = s.send(
        request(Method::Post, "/internal/ping")
            .header(SERVICE_TOKEN_HEADER, crate::testing::SERVICE_TOKEN)
            .build(),
    );
    assert_eq!(*without_key.status(), 400, "the route requires a key");
    assert_eq!(
        body(&without_key)["error"]["code"],
        "idempotency_key_required"
    );
}

#[test]
fn a_repeated_key_replays_the_first_answer_with_its_status_body_and_location() {
    let s = setup("replay");
    let first = s.create(Some("k-1"), "lamp");
    assert_eq!(*first.status(), 201);
    assert_eq!(
        header(&first, "idempotent-replayed").as_deref(),
        Some("false")
    );
    let again = s.create(Some("k-1"), "lamp");
    assert_eq!(*again.status(), 201);
    assert_eq!(body(&again), body(&first));
    assert_eq!(header(&again, "location").as_deref(), Some("/items/lamp"));
    assert_eq!(
        header(&again, "idempotent-replayed").as_deref(),
        Some("true")
    );
    assert_eq!(s.items(), 1, "the effect happened once");
    let reused = s.create(Some("k-1"), "chair");
    assert_eq!(*reused.status(), 422);
    assert_eq!(body(&reused)["error"]["code"], "idempotency_key_reused");
    let unkeyed = s.create(None, "lamp");
    assert_eq!(
        *unkeyed.status(),
        409,
        "without a key the request runs again and conflicts"
    );
}

#[test]
fn a_failed_request_stores_nothing_and_may_be_retried_with_its_key() {
    let s = setup("failure");
    let failed = s.create(Some("k-2"), "bad-lamp");
    assert_eq!(*failed.status(), 422);
    assert_eq!(s.items(), 0, "the failure rolled its write back");
    let retried = s.create(Some("k-2"), "bad-lamp");
    assert_eq!(
        *retried.status(),
        422,
        "the retry ran again rather than replaying"
    );
    assert_eq!(
        header(&retried, "idempotent-replayed"),
        None,
        "errors are never stored"
    );
}

/// The receiving module of the relay test: `/internal/inbox` answers by the body's `answer`.
fn receiver() -> Router {
    let router = Router::new("receiver").without_idempotency();
    router.post("/internal/inbox", |_, req: Request| async move {
        let body: Value = crate::json::read(&req)?;
        match body["answer"].as_u64() {
            Some(409) => Err(crate::ApiError::conflict("taken", "already")),
            Some(503) => Err(crate::ApiError::unavailable("down", "later")),
            _ => crate::json::ok(&json!({ "received": true })),
        }
    })
}

fn enqueue(ctx: &Ctx, answer: u64) -> ApiResult<()> {
    block_on(ctx.db()?.transaction(async |db: &Db| {
        outbox::enqueue(
            db,
            ctx.module,
            &Message {
                target: "receiver",
                path: "/internal/inbox",
                body: json!({ "answer": answer }),
                key: format!("message-{answer}"),
            },
        )
    }))
}

#[test]
fn the_relay_delivers_retries_and_dead_letters_by_the_one_retry_rule() {
    let s = setup("relay");
    s.platform.mount("receiver", receiver());
    let ctx = s.platform.ctx(s.db.schema);
    for answer in [200, 409, 503] {
        enqueue(&ctx, answer).unwrap();
    }
    enqueue(&ctx, 200).unwrap();
    let router = Router::new(s.db.schema).with_outbox();
    let relay = request(Method::Post, "/internal/outbox/relay")
        .header(SERVICE_TOKEN_HEADER, crate::testing::SERVICE_TOKEN)
        .build();
    let report = block_on(router.handle_on(s.platform.dyn_rc(), relay));
    assert_eq!(*report.status(), 200);
    let report = body(&report);
    assert_eq!(
        (&report["delivered"], &report["dead"], &report["retried"]),
        (&json!(1), &json!(1), &json!(1)),
        "{report}: the same key is enqueued once; 409 is terminal; 503 is retried"
    );
    let statuses: Vec<(String, String)> = {
        let sql = format!(
            "SELECT idempotency_key, status FROM \"{}\".outbox ORDER BY idempotency_key",
            s.db.schema
        );
        let set = ctx.db().unwrap().query(&sql, &[]).unwrap();
        crate::db::rows(&set)
            .map(|r| (r.get("idempotency_key").unwrap(), r.get("status").unwrap()))
            .collect()
    };
    assert_eq!(
        statuses,
        [
            ("message-200".to_string(), "delivered".to_string()),
            ("message-409".to_string(), "dead".to_string()),
            ("message-503".to_string(), "pending".to_string()),
        ]
    );
}

#[test]
fn an_outbox_wake_up_inside_the_request_transaction_waits_for_the_commit() {
    let s = setup("wake");
    let ctx = s.platform.ctx(s.db.schema);
    let published = || {
        s.platform
            .redis
            .borrow()
            .iter()
            .filter(|c| {
                matches!(
                    c,
                    RedisCommand::Publish { .. } | RedisCommand::PublishOnce { .. }
                )
            })
            .count()
    };
    block_on(ctx.db().unwrap().transaction(async |_: &Db| {
        outbox::wake(&ctx, ctx.module);
        Ok(())
    }))
    .unwrap();
    assert_eq!(published(), 0, "not while the transaction is open");
    outbox::wake(&ctx, ctx.module);
    assert_eq!(published(), 1, "at once outside a transaction");
}

/// `Ctx::user`: the token's signature, then its revocation in Redis.
mod access_tokens {
    use crate::auth::{self, Claims};
    use crate::ctx::Ctx;
    use crate::platform::Platform as _;
    use crate::testing::{TestDb, TestPlatform, signing_key};

    fn signed_in(platform: &TestPlatform, token: &str) -> Ctx {
        let mut ctx = platform.ctx("lab");
        ctx.authorization = Some(format!("Bearer {token}"));
        ctx
    }

    fn token(issued_at: chrono::DateTime<chrono::Utc>) -> (String, Claims) {
        let c = auth::claims(uuid::Uuid::new_v4(), uuid::Uuid::new_v4(), issued_at, 900);
        (auth::sign(&c, &signing_key()), c)
    }

    #[test]
    fn a_token_is_refused_once_its_account_or_session_is_revoked() {
        let db = TestDb::new("ctx_revoked", "");
        let platform = TestPlatform::new(&db);
        let now = crate::time::now();
        let (t, c) = token(now);
        assert_eq!(signed_in(&platform, &t).user().unwrap(), c);
        platform
            .redis(
                "",
                &auth::end_account_tokens(c.sub, now + chrono::Duration::seconds(5), 900),
            )
            .unwrap();
        let e = signed_in(&platform, &t).user().unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (401, "token_revoked"));

        let (t, c) = token(now);
        platform
            .redis("", &auth::end_session_tokens(c.sid, 900))
            .unwrap();
        assert_eq!(
            signed_in(&platform, &t).user().unwrap_err().code,
            "token_revoked"
        );
    }

    #[test]
    fn the_revocation_check_fails_open_when_redis_does_not_answer() {
        let db = TestDb::new("ctx_redis_down", "");
        let platform = TestPlatform::new(&db);
        let (t, c) = token(crate::time::now());
        platform
            .redis("", &auth::end_session_tokens(c.sid, 900))
            .unwrap();
        platform.redis_down.set(true);
        assert_eq!(signed_in(&platform, &t).user().unwrap(), c);
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused_and_a_bad_verify_key_is_a_config_error() {
        let db = TestDb::new("ctx_keys", "");
        let platform = TestPlatform::new(&db);
        let c = auth::claims(
            uuid::Uuid::new_v4(),
            uuid::Uuid::new_v4(),
            crate::time::now(),
            900,
        );
        let forged = auth::sign(&c, &auth::SigningKey::from_seed(&[9; 32]));
        assert_eq!(
            signed_in(&platform, &forged).user().unwrap_err().status,
            401
        );
        platform.set("jwt_verify_key", "not a key");
        let (t, _) = token(crate::time::now());
        assert_eq!(signed_in(&platform, &t).user().unwrap_err().status, 500);
    }
}

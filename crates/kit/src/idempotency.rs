//! Idempotency keys: a mutating request may carry `Idempotency-Key`; its first response is
//! stored with the key, the caller and a hash of the request, in the same transaction as the
//! request's effect, so the effect and its record commit together or not at all.
//!
//! - A repeat (same caller, key and request) returns the stored response without running again,
//!   marked `idempotent-replayed: true`.
//! - The same key with a different request is 422 `idempotency_key_reused`.
//! - A repeat arriving while the first is still running waits for it on the key's row lock (the
//!   first one's uncommitted insert), up to [`WAIT_FOR_FIRST`]; past that it is 409
//!   `idempotency_in_progress`.
//! - A request that fails stores nothing (its effect rolled back too), so it may be retried.
//! - Records expire after the variable `idempotency_ttl_hours` (default [`TTL_HOURS`]); an
//!   expired key is treated as new, and expired records are purged a few hundred at a time by
//!   about one write in [`PURGE_ONE_IN`], so the table never grows without bound.
//!
//! The router applies this to every mutating route ([`crate::Router`]; a route opts out with
//! `unkeyed()`, or insists on a key with `key_required()`), so no handler can forget it. Each
//! module keeps its records in its own `<schema>.idempotency_key` table (kit's `idempotency`
//! tables, which its migrations declare), so a module's effect and its record always share one
//! database.

use sha2::{Digest, Sha256};
use spin_sdk::http::{Request, Response};

use crate::ctx::Ctx;
use crate::db::{Db, Param, rows, text};
use crate::error::{ApiError, ApiResult};

/// How long a key is remembered unless `idempotency_ttl_hours` says otherwise.
pub const TTL_HOURS: i32 = 24;

/// About one keyed write in this many purges expired records.
pub const PURGE_ONE_IN: u8 = 32;

/// Expired records one purge deletes at most.
const PURGE_BATCH: i64 = 500;

/// The configured lifetime of a key, in hours.
pub fn ttl_hours(ctx: &Ctx) -> i32 {
    parse_ttl(ctx.settings().optional("idempotency_ttl_hours").as_deref())
}

/// `idempotency_ttl_hours` as hours: 1 hour to 1 year, the default otherwise.
fn parse_ttl(value: Option<&str>) -> i32 {
    value
        .and_then(|v| v.trim().parse::<i32>().ok())
        .filter(|h| (1..=8760).contains(h))
        .unwrap_or(TTL_HOURS)
}

/// Whether a first write under `key` also purges expired records: decided by the key's hash,
/// so about one key in [`PURGE_ONE_IN`] does, spread evenly and reproducibly.
pub fn purges_on(key: &str) -> bool {
    Sha256::digest(key.as_bytes())[0] % PURGE_ONE_IN == 0
}

/// Deletes up to [`PURGE_BATCH`] expired records of `schema` (quoted). Best effort.
fn purge_expired(db: &Db, schema: &str) {
    let purged = db.execute(
        &format!(
            "DELETE FROM {schema}.idempotency_key WHERE (caller, key) IN \
             (SELECT caller, key FROM {schema}.idempotency_key WHERE expires_at < now() \
              LIMIT $1 FOR UPDATE SKIP LOCKED)"
        ),
        &[PURGE_BATCH.into()],
    );
    if let Err(e) = purged {
        crate::log::warn(format_args!("purging expired idempotency records: {e}"));
    }
}

/// How long a repeat waits for the first request with its key to finish.
pub const WAIT_FOR_FIRST: &str = "5s";

/// Longest accepted key.
pub const MAX_KEY_LEN: usize = 255;

/// Response header telling a client whether it got a stored response.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// Whether a response was produced now or replayed from the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The work ran now.
    Fresh,
    /// A stored response was returned.
    Replayed,
}

/// Hash of what makes two requests "the same": method, path with query, body. A JSON body is
/// hashed in one canonical spelling (keys sorted, no spaces), since one request may be sent
/// twice in two spellings: a handler serialises its struct in field order, and the outbox relay
/// re-serialises the same body from `jsonb`, which keeps keys in its own order.
pub fn request_hash(req: &Request) -> String {
    let mut h = Sha256::new();
    h.update(format!("{:?}", req.method()).as_bytes());
    h.update(b" ");
    h.update(req.path_and_query().unwrap_or(req.path()).as_bytes());
    h.update(b"\n");
    match serde_json::from_slice::<serde_json::Value>(req.body()) {
        // A `Value`'s objects are sorted maps, so this writes every spelling alike.
        Ok(json) => h.update(json.to_string().as_bytes()),
        Err(_) => h.update(req.body()),
    }
    hex::encode(h.finalize())
}

fn check_key(key: &str) -> ApiResult<()> {
    if key.is_empty() || key.len() > MAX_KEY_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::bad_request(
            "invalid_idempotency_key",
            format!("Idempotency-Key must be 1-{MAX_KEY_LEN} visible ASCII characters"),
        ));
    }
    Ok(())
}

/// What the router does for a mutating route when the request carries `key`: claims the key
/// in the module's `idempotency_key` table and runs `handler` in the same transaction (so the
/// effect and the record commit together, and a handler's own transactions nest as
/// savepoints), then stores the answer — status, body, `content-type` and `location`. A repeat
/// gets the stored answer; a failed request stores nothing. `caller` scopes keys (an account
/// id, `anonymous`, or `internal` for module-to-module calls).
pub(crate) async fn serve(
    ctx: &Ctx,
    key: &str,
    caller: &str,
    req: Request,
    handler: impl AsyncFnOnce(Request) -> ApiResult<Response>,
) -> ApiResult<Response> {
    check_key(key)?;
    let hash = request_hash(&req);
    let schema = format!("\"{}\"", ctx.module);
    let schema = schema.as_str();
    let db = ctx.db()?;
    let ttl = ttl_hours(ctx);
    let (outcome, mut response) = db
        .transaction(async |db: &Db| {
            if !claim(db, schema, caller, key, &hash, ttl)? {
                return replay(db, schema, caller, key, &hash).map(|r| (Outcome::Replayed, r));
            }
            let response = handler(req).await?;
            store(db, schema, caller, key, &response)?;
            Ok((Outcome::Fresh, response))
        })
        .await?;
    if outcome == Outcome::Fresh && purges_on(key) {
        purge_expired(db, schema);
    }
    response.set_header(
        REPLAYED_HEADER,
        if outcome == Outcome::Replayed {
            "true"
        } else {
            "false"
        },
    );
    Ok(response)
}

/// Claims `key` for this request; `false` when it was claimed before (replay it). A claim
/// still uncommitted by a concurrent first request is waited for up to [`WAIT_FOR_FIRST`].
///
/// The wait bounds the claim alone: the lock timeout is reset before the handler runs, so a
/// handler queueing on a busy row (a hot SKU's stock) waits its turn instead of failing with
/// a lock timeout after [`WAIT_FOR_FIRST`].
fn claim(
    db: &Db,
    schema: &str,
    caller: &str,
    key: &str,
    hash: &str,
    ttl_hours: i32,
) -> ApiResult<bool> {
    db.execute(&format!("SET LOCAL lock_timeout = '{WAIT_FOR_FIRST}'"), &[])?;
    db.execute(
        &format!(
            "DELETE FROM {schema}.idempotency_key \
             WHERE caller = $1 AND key = $2 AND expires_at < now()"
        ),
        &[text(caller), text(key)],
    )?;
    let claimed = db
        .execute(
            &format!(
                "INSERT INTO {schema}.idempotency_key (caller, key, request_hash, expires_at) \
                 VALUES ($1, $2, $3, now() + make_interval(hours => $4)) \
                 ON CONFLICT (caller, key) DO NOTHING"
            ),
            &[text(caller), text(key), text(hash), Param::Int32(ttl_hours)],
        )
        .map_err(|e| {
            if e.code.as_deref() == Some("55P03") {
                in_progress()
            } else {
                e.into()
            }
        })?;
    db.execute("SET LOCAL lock_timeout TO DEFAULT", &[])?;
    Ok(claimed == 1)
}

fn in_progress() -> ApiError {
    ApiError::conflict(
        crate::retry::IDEMPOTENCY_IN_PROGRESS,
        "a request with this Idempotency-Key is still running; retry shortly",
    )
}

/// Stores the answer under the claimed key.
fn store(db: &Db, schema: &str, caller: &str, key: &str, response: &Response) -> ApiResult<()> {
    let header = |name: &str| {
        response
            .header(name)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    db.execute(
        &format!(
            "UPDATE {schema}.idempotency_key \
             SET status = $3, body = $4, content_type = $5, location = $6 \
             WHERE caller = $1 AND key = $2"
        ),
        &[
            text(caller),
            text(key),
            Param::Int32(i32::from(*response.status())),
            Param::Binary(response.body().to_vec()),
            text(header("content-type").unwrap_or_default()),
            crate::db::optional_text(header("location").as_deref()),
        ],
    )?;
    Ok(())
}

/// The stored response for a key that was already used.
fn replay(db: &Db, schema: &str, caller: &str, key: &str, hash: &str) -> ApiResult<Response> {
    let set = db.query(
        &format!(
            "SELECT request_hash, status, body, content_type, location \
             FROM {schema}.idempotency_key WHERE caller = $1 AND key = $2"
        ),
        &[text(caller), text(key)],
    )?;
    let row = rows(&set)
        .next()
        .ok_or_else(|| ApiError::internal("idempotency record vanished"))?;
    let stored_hash: String = row.get("request_hash")?;
    if stored_hash != hash {
        return Err(ApiError::unprocessable(
            "idempotency_key_reused",
            "this Idempotency-Key was used for a different request",
        ));
    }
    let Some(status) = row.get::<Option<i32>>("status")? else {
        return Err(in_progress());
    };
    let body: Option<Vec<u8>> = row.get("body")?;
    let content_type: Option<String> = row.get("content_type")?;
    let location: Option<String> = row.get("location")?;
    let mut builder = Response::builder();
    builder
        .status(u16::try_from(status).unwrap_or(200))
        .body(body.unwrap_or_default());
    if let Some(ct) = content_type.filter(|c| !c.is_empty()) {
        builder.header("content-type", ct);
    }
    if let Some(location) = location {
        builder.header("location", location);
    }
    Ok(builder.build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use spin_sdk::http::Method;

    #[test]
    fn the_lifetime_is_configurable_within_bounds() {
        assert_eq!(parse_ttl(Some("48")), 48);
        assert_eq!(parse_ttl(Some(" 1 ")), 1);
        assert_eq!(parse_ttl(Some("0")), TTL_HOURS);
        assert_eq!(parse_ttl(Some("99999")), TTL_HOURS);
        assert_eq!(parse_ttl(Some("soon")), TTL_HOURS);
        assert_eq!(parse_ttl(None), TTL_HOURS);
    }

    #[test]
    fn about_one_key_in_thirty_two_purges() {
        let purging = (0..3200).filter(|i| purges_on(&format!("key-{i}"))).count();
        assert!((50..150).contains(&purging), "{purging} of 3200");
    }

    #[test]
    fn keys_must_be_short_visible_ascii() {
        assert!(check_key("order-123:reserve").is_ok());
        assert!(check_key("").is_err());
        assert!(check_key("has space").is_err());
        assert!(check_key(&"k".repeat(256)).is_err());
    }

    #[test]
    fn the_hash_depends_on_method_path_and_body() {
        let a = Request::builder()
            .method(spin_sdk::http::Method::Post)
            .uri("/x")
            .body("1")
            .build();
        let b = Request::builder()
            .method(spin_sdk::http::Method::Post)
            .uri("/x")
            .body("2")
            .build();
        let c = Request::builder()
            .method(spin_sdk::http::Method::Put)
            .uri("/x")
            .body("1")
            .build();
        assert_ne!(request_hash(&a), request_hash(&b));
        assert_ne!(request_hash(&a), request_hash(&c));
        assert_eq!(
            request_hash(&a),
            request_hash(
                &Request::builder()
                    .method(spin_sdk::http::Method::Post)
                    .uri("/x")
                    .body("1")
                    .build()
            )
        );
    }

    fn post(path: &str, body: &str) -> String {
        let req = Request::builder()
            .method(Method::Post)
            .uri(path)
            .body(body.as_bytes().to_vec())
            .build();
        request_hash(&req)
    }

    #[test]
    fn one_json_body_in_two_spellings_is_one_request() {
        let first = post("/internal/stock", r#"{"sku_id":"a","seller_id":"b"}"#);
        assert_eq!(
            first,
            post("/internal/stock", r#"{ "seller_id": "b", "sku_id": "a" }"#)
        );
        assert_ne!(
            first,
            post("/internal/stock", r#"{"sku_id":"a","seller_id":"c"}"#)
        );
        assert_ne!(
            first,
            post("/internal/other", r#"{"sku_id":"a","seller_id":"b"}"#)
        );
    }

    #[test]
    fn a_body_that_is_not_json_is_hashed_as_its_bytes() {
        assert_eq!(post("/x", "a b"), post("/x", "a b"));
        assert_ne!(post("/x", "a b"), post("/x", "a  b"));
    }
}

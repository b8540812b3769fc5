//! The transactional outbox: fire-and-forget messages to other modules (notifications,
//! analytics, indexing) are written in the same transaction as the effect that causes them, so
//! a message exists exactly when its effect committed. Delivery is at least once, each message
//! with its own idempotency key, so the receiver applies it exactly once.
//!
//! - [`enqueue`] writes a message into the module's `<schema>.outbox` inside the effect's
//!   transaction; after the commit, [`wake`] asks the durable component to relay it now
//!   ([`crate::wake`]; best effort: a lost wake-up is caught by the sweep).
//! - The durable component, woken through Spin's redis trigger (or by its periodic sweep, or by
//!   its admin tick), calls the module's `POST /internal/outbox/relay` ([`relay`]), which claims
//!   due messages with a lease, delivers them, and marks each delivered, retried later with
//!   exponential backoff, or dead (a client error, or too many attempts) with its last error.

use serde::{Deserialize, Serialize};
use spin_sdk::http::{Request, Response};

use crate::ctx::Ctx;
use crate::db::{Db, Param, rows, text, uuid};
use crate::error::{ApiError, ApiResult};
use crate::retry::Verdict;
use crate::router::Router;

impl Router {
    /// Mounts `POST /internal/outbox/relay`, for a module that sends outbox messages (its
    /// migrations declare kit's `outbox` feature).
    pub fn with_outbox(self) -> Router {
        self.post("/internal/outbox/relay", relay).unkeyed()
    }
}

/// Messages one relay call delivers at most (the sweep and further wake-ups take the rest).
pub const BATCH: i64 = 20;

/// How long a claimed message is leased to one relay before another may take it.
pub const LEASE_SECS: i32 = 30;

/// Attempts before a message is dead-lettered.
pub const MAX_ATTEMPTS: i32 = 8;

/// A message for another module's internal route; its body is the receiver's contract type
/// (or a JSON value).
pub struct Message<'a, B = serde_json::Value> {
    /// The receiving module.
    pub target: &'a str,
    /// Its internal route, e.g. `/internal/notifications`.
    pub path: &'a str,
    /// The body, sent as JSON.
    pub body: B,
    /// The idempotency key the receiver deduplicates on; derived from the cause, so the same
    /// cause never yields two messages.
    pub key: String,
}

/// Writes `message` into `schema`'s outbox; call it inside the effect's transaction. A message
/// with a key already in the outbox is not written again.
pub fn enqueue<B: Serialize>(db: &Db, schema: &str, message: &Message<'_, B>) -> ApiResult<()> {
    db.execute(
        &format!(
            "INSERT INTO \"{schema}\".outbox (id, target, path, body, idempotency_key) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (idempotency_key) DO NOTHING"
        ),
        &[
            uuid(crate::ids::new_id()),
            text(message.target),
            text(message.path),
            crate::db::json(&message.body)?,
            text(&message.key),
        ],
    )?;
    Ok(())
}

/// Asks the durable component to relay the outbox now, after the effect committed. Failures
/// are logged, not returned: the sweep delivers what a lost wake-up leaves.
pub fn wake(ctx: &Ctx, module: &str) {
    debug_assert_eq!(module, ctx.module, "a module wakes its own outbox");
    crate::wake::relay_outbox(ctx);
}

/// Seconds to wait before attempt `n + 1` (after `n` failed attempts): 2, 4, 8 … up to 5 min.
pub fn backoff_secs(attempts: i32) -> i32 {
    2_i32.saturating_pow(attempts.clamp(1, 16) as u32).min(300)
}

/// What to do with a message after a failed delivery.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// Try again later.
    Retry,
    /// Give up: the receiver refused it, or it failed too often.
    Dead,
}

/// Decides a failed delivery with the one retry rule ([`crate::retry`]), up to
/// [`MAX_ATTEMPTS`].
pub fn classify(error: &ApiError, attempts: i32) -> Failure {
    match crate::retry::verdict(error) {
        Verdict::Terminal => Failure::Dead,
        Verdict::Retry if attempts >= MAX_ATTEMPTS => Failure::Dead,
        Verdict::Retry => Failure::Retry,
    }
}

#[derive(Deserialize)]
struct Claimed {
    id: uuid::Uuid,
    target: String,
    path: String,
    body: serde_json::Value,
    key: String,
    attempts: i32,
}

/// `POST /internal/outbox/relay` of the module serving the request: delivers due messages.
pub async fn relay(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let schema = format!("\"{}\"", ctx.module);
    let db = ctx.db()?;
    let set = db.query(
        &format!(
            "UPDATE {schema}.outbox \
             SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $1) \
             WHERE id IN (SELECT id FROM {schema}.outbox \
                          WHERE status = 'pending' AND next_attempt_at <= now() \
                          ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) \
             RETURNING id, target, path, body, idempotency_key, attempts"
        ),
        &[Param::Floating64(f64::from(LEASE_SECS)), BATCH.into()],
    )?;
    let claimed: Vec<Claimed> = rows(&set)
        .map(|r| {
            Ok(Claimed {
                id: r.get("id")?,
                target: r.get("target")?,
                path: r.get("path")?,
                body: r.json("body")?,
                key: r.get("idempotency_key")?,
                attempts: r.get("attempts")?,
            })
        })
        .collect::<ApiResult<_>>()?;
    // The batch is delivered concurrently; each message carries its own key, so the order of
    // arrival changes nothing.
    let outcomes = futures::future::join_all(claimed.iter().map(|m| {
        let client = ctx.internal(&m.target);
        async move {
            client
                .post::<_, serde_json::Value>(&m.path, &m.body, Some(&m.key))
                .await
        }
    }))
    .await;
    let (mut retried, mut dead) = (0, 0);
    let mut delivered_ids = Vec::new();
    for (m, outcome) in claimed.iter().zip(outcomes) {
        match outcome {
            Ok(_) => delivered_ids.push(m.id),
            Err(e) => {
                let (status, next) = match classify(&e, m.attempts) {
                    Failure::Dead => {
                        dead += 1;
                        ("dead", 0)
                    }
                    Failure::Retry => {
                        retried += 1;
                        ("pending", backoff_secs(m.attempts))
                    }
                };
                db.execute(
                    &format!(
                        "UPDATE {schema}.outbox \
                         SET status = $2, last_error = $3, \
                             next_attempt_at = now() + make_interval(secs => $4) \
                         WHERE id = $1"
                    ),
                    &[
                        uuid(m.id),
                        text(status),
                        text(e.to_string()),
                        Param::Floating64(f64::from(next)),
                    ],
                )?;
                crate::log::warn(format_args!(
                    "outbox message {} to {}{}: {e} ({status})",
                    m.id, m.target, m.path
                ));
            }
        }
    }
    let delivered = delivered_ids.len();
    if !delivered_ids.is_empty() {
        db.execute(
            &format!(
                "UPDATE {schema}.outbox \
                 SET status = 'delivered', delivered_at = now(), last_error = NULL \
                 WHERE id = ANY($1::text[]::uuid[])"
            ),
            &[crate::db::uuids(&delivered_ids)],
        )?;
    }
    let set = db.query(
        &format!(
            "SELECT count(*) AS pending, count(*) FILTER (WHERE next_attempt_at <= now()) AS due \
             FROM {schema}.outbox WHERE status = 'pending'"
        ),
        &[],
    )?;
    let counts = rows(&set)
        .next()
        .ok_or_else(|| ApiError::internal("count returned no row"))?;
    let (pending, due): (i64, i64) = (counts.get("pending")?, counts.get("due")?);
    crate::json::ok(&serde_json::json!({
        "delivered": delivered, "retried": retried, "dead": dead, "pending": pending, "due": due,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_five_minutes() {
        assert_eq!(
            [1, 2, 3, 8, 9, 20].map(backoff_secs),
            [2, 4, 8, 256, 300, 300]
        );
    }

    #[test]
    fn client_refusals_are_dead_and_the_rest_retried_until_the_limit() {
        assert_eq!(classify(&ApiError::not_found("x", "y"), 1), Failure::Dead);
        assert_eq!(classify(&ApiError::validation("y"), 1), Failure::Dead);
        assert_eq!(
            classify(&ApiError::conflict("taken", "y"), 1),
            Failure::Dead
        );
        assert_eq!(
            classify(&ApiError::conflict("idempotency_in_progress", "y"), 1),
            Failure::Retry
        );
        assert_eq!(
            classify(&ApiError::unavailable("x", "y"), 1),
            Failure::Retry
        );
        assert_eq!(
            classify(&ApiError::unavailable("x", "y"), MAX_ATTEMPTS),
            Failure::Dead
        );
    }
}

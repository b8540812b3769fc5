//! Notifications: created by other modules (through the internal route, which the outbox
//! delivers), read and marked read by their account.

use chrono::{DateTime, Utc};
use kit::db::{Db, FromRow, Row, optional_uuid, text, uuid, uuids};
use kit::page::{self, PageRequest};
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Most ids one "mark read" may name.
const MAX_MARK: usize = 500;

#[derive(Serialize)]
struct Notification {
    id: Uuid,
    #[serde(rename = "type")]
    kind: String,
    channel: String,
    title: String,
    content: String,
    metadata: Option<serde_json::Value>,
    is_read: bool,
    created_at: DateTime<Utc>,
}

impl FromRow for Notification {
    fn from_row(row: &Row<'_>) -> ApiResult<Notification> {
        Ok(Notification {
            id: row.get("id")?,
            kind: row.get("type")?,
            channel: row.get("channel")?,
            title: row.get("title")?,
            content: row.get("content")?,
            metadata: row.json("metadata")?,
            is_read: row.get("is_read")?,
            created_at: row.time("created_at")?,
        })
    }
}

const COLUMNS: &str = "id, type, channel, title, content, metadata, is_read, created_at AT TIME ZONE 'UTC' AS created_at";

/// `GET /api/v1/account/notifications` — newest first.
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let page: PageRequest<Uuid> = page::request(&ctx)?;
    let items: Vec<Notification> = ctx.db()?.fetch_all(
        &format!("SELECT {COLUMNS} FROM account.notification WHERE account_id = $1 AND ($2::uuid IS NULL OR id < $2::uuid) ORDER BY id DESC LIMIT $3"),
        &[uuid(user.sub), optional_uuid(page.after), page.fetch().into()],
    )?;
    json::ok(&page.page(items, |n| n.id))
}

/// `GET /api/v1/account/notifications/unread-count`.
pub async fn unread_count(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let count: i64 = ctx.db()?.scalar(
        "SELECT count(*) FROM account.notification WHERE account_id = $1 AND NOT is_read",
        &[uuid(user.sub)],
    )?;
    json::ok(&serde_json::json!({ "count": count }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MarkBody {
    ids: Vec<Uuid>,
}

/// `POST /api/v1/account/notifications/read` `{ids}` — only the caller's own are touched.
pub async fn mark_read(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let body: MarkBody = json::read(&req)?;
    if body.ids.is_empty() || body.ids.len() > MAX_MARK {
        return Err(ApiError::validation(format!(
            "ids: name 1 to {MAX_MARK} notifications"
        )));
    }
    let marked = ctx.db()?.execute(
        "UPDATE account.notification SET is_read = true WHERE account_id = $1 AND id = ANY($2::text[]::uuid[]) AND NOT is_read",
        &[uuid(user.sub), uuids(&body.ids)],
    )?;
    json::ok(&serde_json::json!({ "marked": marked }))
}

/// `POST /api/v1/account/notifications/read-all`.
pub async fn mark_all_read(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let marked = ctx.db()?.execute(
        "UPDATE account.notification SET is_read = true WHERE account_id = $1 AND NOT is_read",
        &[uuid(user.sub)],
    )?;
    json::ok(&serde_json::json!({ "marked": marked }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    account_id: Uuid,
    #[serde(rename = "type")]
    kind: String,
    title: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    metadata: Option<serde_json::Value>,
}

/// `POST /internal/notifications` — exactly once per `Idempotency-Key`.
pub async fn create(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: CreateBody = json::read(&req)?;
    let kind_ok = (1..=50).contains(&body.kind.len())
        && body
            .kind
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_');
    if !kind_ok {
        return Err(ApiError::validation(
            "type: lower_snake_case, up to 50 characters",
        ));
    }
    let title = kit::validate::text("title", &body.title, 1, 200)?;
    let content = kit::validate::text("content", &body.content, 0, 5000)?;
    ctx.db()?.transaction(async |db: &Db| {
        crate::model::account::load(db, body.account_id, crate::model::Lock::None)?;
        let metadata = match &body.metadata {
            Some(m) => kit::db::json(m)?,
            None => kit::db::Param::DbNull,
        };
        let created: Notification = db
            .fetch_optional(
                &format!("INSERT INTO account.notification (id, account_id, type, title, content, metadata) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"),
                &[uuid(kit::ids::new_id()), uuid(body.account_id), text(&body.kind), text(&title), text(&content), metadata],
            )?
            .ok_or_else(|| ApiError::internal("the notification insert returned nothing"))?;
        json::respond(201, &created)
    })
    .await
}

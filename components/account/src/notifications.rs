//! `/api/v1/account/notifications…` and `/internal/notifications`: notifications, created by
//! other modules (through the internal route, which their outboxes deliver), read and marked
//! read by their account.

use contracts::account::{NotificationAnswer, NotificationRequest};
use kit::db::Db;
use kit::page::{self, PageRequest};
use kit::{ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::notification::{self, NewNotification};
use crate::model::{Lock, account};
use crate::rules;
use crate::rules::notification::{MAX_CONTENT_CHARS, MAX_TITLE_CHARS};

/// `GET /api/v1/account/notifications` — newest first.
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let request: PageRequest<Uuid> = page::request(&ctx)?;
    let rows = notification::page(ctx.db()?, user.sub, &request)?;
    let items: Vec<NotificationAnswer> = rows.into_iter().map(NotificationAnswer::from).collect();
    json::ok(&request.page(items, |n| n.id))
}

/// How many notifications are unread.
#[derive(Serialize)]
struct UnreadCount {
    count: i64,
}

/// `GET /api/v1/account/notifications/unread-count`.
pub async fn unread_count(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let count = notification::unread_count(ctx.db()?, user.sub)?;
    json::ok(&UnreadCount { count })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MarkRequest {
    ids: Vec<Uuid>,
}

/// How many notifications a request marked read.
#[derive(Serialize)]
struct Marked {
    marked: u64,
}

/// `POST /api/v1/account/notifications/read` — only the caller's own are touched.
pub async fn mark_read(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let body: MarkRequest = json::read(&req)?;
    rules::ensure_batch("ids", "notifications", body.ids.len())?;
    let marked = notification::mark_read(ctx.db()?, user.sub, &body.ids)?;
    json::ok(&Marked { marked })
}

/// `POST /api/v1/account/notifications/read-all`.
pub async fn mark_all_read(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let marked = notification::mark_all_read(ctx.db()?, user.sub)?;
    json::ok(&Marked { marked })
}

/// `POST /internal/notifications` — exactly once per `Idempotency-Key` (required).
pub async fn create(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: NotificationRequest = json::read(&req)?;
    rules::notification::ensure_kind(&body.kind)?;
    let title = kit::validate::line("title", &body.title, 1, MAX_TITLE_CHARS)?;
    let content = kit::validate::text("content", &body.content, 0, MAX_CONTENT_CHARS)?;
    let new = NewNotification {
        account_id: body.account_id,
        kind: &body.kind,
        title: &title,
        content: &content,
        metadata: body.metadata.as_ref(),
    };
    let created = ctx
        .db()?
        .transaction(async |db: &Db| {
            account::load(db, body.account_id, Lock::None)?;
            notification::insert(db, &new)
        })
        .await?;
    json::respond(201, &NotificationAnswer::from(created))
}

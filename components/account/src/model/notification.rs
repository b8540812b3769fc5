//! `account.notification`: what other modules (and account itself) tell an account, listed by
//! UUIDv7 id, newest first, with whether it was read.

use chrono::{DateTime, Utc};
use contracts::account::NotificationAnswer;
use kit::db::{Db, FromRow, Param, Row, text, uuid, uuids};
use kit::page::PageRequest;
use kit::{ApiError, ApiResult};
use uuid::Uuid;

/// A notification as stored.
#[derive(Debug)]
pub struct Notification {
    /// The notification.
    pub id: Uuid,
    /// What it is about (`type`).
    pub kind: String,
    /// Where it is shown.
    pub channel: String,
    /// One line.
    pub title: String,
    /// The body.
    pub content: String,
    /// The sender's own data.
    pub metadata: Option<serde_json::Value>,
    /// Whether its account read it.
    pub is_read: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// Columns [`Notification::from_row`] reads.
const COLUMNS: &str = "id, type, channel, title, content, metadata, is_read, \
                       created_at AT TIME ZONE 'UTC' AS created_at";

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

impl From<Notification> for NotificationAnswer {
    fn from(n: Notification) -> NotificationAnswer {
        NotificationAnswer {
            id: n.id,
            kind: n.kind,
            channel: n.channel,
            title: n.title,
            content: n.content,
            metadata: n.metadata,
            is_read: n.is_read,
            created_at: n.created_at,
        }
    }
}

/// A new notification, validated.
pub struct NewNotification<'a> {
    /// Whom it is for.
    pub account_id: Uuid,
    /// What it is about.
    pub kind: &'a str,
    /// One line.
    pub title: &'a str,
    /// The body; may be empty.
    pub content: &'a str,
    /// The sender's own data.
    pub metadata: Option<&'a serde_json::Value>,
}

/// Creates an (unread, in-app) notification and returns it.
pub fn insert(db: &Db, new: &NewNotification<'_>) -> ApiResult<Notification> {
    let sql = format!(
        "INSERT INTO account.notification (id, account_id, type, title, content, metadata) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
    );
    let metadata = match new.metadata {
        Some(m) => kit::db::json(m)?,
        None => Param::DbNull,
    };
    let params = [
        uuid(kit::ids::new_id()),
        uuid(new.account_id),
        text(new.kind),
        text(new.title),
        text(new.content),
        metadata,
    ];
    db.fetch_optional(&sql, &params)?
        .ok_or_else(|| ApiError::internal("the notification insert returned nothing"))
}

/// A page of the notifications of `account`, newest first (one more than the page, as
/// `PageRequest::page` expects).
pub fn page(db: &Db, account: Uuid, page: &PageRequest<Uuid>) -> ApiResult<Vec<Notification>> {
    super::newest_first(db, "notification", COLUMNS, account, page)
}

/// How many notifications of `account` are unread (`notification_unread_idx` serves it).
pub fn unread_count(db: &Db, account: Uuid) -> ApiResult<i64> {
    db.scalar(
        "SELECT count(*) FROM account.notification WHERE account_id = $1 AND NOT is_read",
        &[uuid(account)],
    )
}

const MARK_READ: &str = "UPDATE account.notification SET is_read = true \
                         WHERE account_id = $1 AND id = ANY($2::text[]::uuid[]) AND NOT is_read";

/// Marks those of `ids` that are unread notifications of `account` read; returns how many.
/// Anyone else's are left alone, as if they did not exist.
pub fn mark_read(db: &Db, account: Uuid, ids: &[Uuid]) -> ApiResult<u64> {
    Ok(db.execute(MARK_READ, &[uuid(account), uuids(ids)])?)
}

/// Marks every unread notification of `account` read; returns how many.
pub fn mark_all_read(db: &Db, account: Uuid) -> ApiResult<u64> {
    Ok(db.execute(
        "UPDATE account.notification SET is_read = true WHERE account_id = $1 AND NOT is_read",
        &[uuid(account)],
    )?)
}

//! `catalog.review_reply`: replies to reviews, by anyone signed in, the seller too. A review
//! counts its live replies on its own row ([`super::review::add_replies`]).

use chrono::{DateTime, Utc};
use kit::db::{Db, FromRow, Row, optional_uuid, text, uuid};
use kit::{ApiError, ApiResult};
use serde::Serialize;
use uuid::Uuid;

/// A reply, serialised as the API shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Reply {
    /// Id (UUIDv7, so ids order replies by time).
    pub id: Uuid,
    /// The review replied to.
    pub review_id: Uuid,
    /// Who wrote it.
    pub author_id: Uuid,
    /// Text.
    pub body: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Columns [`Reply::from_row`] reads.
const COLUMNS: &str = "id, review_id, author_id, body, \
    created_at AT TIME ZONE 'UTC' AS created_at, updated_at AT TIME ZONE 'UTC' AS updated_at";

impl FromRow for Reply {
    fn from_row(row: &Row<'_>) -> ApiResult<Reply> {
        Ok(Reply {
            id: row.get("id")?,
            review_id: row.get("review_id")?,
            author_id: row.get("author_id")?,
            body: row.get("body")?,
            created_at: row.time("created_at")?,
            updated_at: row.time("updated_at")?,
        })
    }
}

/// The live reply `id`, locked until the transaction ends; 404 `reply_not_found`.
pub fn lock(db: &Db, id: Uuid) -> ApiResult<Reply> {
    db.fetch_optional(
        &format!(
            "SELECT {COLUMNS} FROM catalog.review_reply \
             WHERE id = $1 AND deleted_at IS NULL FOR UPDATE"
        ),
        &[uuid(id)],
    )?
    .ok_or_else(|| ApiError::not_found("reply_not_found", format!("no reply {id}")))
}

/// Writes reply `id` of `author` to `review`.
pub fn insert(db: &Db, id: Uuid, review: Uuid, author: Uuid, body: &str) -> ApiResult<Reply> {
    db.fetch_optional(
        &format!(
            "INSERT INTO catalog.review_reply (id, review_id, author_id, body) \
             VALUES ($1, $2, $3, $4) RETURNING {COLUMNS}"
        ),
        &[uuid(id), uuid(review), uuid(author), text(body)],
    )?
    .ok_or_else(|| ApiError::internal("inserting a reply returned no row"))
}

/// Replaces the text of reply `id`.
pub fn update(db: &Db, id: Uuid, body: &str) -> ApiResult<Reply> {
    db.fetch_optional(
        &format!(
            "UPDATE catalog.review_reply SET body = $2, updated_at = now() \
             WHERE id = $1 RETURNING {COLUMNS}"
        ),
        &[uuid(id), text(body)],
    )?
    .ok_or_else(|| ApiError::internal("updating a reply returned no row"))
}

/// Removes reply `id`; its row stays, out of every list.
pub fn delete(db: &Db, id: Uuid) -> ApiResult<()> {
    db.execute(
        "UPDATE catalog.review_reply SET deleted_at = now() WHERE id = $1",
        &[uuid(id)],
    )?;
    Ok(())
}

/// Up to `fetch` live replies to `review`, oldest first, after reply `after`.
pub fn page(db: &Db, review: Uuid, after: Option<Uuid>, fetch: i64) -> ApiResult<Vec<Reply>> {
    db.fetch_all(
        &format!(
            "SELECT {COLUMNS} FROM catalog.review_reply \
             WHERE review_id = $1 AND deleted_at IS NULL AND ($2::uuid IS NULL OR id > $2::uuid) \
             ORDER BY id LIMIT $3"
        ),
        &[uuid(review), optional_uuid(after), fetch.into()],
    )
}

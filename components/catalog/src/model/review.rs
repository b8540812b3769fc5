//! `catalog.review` and `catalog.review_vote`: reviews of products, one per product per order,
//! with counters of their votes and replies kept on the row, and each account's vote on a
//! review (one row, changeable). A review's row lock serialises the changes of its counters;
//! an account's vote row serialises that account's votes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use kit::db::{Db, FromRow, Param, Row, optional_uuid, rows, strings, text, uuid};
use kit::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Lock;
use crate::rules::review::{ReviewSort, Vote};

/// A review, serialised as the API shows it, with the viewer's vote.
#[derive(Clone, Debug, Serialize)]
pub struct Review {
    /// Id (UUIDv7).
    pub id: Uuid,
    /// The product reviewed.
    pub product_id: Uuid,
    /// The buyer who wrote it.
    pub author_id: Uuid,
    /// The order the product was bought in.
    pub order_id: Uuid,
    /// 1 to 5.
    pub score: i16,
    /// Text, possibly empty.
    pub body: String,
    /// Image URLs.
    pub images: Vec<String>,
    /// Helpful votes.
    pub upvotes: i32,
    /// Unhelpful votes.
    pub downvotes: i32,
    /// Live replies.
    pub replies: i32,
    /// The viewer's vote: 1, -1 or absent.
    pub my_vote: Option<i16>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Columns [`Review::from_row`] reads, of `catalog.review r`, the viewer's vote included: every
/// statement using them binds the viewer (or NULL) as `$2`.
const COLUMNS: &str = "r.id, r.product_id, r.author_id, r.order_id, r.score, r.body, r.images, \
    r.upvotes, r.downvotes, r.replies, r.created_at AT TIME ZONE 'UTC' AS created_at, \
    r.updated_at AT TIME ZONE 'UTC' AS updated_at, \
    (SELECT vote FROM catalog.review_vote v \
     WHERE v.review_id = r.id AND v.account_id = $2::uuid) AS my_vote";

impl FromRow for Review {
    fn from_row(row: &Row<'_>) -> ApiResult<Review> {
        Ok(Review {
            id: row.get("id")?,
            product_id: row.get("product_id")?,
            author_id: row.get("author_id")?,
            order_id: row.get("order_id")?,
            score: row.get("score")?,
            body: row.get("body")?,
            images: super::string_list(row, "images")?,
            upvotes: row.get("upvotes")?,
            downvotes: row.get("downvotes")?,
            replies: row.get("replies")?,
            my_vote: row.get("my_vote")?,
            created_at: row.time("created_at")?,
            updated_at: row.time("updated_at")?,
        })
    }
}

/// What a buyer writes of a review.
#[derive(Clone, Debug)]
pub struct Draft {
    /// 1 to 5.
    pub score: i16,
    /// Text, possibly empty.
    pub body: String,
    /// Image URLs.
    pub images: Vec<String>,
}

impl Draft {
    /// The review as it is, to change field by field.
    pub fn of(review: &Review) -> Draft {
        Draft {
            score: review.score,
            body: review.body.clone(),
            images: review.images.clone(),
        }
    }
}

/// Where a page of reviews ended: the sort key and the id.
#[derive(Debug, Serialize, Deserialize)]
pub struct Cursor {
    /// The sort key (0 for newest first, the vote balance for most helpful).
    pub k: i64,
    /// The review.
    pub id: Uuid,
}

/// The live review `id` with `viewer`'s vote; 404 `review_not_found`.
pub fn load(db: &Db, id: Uuid, viewer: Option<Uuid>, lock: Lock) -> ApiResult<Review> {
    let sql = format!(
        "SELECT {COLUMNS} FROM catalog.review r WHERE r.id = $1 AND r.deleted_at IS NULL{}",
        lock.clause()
    );
    db.fetch_optional(&sql, &[uuid(id), optional_uuid(viewer)])?
        .ok_or_else(|| ApiError::not_found("review_not_found", format!("no review {id}")))
}

/// Writes review `id` of `product` by `author` for `order`; 409 `order_already_reviewed` when
/// the order has a live review of the product already.
pub fn insert(
    db: &Db,
    id: Uuid,
    product: Uuid,
    author: Uuid,
    order: Uuid,
    draft: &Draft,
) -> ApiResult<()> {
    db.execute(
        "INSERT INTO catalog.review (id, product_id, author_id, order_id, score, body, images) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            uuid(id),
            uuid(product),
            uuid(author),
            uuid(order),
            Param::Int16(draft.score),
            text(&draft.body),
            strings(&draft.images),
        ],
    )
    .map_err(|e| {
        e.to_api(&[(
            "review_product_order_key",
            ApiError::conflict(
                "order_already_reviewed",
                "this order already has a review of this product",
            ),
        )])
    })?;
    Ok(())
}

/// Replaces what the author writes of review `id`.
pub fn update(db: &Db, id: Uuid, draft: &Draft) -> ApiResult<()> {
    db.execute(
        "UPDATE catalog.review SET score = $2, body = $3, images = $4, updated_at = now() \
         WHERE id = $1",
        &[
            uuid(id),
            Param::Int16(draft.score),
            text(&draft.body),
            strings(&draft.images),
        ],
    )?;
    Ok(())
}

/// Removes review `id`; its row stays, out of every list and rating.
pub fn delete(db: &Db, id: Uuid) -> ApiResult<()> {
    db.execute(
        "UPDATE catalog.review SET deleted_at = now() WHERE id = $1",
        &[uuid(id)],
    )?;
    Ok(())
}

/// The sort key of a review list, as `int8`, of `catalog.review r`.
fn sort_key(sort: ReviewSort) -> &'static str {
    match sort {
        ReviewSort::Newest => "0::int8",
        ReviewSort::Helpful => "(r.upvotes - r.downvotes)::int8",
    }
}

/// Up to `fetch` live reviews of `product` in `sort` order (ties newest first) after `after`,
/// those with score `only` alone if given, each with its sort key and `viewer`'s vote.
pub fn page(
    db: &Db,
    product: Uuid,
    viewer: Option<Uuid>,
    only: Option<i16>,
    sort: ReviewSort,
    after: Option<&Cursor>,
    fetch: i64,
) -> ApiResult<Vec<(Review, i64)>> {
    let key = sort_key(sort);
    let set = db.query(
        &format!(
            "SELECT {COLUMNS}, {key} AS sort_key FROM catalog.review r \
             WHERE r.product_id = $1 AND r.deleted_at IS NULL \
               AND ($3::int2 IS NULL OR r.score = $3) \
               AND ($4::int8 IS NULL OR ({key}, r.id) < ($4, $5::uuid)) \
             ORDER BY sort_key DESC, r.id DESC LIMIT $6"
        ),
        &[
            uuid(product),
            optional_uuid(viewer),
            only.map_or(Param::DbNull, Param::Int16),
            after.map_or(Param::DbNull, |a| Param::Int64(a.k)),
            optional_uuid(after.map(|a| a.id)),
            fetch.into(),
        ],
    )?;
    rows(&set)
        .map(|r| Ok((Review::from_row(&r)?, r.get("sort_key")?)))
        .collect()
}

/// A product's live reviews per score, every score from 1 to 5 present.
pub fn breakdown(db: &Db, product: Uuid) -> ApiResult<BTreeMap<i16, i64>> {
    let set = db.query(
        "SELECT score, count(*) AS n FROM catalog.review \
         WHERE product_id = $1 AND deleted_at IS NULL GROUP BY score",
        &[uuid(product)],
    )?;
    let mut out: BTreeMap<i16, i64> = (1..=5).map(|s| (s, 0)).collect();
    for r in rows(&set) {
        out.insert(r.get("score")?, r.get("n")?);
    }
    Ok(out)
}

/// `account`'s vote on `review`, and the right to change it, until the transaction ends. The
/// lock is taken on the pair (an advisory lock), not only on the vote's row: before a first
/// vote there is no row to lock, and two first votes sent at once would both count.
pub fn lock_vote(db: &Db, review: Uuid, account: Uuid) -> ApiResult<Vote> {
    db.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        &[text(format!("catalog.review_vote:{review}:{account}"))],
    )?;
    let set = db.query(
        "SELECT vote FROM catalog.review_vote WHERE review_id = $1 AND account_id = $2 FOR UPDATE",
        &[uuid(review), uuid(account)],
    )?;
    let stored: Option<i16> = rows(&set).next().map(|r| r.get("vote")).transpose()?;
    Ok(Vote::stored(stored))
}

/// Stores `account`'s vote on `review`; [`Vote::None`] removes it.
pub fn set_vote(db: &Db, review: Uuid, account: Uuid, vote: Vote) -> ApiResult<()> {
    match vote.value() {
        None => db.execute(
            "DELETE FROM catalog.review_vote WHERE review_id = $1 AND account_id = $2",
            &[uuid(review), uuid(account)],
        )?,
        Some(value) => db.execute(
            "INSERT INTO catalog.review_vote (review_id, account_id, vote) VALUES ($1, $2, $3) \
             ON CONFLICT (review_id, account_id) DO UPDATE SET vote = EXCLUDED.vote",
            &[uuid(review), uuid(account), Param::Int16(value)],
        )?,
    };
    Ok(())
}

/// Moves review `id`'s vote counters by `up` and `down`.
pub fn add_votes(db: &Db, id: Uuid, up: i32, down: i32) -> ApiResult<()> {
    db.execute(
        "UPDATE catalog.review SET upvotes = upvotes + $2, downvotes = downvotes + $3 \
         WHERE id = $1",
        &[uuid(id), up.into(), down.into()],
    )?;
    Ok(())
}

/// Moves review `id`'s reply counter by `delta`.
pub fn add_replies(db: &Db, id: Uuid, delta: i32) -> ApiResult<()> {
    db.execute(
        "UPDATE catalog.review SET replies = replies + $2 WHERE id = $1",
        &[uuid(id), delta.into()],
    )?;
    Ok(())
}

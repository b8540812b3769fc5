//! Reviews: a buyer scores (1–5) and describes a product from one of their orders — one review
//! per product per order — others reply and vote (one vote per account, changeable), authors
//! edit or delete their own, and the seller is told of each new review through the outbox. A
//! product's rating (count and sum) changes in the same transaction as its reviews.

use chrono::{DateTime, Utc};
use kit::db::{Db, FromRow, Row, optional_uuid, rows, strings, text, uuid};
use kit::outbox::{self, Message};
use kit::page::{self, PageRequest};
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::{products, rules, skus};

/// Longest review text.
const MAX_BODY: usize = 4000;
/// Most images on a review.
const MAX_IMAGES: usize = 5;
/// Longest reply.
const MAX_REPLY: usize = 2000;

/// A review.
#[derive(Debug, Serialize)]
pub struct Review {
    id: Uuid,
    product_id: Uuid,
    author_id: Uuid,
    order_id: Uuid,
    score: i16,
    body: String,
    images: Vec<String>,
    upvotes: i32,
    downvotes: i32,
    replies: i32,
    /// The viewer's vote: 1, -1 or absent.
    my_vote: Option<i16>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "r.id, r.product_id, r.author_id, r.order_id, r.score, r.body, r.images, r.upvotes, \
    r.downvotes, r.replies, r.created_at AT TIME ZONE 'UTC' AS created_at, r.updated_at AT TIME ZONE 'UTC' AS updated_at";

/// `COLUMNS` plus the viewer's vote, for `FROM catalog.review r` and viewer parameter `$v`.
fn columns_for(viewer_param: &str) -> String {
    format!(
        "{COLUMNS}, (SELECT vote FROM catalog.review_vote v WHERE v.review_id = r.id AND v.account_id = {viewer_param}::uuid) AS my_vote"
    )
}

impl FromRow for Review {
    fn from_row(row: &Row<'_>) -> ApiResult<Review> {
        Ok(Review {
            id: row.get("id")?,
            product_id: row.get("product_id")?,
            author_id: row.get("author_id")?,
            order_id: row.get("order_id")?,
            score: row.get("score")?,
            body: row.get("body")?,
            images: row
                .get::<Vec<Option<String>>>("images")?
                .into_iter()
                .flatten()
                .collect(),
            upvotes: row.get("upvotes")?,
            downvotes: row.get("downvotes")?,
            replies: row.get("replies")?,
            my_vote: row.get("my_vote")?,
            created_at: row.time("created_at")?,
            updated_at: row.time("updated_at")?,
        })
    }
}

fn not_found(id: Uuid) -> ApiError {
    ApiError::not_found("review_not_found", format!("no review {id}"))
}

/// A live review, with `viewer`'s vote.
fn load(db: &Db, id: Uuid, viewer: Option<Uuid>) -> ApiResult<Review> {
    db.fetch_optional(
        &format!(
            "SELECT {} FROM catalog.review r WHERE r.id = $1 AND r.deleted_at IS NULL",
            columns_for("$2")
        ),
        &[uuid(id), optional_uuid(viewer)],
    )?
    .ok_or_else(|| not_found(id))
}

/// A score of 1 to 5.
fn score(value: i16) -> ApiResult<i16> {
    if (1..=5).contains(&value) {
        Ok(value)
    } else {
        Err(ApiError::validation("score: a whole number from 1 to 5"))
    }
}

fn body_text(value: &str, limit: usize, field: &str, required: bool) -> ApiResult<String> {
    let value = value.trim();
    let length = value.chars().count();
    if length > limit || (required && length == 0) {
        return Err(ApiError::validation(format!(
            "{field}: {} to {limit} characters",
            u8::from(required)
        )));
    }
    Ok(value.to_string())
}

fn images(values: &[String]) -> ApiResult<Vec<String>> {
    if values.len() > MAX_IMAGES {
        return Err(ApiError::validation(format!(
            "images: at most {MAX_IMAGES}"
        )));
    }
    rules::images(values)
}

/// Whether a buyer's order holds a non-cancelled line of one of these SKUs. The order module
/// answers it; until that module lands, its route does not exist and reviews cannot be written.
pub trait Purchases {
    /// `true` when `order` is `buyer`'s and has a live line of one of `skus`.
    async fn bought(&self, buyer: Uuid, order: Uuid, skus: &[Uuid]) -> ApiResult<bool>;
}

/// The order module's `POST /internal/orders/reviewable`.
struct OrderModule<'a>(&'a Ctx);

impl Purchases for OrderModule<'_> {
    async fn bought(&self, buyer: Uuid, order: Uuid, skus: &[Uuid]) -> ApiResult<bool> {
        let answer: serde_json::Value = self
            .0
            .internal("order")
            .post(
                "/internal/orders/reviewable",
                &json!({ "account_id": buyer, "order_id": order, "sku_ids": skus }),
                None,
            )
            .await?;
        Ok(answer["reviewable"].as_bool().unwrap_or(false))
    }
}

/// Refuses a review unless `buyer` bought the product in `order`: 403
/// `must_purchase_to_review`; 503 `purchase_check_unavailable` when the order module cannot say.
pub async fn require_purchase(
    purchases: &impl Purchases,
    buyer: Uuid,
    order: Uuid,
    skus: &[Uuid],
) -> ApiResult<()> {
    match purchases.bought(buyer, order, skus).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(ApiError::forbidden(
            "only a buyer whose order holds this product may review it",
        )
        .with_code("must_purchase_to_review")),
        Err(e) if e.status == 404 && e.code == "not_found" || e.status >= 500 => {
            Err(ApiError::unavailable(
                "purchase_check_unavailable",
                "purchases cannot be checked right now, so reviews cannot be written; try later",
            ))
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewReview {
    order_id: Uuid,
    score: i16,
    #[serde(default)]
    body: String,
    #[serde(default)]
    images: Vec<String>,
}

/// Adds `delta_count` reviews and `delta_sum` points to a product's rating.
fn rate(db: &Db, product: Uuid, delta_count: i32, delta_sum: i32) -> ApiResult<()> {
    db.execute(
        "UPDATE catalog.product SET rating_count = rating_count + $2, rating_sum = rating_sum + $3 WHERE id = $1",
        &[uuid(product), delta_count.into(), delta_sum.into()],
    )?;
    Ok(())
}

/// `POST /api/v1/catalog/products/:id/reviews` `{order_id, score, body?, images?}` — 201; 403
/// `must_purchase_to_review`, 403 for the product's own seller, 409 `order_already_reviewed`.
pub async fn create(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let product_id = ctx.param_id("id", "product")?;
    let body: NewReview = json::read(&req)?;
    let score = score(body.score)?;
    let text_body = body_text(&body.body, MAX_BODY, "body", false)?;
    let images = images(&body.images)?;
    let db = ctx.db()?;
    let product = products::find(db, &product_id.to_string(), None)?;
    if product.seller_id == user.sub {
        return Err(ApiError::forbidden(
            "sellers do not review their own products",
        ));
    }
    let sku_ids: Vec<Uuid> = skus::of_products(db, &[product_id])?
        .iter()
        .map(|s| s.id)
        .collect();
    require_purchase(&OrderModule(&ctx), user.sub, body.order_id, &sku_ids).await?;
    let caller = user.sub.to_string();
    let response = kit::idempotency::run(
        &ctx,
        &req,
        "catalog",
        &caller,
        kit::idempotency::KeyPolicy::Optional,
        async |db: &Db| {
            let id = kit::ids::new_id();
            db.execute(
                "INSERT INTO catalog.review (id, product_id, author_id, order_id, score, body, images) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    uuid(id),
                    uuid(product_id),
                    uuid(user.sub),
                    uuid(body.order_id),
                    kit::db::Param::Int16(score),
                    text(&text_body),
                    strings(&images),
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
            rate(db, product_id, 1, i32::from(score))?;
            outbox::enqueue(
                db,
                "catalog",
                &Message {
                    target: "account",
                    path: "/internal/notifications",
                    body: json!({
                        "account_id": product.seller_id, "type": "new_review",
                        "title": format!("{score}★ review of {}", product.name),
                        "content": text_body.chars().take(200).collect::<String>(),
                        "metadata": { "product_id": product_id, "review_id": id, "score": score },
                    }),
                    key: format!("catalog:review:{id}:notify"),
                },
            )?;
            json::created(
                &format!("/api/v1/catalog/reviews/{id}"),
                &load(db, id, Some(user.sub))?,
            )
        },
    )
    .await?;
    outbox::wake(&ctx, "catalog");
    Ok(response)
}

/// Sort key and id where a review page ended.
#[derive(Serialize, Deserialize)]
struct ReviewCursor {
    k: i64,
    id: Uuid,
}

/// `GET /api/v1/catalog/products/:key/reviews?score=&sort=newest|helpful&limit=&cursor=`.
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let viewer = ctx.optional_user()?.map(|c| c.sub);
    let db = ctx.db()?;
    let product = products::find(db, ctx.param("key"), viewer)?;
    let page: PageRequest<ReviewCursor> = page::request(&ctx)?;
    let only = ctx
        .query("score")
        .map(|s| s.parse::<i16>().ok().filter(|s| (1..=5).contains(s)))
        .map(|s| s.ok_or_else(|| ApiError::bad_request("invalid_score", "score is 1 to 5")))
        .transpose()?;
    let key = match ctx.query("sort").as_deref() {
        None | Some("newest") => "0::int8",
        Some("helpful") => "(r.upvotes - r.downvotes)::int8",
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_sort",
                format!("unknown sort `{other}`; one of newest, helpful"),
            ));
        }
    };
    let after = page.after.as_ref();
    let set = db.query(
        &format!(
            "SELECT {cols}, {key} AS sort_key FROM catalog.review r \
             WHERE r.product_id = $1 AND r.deleted_at IS NULL AND ($3::int2 IS NULL OR r.score = $3) \
               AND ($4::int8 IS NULL OR ({key}, r.id) < ($4, $5::uuid)) \
             ORDER BY sort_key DESC, r.id DESC LIMIT $6",
            cols = columns_for("$2")
        ),
        &[
            uuid(product.id),
            optional_uuid(viewer),
            only.map_or(kit::db::Param::DbNull, kit::db::Param::Int16),
            after.map_or(kit::db::Param::DbNull, |a| kit::db::Param::Int64(a.k)),
            optional_uuid(after.map(|a| a.id)),
            page.fetch().into(),
        ],
    )?;
    let mut found: Vec<(Review, i64)> = Vec::new();
    for r in rows(&set) {
        found.push((Review::from_row(&r)?, r.get("sort_key")?));
    }
    let page = page.page(found, |(r, k)| ReviewCursor { k: *k, id: r.id });
    let items: Vec<&Review> = page.items.iter().map(|(r, _)| r).collect();
    json::ok(&json!({ "items": items, "next_cursor": page.next_cursor }))
}

/// A review `account` wrote, locked; 404 / 403 otherwise.
fn authored(db: &Db, id: Uuid, account: Uuid) -> ApiResult<Review> {
    let review = db
        .fetch_optional::<Review>(
            &format!(
                "SELECT {} FROM catalog.review r WHERE r.id = $1 AND r.deleted_at IS NULL FOR UPDATE",
                columns_for("$2")
            ),
            &[uuid(id), uuid(account)],
        )?
        .ok_or_else(|| not_found(id))?;
    if review.author_id != account {
        return Err(ApiError::forbidden("only its author may change a review"));
    }
    Ok(review)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewChange {
    score: Option<i16>,
    body: Option<String>,
    images: Option<Vec<String>>,
}

/// `PATCH /api/v1/catalog/reviews/:id` — the author changes score, text or images.
pub async fn update(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let id = ctx.param_id("id", "review")?;
    let change: ReviewChange = json::read(&req)?;
    let new_score = change.score.map(score).transpose()?;
    let new_body = change
        .body
        .as_deref()
        .map(|b| body_text(b, MAX_BODY, "body", false))
        .transpose()?;
    let new_images = change.images.as_deref().map(images).transpose()?;
    ctx.db()?
        .transaction(async |db: &Db| {
            let review = authored(db, id, user.sub)?;
            let score = new_score.unwrap_or(review.score);
            db.execute(
                "UPDATE catalog.review SET score = $2, body = $3, images = $4, updated_at = now() WHERE id = $1",
                &[
                    uuid(id),
                    kit::db::Param::Int16(score),
                    text(new_body.clone().unwrap_or(review.body.clone())),
                    strings(new_images.as_deref().unwrap_or(&review.images)),
                ],
            )?;
            rate(db, review.product_id, 0, i32::from(score - review.score))?;
            json::ok(&load(db, id, Some(user.sub))?)
        })
        .await
}

/// `DELETE /api/v1/catalog/reviews/:id` — the author removes it; the rating forgets it. 204.
pub async fn delete(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let id = ctx.param_id("id", "review")?;
    ctx.db()?
        .transaction(async |db: &Db| {
            let review = authored(db, id, user.sub)?;
            db.execute(
                "UPDATE catalog.review SET deleted_at = now() WHERE id = $1",
                &[uuid(id)],
            )?;
            rate(db, review.product_id, -1, -i32::from(review.score))?;
            json::no_content()
        })
        .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VoteBody {
    vote: String,
}

/// `POST /api/v1/catalog/reviews/:id/vote` `{vote: up|down|none}` — one vote per account:
/// voting again changes it, `none` takes it back. Answers the review with its counts.
pub async fn vote(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let id = ctx.param_id("id", "review")?;
    let body: VoteBody = json::read(&req)?;
    let wanted: i16 = match body.vote.as_str() {
        "up" => 1,
        "down" => -1,
        "none" => 0,
        _ => return Err(ApiError::validation("vote: up, down or none")),
    };
    ctx.db()?
        .transaction(async |db: &Db| {
            let review = load(db, id, Some(user.sub))?;
            if review.author_id == user.sub {
                return Err(ApiError::forbidden("authors do not vote on their own reviews"));
            }
            // The vote row serialises one account's votes; counters move by the difference.
            let before: Option<i16> = db
                .query(
                    "SELECT vote FROM catalog.review_vote WHERE review_id = $1 AND account_id = $2 FOR UPDATE",
                    &[uuid(id), uuid(user.sub)],
                )
                .map(|set| rows(&set).next().map(|r| r.get("vote")).transpose())??;
            let before = before.unwrap_or(0);
            if wanted == 0 {
                db.execute(
                    "DELETE FROM catalog.review_vote WHERE review_id = $1 AND account_id = $2",
                    &[uuid(id), uuid(user.sub)],
                )?;
            } else {
                db.execute(
                    "INSERT INTO catalog.review_vote (review_id, account_id, vote) VALUES ($1, $2, $3) \
                     ON CONFLICT (review_id, account_id) DO UPDATE SET vote = EXCLUDED.vote",
                    &[uuid(id), uuid(user.sub), kit::db::Param::Int16(wanted)],
                )?;
            }
            let up = i32::from(wanted == 1) - i32::from(before == 1);
            let down = i32::from(wanted == -1) - i32::from(before == -1);
            db.execute(
                "UPDATE catalog.review SET upvotes = upvotes + $2, downvotes = downvotes + $3 WHERE id = $1",
                &[uuid(id), up.into(), down.into()],
            )?;
            json::ok(&load(db, id, Some(user.sub))?)
        })
        .await
}

/// A reply to a review.
#[derive(Debug, Serialize)]
struct Reply {
    id: Uuid,
    review_id: Uuid,
    author_id: Uuid,
    body: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const REPLY_COLUMNS: &str = "id, review_id, author_id, body, created_at AT TIME ZONE 'UTC' AS created_at, \
    updated_at AT TIME ZONE 'UTC' AS updated_at";

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyBody {
    body: String,
}

/// `POST /api/v1/catalog/reviews/:id/replies` `{body}` — anyone signed in, the seller too.
pub async fn reply(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let id = ctx.param_id("id", "review")?;
    let body: ReplyBody = json::read(&req)?;
    let text_body = body_text(&body.body, MAX_REPLY, "body", true)?;
    ctx.db()?
        .transaction(async |db: &Db| {
            load(db, id, None)?;
            let reply: Reply = db
                .fetch_optional(
                    &format!(
                        "INSERT INTO catalog.review_reply (id, review_id, author_id, body) VALUES ($1, $2, $3, $4) \
                         RETURNING {REPLY_COLUMNS}"
                    ),
                    &[uuid(kit::ids::new_id()), uuid(id), uuid(user.sub), text(&text_body)],
                )?
                .ok_or_else(|| ApiError::internal("inserting a reply returned no row"))?;
            db.execute(
                "UPDATE catalog.review SET replies = replies + 1 WHERE id = $1",
                &[uuid(id)],
            )?;
            json::created(&format!("/api/v1/catalog/replies/{}", reply.id), &reply)
        })
        .await
}

/// `GET /api/v1/catalog/reviews/:id/replies?limit=&cursor=` — oldest first.
pub async fn replies(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let id = ctx.param_id("id", "review")?;
    let page: PageRequest<Uuid> = page::request(&ctx)?;
    let db = ctx.db()?;
    load(db, id, None)?;
    let found: Vec<Reply> = db.fetch_all(
        &format!(
            "SELECT {REPLY_COLUMNS} FROM catalog.review_reply WHERE review_id = $1 AND deleted_at IS NULL \
             AND ($2::uuid IS NULL OR id > $2::uuid) ORDER BY id LIMIT $3"
        ),
        &[uuid(id), optional_uuid(page.after), page.fetch().into()],
    )?;
    json::ok(&page.page(found, |r| r.id))
}

/// `PATCH /api/v1/catalog/replies/:id` `{body}` and `DELETE` — the reply's author only.
pub async fn update_reply(ctx: Ctx, req: Request) -> ApiResult<Response> {
    change_reply(ctx, Some(req)).await
}

/// `DELETE /api/v1/catalog/replies/:id`. 204.
pub async fn delete_reply(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    change_reply(ctx, None).await
}

async fn change_reply(ctx: Ctx, req: Option<Request>) -> ApiResult<Response> {
    let user = ctx.user()?;
    let id = ctx.param_id("id", "reply")?;
    let new_body = match &req {
        Some(req) => Some(body_text(
            &json::read::<ReplyBody>(req)?.body,
            MAX_REPLY,
            "body",
            true,
        )?),
        None => None,
    };
    ctx.db()?
        .transaction(async |db: &Db| {
            let reply: Reply = db
                .fetch_optional(
                    &format!("SELECT {REPLY_COLUMNS} FROM catalog.review_reply WHERE id = $1 AND deleted_at IS NULL FOR UPDATE"),
                    &[uuid(id)],
                )?
                .ok_or_else(|| ApiError::not_found("reply_not_found", format!("no reply {id}")))?;
            if reply.author_id != user.sub {
                return Err(ApiError::forbidden("only its author may change a reply"));
            }
            match &new_body {
                Some(body) => {
                    let updated: Reply = db
                        .fetch_optional(
                            &format!("UPDATE catalog.review_reply SET body = $2, updated_at = now() WHERE id = $1 RETURNING {REPLY_COLUMNS}"),
                            &[uuid(id), text(body)],
                        )?
                        .ok_or_else(|| ApiError::internal("updating a reply returned no row"))?;
                    json::ok(&updated)
                }
                None => {
                    db.execute("UPDATE catalog.review_reply SET deleted_at = now() WHERE id = $1", &[uuid(id)])?;
                    db.execute(
                        "UPDATE catalog.review SET replies = replies - 1 WHERE id = $1",
                        &[uuid(reply.review_id)],
                    )?;
                    json::no_content()
                }
            }
        })
        .await
}

/// A product's rating breakdown: reviews per score, 1 to 5.
pub fn breakdown(db: &Db, product: Uuid) -> ApiResult<serde_json::Value> {
    let set = db.query(
        "SELECT score, count(*) AS n FROM catalog.review WHERE product_id = $1 AND deleted_at IS NULL GROUP BY score",
        &[uuid(product)],
    )?;
    let mut out = json!({ "1": 0, "2": 0, "3": 0, "4": 0, "5": 0 });
    for r in rows(&set) {
        let (s, n): (i16, i64) = (r.get("score")?, r.get("n")?);
        out[s.to_string()] = json!(n);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A test double of the order module's purchase check, for these unit tests only.
    struct Orders(ApiResult<bool>);

    impl Purchases for Orders {
        async fn bought(&self, _: Uuid, _: Uuid, _: &[Uuid]) -> ApiResult<bool> {
            self.0.clone()
        }
    }

    fn check(answer: ApiResult<bool>) -> ApiResult<()> {
        futures::executor::block_on(require_purchase(
            &Orders(answer),
            Uuid::nil(),
            Uuid::nil(),
            &[],
        ))
    }

    #[test]
    fn only_buyers_of_the_product_may_review_it() {
        assert!(check(Ok(true)).is_ok());
        let refused = check(Ok(false)).unwrap_err();
        assert_eq!(
            (refused.status, refused.code.as_ref()),
            (403, "must_purchase_to_review")
        );
    }

    #[test]
    fn an_order_module_that_cannot_answer_is_a_503_not_a_refusal() {
        let missing = ApiError::not_found("not_found", "no route for /internal/orders/reviewable");
        assert_eq!(
            check(Err(missing)).unwrap_err().code,
            "purchase_check_unavailable"
        );
        let down = ApiError::unavailable("upstream_unavailable", "down");
        assert_eq!(
            check(Err(down)).unwrap_err().code,
            "purchase_check_unavailable"
        );
        let unknown_order = ApiError::not_found("order_not_found", "no order");
        assert_eq!(
            check(Err(unknown_order)).unwrap_err().code,
            "order_not_found"
        );
    }

    #[test]
    fn scores_and_texts_are_bounded() {
        assert!(score(0).is_err() && score(6).is_err());
        assert_eq!(score(5).unwrap(), 5);
        assert!(body_text(&"x".repeat(MAX_BODY + 1), MAX_BODY, "body", false).is_err());
        assert!(body_text("  ", MAX_REPLY, "body", true).is_err());
        assert!(images(&vec!["https://i.example/a.png".to_string(); MAX_IMAGES + 1]).is_err());
    }
}

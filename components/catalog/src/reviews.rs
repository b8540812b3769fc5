//! Reviews: a buyer scores (1–5) and describes a product from one of their orders — one review
//! per product per order — others vote (one vote per account, changeable), authors edit or
//! delete their own, and the seller is told of each new review through the outbox. A product's
//! rating (count and sum) changes in the same transaction as its reviews.

use contracts::order::{ReviewableAnswer, ReviewableRequest};
use kit::db::Db;
use kit::page::{self, Page, PageRequest};
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::Deserialize;
use uuid::Uuid;

use crate::model::review::{self, Cursor, Draft, Review};
use crate::model::{Lock, outbox, product, sku};
use crate::rules::review::{ReviewSort, Vote};
use crate::rules::{self, Key};

/// `POST /api/v1/catalog/products/:id/reviews`.
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

impl NewReview {
    /// The review to write, each field checked against the review rules.
    fn check(&self) -> ApiResult<Draft> {
        Ok(Draft {
            score: rules::review::score(self.score)?,
            body: rules::review::body(&self.body)?,
            images: rules::review::images(&self.images)?,
        })
    }
}

/// `PATCH /api/v1/catalog/reviews/:id`. No field can be cleared (an empty text is `""`), so
/// `null` means the same as leaving a field out.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewChange {
    score: Option<i16>,
    body: Option<String>,
    images: Option<Vec<String>>,
}

/// A [`ReviewChange`] checked against the review rules.
struct CheckedChange {
    score: Option<i16>,
    body: Option<String>,
    images: Option<Vec<String>>,
}

impl ReviewChange {
    fn check(self) -> ApiResult<CheckedChange> {
        Ok(CheckedChange {
            score: self.score.map(rules::review::score).transpose()?,
            body: self.body.as_deref().map(rules::review::body).transpose()?,
            images: (self.images.as_deref())
                .map(rules::review::images)
                .transpose()?,
        })
    }
}

impl CheckedChange {
    /// `review` as this change leaves it.
    fn applied_to(&self, review: &Review) -> Draft {
        let mut draft = Draft::of(review);
        if let Some(score) = self.score {
            draft.score = score;
        }
        if let Some(body) = &self.body {
            draft.body = body.clone();
        }
        if let Some(images) = &self.images {
            draft.images = images.clone();
        }
        draft
    }
}

/// `POST /api/v1/catalog/reviews/:id/vote`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VoteBody {
    vote: String,
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
        let request = ReviewableRequest {
            account_id: buyer,
            order_id: order,
            sku_ids: skus.to_vec(),
        };
        let answer: ReviewableAnswer = self
            .0
            .internal("order")
            .post("/internal/orders/reviewable", &request, None)
            .await?;
        Ok(answer.reviewable)
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
        // The router's own 404 (`not_found`) means the route is missing, not the order.
        Err(e) if e.status == 404 && e.code == "not_found" || e.status >= 500 => {
            Err(ApiError::unavailable(
                "purchase_check_unavailable",
                "purchases cannot be checked right now, so reviews cannot be written; try later",
            ))
        }
        Err(e) => Err(e),
    }
}

/// `POST /api/v1/catalog/products/:id/reviews` `{order_id, score, body?, images?}` — 201; 403
/// `must_purchase_to_review`, 403 for the product's own seller, 409 `order_already_reviewed`.
pub async fn create(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let product_id = ctx.param_id("id", "product")?;
    let body: NewReview = json::read(&req)?;
    let draft = body.check()?;
    let db = ctx.db()?;
    let product = product::find(db, &Key::Id(product_id), None)?;
    if product.seller_id == user.sub {
        return Err(ApiError::forbidden(
            "sellers do not review their own products",
        ));
    }
    let skus: Vec<Uuid> = sku::of_products(db, &[product_id])?
        .iter()
        .map(|s| s.id)
        .collect();
    require_purchase(&OrderModule(&ctx), user.sub, body.order_id, &skus).await?;
    let response = ctx
        .db()?
        .transaction(async |db: &Db| {
            let id = kit::ids::new_id();
            review::insert(db, id, product_id, user.sub, body.order_id, &draft)?;
            product::add_rating(db, product_id, 1, i32::from(draft.score))?;
            outbox::new_review(db, &product, id, draft.score, &draft.body)?;
            json::created(
                &format!("/api/v1/catalog/reviews/{id}"),
                &review::load(db, id, Some(user.sub), Lock::None)?,
            )
        })
        .await?;
    kit::outbox::wake(&ctx, "catalog");
    Ok(response)
}

/// `GET /api/v1/catalog/products/:key/reviews?score=&sort=newest|helpful&limit=&cursor=`.
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let viewer = ctx.optional_user()?.map(|c| c.sub);
    let key = Key::parse(ctx.param("key"));
    let db = ctx.db()?;
    let product = product::find(db, &key, viewer)?;
    let page: PageRequest<Cursor> = page::request(&ctx)?;
    let only = ctx
        .query("score")
        .map(|s| rules::review::score_filter(&s))
        .transpose()?;
    let sort = ReviewSort::parse(ctx.query("sort").as_deref())?;
    let found = review::page(
        db,
        product.id,
        viewer,
        only,
        sort,
        page.after.as_ref(),
        page.fetch(),
    )?;
    let page = page.page(found, |(r, k)| Cursor { k: *k, id: r.id });
    json::ok(&Page {
        items: page.items.into_iter().map(|(r, _)| r).collect(),
        next_cursor: page.next_cursor,
    })
}

/// The live review `id`, locked, if `account` wrote it: 404 / 403 otherwise.
fn lock_authored(db: &Db, id: Uuid, account: Uuid) -> ApiResult<Review> {
    let review = review::load(db, id, Some(account), Lock::ForUpdate)?;
    rules::ensure_author(review.author_id, account, "review")?;
    Ok(review)
}

/// `PATCH /api/v1/catalog/reviews/:id` — the author changes score, text or images.
pub async fn update(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let id = ctx.param_id("id", "review")?;
    let change = json::read::<ReviewChange>(&req)?.check()?;
    ctx.db()?
        .transaction(async |db: &Db| {
            let stored = lock_authored(db, id, user.sub)?;
            let draft = change.applied_to(&stored);
            review::update(db, id, &draft)?;
            let moved = i32::from(draft.score - stored.score);
            product::add_rating(db, stored.product_id, 0, moved)?;
            json::ok(&review::load(db, id, Some(user.sub), Lock::None)?)
        })
        .await
}

/// `DELETE /api/v1/catalog/reviews/:id` — the author removes it; the rating forgets it. 204.
pub async fn delete(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let id = ctx.param_id("id", "review")?;
    ctx.db()?
        .transaction(async |db: &Db| {
            let stored = lock_authored(db, id, user.sub)?;
            review::delete(db, id)?;
            product::add_rating(db, stored.product_id, -1, -i32::from(stored.score))?;
            json::no_content()
        })
        .await
}

/// `POST /api/v1/catalog/reviews/:id/vote` `{vote: up|down|none}` — one vote per account:
/// voting again changes it, `none` takes it back. Answers the review with its counts.
pub async fn vote(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let id = ctx.param_id("id", "review")?;
    let wanted = Vote::parse(&json::read::<VoteBody>(&req)?.vote)?;
    ctx.db()?
        .transaction(async |db: &Db| {
            let review = review::load(db, id, Some(user.sub), Lock::None)?;
            if review.author_id == user.sub {
                return Err(ApiError::forbidden(
                    "authors do not vote on their own reviews",
                ));
            }
            // The vote row serialises one account's votes; counters move by the difference.
            let before = review::lock_vote(db, id, user.sub)?;
            review::set_vote(db, id, user.sub, wanted)?;
            let (up, down) = wanted.deltas(before);
            review::add_votes(db, id, up, down)?;
            json::ok(&review::load(db, id, Some(user.sub), Lock::None)?)
        })
        .await
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
    fn a_review_change_keeps_what_it_does_not_name() {
        let change = ReviewChange {
            score: Some(2),
            body: None,
            images: None,
        }
        .check()
        .unwrap();
        let stored = Review {
            id: Uuid::nil(),
            product_id: Uuid::nil(),
            author_id: Uuid::nil(),
            order_id: Uuid::nil(),
            score: 5,
            body: "Lovely".into(),
            images: vec!["https://i.example/a.png".into()],
            upvotes: 0,
            downvotes: 0,
            replies: 0,
            my_vote: None,
            created_at: chrono::DateTime::UNIX_EPOCH,
            updated_at: chrono::DateTime::UNIX_EPOCH,
        };
        let draft = change.applied_to(&stored);
        assert_eq!((draft.score, draft.body.as_str()), (2, "Lovely"));
        assert_eq!(draft.images, stored.images);
    }
}

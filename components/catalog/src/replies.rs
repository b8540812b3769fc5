//! Replies to reviews: anyone signed in replies (the seller too), replies are listed oldest
//! first, and their authors edit or delete their own. A review counts its live replies in the
//! transaction that adds or removes one.

use kit::db::Db;
use kit::page::{self, PageRequest};
use kit::{ApiResult, Ctx, Request, Response, json};
use serde::Deserialize;
use uuid::Uuid;

use crate::model::{Lock, reply, review};
use crate::rules;

/// `POST /api/v1/catalog/reviews/:id/replies` and `PATCH /api/v1/catalog/replies/:id`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyBody {
    body: String,
}

impl ReplyBody {
    /// The reply's text, checked against the reply rules.
    fn check(&self) -> ApiResult<String> {
        rules::review::reply(&self.body)
    }
}

/// `POST /api/v1/catalog/reviews/:id/replies` `{body}` — anyone signed in, the seller too.
pub async fn create(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let review_id = ctx.param_id("id", "review")?;
    let body = json::read::<ReplyBody>(&req)?.check()?;
    ctx.db()?
        .transaction(async |db: &Db| {
            review::load(db, review_id, None, Lock::None)?;
            let reply = reply::insert(db, kit::ids::new_id(), review_id, user.sub, &body)?;
            review::add_replies(db, review_id, 1)?;
            json::created(&format!("/api/v1/catalog/replies/{}", reply.id), &reply)
        })
        .await
}

/// `GET /api/v1/catalog/reviews/:id/replies?limit=&cursor=` — oldest first.
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let review_id = ctx.param_id("id", "review")?;
    let page: PageRequest<Uuid> = page::request(&ctx)?;
    let db = ctx.db()?;
    review::load(db, review_id, None, Lock::None)?;
    let found = reply::page(db, review_id, page.after, page.fetch())?;
    json::ok(&page.page(found, |r| r.id))
}

/// The live reply `id`, locked, if `account` wrote it: 404 / 403 otherwise.
fn lock_authored(db: &Db, id: Uuid, account: Uuid) -> ApiResult<reply::Reply> {
    let reply = reply::lock(db, id)?;
    rules::ensure_author(reply.author_id, account, "reply")?;
    Ok(reply)
}

/// `PATCH /api/v1/catalog/replies/:id` `{body}` — the reply's author changes its text.
pub async fn update(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let id = ctx.param_id("id", "reply")?;
    let body = json::read::<ReplyBody>(&req)?.check()?;
    ctx.db()?
        .transaction(async |db: &Db| {
            lock_authored(db, id, user.sub)?;
            json::ok(&reply::update(db, id, &body)?)
        })
        .await
}

/// `DELETE /api/v1/catalog/replies/:id` — the reply's author removes it. 204.
pub async fn delete(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let id = ctx.param_id("id", "reply")?;
    ctx.db()?
        .transaction(async |db: &Db| {
            let reply = lock_authored(db, id, user.sub)?;
            reply::delete(db, id)?;
            review::add_replies(db, reply.review_id, -1)?;
            json::no_content()
        })
        .await
}

//! `/api/v1/account/favorites…` and `/internal/favorites/check`: favourite products — add
//! (idempotent), remove, list newest first — and the batch check catalog uses to flag a page
//! of product cards.

use chrono::{DateTime, Utc};
use contracts::account::{FavoritesCheckAnswer, FavoritesCheckRequest};
use kit::page::{self, PageRequest};
use kit::{ApiResult, Ctx, Request, Response, json};
use serde::Serialize;
use uuid::Uuid;

use crate::model::favorite::{self, Added, Favorite};
use crate::rules;

/// A favourite product.
#[derive(Serialize)]
struct FavoriteAnswer {
    id: Uuid,
    spu_id: Uuid,
    created_at: DateTime<Utc>,
}

impl From<Favorite> for FavoriteAnswer {
    fn from(f: Favorite) -> FavoriteAnswer {
        FavoriteAnswer {
            id: f.id,
            spu_id: f.spu_id,
            created_at: f.created_at,
        }
    }
}

fn spu_param(ctx: &Ctx) -> ApiResult<Uuid> {
    ctx.param_id("spu_id", "product")
}

/// `POST /api/v1/account/favorites/:spu_id` — 201 when added, 200 when it already was.
pub async fn add(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let spu = spu_param(&ctx)?;
    match favorite::add(ctx.db()?, user.sub, spu)? {
        Added::New(f) => json::created(
            &format!("/api/v1/account/favorites/{spu}"),
            &FavoriteAnswer::from(f),
        ),
        Added::Existing(f) => json::ok(&FavoriteAnswer::from(f)),
    }
}

/// `DELETE /api/v1/account/favorites/:spu_id` — 204 whether or not it was a favourite.
pub async fn remove(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let spu = spu_param(&ctx)?;
    favorite::remove(ctx.db()?, user.sub, spu)?;
    json::no_content()
}

/// `GET /api/v1/account/favorites` — newest first.
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let request: PageRequest<Uuid> = page::request(&ctx)?;
    let rows = favorite::page(ctx.db()?, user.sub, &request)?;
    let items: Vec<FavoriteAnswer> = rows.into_iter().map(FavoriteAnswer::from).collect();
    json::ok(&request.page(items, |f| f.id))
}

/// `POST /internal/favorites/check` — which of up to 500 products the account favours.
pub async fn check(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: FavoritesCheckRequest = json::read(&req)?;
    rules::ensure_checkable("spu_ids", body.spu_ids.len())?;
    let favorites = favorite::among(ctx.db()?, body.account_id, &body.spu_ids)?;
    json::ok(&FavoritesCheckAnswer { favorites })
}

//! Favourite products: add (idempotent), remove, list newest first, and the batch check the
//! catalog uses to flag a page of product cards.

use chrono::{DateTime, Utc};
use kit::db::{FromRow, Row, optional_uuid, uuid, uuids};
use kit::page::{self, PageRequest};
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Most products one batch check may name.
const MAX_CHECK: usize = 500;

#[derive(Serialize)]
struct Favorite {
    id: Uuid,
    spu_id: Uuid,
    created_at: DateTime<Utc>,
}

impl FromRow for Favorite {
    fn from_row(row: &Row<'_>) -> ApiResult<Favorite> {
        Ok(Favorite {
            id: row.get("id")?,
            spu_id: row.get("spu_id")?,
            created_at: row.time("created_at")?,
        })
    }
}

const COLUMNS: &str = "id, spu_id, created_at AT TIME ZONE 'UTC' AS created_at";

/// `POST /api/v1/account/favorites/:spu_id` — 201 when added, 200 when it already was.
pub async fn add(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let spu = ctx.param_id("spu_id", "product")?;
    let db = ctx.db()?;
    let added: Option<Favorite> = db.fetch_optional(
        &format!("INSERT INTO account.favorite (id, account_id, spu_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING {COLUMNS}"),
        &[uuid(kit::ids::new_id()), uuid(user.sub), uuid(spu)],
    )?;
    match added {
        Some(f) => json::created(&format!("/api/v1/account/favorites/{spu}"), &f),
        None => {
            let existing: Favorite = db
                .fetch_optional(&format!("SELECT {COLUMNS} FROM account.favorite WHERE account_id = $1 AND spu_id = $2"), &[uuid(user.sub), uuid(spu)])?
                .ok_or_else(|| ApiError::conflict("busy", "the favourite changed concurrently; retry"))?;
            json::ok(&existing)
        }
    }
}

/// `DELETE /api/v1/account/favorites/:spu_id` — 204 whether or not it was a favourite.
pub async fn remove(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let spu = ctx.param_id("spu_id", "product")?;
    ctx.db()?.execute(
        "DELETE FROM account.favorite WHERE account_id = $1 AND spu_id = $2",
        &[uuid(user.sub), uuid(spu)],
    )?;
    json::no_content()
}

/// `GET /api/v1/account/favorites` — newest first.
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let page: PageRequest<Uuid> = page::request(&ctx)?;
    let items: Vec<Favorite> = ctx.db()?.fetch_all(
        &format!("SELECT {COLUMNS} FROM account.favorite WHERE account_id = $1 AND ($2::uuid IS NULL OR id < $2::uuid) ORDER BY id DESC LIMIT $3"),
        &[uuid(user.sub), optional_uuid(page.after), page.fetch().into()],
    )?;
    json::ok(&page.page(items, |f| f.id))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckBody {
    account_id: Uuid,
    spu_ids: Vec<Uuid>,
}

/// `POST /internal/favorites/check` `{account_id, spu_ids}` → `{favorites: [spu_id…]}`.
pub async fn check(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: CheckBody = json::read(&req)?;
    if body.spu_ids.len() > MAX_CHECK {
        return Err(ApiError::validation(format!(
            "spu_ids: at most {MAX_CHECK}"
        )));
    }
    let set = ctx.db()?.query(
        "SELECT spu_id FROM account.favorite WHERE account_id = $1 AND spu_id = ANY($2::text[]::uuid[]) ORDER BY spu_id",
        &[uuid(body.account_id), uuids(&body.spu_ids)],
    )?;
    let favorites: Vec<Uuid> = kit::db::rows(&set)
        .map(|r| r.get("spu_id"))
        .collect::<ApiResult<_>>()?;
    json::ok(&serde_json::json!({ "favorites": favorites }))
}

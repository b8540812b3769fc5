//! Availability of many SKUs at once (public, and internal for catalog), and the best sellers
//! (internal, for recommendations).

use kit::db::{FromRow, Row, uuids};
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::rules::{self, MAX_AVAILABILITY_SKUS};

/// Public requests name fewer SKUs than catalog's internal page loads.
const MAX_PUBLIC_SKUS: usize = 100;

/// How many units of a SKU can be bought, and how many were sold.
#[derive(Serialize)]
struct Availability {
    sku_id: Uuid,
    available: i64,
    sold: i64,
    in_stock: bool,
}

impl FromRow for Availability {
    fn from_row(row: &Row<'_>) -> ApiResult<Availability> {
        let available: i64 = row.get("available")?;
        Ok(Availability {
            sku_id: row.get("sku_id")?,
            available,
            sold: row.get("sold")?,
            in_stock: available > 0,
        })
    }
}

/// Availability of `skus` in one query; SKUs without stock are absent from the result.
fn lookup(ctx: &Ctx, skus: &[Uuid]) -> ApiResult<Response> {
    let items: Vec<Availability> = ctx.db()?.fetch_all(
        "SELECT sku_id, available, sold FROM inventory.stock WHERE sku_id = ANY($1::text[]::uuid[]) ORDER BY sku_id",
        &[uuids(skus)],
    )?;
    json::ok(&serde_json::json!({ "items": items }))
}

/// `GET /api/v1/inventory/availability?sku_ids=a,b` — public.
pub async fn public(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let skus = rules::sku_list(&ctx.query_all("sku_ids"), MAX_PUBLIC_SKUS)?;
    lookup(&ctx, &skus)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchBody {
    sku_ids: Vec<Uuid>,
}

/// `POST /internal/availability` `{sku_ids}` — catalog's one call per page.
pub async fn internal(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: BatchBody = json::read(&req)?;
    if body.sku_ids.is_empty() || body.sku_ids.len() > MAX_AVAILABILITY_SKUS {
        return Err(ApiError::validation(format!(
            "sku_ids: name 1 to {MAX_AVAILABILITY_SKUS} SKUs"
        )));
    }
    lookup(&ctx, &body.sku_ids)
}

/// `GET /internal/best-sellers?limit=` — SKUs by units sold, most first.
pub async fn best_sellers(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let limit = kit::page::parse::<Uuid>(ctx.query("limit").as_deref(), None)?.limit;
    let items: Vec<Availability> = ctx.db()?.fetch_all(
        "SELECT sku_id, available, sold FROM inventory.stock WHERE sold > 0 ORDER BY sold DESC, sku_id LIMIT $1",
        &[i64::from(limit).into()],
    )?;
    json::ok(&serde_json::json!({ "items": items }))
}

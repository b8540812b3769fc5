//! `/api/v1/inventory/availability` and `/internal/availability`: how many units of many SKUs
//! can be bought, and how many were sold, in one query. The public route takes a query string
//! and fewer SKUs; catalog's internal one takes a body with a page's worth.

use contracts::inventory::{Availability, AvailabilityAnswer, AvailabilityRequest};
use kit::{ApiResult, Ctx, Request, Response, json};
use uuid::Uuid;

use crate::model::stock;
use crate::rules::{self, MAX_PUBLIC_SKUS};

/// The availability of those of `skus` that have stock, by SKU.
fn answer(ctx: &Ctx, skus: &[Uuid]) -> ApiResult<Response> {
    let levels = stock::levels(ctx.db()?, skus)?;
    json::ok(&AvailabilityAnswer {
        items: levels.into_iter().map(Availability::from).collect(),
    })
}

/// `GET /api/v1/inventory/availability?sku_ids=a,b` — public.
pub async fn public(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let skus = rules::sku_list(&ctx.query_all("sku_ids"), MAX_PUBLIC_SKUS)?;
    answer(&ctx, &skus)
}

/// `POST /internal/availability` — catalog's one call per page of cards.
pub async fn internal(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: AvailabilityRequest = json::read(&req)?;
    rules::ensure_sku_batch(body.sku_ids.len())?;
    answer(&ctx, &body.sku_ids)
}

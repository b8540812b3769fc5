//! `/internal/skus/batch` and `/internal/products/batch`: what other modules need to know of
//! many SKUs or products at once — seller, category path, currency, price, whether they can be
//! bought — each batch read in one query. Promotion prices a quote's lines with the first and
//! checks a seller's promotion targets with the second, never calling catalog once per line.
//! Both only read, so they take no idempotency key.

use contracts::catalog::{
    ProductsBatchAnswer, ProductsBatchRequest, SkusBatchAnswer, SkusBatchRequest,
};
use kit::{ApiResult, Ctx, Request, Response, json};

use crate::model::{product, sku};
use crate::rules::batch::Batch;

/// `POST /internal/skus/batch` `{sku_ids}` (1–500, repeats answered once) — the SKUs catalog
/// has, removed ones included (`available: false`), in the order first named; unknown ids are
/// absent.
pub async fn skus(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: SkusBatchRequest = json::read(&req)?;
    let batch = Batch::parse("sku_ids", &body.sku_ids)?;
    let items = sku::summaries(ctx.db()?, batch.ids())?;
    json::ok(&SkusBatchAnswer { items })
}

/// `POST /internal/products/batch` `{product_ids}` (1–500, repeats answered once) — the
/// products catalog has, removed or disabled ones included (`available: false`), in the order
/// first named; unknown ids are absent.
pub async fn products(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: ProductsBatchRequest = json::read(&req)?;
    let batch = Batch::parse("product_ids", &body.product_ids)?;
    let items = product::summaries(ctx.db()?, batch.ids())?;
    json::ok(&ProductsBatchAnswer { items })
}

//! Stock levels inventory announces through its outbox: each SKU's available and sold units
//! with the version of its stock, and the product's totals derived from them, so that listing
//! can filter by availability and sort by popularity inside one query.

use contracts::catalog::{StockLevelsAnswer, StockLevelsRequest};
use kit::db::Db;
use kit::{ApiResult, Ctx, Request, Response, json};

use crate::model::{product, sku};

/// `POST /internal/stock-levels` `{sku_id, available, sold, version}` — applied only when newer
/// than what catalog has (messages may arrive out of order or twice); a SKU catalog does not
/// know (yet) is skipped: the next change carries the whole level again.
pub async fn apply(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let level: StockLevelsRequest = json::read(&req)?;
    // A repeat changes nothing by itself (the version check), so no idempotency record is
    // kept: a plain transaction keeps the SKU and its product's totals in step.
    let applied = ctx
        .db()?
        .transaction(async |db: &Db| {
            // Levels of one product's SKUs apply one at a time (see `product::lock_of_sku`).
            let Some(product) = product::lock_of_sku(db, level.sku_id)? else {
                return Ok(false);
            };
            if sku::apply_level(db, &level)?.is_none() {
                return Ok(false);
            }
            product::refresh_stock(db, product)?;
            Ok(true)
        })
        .await?;
    json::ok(&StockLevelsAnswer {
        sku_id: level.sku_id,
        applied,
    })
}

//! Stock levels inventory announces through its outbox: each SKU's available and sold units
//! with the version of its stock, and the product's totals derived from them, so that listing
//! can filter by availability and sort by popularity inside one query.

use kit::db::{Db, uuid};
use kit::{ApiResult, Ctx, Request, Response, json};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Level {
    sku_id: Uuid,
    available: i64,
    sold: i64,
    version: i64,
}

/// `POST /internal/stock-levels` `{sku_id, available, sold, version}` — applied only when newer
/// than what catalog has (messages may arrive out of order or twice); a SKU catalog does not
/// know (yet) is skipped: the next change carries the whole level again.
pub async fn apply(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let level: Level = json::read(&req)?;
    let applied = ctx
        .db()?
        .transaction(async |db: &Db| {
            let set = db.query(
                "UPDATE catalog.sku SET available = $2, sold = $3, stock_version = $4 \
                 WHERE id = $1 AND stock_version < $4 RETURNING product_id",
                &[uuid(level.sku_id), level.available.into(), level.sold.into(), level.version.into()],
            )?;
            let Some(row) = kit::db::rows(&set).next() else {
                return Ok(false);
            };
            let product: Uuid = row.get("product_id")?;
            db.execute(
                "UPDATE catalog.product p SET sold = t.sold, in_stock = t.in_stock \
                 FROM (SELECT coalesce(sum(sold), 0)::int8 AS sold, coalesce(bool_or(available > 0), false) AS in_stock \
                       FROM catalog.sku WHERE product_id = $1 AND deleted_at IS NULL) t WHERE p.id = $1",
                &[uuid(product)],
            )?;
            Ok(true)
        })
        .await?;
    json::ok(&serde_json::json!({ "sku_id": level.sku_id, "applied": applied }))
}

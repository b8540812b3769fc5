//! A seller's public numbers: live products, their average rating and reviews, units sold.

use contracts::inventory::{AvailabilityAnswer, AvailabilityRequest};
use kit::db::{rows, uuid};
use kit::{ApiResult, Ctx, Request, Response, json};
use serde_json::json;
use uuid::Uuid;

use crate::skus;

/// `GET /api/v1/catalog/sellers/:id/stats` — `{seller_id, product_count, review_count,
/// average_rating, total_sold}`; `total_sold` is null when inventory does not answer.
pub async fn seller(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let seller = ctx.param_id("id", "seller")?;
    let db = ctx.db()?;
    let set = db.query(
        "SELECT count(*) AS products, coalesce(sum(rating_count), 0)::int8 AS reviews, \
           coalesce(sum(rating_sum), 0)::int8 AS points, array_agg(id::text) AS ids \
         FROM catalog.product WHERE seller_id = $1 AND deleted_at IS NULL AND enabled",
        &[uuid(seller)],
    )?;
    let row = rows(&set)
        .next()
        .ok_or_else(|| kit::ApiError::internal("an aggregate returned no row"))?;
    let (products, reviews, points): (i64, i64, i64) = (
        row.get("products")?,
        row.get("reviews")?,
        row.get("points")?,
    );
    let ids: Vec<Uuid> = row
        .get::<Option<Vec<Option<String>>>>("ids")?
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .filter_map(|s| s.parse().ok())
        .collect();
    let skus = skus::of_products(db, &ids)?;
    let mut sold: Option<i64> = Some(0);
    for chunk in skus.chunks(500) {
        let sku_ids: Vec<Uuid> = chunk.iter().map(|s| s.id).collect();
        let answer: ApiResult<AvailabilityAnswer> = ctx
            .internal("inventory")
            .post(
                "/internal/availability",
                &AvailabilityRequest { sku_ids },
                None,
            )
            .await;
        sold = match (sold, answer) {
            (Some(total), Ok(a)) => Some(total + a.items.iter().map(|i| i.sold).sum::<i64>()),
            (_, Err(e)) => {
                kit::log::warn(format_args!("units sold unavailable: {e}"));
                None
            }
            (None, _) => None,
        };
    }
    let average = (reviews > 0).then(|| ((points as f64 / reviews as f64) * 10.0).round() / 10.0);
    json::ok(&json!({
        "seller_id": seller, "product_count": products, "review_count": reviews,
        "average_rating": average, "total_sold": sold,
    }))
}

//! A seller's public numbers: live products, their reviews and average rating, units sold.

use contracts::inventory::{AvailabilityAnswer, AvailabilityRequest};
use kit::{ApiResult, Ctx, Request, Response, json};
use serde::Serialize;
use uuid::Uuid;

use crate::model::{product, sku};
use crate::rules;

/// `GET /api/v1/catalog/sellers/:id/stats`.
#[derive(Serialize)]
struct SellerStats {
    seller_id: Uuid,
    product_count: i64,
    review_count: i64,
    /// One decimal; `null` before the first review.
    average_rating: Option<f64>,
    /// `null` when inventory did not answer.
    total_sold: Option<i64>,
}

/// `GET /api/v1/catalog/sellers/:id/stats` — `{seller_id, product_count, review_count,
/// average_rating, total_sold}` over the seller's live, enabled products; `total_sold` is null
/// when inventory does not answer.
pub async fn seller(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let seller = ctx.param_id("id", "seller")?;
    let db = ctx.db()?;
    let totals = product::seller_totals(db, seller)?;
    let skus = sku::of_products(db, &totals.ids)?;
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
    json::ok(&SellerStats {
        seller_id: seller,
        product_count: totals.products,
        review_count: totals.reviews,
        average_rating: rules::average_score(totals.points, totals.reviews),
        total_sold: sold,
    })
}

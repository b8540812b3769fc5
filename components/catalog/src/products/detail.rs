//! A product's detail: the product with its category, its SKUs and their offers, and what
//! the other modules add (availability, favourite, promoted prices).

use chrono::{DateTime, Utc};
use kit::{ApiResult, Ctx, Request, Response, json};
use serde::Serialize;
use uuid::Uuid;

use crate::enrich::{self, Offer, Summary};
use crate::model::category::{self, Category};
use crate::model::product::{self, Product};
use crate::model::review;
use crate::model::sku::{self, Sku};
use crate::rules::Key;
use crate::rules::product::Pair;

/// A product's detail: the product, its SKUs with their offers, its category, and what the
/// other modules add.
#[derive(Serialize)]
struct Detail<'a> {
    #[serde(flatten)]
    product: &'a Product,
    skus: Vec<SkuDetail<'a>>,
    category: Category,
    #[serde(flatten)]
    summary: Summary,
}

/// A SKU in a product's detail: its row, priced by its offer (after promotions).
#[derive(Serialize)]
struct SkuDetail<'a> {
    id: Uuid,
    product_id: Uuid,
    attributes: &'a [Pair],
    weight_grams: Option<i32>,
    length_cm: Option<i32>,
    width_cm: Option<i32>,
    height_cm: Option<i32>,
    created_at: DateTime<Utc>,
    #[serde(flatten)]
    offer: Offer,
}

impl<'a> SkuDetail<'a> {
    fn new(sku: &'a Sku, offer: Offer) -> SkuDetail<'a> {
        SkuDetail {
            id: sku.id,
            product_id: sku.product_id,
            attributes: &sku.attributes,
            weight_grams: sku.weight_grams,
            length_cm: sku.length_cm,
            width_cm: sku.width_cm,
            height_cm: sku.height_cm,
            created_at: sku.created_at,
            offer,
        }
    }
}

/// `GET /api/v1/catalog/products/:key` — by id or slug: the product with its category, SKUs
/// (price, original price, availability), price, rating summary with its breakdown and, for a
/// signed-in viewer, whether it is a favourite. A disabled product is shown to its seller only.
pub async fn get(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let viewer = ctx.optional_user()?.map(|c| c.sub);
    let key = Key::parse(ctx.param("key"));
    let db = ctx.db()?;
    let product = product::find(db, &key, viewer)?;
    let skus = sku::of_products(db, &[product.id])?;
    let category = category::find(db, &Key::Id(product.category_id))?;
    let breakdown = review::breakdown(db, product.id)?;
    let more = enrich::fetch(&ctx, viewer, &[product.id], &skus).await;
    let mut summary = more.summary(&product, &skus);
    summary.rating.breakdown = Some(breakdown);
    json::ok(&Detail {
        product: &product,
        skus: skus
            .iter()
            .map(|s| SkuDetail::new(s, more.offer(s)))
            .collect(),
        category,
        summary,
    })
}

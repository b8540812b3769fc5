//! What a product card or detail shows beyond the catalog's own rows, fetched in one batched
//! call per page from each module that owns it: availability and units sold (inventory), the
//! viewer's favourites (account), and prices after promotions (the promotion module's seam).
//! When a module does not answer, the page is still served, without that part.

use std::collections::HashMap;

use contracts::inventory::{AvailabilityAnswer, AvailabilityRequest};
use kit::{ApiResult, Ctx};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::products::Product;
use crate::skus::Sku;

/// Inventory's batch limit.
const AVAILABILITY_BATCH: usize = 500;

/// Available and sold units per SKU; `None` when inventory did not answer.
async fn stock(ctx: &Ctx, skus: &[Sku]) -> Option<HashMap<Uuid, (i64, i64)>> {
    let mut out = HashMap::new();
    for chunk in skus.chunks(AVAILABILITY_BATCH) {
        let request = AvailabilityRequest {
            sku_ids: chunk.iter().map(|s| s.id).collect(),
        };
        let answer: ApiResult<AvailabilityAnswer> = ctx
            .internal("inventory")
            .post("/internal/availability", &request, None)
            .await;
        let items = match answer {
            Ok(answer) => answer.items,
            Err(e) => {
                kit::log::warn(format_args!("availability unavailable: {e}"));
                return None;
            }
        };
        out.extend(items.into_iter().map(|s| (s.sku_id, (s.available, s.sold))));
    }
    Some(out)
}

/// The products among `ids` that `viewer` favours; empty without a viewer or an answer.
async fn favorites(ctx: &Ctx, viewer: Option<Uuid>, ids: &[Uuid]) -> Vec<Uuid> {
    let Some(viewer) = viewer else {
        return Vec::new();
    };
    if ids.is_empty() {
        return Vec::new();
    }
    let answer: ApiResult<Value> = ctx
        .internal("account")
        .post(
            "/internal/favorites/check",
            &json!({ "account_id": viewer, "spu_ids": ids }),
            None,
        )
        .await;
    match answer {
        Ok(a) => serde_json::from_value(a["favorites"].clone()).unwrap_or_default(),
        Err(e) => {
            kit::log::warn(format_args!("favourites unavailable: {e}"));
            Vec::new()
        }
    }
}

/// Price after promotions and the original price of each SKU. The promotion module has not
/// landed: this seam answers the base price for both, and is where its batch call goes.
fn promoted(skus: &[Sku]) -> HashMap<Uuid, (i64, i64)> {
    skus.iter().map(|s| (s.id, (s.price, s.price))).collect()
}

/// The SKU a card prices the product by: the featured one, else the cheapest.
fn shown_sku<'a>(product: &Product, skus: &'a [Sku]) -> Option<&'a Sku> {
    skus.iter()
        .filter(|s| s.product_id == product.id)
        .find(|s| Some(s.id) == product.featured_sku_id)
        .or_else(|| skus.iter().find(|s| s.product_id == product.id))
}

/// What enrichment adds to one product, given the page's batched answers.
fn summary(
    product: &Product,
    skus: &[Sku],
    stock: Option<&HashMap<Uuid, (i64, i64)>>,
    prices: &HashMap<Uuid, (i64, i64)>,
    favorite: bool,
) -> Value {
    let own: Vec<&Sku> = skus.iter().filter(|s| s.product_id == product.id).collect();
    let (price, original) = shown_sku(product, skus)
        .and_then(|s| prices.get(&s.id).copied())
        .map_or((None, None), |(p, o)| (Some(p), Some(o)));
    let (available, sold) = match stock {
        Some(stock) => {
            let (a, s) = own.iter().fold((0, 0), |(a, s), sku| {
                let (sa, ss) = stock.get(&sku.id).copied().unwrap_or((0, 0));
                (a + sa, s + ss)
            });
            (Some(a), Some(s))
        }
        None => (None, None),
    };
    json!({
        "price": price,
        "original_price": original,
        "price_range": { "min": product.min_price, "max": product.max_price },
        "available": available,
        "sold": sold,
        "in_stock": available.map(|a| a > 0),
        "rating": { "average": product.rating(), "count": product.rating_count },
        "is_favorite": favorite,
    })
}

fn merge(target: &mut Value, extra: Value) {
    if let (Some(t), Value::Object(e)) = (target.as_object_mut(), extra) {
        t.extend(e);
    }
}

/// Cards for a page of products: one inventory call and one account call for the whole page.
pub async fn cards(
    ctx: &Ctx,
    viewer: Option<Uuid>,
    products: &[Product],
    skus: &[Sku],
) -> Vec<Value> {
    let ids: Vec<Uuid> = products.iter().map(|p| p.id).collect();
    let stock = stock(ctx, skus).await;
    let favorites = favorites(ctx, viewer, &ids).await;
    let prices = promoted(skus);
    products
        .iter()
        .map(|p| {
            let mut card = json!({
                "id": p.id, "slug": p.slug, "name": p.name, "seller_id": p.seller_id,
                "category_id": p.category_id, "currency": p.currency, "tags": p.tags,
                "image": p.images.first(), "enabled": p.enabled, "created_at": p.created_at,
            });
            merge(
                &mut card,
                summary(p, skus, stock.as_ref(), &prices, favorites.contains(&p.id)),
            );
            card
        })
        .collect()
}

/// Adds price, availability, rating and favourite to a product detail, and each SKU's price,
/// original price and availability.
pub async fn detail(
    ctx: &Ctx,
    viewer: Option<Uuid>,
    product: &Product,
    skus: &[Sku],
    body: &mut Value,
) {
    let stock = stock(ctx, skus).await;
    let favorite = favorites(ctx, viewer, &[product.id])
        .await
        .contains(&product.id);
    let prices = promoted(skus);
    merge(
        body,
        summary(product, skus, stock.as_ref(), &prices, favorite),
    );
    if let Some(items) = body["skus"].as_array_mut() {
        for item in items {
            let Some(id) = item["id"].as_str().and_then(|s| s.parse::<Uuid>().ok()) else {
                continue;
            };
            let (price, original) = prices.get(&id).copied().unwrap_or_default();
            let units = stock
                .as_ref()
                .map(|s| s.get(&id).copied().unwrap_or((0, 0)));
            item["price"] = json!(price);
            item["original_price"] = json!(original);
            item["available"] = json!(units.map(|u| u.0));
            item["sold"] = json!(units.map(|u| u.1));
            item["in_stock"] = json!(units.map(|u| u.0 > 0));
        }
    }
}

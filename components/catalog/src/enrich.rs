//! What a product card or detail shows beyond the catalog's own rows, fetched in one batched
//! call per page from each module that owns it: availability and units sold (inventory) and
//! the viewer's favourites (account). When a module does not answer, the page is still
//! served, without that part. Prices after promotions are catalog's own columns, kept by
//! promotion's reprice messages ([`crate::prices`]), so the price a card shows is the one the
//! list was filtered and sorted by.
//!
//! Below the handlers beside the model layer: products' cards and detail both use it, so it
//! lives in neither handler file.

use std::collections::{BTreeMap, HashMap};

use contracts::account::{FavoritesCheckAnswer, FavoritesCheckRequest};
use contracts::inventory::{AvailabilityAnswer, AvailabilityRequest};
use kit::{ApiResult, Ctx};
use serde::Serialize;
use uuid::Uuid;

use crate::model::product::Product;
use crate::model::sku::Sku;
use crate::rules;

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
    let request = FavoritesCheckRequest {
        account_id: viewer,
        spu_ids: ids.to_vec(),
    };
    let answer: ApiResult<FavoritesCheckAnswer> = ctx
        .internal("account")
        .post("/internal/favorites/check", &request, None)
        .await;
    match answer {
        Ok(answer) => answer.favorites,
        Err(e) => {
            kit::log::warn(format_args!("favourites unavailable: {e}"));
            Vec::new()
        }
    }
}

/// What the other modules said about a page of products and their SKUs.
pub struct Enrichment {
    /// Available and sold units per SKU; `None` when inventory did not answer.
    stock: Option<HashMap<Uuid, (i64, i64)>>,
    /// The products the viewer favours.
    favorites: Vec<Uuid>,
    /// Price after promotions and original price per SKU.
    prices: HashMap<Uuid, (i64, i64)>,
}

/// Price after promotions and the original price of each SKU, as catalog keeps them.
fn prices(skus: &[Sku]) -> HashMap<Uuid, (i64, i64)> {
    skus.iter()
        .map(|s| (s.id, (s.promoted_price.unwrap_or(s.price), s.price)))
        .collect()
}

/// Asks, once for the whole page, what the other modules add to `products` and their `skus`
/// (the live SKUs of all of them): one inventory call per 500 SKUs and one account call, in
/// flight at once.
pub async fn fetch(ctx: &Ctx, viewer: Option<Uuid>, products: &[Uuid], skus: &[Sku]) -> Enrichment {
    // The two calls wait on other components, not on each other: in flight together.
    let (stock, favorites) =
        futures::future::join(stock(ctx, skus), favorites(ctx, viewer, products)).await;
    Enrichment {
        stock,
        favorites,
        prices: prices(skus),
    }
}

/// A product's price range, over what its live SKUs cost after promotions.
#[derive(Debug, Serialize)]
pub struct PriceRange {
    /// Cheapest.
    pub min: Option<i64>,
    /// Dearest.
    pub max: Option<i64>,
}

/// A product's rating.
#[derive(Debug, Serialize)]
pub struct Rating {
    /// Average score, one decimal; `null` before the first review.
    pub average: Option<f64>,
    /// Live reviews.
    pub count: i32,
    /// Reviews per score, 1 to 5: on a product's detail only, absent from cards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<BTreeMap<i16, i64>>,
}

/// What a card and a detail show of a product beyond its row. Availability is `null` when
/// inventory did not answer, never a guess.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// Price of the shown SKU after promotions ([`rules::product::shown_sku`]).
    pub price: Option<i64>,
    /// Its price before them.
    pub original_price: Option<i64>,
    /// Over the live SKUs.
    pub price_range: PriceRange,
    /// Units available over the live SKUs.
    pub available: Option<i64>,
    /// Units sold over the live SKUs.
    pub sold: Option<i64>,
    /// `available > 0`.
    pub in_stock: Option<bool>,
    /// Reviews.
    pub rating: Rating,
    /// Whether the viewer favours it (always `false` signed out).
    pub is_favorite: bool,
}

/// What a detail shows of one SKU beyond its row.
#[derive(Debug, Serialize)]
pub struct Offer {
    /// Price after promotions.
    pub price: i64,
    /// Price before them.
    pub original_price: i64,
    /// Units available; `null` when inventory did not answer.
    pub available: Option<i64>,
    /// Units sold; `null` when inventory did not answer.
    pub sold: Option<i64>,
    /// `available > 0`.
    pub in_stock: Option<bool>,
}

impl Enrichment {
    /// Units available and sold of `sku`; a SKU inventory has no stock for has none.
    fn units(&self, sku: Uuid) -> Option<(i64, i64)> {
        self.stock
            .as_ref()
            .map(|s| s.get(&sku).copied().unwrap_or((0, 0)))
    }

    /// The summary of `product`, given the page's `skus` (its own are picked out).
    pub fn summary(&self, product: &Product, skus: &[Sku]) -> Summary {
        let own: Vec<Uuid> = skus
            .iter()
            .filter(|s| s.product_id == product.id)
            .map(|s| s.id)
            .collect();
        let (price, original_price) = rules::product::shown_sku(product.featured_sku_id, &own)
            .and_then(|s| self.prices.get(&s).copied())
            .map_or((None, None), |(p, o)| (Some(p), Some(o)));
        let units = self.stock.as_ref().map(|_| {
            own.iter()
                .filter_map(|s| self.units(*s))
                .fold((0, 0), |(a, s), (sa, ss)| (a + sa, s + ss))
        });
        Summary {
            price,
            original_price,
            price_range: PriceRange {
                min: product.min_price,
                max: product.max_price,
            },
            available: units.map(|u| u.0),
            sold: units.map(|u| u.1),
            in_stock: units.map(|u| u.0 > 0),
            rating: Rating {
                average: product.rating(),
                count: product.rating_count,
                breakdown: None,
            },
            is_favorite: self.favorites.contains(&product.id),
        }
    }

    /// What a detail shows of `sku` beyond its row.
    pub fn offer(&self, sku: &Sku) -> Offer {
        let (price, original_price) = self.prices.get(&sku.id).copied().unwrap_or_default();
        let units = self.units(sku.id);
        Offer {
            price,
            original_price,
            available: units.map(|u| u.0),
            sold: units.map(|u| u.1),
            in_stock: units.map(|u| u.0 > 0),
        }
    }
}

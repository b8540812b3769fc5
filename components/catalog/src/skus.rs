//! A product's SKUs: price (minor units of the product's currency), attributes and package size,
//! changed by the seller who owns the product. A new SKU gets its (empty) stock in inventory,
//! exactly once, after it committed (see [`create`]).

use contracts::catalog::RepriceScope;
use contracts::inventory::{CreateStockRequest, StockAnswer};
use kit::db::Db;
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::Deserialize;

use crate::model::sku::{self, Draft};
use crate::model::{Lock, SCHEMA, outbox, product};
use crate::rules;
use crate::rules::product::Pair;

/// `POST /api/v1/catalog/products/:id/skus` and `PATCH …/skus/:sku_id`. A size cannot be
/// cleared once given, so `null` means the same as leaving a field out.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SkuBody {
    price: Option<i64>,
    attributes: Option<Vec<Pair>>,
    weight_grams: Option<i32>,
    length_cm: Option<i32>,
    width_cm: Option<i32>,
    height_cm: Option<i32>,
}

/// A [`SkuBody`] checked against the SKU rules: every value given is valid.
struct SkuChange {
    price: Option<i64>,
    attributes: Option<Vec<Pair>>,
    weight_grams: Option<i32>,
    length_cm: Option<i32>,
    width_cm: Option<i32>,
    height_cm: Option<i32>,
}

impl SkuBody {
    fn check(self) -> ApiResult<SkuChange> {
        Ok(SkuChange {
            price: self.price.map(rules::product::price).transpose()?,
            attributes: (self.attributes.as_deref())
                .map(|a| rules::product::pairs("attributes", a))
                .transpose()?,
            weight_grams: rules::product::size("weight_grams", self.weight_grams)?,
            length_cm: rules::product::size("length_cm", self.length_cm)?,
            width_cm: rules::product::size("width_cm", self.width_cm)?,
            height_cm: rules::product::size("height_cm", self.height_cm)?,
        })
    }
}

impl SkuChange {
    /// `draft` with the fields this change gives.
    fn applied_to(&self, mut draft: Draft) -> Draft {
        if let Some(price) = self.price {
            draft.price = price;
        }
        if let Some(attributes) = &self.attributes {
            draft.attributes = attributes.clone();
        }
        draft.weight_grams = self.weight_grams.or(draft.weight_grams);
        draft.length_cm = self.length_cm.or(draft.length_cm);
        draft.width_cm = self.width_cm.or(draft.width_cm);
        draft.height_cm = self.height_cm.or(draft.height_cm);
        draft
    }
}

/// `POST /api/v1/catalog/products/:id/skus` — the owner adds a SKU (`price` required).
///
/// Its stock is created in inventory after the SKU commits, never before: the SKU and an
/// outbox message asking for its stock commit together, so a SKU whose transaction fails
/// leaves no stock behind, and a request retried without a key makes a new SKU with its own
/// stock, not a second stock for nobody. The handler then creates the stock itself, under the
/// message's key, before it answers, so the seller can restock at once; if that call fails
/// the message delivers it. The SKU id is derived from the `Idempotency-Key` when there is
/// one, so a retry with the key names the same SKU.
pub async fn create(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let product_id = ctx.param_id("id", "product")?;
    let body = json::read::<SkuBody>(&req)?.check()?;
    let price = body
        .price
        .ok_or_else(|| ApiError::validation("price is required"))?;
    let sku_id = match ctx.idempotency_key() {
        Some(key) => rules::product::sku_id_for_key(product_id, user.sub, key),
        None => kit::ids::new_id(),
    };
    let stock = CreateStockRequest {
        sku_id,
        seller_id: user.sub,
        serial_required: false,
    };
    let created = ctx
        .db()?
        .transaction(async |db: &Db| {
            rules::ensure_seller(product::lock(db, product_id)?.seller_id, user.sub)?;
            let draft = Draft {
                price,
                attributes: body.attributes.clone().unwrap_or_default(),
                weight_grams: body.weight_grams,
                length_cm: body.length_cm,
                width_cm: body.width_cm,
                height_cm: body.height_cm,
            };
            let sku = sku::insert(db, sku_id, product_id, &draft)?;
            product::refresh_prices(db, product_id)?;
            outbox::create_stock(db, &stock)?;
            outbox::reprice_own(db, user.sub, RepriceScope::Skus(vec![sku_id]))?;
            json::created(
                &format!("/api/v1/catalog/products/{product_id}/skus/{sku_id}"),
                &sku,
            )
        })
        .await?;
    let inventory = ctx.internal("inventory");
    ctx.after_commit(async move {
        let made: ApiResult<StockAnswer> = inventory
            .post("/internal/stock", &stock, Some(&outbox::stock_key(sku_id)))
            .await;
        if let Err(e) = made {
            kit::log::warn(format_args!(
                "creating the stock of SKU {sku_id} ({e}); the outbox will"
            ));
        }
    });
    kit::outbox::wake(&ctx, SCHEMA);
    Ok(created)
}

/// `PATCH /api/v1/catalog/products/:id/skus/:sku_id` — the owner changes price, attributes or
/// package size.
pub async fn update(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let product_id = ctx.param_id("id", "product")?;
    let sku_id = ctx.param_id("sku_id", "sku")?;
    let body = json::read::<SkuBody>(&req)?.check()?;
    ctx.db()?
        .transaction(async |db: &Db| {
            rules::ensure_seller(product::lock(db, product_id)?.seller_id, user.sub)?;
            let stored = sku::load(db, product_id, sku_id, Lock::ForUpdate)?;
            let updated = sku::update(db, sku_id, &body.applied_to(Draft::of(&stored)))?;
            product::refresh_prices(db, product_id)?;
            if updated.price != stored.price {
                outbox::reprice_own(db, user.sub, RepriceScope::Skus(vec![sku_id]))?;
            }
            json::ok(&updated)
        })
        .await
        .inspect(|_| kit::outbox::wake(&ctx, SCHEMA))
}

/// `DELETE /api/v1/catalog/products/:id/skus/:sku_id` — the owner removes a SKU; if it was the
/// featured one, the product shows its cheapest SKU again. 204.
pub async fn delete(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let product_id = ctx.param_id("id", "product")?;
    let sku_id = ctx.param_id("sku_id", "sku")?;
    ctx.db()?
        .transaction(async |db: &Db| {
            rules::ensure_seller(product::lock(db, product_id)?.seller_id, user.sub)?;
            sku::load(db, product_id, sku_id, Lock::ForUpdate)?;
            sku::delete(db, sku_id)?;
            product::unfeature(db, product_id, sku_id)?;
            product::refresh_prices(db, product_id)?;
            // A removed SKU's units are no longer for sale here, nor counted as sold.
            product::refresh_stock(db, product_id)?;
            json::no_content()
        })
        .await
}

//! A product's SKUs: price (minor units of the product's currency), attributes and package size.
//! A new SKU gets its (empty) stock in inventory, exactly once, before it is listed.

use chrono::{DateTime, Utc};
use contracts::inventory::{CreateStockRequest, StockAnswer};
use kit::db::{Db, FromRow, Row, json as jsonb, uuid, uuids};
use kit::idempotency::{self, KeyPolicy};
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::products;
use crate::rules::product::{self as rules, Pair};

/// A SKU.
#[derive(Clone, Debug, Serialize)]
pub struct Sku {
    /// Id.
    pub id: Uuid,
    /// Its product.
    pub product_id: Uuid,
    /// Price in minor units of the product's currency.
    pub price: i64,
    /// `{name, value}` pairs (`Colour: Black`).
    pub attributes: Vec<Pair>,
    /// Package weight.
    pub weight_grams: Option<i32>,
    /// Package length.
    pub length_cm: Option<i32>,
    /// Package width.
    pub width_cm: Option<i32>,
    /// Package height.
    pub height_cm: Option<i32>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, product_id, price, attributes, weight_grams, length_cm, width_cm, height_cm, \
    created_at AT TIME ZONE 'UTC' AS created_at";

impl FromRow for Sku {
    fn from_row(row: &Row<'_>) -> ApiResult<Sku> {
        Ok(Sku {
            id: row.get("id")?,
            product_id: row.get("product_id")?,
            price: row.get("price")?,
            attributes: row.json("attributes")?,
            weight_grams: row.get("weight_grams")?,
            length_cm: row.get("length_cm")?,
            width_cm: row.get("width_cm")?,
            height_cm: row.get("height_cm")?,
            created_at: row.time("created_at")?,
        })
    }
}

/// The live SKUs of these products, cheapest first.
pub fn of_products(db: &Db, products: &[Uuid]) -> ApiResult<Vec<Sku>> {
    db.fetch_all(
        &format!(
            "SELECT {COLUMNS} FROM catalog.sku WHERE product_id = ANY($1::text[]::uuid[]) AND deleted_at IS NULL \
             ORDER BY price, id"
        ),
        &[uuids(products)],
    )
}

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

/// The checked fields of a SKU body.
struct Checked {
    price: Option<i64>,
    attributes: Option<Vec<Pair>>,
    sizes: [Option<i32>; 4],
}

fn check(body: &SkuBody) -> ApiResult<Checked> {
    Ok(Checked {
        price: body.price.map(rules::price).transpose()?,
        attributes: body
            .attributes
            .as_deref()
            .map(|a| rules::pairs("attributes", a))
            .transpose()?,
        sizes: [
            rules::size("weight_grams", body.weight_grams)?,
            rules::size("length_cm", body.length_cm)?,
            rules::size("width_cm", body.width_cm)?,
            rules::size("height_cm", body.height_cm)?,
        ],
    })
}

fn sizes(values: [Option<i32>; 4]) -> [kit::db::Param; 4] {
    values.map(|v| v.map_or(kit::db::Param::DbNull, kit::db::Param::Int32))
}

/// `POST /api/v1/catalog/products/:id/skus` — the owner adds a SKU (`price` required). Its
/// stock is created in inventory first, with a key derived from the SKU, so a retried request
/// (same `Idempotency-Key`) never makes two.
pub async fn create(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let product_id = ctx.param_id("id", "product")?;
    let body: SkuBody = json::read(&req)?;
    let checked = check(&body)?;
    let price = checked
        .price
        .ok_or_else(|| ApiError::validation("price is required"))?;
    let db = ctx.db()?;
    products::owned(db, product_id, user.sub)?;
    // The SKU id comes from the request's key when there is one, so a retry reuses it.
    let sku_id = match ctx.idempotency_key() {
        Some(key) => uuid::Uuid::new_v5(&product_id, format!("{}:{key}", user.sub).as_bytes()),
        None => kit::ids::new_id(),
    };
    let stock = CreateStockRequest {
        sku_id,
        seller_id: user.sub,
        serial_required: false,
    };
    let _: StockAnswer = ctx
        .internal("inventory")
        .post(
            "/internal/stock",
            &stock,
            Some(&format!("catalog:sku:{sku_id}:stock")),
        )
        .await?;
    let caller = user.sub.to_string();
    idempotency::run(&ctx, &req, "catalog", &caller, KeyPolicy::Optional, async |db: &Db| {
        products::owned(db, product_id, user.sub)?;
        let [w, l, wd, h] = sizes(checked.sizes);
        let sku: Sku = db
            .fetch_optional(
                &format!(
                    "INSERT INTO catalog.sku (id, product_id, price, attributes, weight_grams, length_cm, width_cm, height_cm) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
                ),
                &[
                    uuid(sku_id),
                    uuid(product_id),
                    price.into(),
                    jsonb(&checked.attributes.clone().unwrap_or_default())?,
                    w,
                    l,
                    wd,
                    h,
                ],
            )?
            .ok_or_else(|| ApiError::internal("inserting a SKU returned no row"))?;
        products::refresh_prices(db, product_id)?;
        json::created(
            &format!("/api/v1/catalog/products/{product_id}/skus/{sku_id}"),
            &sku,
        )
    })
    .await
}

/// The live SKU `sku` of product `product`, which `account` owns (locked).
fn owned_sku(db: &Db, product: Uuid, sku: Uuid, account: Uuid) -> ApiResult<Sku> {
    products::owned(db, product, account)?;
    db.fetch_optional(
        &format!(
            "SELECT {COLUMNS} FROM catalog.sku WHERE id = $1 AND product_id = $2 AND deleted_at IS NULL FOR UPDATE"
        ),
        &[uuid(sku), uuid(product)],
    )?
    .ok_or_else(|| ApiError::not_found("sku_not_found", format!("no SKU {sku} in this product")))
}

/// `PATCH /api/v1/catalog/products/:id/skus/:sku_id` — the owner changes price, attributes or
/// package size.
pub async fn update(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let product_id = ctx.param_id("id", "product")?;
    let sku_id = ctx.param_id("sku_id", "sku")?;
    let body: SkuBody = json::read(&req)?;
    let checked = check(&body)?;
    let caller = user.sub.to_string();
    idempotency::run(&ctx, &req, "catalog", &caller, KeyPolicy::Optional, async |db: &Db| {
        let sku = owned_sku(db, product_id, sku_id, user.sub)?;
        let [w, l, wd, h] = sizes([
            checked.sizes[0].or(sku.weight_grams),
            checked.sizes[1].or(sku.length_cm),
            checked.sizes[2].or(sku.width_cm),
            checked.sizes[3].or(sku.height_cm),
        ]);
        let updated: Sku = db
            .fetch_optional(
                &format!(
                    "UPDATE catalog.sku SET price = $2, attributes = $3, weight_grams = $4, length_cm = $5, width_cm = $6, \
                     height_cm = $7 WHERE id = $1 RETURNING {COLUMNS}"
                ),
                &[
                    uuid(sku_id),
                    checked.price.unwrap_or(sku.price).into(),
                    jsonb(checked.attributes.as_ref().unwrap_or(&sku.attributes))?,
                    w,
                    l,
                    wd,
                    h,
                ],
            )?
            .ok_or_else(|| ApiError::internal("updating a SKU returned no row"))?;
        products::refresh_prices(db, product_id)?;
        json::ok(&updated)
    })
    .await
}

/// `DELETE /api/v1/catalog/products/:id/skus/:sku_id` — the owner removes a SKU; if it was the
/// featured one, the product shows its cheapest SKU again. 204.
pub async fn delete(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let product_id = ctx.param_id("id", "product")?;
    let sku_id = ctx.param_id("sku_id", "sku")?;
    let caller = user.sub.to_string();
    idempotency::run(&ctx, &req, "catalog", &caller, KeyPolicy::Optional, async |db: &Db| {
        owned_sku(db, product_id, sku_id, user.sub)?;
        db.execute(
            "UPDATE catalog.sku SET deleted_at = now() WHERE id = $1",
            &[uuid(sku_id)],
        )?;
        db.execute(
            "UPDATE catalog.product SET featured_sku_id = NULL WHERE id = $1 AND featured_sku_id = $2",
            &[uuid(product_id), uuid(sku_id)],
        )?;
        products::refresh_prices(db, product_id)?;
        json::no_content()
    })
    .await
}

//! `catalog.sku`: a product's SKUs — price in minor units of the product's currency,
//! attributes and package size — and the stock levels inventory last announced for each, with
//! the version they came with, so that an older announcement never overwrites a newer one.

use chrono::{DateTime, Utc};
use contracts::catalog::{RepriceScope, SkuSummary, StockLevelsRequest};
use kit::db::{Db, FromRow, Param, Row, json, micros, optional_uuid, rows, uuid, uuids};
use kit::{ApiError, ApiResult};
use serde::Serialize;
use uuid::Uuid;

use super::{Lock, category};
use crate::rules::product::Pair;

/// A SKU, serialised as the API shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Sku {
    /// Id.
    pub id: Uuid,
    /// Its product.
    pub product_id: Uuid,
    /// Price in minor units of the product's currency.
    pub price: i64,
    /// What one unit costs after the automatic promotions running now, as promotion last
    /// priced it; `None` when none lowers it. Shown as the offer's price, not as a field.
    #[serde(skip)]
    pub promoted_price: Option<i64>,
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

/// Columns [`Sku::from_row`] reads.
const COLUMNS: &str = "id, product_id, price, promoted_price, attributes, weight_grams, \
    length_cm, width_cm, height_cm, created_at AT TIME ZONE 'UTC' AS created_at";

impl FromRow for Sku {
    fn from_row(row: &Row<'_>) -> ApiResult<Sku> {
        Ok(Sku {
            id: row.get("id")?,
            product_id: row.get("product_id")?,
            price: row.get("price")?,
            promoted_price: row.get("promoted_price")?,
            attributes: row.json("attributes")?,
            weight_grams: row.get("weight_grams")?,
            length_cm: row.get("length_cm")?,
            width_cm: row.get("width_cm")?,
            height_cm: row.get("height_cm")?,
            created_at: row.time("created_at")?,
        })
    }
}

/// What a seller writes of a SKU.
#[derive(Clone, Debug)]
pub struct Draft {
    /// Price in minor units.
    pub price: i64,
    /// `{name, value}` pairs.
    pub attributes: Vec<Pair>,
    /// Package weight.
    pub weight_grams: Option<i32>,
    /// Package length.
    pub length_cm: Option<i32>,
    /// Package width.
    pub width_cm: Option<i32>,
    /// Package height.
    pub height_cm: Option<i32>,
}

impl Draft {
    /// The SKU as it is, to change field by field.
    pub fn of(sku: &Sku) -> Draft {
        Draft {
            price: sku.price,
            attributes: sku.attributes.clone(),
            weight_grams: sku.weight_grams,
            length_cm: sku.length_cm,
            width_cm: sku.width_cm,
            height_cm: sku.height_cm,
        }
    }

    /// The package sizes, as the four parameters after price and attributes.
    fn sizes(&self) -> [Param; 4] {
        [
            self.weight_grams,
            self.length_cm,
            self.width_cm,
            self.height_cm,
        ]
        .map(|v| v.map_or(Param::DbNull, Param::Int32))
    }
}

/// The live SKUs of these products, cheapest first after promotions (ties by id, so the order
/// is stable).
pub fn of_products(db: &Db, products: &[Uuid]) -> ApiResult<Vec<Sku>> {
    db.fetch_all(
        &format!(
            "SELECT {COLUMNS} FROM catalog.sku \
             WHERE product_id = ANY($1::text[]::uuid[]) AND deleted_at IS NULL \
             ORDER BY coalesce(promoted_price, price), id"
        ),
        &[uuids(products)],
    )
}

/// The SKUs among `ids` catalog has, live or removed, in the order of `ids`, each with its
/// product's seller, category path and currency: one query for a whole quote or checkout.
/// Removed SKUs stay in the answer (`available: false`) since orders still name them.
pub fn summaries(db: &Db, ids: &[Uuid]) -> ApiResult<Vec<SkuSummary>> {
    let set = db.query(
        &format!(
            "WITH RECURSIVE {paths} \
             SELECT s.id, s.product_id, p.seller_id, cp.path, s.price, p.currency, \
               (s.deleted_at IS NULL AND p.deleted_at IS NULL AND p.enabled) AS available, \
               p.name, s.promoted_price, s.attributes, s.weight_grams, s.length_cm, \
               s.width_cm, s.height_cm \
             FROM unnest($1::text[]::uuid[]) WITH ORDINALITY AS asked (id, n) \
             JOIN catalog.sku s ON s.id = asked.id \
             JOIN catalog.product p ON p.id = s.product_id \
             JOIN category_path cp ON cp.id = p.category_id \
             ORDER BY asked.n",
            paths = category::PATHS
        ),
        &[uuids(ids)],
    )?;
    rows(&set)
        .map(|row| {
            Ok(SkuSummary {
                sku_id: row.get("id")?,
                product_id: row.get("product_id")?,
                seller_id: row.get("seller_id")?,
                category_path: super::uuid_list(&row, "path")?,
                unit_price_minor: row.get("price")?,
                currency: row.get("currency")?,
                available: row.get("available")?,
                name: row.get("name")?,
                promoted_price_minor: row.get("promoted_price")?,
                attributes: row.json("attributes")?,
                weight_grams: row.get("weight_grams")?,
                length_cm: row.get("length_cm")?,
                width_cm: row.get("width_cm")?,
                height_cm: row.get("height_cm")?,
            })
        })
        .collect()
}

/// The live SKU `id` of `product`: 404 `sku_not_found` otherwise.
pub fn load(db: &Db, product: Uuid, id: Uuid, lock: Lock) -> ApiResult<Sku> {
    let sql = format!(
        "SELECT {COLUMNS} FROM catalog.sku \
         WHERE id = $1 AND product_id = $2 AND deleted_at IS NULL{}",
        lock.clause()
    );
    db.fetch_optional(&sql, &[uuid(id), uuid(product)])?
        .ok_or_else(|| ApiError::not_found("sku_not_found", format!("no SKU {id} in this product")))
}

/// Writes SKU `id` of `product`.
pub fn insert(db: &Db, id: Uuid, product: Uuid, draft: &Draft) -> ApiResult<Sku> {
    let [weight, length, width, height] = draft.sizes();
    db.fetch_optional(
        &format!(
            "INSERT INTO catalog.sku (id, product_id, price, attributes, weight_grams, length_cm, \
               width_cm, height_cm) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
        ),
        &[
            uuid(id),
            uuid(product),
            draft.price.into(),
            json(&draft.attributes)?,
            weight,
            length,
            width,
            height,
        ],
    )?
    .ok_or_else(|| ApiError::internal("inserting a SKU returned no row"))
}

/// Replaces what the seller writes of SKU `id`. A new price clears the promoted one, which
/// was a discount on the old price, until promotion prices the SKU again.
pub fn update(db: &Db, id: Uuid, draft: &Draft) -> ApiResult<Sku> {
    let [weight, length, width, height] = draft.sizes();
    db.fetch_optional(
        &format!(
            "UPDATE catalog.sku SET price = $2, attributes = $3, weight_grams = $4, \
               length_cm = $5, width_cm = $6, height_cm = $7, \
               promoted_price = CASE WHEN price = $2 THEN promoted_price END \
             WHERE id = $1 RETURNING {COLUMNS}"
        ),
        &[
            uuid(id),
            draft.price.into(),
            json(&draft.attributes)?,
            weight,
            length,
            width,
            height,
        ],
    )?
    .ok_or_else(|| ApiError::internal("updating a SKU returned no row"))
}

/// Removes SKU `id` from the catalog; the row stays for the orders that reference it.
pub fn delete(db: &Db, id: Uuid) -> ApiResult<()> {
    db.execute(
        "UPDATE catalog.sku SET deleted_at = now() WHERE id = $1",
        &[uuid(id)],
    )?;
    Ok(())
}

/// Removes every live SKU of `product`, with the product.
pub fn delete_of_product(db: &Db, product: Uuid) -> ApiResult<()> {
    db.execute(
        "UPDATE catalog.sku SET deleted_at = now() WHERE product_id = $1 AND deleted_at IS NULL",
        &[uuid(product)],
    )?;
    Ok(())
}

/// Stores a SKU's announced stock level when it is newer than the one held. Answers the SKU's
/// product when it was stored; `None` for a stale level or a SKU catalog does not know.
pub fn apply_level(db: &Db, level: &StockLevelsRequest) -> ApiResult<Option<Uuid>> {
    let set = db.query(
        "UPDATE catalog.sku SET available = $2, sold = $3, stock_version = $4 \
         WHERE id = $1 AND stock_version < $4 RETURNING product_id",
        &[
            uuid(level.sku_id),
            level.available.into(),
            level.sold.into(),
            level.version.into(),
        ],
    )?;
    rows(&set).next().map(|r| r.get("product_id")).transpose()
}

/// Live SKUs of live products in a reprice scope, of `seller` when one is named, whose ids
/// sort after `after`: at most `limit`, by id.
pub fn in_scope(
    db: &Db,
    seller: Option<Uuid>,
    scope: &RepriceScope,
    after: Option<Uuid>,
    limit: i64,
) -> ApiResult<Vec<Uuid>> {
    // The scope's ids are $4, bound only when the scope names ids.
    let (clause, ids): (&str, Option<&[Uuid]>) = match scope {
        RepriceScope::All => ("true", None),
        RepriceScope::Products(ids) => ("p.id = ANY($4::text[]::uuid[])", Some(ids)),
        RepriceScope::Skus(ids) => ("s.id = ANY($4::text[]::uuid[])", Some(ids)),
        RepriceScope::Categories(ids) => (
            "p.category_id IN (WITH RECURSIVE below (id) AS ( \
               SELECT id FROM catalog.category WHERE id = ANY($4::text[]::uuid[]) \
               UNION SELECT c.id FROM catalog.category c JOIN below b ON c.parent_id = b.id) \
             SELECT id FROM below)",
            Some(ids),
        ),
    };
    let mut params = vec![optional_uuid(seller), optional_uuid(after), limit.into()];
    params.extend(ids.map(uuids));
    let set = db.query(
        &format!(
            "SELECT s.id FROM catalog.sku s JOIN catalog.product p ON p.id = s.product_id \
             WHERE s.deleted_at IS NULL AND p.deleted_at IS NULL \
               AND ($1::uuid IS NULL OR p.seller_id = $1::uuid) \
               AND ($2::uuid IS NULL OR s.id > $2::uuid) AND {clause} \
             ORDER BY s.id LIMIT $3"
        ),
        &params,
    )?;
    rows(&set).map(|r| r.get("id")).collect()
}

/// Stores the promoted price promotion gave SKU `id` at `at`, for one unit at `unit_price`:
/// only while that is still the SKU's price and no later answer is stored. Answers the SKU's
/// product when the stored price changed.
pub fn set_promoted(
    db: &Db,
    id: Uuid,
    unit_price: i64,
    promoted: Option<i64>,
    at: DateTime<Utc>,
) -> ApiResult<Option<Uuid>> {
    let set = db.query(
        "UPDATE catalog.sku s SET promoted_price = $3, priced_at = $4::text::timestamptz \
         FROM (SELECT id, promoted_price AS before FROM catalog.sku WHERE id = $1) old \
         WHERE s.id = old.id AND s.price = $2 \
           AND (s.priced_at IS NULL OR s.priced_at <= $4::text::timestamptz) \
         RETURNING s.product_id, old.before IS DISTINCT FROM s.promoted_price AS changed",
        &[uuid(id), unit_price.into(), promoted.into(), micros(at)],
    )?;
    let Some(row) = rows(&set).next() else {
        return Ok(None);
    };
    let changed: bool = row.get("changed")?;
    changed.then(|| row.get("product_id")).transpose()
}

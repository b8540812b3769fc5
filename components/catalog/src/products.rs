//! Products (SPUs): create, read by id or slug, update and soft-delete — writes by the seller
//! who owns the product only. A product's currency is its seller's; its search document and
//! price range are kept up to date with every change.

use chrono::{DateTime, Utc};
use kit::db::{Db, FromRow, Row, json as jsonb, strings, text, uuid};
use kit::idempotency::{self, KeyPolicy};
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::rules::product::{self as rules, Pair};
use crate::{categories, embedding, enrich, skus};

impl Product {
    /// The average score, one decimal; `None` before the first review.
    pub fn rating(&self) -> Option<f64> {
        (self.rating_count > 0).then(|| {
            (f64::from(self.rating_sum) / f64::from(self.rating_count) * 10.0).round() / 10.0
        })
    }
}

/// A product as stored.
#[derive(Clone, Debug, Serialize)]
pub struct Product {
    /// Id (UUIDv7).
    pub id: Uuid,
    /// Unique slug.
    pub slug: String,
    /// The selling account.
    pub seller_id: Uuid,
    /// Its category.
    pub category_id: Uuid,
    /// Name.
    pub name: String,
    /// Description (plain text).
    pub description: String,
    /// The seller's currency, in which every SKU is priced.
    pub currency: String,
    /// Listed publicly.
    pub enabled: bool,
    /// The SKU whose price a card shows; the cheapest when none is chosen.
    pub featured_sku_id: Option<Uuid>,
    /// `{name, value}` pairs.
    pub specifications: Vec<Pair>,
    /// Image URLs, the cover first.
    pub images: Vec<String>,
    /// Tag slugs.
    pub tags: Vec<String>,
    /// Cheapest live SKU, minor units.
    pub min_price: Option<i64>,
    /// Dearest live SKU.
    pub max_price: Option<i64>,
    /// Live reviews.
    #[serde(skip)]
    pub rating_count: i32,
    /// Their scores' sum.
    #[serde(skip)]
    pub rating_sum: i32,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Columns [`Product::from_row`] reads (of `catalog.product p`).
pub const COLUMNS: &str = "p.id, p.slug, p.seller_id, p.category_id, p.name, p.description, p.currency, p.enabled, \
    p.featured_sku_id, p.specifications, p.images, p.tags, p.min_price, p.max_price, p.rating_count, p.rating_sum, \
    p.created_at AT TIME ZONE 'UTC' AS created_at, p.updated_at AT TIME ZONE 'UTC' AS updated_at";

impl FromRow for Product {
    fn from_row(row: &Row<'_>) -> ApiResult<Product> {
        let list = |column: &str| -> ApiResult<Vec<String>> {
            Ok(row
                .get::<Vec<Option<String>>>(column)?
                .into_iter()
                .flatten()
                .collect())
        };
        Ok(Product {
            id: row.get("id")?,
            slug: row.get("slug")?,
            seller_id: row.get("seller_id")?,
            category_id: row.get("category_id")?,
            name: row.get("name")?,
            description: row.get("description")?,
            currency: row.get("currency")?,
            enabled: row.get("enabled")?,
            featured_sku_id: row.get("featured_sku_id")?,
            specifications: row.json("specifications")?,
            images: list("images")?,
            tags: list("tags")?,
            min_price: row.get("min_price")?,
            max_price: row.get("max_price")?,
            rating_count: row.get("rating_count")?,
            rating_sum: row.get("rating_sum")?,
            created_at: row.time("created_at")?,
            updated_at: row.time("updated_at")?,
        })
    }
}

fn not_found(key: &str) -> ApiError {
    ApiError::not_found("product_not_found", format!("no product `{key}`"))
}

/// A live product by id or slug. A disabled one is found only by its seller (`viewer`).
pub fn find(db: &Db, key: &str, viewer: Option<Uuid>) -> ApiResult<Product> {
    let (condition, param) = match key.parse::<Uuid>() {
        Ok(id) => ("p.id = $1", uuid(id)),
        Err(_) => ("p.slug = $1", text(key)),
    };
    let product: Product = db
        .fetch_optional(
            &format!(
                "SELECT {COLUMNS} FROM catalog.product p WHERE {condition} AND p.deleted_at IS NULL"
            ),
            &[param],
        )?
        .ok_or_else(|| not_found(key))?;
    if !product.enabled && Some(product.seller_id) != viewer {
        return Err(not_found(key));
    }
    Ok(product)
}

/// A live product `account` owns, locked for the rest of the transaction: 404 when there is
/// none, 403 when it is another seller's.
pub fn owned(db: &Db, id: Uuid, account: Uuid) -> ApiResult<Product> {
    let product: Product = db
        .fetch_optional(
            &format!("SELECT {COLUMNS} FROM catalog.product p WHERE p.id = $1 AND p.deleted_at IS NULL FOR UPDATE"),
            &[uuid(id)],
        )?
        .ok_or_else(|| not_found(&id.to_string()))?;
    if product.seller_id != account {
        return Err(ApiError::forbidden(
            "only the seller who owns this product may change it",
        ));
    }
    Ok(product)
}

/// Rebuilds the product's search document — name (A), tags and category (B), description (C) —
/// and remembers its words for spelling correction.
pub fn reindex(db: &Db, id: Uuid) -> ApiResult<()> {
    let set = db.query(
        "UPDATE catalog.product p SET search = \
           setweight(to_tsvector('english', p.name), 'A') || \
           setweight(to_tsvector('english', replace(array_to_string(p.tags, ' '), '-', ' ') || ' ' || c.name), 'B') || \
           setweight(to_tsvector('english', p.description), 'C') \
         FROM catalog.category c WHERE c.id = p.category_id AND p.id = $1 \
         RETURNING p.name, array_to_string(p.tags, ' ') AS tags, c.name AS category",
        &[uuid(id)],
    )?;
    if let Some(r) = kit::db::rows(&set).next() {
        let (name, tags, category): (String, String, String) =
            (r.get("name")?, r.get("tags")?, r.get("category")?);
        let words = crate::rules::search::index_words(&[&name, &tags, &category]);
        db.execute(
            "INSERT INTO catalog.search_word (word, trigrams) \
             SELECT w, (SELECT array_agg(DISTINCT substr('  ' || w || ' ', i, 3)) FROM generate_series(1, length(w) + 1) AS i) \
             FROM unnest($1::text[]) AS w ON CONFLICT (word) DO NOTHING",
            &[strings(&words)],
        )?;
    }
    Ok(())
}

/// Keeps the product's price range in step with its live SKUs.
pub fn refresh_prices(db: &Db, id: Uuid) -> ApiResult<()> {
    db.execute(
        "UPDATE catalog.product SET min_price = s.lo, max_price = s.hi, updated_at = now() \
         FROM (SELECT min(price) AS lo, max(price) AS hi FROM catalog.sku WHERE product_id = $1 AND deleted_at IS NULL) s \
         WHERE id = $1",
        &[uuid(id)],
    )?;
    Ok(())
}

/// Creates the tags a product names that do not exist yet.
fn ensure_tags(db: &Db, tags: &[String]) -> ApiResult<()> {
    db.execute(
        "INSERT INTO catalog.tag (slug, name) SELECT t, replace(t, '-', ' ') FROM unnest($1::text[]) AS t \
         ON CONFLICT (slug) DO NOTHING",
        &[strings(tags)],
    )?;
    Ok(())
}

/// The seller's currency, from account.
async fn seller_currency(ctx: &Ctx, seller: Uuid) -> ApiResult<String> {
    let answer: Value = ctx
        .internal("account")
        .get(&format!("/internal/accounts/{seller}/currency"))
        .await?;
    answer["currency"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| ApiError::internal("account answered no currency"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewProduct {
    category_id: Uuid,
    name: String,
    #[serde(default)]
    description: String,
    currency: Option<String>,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    specifications: Vec<Pair>,
    #[serde(default)]
    images: Vec<String>,
}

fn yes() -> bool {
    true
}

/// `POST /api/v1/catalog/products` — a new product of the caller, in their currency (a
/// different `currency` is 422 `currency_mismatch`). Add SKUs to give it prices.
pub async fn create(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let body: NewProduct = json::read(&req)?;
    let name = rules::name(&body.name)?;
    let description = rules::description(&body.description)?;
    let tags = rules::tags(&body.tags)?;
    let specifications = rules::pairs("specifications", &body.specifications)?;
    let images = crate::rules::images(&body.images)?;
    let db = ctx.db()?;
    let category = categories::find(db, &body.category_id.to_string()).map_err(|_| {
        ApiError::unprocessable(
            "category_not_found",
            format!("no category {}", body.category_id),
        )
    })?;
    let currency = seller_currency(&ctx, user.sub).await?;
    if let Some(given) = body.currency.as_deref().filter(|c| *c != currency) {
        return Err(ApiError::unprocessable(
            "currency_mismatch",
            format!("products are priced in the seller's currency, {currency}, not {given}"),
        ));
    }
    let caller = user.sub.to_string();
    idempotency::run(&ctx, &req, "catalog", &caller, KeyPolicy::Optional, async |db: &Db| {
        let id = kit::ids::new_id();
        let suffix = &id.simple().to_string()[20..];
        ensure_tags(db, &tags)?;
        db.execute(
            "INSERT INTO catalog.product (id, seller_id, category_id, slug, name, description, currency, enabled, \
               specifications, images, tags) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                uuid(id),
                uuid(user.sub),
                uuid(category.id),
                text(rules::slug(&name, suffix)),
                text(&name),
                text(&description),
                text(&currency),
                kit::db::Param::Boolean(body.enabled),
                jsonb(&specifications)?,
                strings(&images),
                strings(&tags),
            ],
        )?;
        reindex(db, id)?;
        embedding::schedule(db, id)?;
        let product = find(db, &id.to_string(), Some(user.sub))?;
        json::created(&format!("/api/v1/catalog/products/{id}"), &detail_of(product, Vec::new()))
    })
    .await
    .inspect(|_| kit::outbox::wake(&ctx, "catalog"))
}

/// The detail body before enrichment: the product and its SKUs.
fn detail_of(product: Product, skus: Vec<skus::Sku>) -> Value {
    let mut body = json!(product);
    body["skus"] = json!(skus);
    body
}

/// `GET /api/v1/catalog/products/:key` — by id or slug: the product with its category path,
/// SKUs (price, original price, availability), price, rating summary and, for a signed-in
/// viewer, whether it is a favourite. A disabled product is shown to its seller only.
pub async fn get(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let viewer = ctx.optional_user()?.map(|c| c.sub);
    let db = ctx.db()?;
    let product = find(db, ctx.param("key"), viewer)?;
    let skus = skus::of_products(db, &[product.id])?;
    let category = categories::find(db, &product.category_id.to_string())?;
    let mut body = detail_of(product.clone(), skus.clone());
    body["category"] = json!(category);
    enrich::detail(&ctx, viewer, &product, &skus, &mut body).await;
    body["rating"]["breakdown"] = crate::reviews::breakdown(db, product.id)?;
    json::ok(&body)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductChange {
    category_id: Option<Uuid>,
    name: Option<String>,
    description: Option<String>,
    enabled: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    featured_sku_id: Option<Option<Uuid>>,
    tags: Option<Vec<String>>,
    specifications: Option<Vec<Pair>>,
    images: Option<Vec<String>>,
    #[serde(default)]
    regenerate_slug: bool,
}

/// Tells a field given as `null` (`Some(None)`) from one not given (`None`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// `PATCH /api/v1/catalog/products/:id` — the owner changes any of its fields; `tags`,
/// `specifications` and `images` replace the old lists; `featured_sku_id` must be one of the
/// product's live SKUs (422 `sku_not_in_product`) or `null`; `regenerate_slug` makes a new slug
/// from the name.
pub async fn update(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let id = ctx.param_id("id", "product")?;
    let change: ProductChange = json::read(&req)?;
    let name = change.name.as_deref().map(rules::name).transpose()?;
    let description = change
        .description
        .as_deref()
        .map(rules::description)
        .transpose()?;
    let tags = change.tags.as_deref().map(rules::tags).transpose()?;
    let specifications = change
        .specifications
        .as_deref()
        .map(|s| rules::pairs("specifications", s))
        .transpose()?;
    let images = change.images.as_deref().map(crate::rules::images).transpose()?;
    let db = ctx.db()?;
    let category = match change.category_id {
        Some(c) => Some(categories::find(db, &c.to_string()).map_err(|_| {
            ApiError::unprocessable("category_not_found", format!("no category {c}"))
        })?),
        None => None,
    };
    let caller = user.sub.to_string();
    idempotency::run(&ctx, &req, "catalog", &caller, KeyPolicy::Optional, async |db: &Db| {
        let product = owned(db, id, user.sub)?;
        let text_before = embedding::product_text(db, id)?;
        if let Some(Some(sku)) = change.featured_sku_id {
            let belongs = skus::of_products(db, &[id])?.iter().any(|s| s.id == sku);
            if !belongs {
                return Err(ApiError::unprocessable(
                    "sku_not_in_product",
                    format!("SKU {sku} is not a live SKU of this product"),
                ));
            }
        }
        if let Some(tags) = &tags {
            ensure_tags(db, tags)?;
        }
        let name = name.clone().unwrap_or(product.name.clone());
        let slug = if change.regenerate_slug {
            rules::slug(&name, &rules::slug_suffix(id))
        } else {
            product.slug.clone()
        };
        db.execute(
            "UPDATE catalog.product SET category_id = $2, name = $3, description = $4, enabled = $5, \
               featured_sku_id = $6, tags = $7, specifications = $8, images = $9, slug = $10, updated_at = now() \
             WHERE id = $1",
            &[
                uuid(id),
                uuid(category.as_ref().map_or(product.category_id, |c| c.id)),
                text(&name),
                text(description.clone().unwrap_or(product.description.clone())),
                kit::db::Param::Boolean(change.enabled.unwrap_or(product.enabled)),
                kit::db::optional_uuid(change.featured_sku_id.unwrap_or(product.featured_sku_id)),
                strings(tags.as_deref().unwrap_or(&product.tags)),
                jsonb(specifications.as_ref().unwrap_or(&product.specifications))?,
                strings(images.as_deref().unwrap_or(&product.images)),
                text(slug),
            ],
        )?;
        reindex(db, id)?;
        if embedding::product_text(db, id)? != text_before {
            embedding::schedule(db, id)?;
        }
        let product = find(db, &id.to_string(), Some(user.sub))?;
        let skus = skus::of_products(db, &[id])?;
        json::ok(&detail_of(product, skus))
    })
    .await
    .inspect(|_| kit::outbox::wake(&ctx, "catalog"))
}

/// `DELETE /api/v1/catalog/products/:id` — the owner removes the product (and its SKUs) from
/// the catalog; orders that reference it keep their own copies. 204.
pub async fn delete(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let id = ctx.param_id("id", "product")?;
    let caller = user.sub.to_string();
    idempotency::run(&ctx, &req, "catalog", &caller, KeyPolicy::Optional, async |db: &Db| {
        owned(db, id, user.sub)?;
        db.execute(
            "UPDATE catalog.sku SET deleted_at = now() WHERE product_id = $1 AND deleted_at IS NULL",
            &[uuid(id)],
        )?;
        db.execute(
            "UPDATE catalog.product SET deleted_at = now(), updated_at = now() WHERE id = $1",
            &[uuid(id)],
        )?;
        json::no_content()
    })
    .await
}

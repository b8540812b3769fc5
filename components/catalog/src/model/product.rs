//! `catalog.product`: products (SPUs). Besides what its seller writes, a row keeps what lists
//! sort and filter by, so that a page is one query: the search document (name, tags, category,
//! description), the price range of its live SKUs, its rating (count and sum of live reviews'
//! scores), units sold and whether any SKU is in stock (from inventory's announcements), and
//! the embedding of its text. Each is brought up to date in the transaction of the change it
//! follows, except the embedding, which the outbox asks for after the commit.

use chrono::{DateTime, Utc};
use contracts::catalog::ProductSummary;
use kit::db::{Db, FromRow, Param, Row, json, rows, strings, text, uuid, uuids};
use kit::{ApiError, ApiResult};
use serde::Serialize;
use uuid::Uuid;

use super::{category, search_word};
use crate::rules::product::Pair;
use crate::rules::{self, Key};

/// A product as stored, serialised as the API shows it.
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

impl Product {
    /// The average score, one decimal; `None` before the first review.
    pub fn rating(&self) -> Option<f64> {
        rules::average_score(i64::from(self.rating_sum), i64::from(self.rating_count))
    }
}

/// Columns [`Product::from_row`] reads, of `catalog.product p`.
pub const COLUMNS: &str = "p.id, p.slug, p.seller_id, p.category_id, p.name, p.description, \
    p.currency, p.enabled, p.featured_sku_id, p.specifications, p.images, p.tags, p.min_price, \
    p.max_price, p.rating_count, p.rating_sum, p.created_at AT TIME ZONE 'UTC' AS created_at, \
    p.updated_at AT TIME ZONE 'UTC' AS updated_at";

impl FromRow for Product {
    fn from_row(row: &Row<'_>) -> ApiResult<Product> {
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
            images: super::string_list(row, "images")?,
            tags: super::string_list(row, "tags")?,
            min_price: row.get("min_price")?,
            max_price: row.get("max_price")?,
            rating_count: row.get("rating_count")?,
            rating_sum: row.get("rating_sum")?,
            created_at: row.time("created_at")?,
            updated_at: row.time("updated_at")?,
        })
    }
}

/// What a seller writes of a product: the columns a create sets and an update may change (the
/// featured SKU apart, which only an update can set, once the product has SKUs).
#[derive(Clone, Debug)]
pub struct Draft {
    /// Its category.
    pub category_id: Uuid,
    /// Unique slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Listed publicly.
    pub enabled: bool,
    /// `{name, value}` pairs.
    pub specifications: Vec<Pair>,
    /// Image URLs.
    pub images: Vec<String>,
    /// Tag slugs, each already in `catalog.tag` ([`super::tag::ensure`]).
    pub tags: Vec<String>,
}

impl Draft {
    /// The product as it is, to change field by field.
    pub fn of(product: &Product) -> Draft {
        Draft {
            category_id: product.category_id,
            slug: product.slug.clone(),
            name: product.name.clone(),
            description: product.description.clone(),
            enabled: product.enabled,
            specifications: product.specifications.clone(),
            images: product.images.clone(),
            tags: product.tags.clone(),
        }
    }
}

fn not_found(key: &dyn std::fmt::Display) -> ApiError {
    ApiError::not_found("product_not_found", format!("no product `{key}`"))
}

/// A live product by id or slug. A disabled one is found only by its seller (`viewer`): to
/// anyone else it does not exist.
pub fn find(db: &Db, key: &Key, viewer: Option<Uuid>) -> ApiResult<Product> {
    let (condition, param) = match key {
        Key::Id(id) => ("p.id = $1", uuid(*id)),
        Key::Slug(slug) => ("p.slug = $1", text(slug)),
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM catalog.product p WHERE {condition} AND p.deleted_at IS NULL"
    );
    let product: Product = db
        .fetch_optional(&sql, &[param])?
        .ok_or_else(|| not_found(key))?;
    if !product.enabled && Some(product.seller_id) != viewer {
        return Err(not_found(key));
    }
    Ok(product)
}

/// A live product, enabled or not, locked for the rest of the transaction: every change of a
/// product or of its SKUs takes this lock first, so changes of one product run one at a time.
pub fn lock(db: &Db, id: Uuid) -> ApiResult<Product> {
    let sql = format!(
        "SELECT {COLUMNS} FROM catalog.product p WHERE p.id = $1 AND p.deleted_at IS NULL \
         FOR UPDATE"
    );
    db.fetch_optional(&sql, &[uuid(id)])?
        .ok_or_else(|| not_found(&id))
}

/// Locks these products (live or removed) for the rest of the transaction, in id order, so
/// that two writers of overlapping sets never wait on each other in a circle.
pub fn lock_all(db: &Db, ids: &std::collections::BTreeSet<Uuid>) -> ApiResult<()> {
    let ids: Vec<Uuid> = ids.iter().copied().collect();
    db.query(
        "SELECT id FROM catalog.product WHERE id = ANY($1::text[]::uuid[]) ORDER BY id FOR UPDATE",
        &[uuids(&ids)],
    )?;
    Ok(())
}

/// Locks the product of SKU `sku` (live or removed) for the rest of the transaction, as
/// [`lock`] does, and answers its id; `None` for a SKU catalog does not know. A stock level
/// takes this lock before it stores its SKU's counts, so that the product's totals, recomputed
/// after it, see every sibling SKU's level committed before: without it, two levels of sibling
/// SKUs applied at once each recompute from a snapshot missing the other, and a product whose
/// SKUs all sold out stays in stock.
pub fn lock_of_sku(db: &Db, sku: Uuid) -> ApiResult<Option<Uuid>> {
    let set = db.query(
        "SELECT p.id FROM catalog.product p JOIN catalog.sku s ON s.product_id = p.id \
         WHERE s.id = $1 FOR UPDATE OF p",
        &[uuid(sku)],
    )?;
    rows(&set).next().map(|r| r.get("id")).transpose()
}

/// The products among `ids` catalog has, live or removed, in the order of `ids`, each with
/// its seller, category path and currency, in one query.
pub fn summaries(db: &Db, ids: &[Uuid]) -> ApiResult<Vec<ProductSummary>> {
    let set = db.query(
        &format!(
            "WITH RECURSIVE {paths} \
             SELECT p.id, p.seller_id, cp.path, p.currency, \
               (p.deleted_at IS NULL AND p.enabled) AS available \
             FROM unnest($1::text[]::uuid[]) WITH ORDINALITY AS asked (id, n) \
             JOIN catalog.product p ON p.id = asked.id \
             JOIN category_path cp ON cp.id = p.category_id \
             ORDER BY asked.n",
            paths = category::PATHS
        ),
        &[uuids(ids)],
    )?;
    rows(&set)
        .map(|row| {
            Ok(ProductSummary {
                product_id: row.get("id")?,
                seller_id: row.get("seller_id")?,
                category_path: super::uuid_list(&row, "path")?,
                currency: row.get("currency")?,
                available: row.get("available")?,
            })
        })
        .collect()
}

/// Writes a new product of `seller`, priced in `currency`.
pub fn insert(db: &Db, id: Uuid, seller: Uuid, currency: &str, draft: &Draft) -> ApiResult<()> {
    db.execute(
        "INSERT INTO catalog.product (id, seller_id, category_id, slug, name, description, \
           currency, enabled, specifications, images, tags) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            uuid(id),
            uuid(seller),
            uuid(draft.category_id),
            text(&draft.slug),
            text(&draft.name),
            text(&draft.description),
            text(currency),
            Param::Boolean(draft.enabled),
            json(&draft.specifications)?,
            strings(&draft.images),
            strings(&draft.tags),
        ],
    )?;
    Ok(())
}

/// Replaces what the seller writes of product `id`, and its featured SKU (`None`: the cheapest
/// is shown).
pub fn update(db: &Db, id: Uuid, draft: &Draft, featured_sku: Option<Uuid>) -> ApiResult<()> {
    db.execute(
        "UPDATE catalog.product SET category_id = $2, name = $3, description = $4, enabled = $5, \
           featured_sku_id = $6, tags = $7, specifications = $8, images = $9, slug = $10, \
           updated_at = now() \
         WHERE id = $1",
        &[
            uuid(id),
            uuid(draft.category_id),
            text(&draft.name),
            text(&draft.description),
            Param::Boolean(draft.enabled),
            kit::db::optional_uuid(featured_sku),
            strings(&draft.tags),
            json(&draft.specifications)?,
            strings(&draft.images),
            text(&draft.slug),
        ],
    )?;
    Ok(())
}

/// Removes product `id` from the catalog (its SKUs go with [`super::sku::delete_of_product`]);
/// the row stays for the orders that reference it.
pub fn delete(db: &Db, id: Uuid) -> ApiResult<()> {
    db.execute(
        "UPDATE catalog.product SET deleted_at = now(), updated_at = now() WHERE id = $1",
        &[uuid(id)],
    )?;
    Ok(())
}

/// Forgets `sku` as the product's featured SKU, if it was: the card shows the cheapest again.
pub fn unfeature(db: &Db, id: Uuid, sku: Uuid) -> ApiResult<()> {
    db.execute(
        "UPDATE catalog.product SET featured_sku_id = NULL WHERE id = $1 AND featured_sku_id = $2",
        &[uuid(id), uuid(sku)],
    )?;
    Ok(())
}

/// Rebuilds the product's search document — name (A), tags and category (B), description (C),
/// each word as written and folded (`catalog.search_document`, migration 0009) — and
/// remembers its words for spelling correction.
pub fn reindex(db: &Db, id: Uuid) -> ApiResult<()> {
    let set = db.query(
        "UPDATE catalog.product p \
         SET search = catalog.search_document(p.name, p.tags, c.name, p.description) \
         FROM catalog.category c WHERE c.id = p.category_id AND p.id = $1 \
         RETURNING p.name, array_to_string(p.tags, ' ') AS tags, c.name AS category",
        &[uuid(id)],
    )?;
    if let Some(r) = rows(&set).next() {
        let (name, tags, category): (String, String, String) =
            (r.get("name")?, r.get("tags")?, r.get("category")?);
        search_word::remember(db, &rules::search::index_words(&[&name, &tags, &category]))?;
    }
    Ok(())
}

/// Keeps the product's price range in step with what its live SKUs cost after promotions.
pub fn refresh_prices(db: &Db, id: Uuid) -> ApiResult<()> {
    db.execute(
        "UPDATE catalog.product SET min_price = s.lo, max_price = s.hi, updated_at = now() \
         FROM (SELECT min(coalesce(promoted_price, price)) AS lo, \
                      max(coalesce(promoted_price, price)) AS hi FROM catalog.sku \
               WHERE product_id = $1 AND deleted_at IS NULL) s \
         WHERE id = $1",
        &[uuid(id)],
    )?;
    Ok(())
}

/// Keeps the product's units sold and whether any SKU is in stock in step with its live SKUs'
/// stock levels. The caller holds the product's lock ([`lock`], [`lock_of_sku`]) from before
/// it changed a SKU, so this statement's snapshot holds every other change of those SKUs.
pub fn refresh_stock(db: &Db, id: Uuid) -> ApiResult<()> {
    db.execute(
        "UPDATE catalog.product p SET sold = t.sold, in_stock = t.in_stock \
         FROM (SELECT coalesce(sum(sold), 0)::int8 AS sold, \
                      coalesce(bool_or(available > 0), false) AS in_stock \
               FROM catalog.sku WHERE product_id = $1 AND deleted_at IS NULL) t \
         WHERE p.id = $1",
        &[uuid(id)],
    )?;
    Ok(())
}

/// Adds `count` reviews and `points` to the product's rating (negative to take them away).
pub fn add_rating(db: &Db, id: Uuid, count: i32, points: i32) -> ApiResult<()> {
    db.execute(
        "UPDATE catalog.product SET rating_count = rating_count + $2, rating_sum = rating_sum + $3 \
         WHERE id = $1",
        &[uuid(id), count.into(), points.into()],
    )?;
    Ok(())
}

/// What a live product's embedding is made of: name, category, tags, specifications and the
/// start of the description; `None` for a product removed.
pub fn embedding_text(db: &Db, id: Uuid) -> ApiResult<Option<String>> {
    let set = db.query(
        "SELECT concat_ws('. ', p.name, c.name, replace(array_to_string(p.tags, ', '), '-', ' '), \
           (SELECT string_agg(s->>'name' || ' ' || (s->>'value'), '. ') \
            FROM jsonb_array_elements(p.specifications) s), \
           left(p.description, 2000)) AS text \
         FROM catalog.product p JOIN catalog.category c ON c.id = p.category_id \
         WHERE p.id = $1 AND p.deleted_at IS NULL",
        &[uuid(id)],
    )?;
    rows(&set).next().map(|r| r.get("text")).transpose()
}

/// Stores the product's embedding, given in pgvector's text form.
pub fn set_embedding(db: &Db, id: Uuid, vector: &str) -> ApiResult<()> {
    db.execute(
        "UPDATE catalog.product SET embedding = $2::text::vector WHERE id = $1",
        &[uuid(id), text(vector)],
    )?;
    Ok(())
}

/// A seller's public totals, over their live, enabled products.
#[derive(Debug)]
pub struct SellerTotals {
    /// Products.
    pub products: i64,
    /// Reviews of them.
    pub reviews: i64,
    /// Those reviews' scores added up.
    pub points: i64,
    /// The products' ids.
    pub ids: Vec<Uuid>,
}

/// The totals of `seller`'s live, enabled products.
pub fn seller_totals(db: &Db, seller: Uuid) -> ApiResult<SellerTotals> {
    let set = db.query(
        "SELECT count(*) AS products, coalesce(sum(rating_count), 0)::int8 AS reviews, \
           coalesce(sum(rating_sum), 0)::int8 AS points, array_agg(id::text) AS ids \
         FROM catalog.product WHERE seller_id = $1 AND deleted_at IS NULL AND enabled",
        &[uuid(seller)],
    )?;
    // An aggregate without GROUP BY always answers one row.
    let row = rows(&set)
        .next()
        .ok_or_else(|| ApiError::internal("an aggregate returned no row"))?;
    // `array_agg` of no rows is NULL; ids are selected as text, which Spin decodes in arrays.
    let ids = row
        .get::<Option<Vec<Option<String>>>>("ids")?
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .map(|id| id.parse().map_err(ApiError::internal))
        .collect::<ApiResult<Vec<Uuid>>>()?;
    Ok(SellerTotals {
        products: row.get("products")?,
        reviews: row.get("reviews")?,
        points: row.get("points")?,
        ids,
    })
}

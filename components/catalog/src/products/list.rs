//! Product cards: listed, filtered, sorted and searched, with keyset pagination. How a search
//! ranks is told in [`crate::model::listing`].

use chrono::{DateTime, Utc};
use kit::db::Db;
use kit::page::{self, Page, PageRequest};
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::Serialize;
use uuid::Uuid;

use crate::embeddings;
use crate::enrich::{self, Summary};
use crate::model::listing::{self, Cursor, Filters, Search, Shown};
use crate::model::product::Product;
use crate::model::{query_embedding, search_word, sku};
use crate::rules;
use crate::rules::search::Sort;

/// A product's card in a list.
#[derive(Serialize)]
struct Card<'a> {
    id: Uuid,
    slug: &'a str,
    name: &'a str,
    seller_id: Uuid,
    category_id: Uuid,
    currency: &'a str,
    tags: &'a [String],
    /// The cover image.
    image: Option<&'a String>,
    enabled: bool,
    created_at: DateTime<Utc>,
    #[serde(flatten)]
    summary: Summary,
}

impl<'a> Card<'a> {
    fn new(product: &'a Product, summary: Summary) -> Card<'a> {
        Card {
            id: product.id,
            slug: &product.slug,
            name: &product.name,
            seller_id: product.seller_id,
            category_id: product.category_id,
            currency: &product.currency,
            tags: &product.tags,
            image: product.images.first(),
            enabled: product.enabled,
            created_at: product.created_at,
            summary,
        }
    }
}

/// The query of a product list, parsed before any I/O.
struct ListQuery {
    /// The search's words; none for a plain list.
    words: Vec<String>,
    sort: Sort,
    page: PageRequest<Cursor>,
    filters: Filters,
}

impl ListQuery {
    fn parse(ctx: &Ctx, viewer: Option<Uuid>) -> ApiResult<ListQuery> {
        let words = ctx
            .query("q")
            .map(|q| rules::search::query_words(&q))
            .unwrap_or_default();
        let sort = Sort::parse(ctx.query("sort").as_deref(), !words.is_empty())?;
        let page = page::request(ctx)?;
        let sellers = ids(ctx, "seller_id")?;
        let categories = ids(ctx, "category")?;
        let tags = rules::product::tag_slugs(&rules::product::tags(&ctx.query_all("tag"))?);
        let (price_min, price_max) = (
            minor_units(ctx, "price_min")?,
            minor_units(ctx, "price_max")?,
        );
        if let (Some(lo), Some(hi)) = (price_min, price_max)
            && lo > hi
        {
            return Err(ApiError::bad_request(
                "invalid_price_range",
                "price_min is above price_max",
            ));
        }
        let in_stock = match ctx.query("in_stock").as_deref() {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => {
                return Err(ApiError::bad_request(
                    "invalid_in_stock",
                    "in_stock is true or false",
                ));
            }
        };
        let (created_from, created_to) =
            (instant(ctx, "created_from")?, instant(ctx, "created_to")?);
        if let (Some(from), Some(to)) = (created_from, created_to)
            && from > to
        {
            return Err(ApiError::bad_request(
                "invalid_created_range",
                "created_from is after created_to",
            ));
        }
        // A seller listing their own products (and only theirs) sees the disabled ones too.
        let own = viewer.is_some() && sellers.len() == 1 && Some(sellers[0]) == viewer;
        let shown = if own {
            Shown::AlsoDisabled
        } else {
            Shown::Enabled
        };
        Ok(ListQuery {
            words,
            sort,
            page,
            filters: Filters {
                shown,
                sellers,
                categories,
                tags,
                price_min,
                price_max,
                in_stock,
                created_from,
                created_to,
            },
        })
    }
}

/// Most ids one list parameter (`seller_id`, `category`) may name: each becomes a value of
/// the query and, for categories, a walk of the tree.
pub const MAX_QUERY_IDS: usize = 50;

/// Every value of query parameter `name` as an id, at most [`MAX_QUERY_IDS`]; 400
/// `invalid_<name>` otherwise.
fn ids(ctx: &Ctx, name: &str) -> ApiResult<Vec<Uuid>> {
    let values = ctx.query_all(name);
    if values.len() > MAX_QUERY_IDS {
        return Err(ApiError::bad_request(
            format!("invalid_{name}"),
            format!("{name}: at most {MAX_QUERY_IDS} ids"),
        ));
    }
    values
        .iter()
        .map(|v| {
            v.parse().map_err(|_| {
                ApiError::bad_request(
                    format!("invalid_{name}"),
                    format!("{name}: `{v}` is not an id"),
                )
            })
        })
        .collect()
}

/// Query parameter `name` as minor units, 0 or more; 400 `invalid_<name>` otherwise.
fn minor_units(ctx: &Ctx, name: &str) -> ApiResult<Option<i64>> {
    ctx.query(name)
        .map(|v| {
            v.parse::<i64>().ok().filter(|p| *p >= 0).ok_or_else(|| {
                ApiError::bad_request(
                    format!("invalid_{name}"),
                    format!("{name}: a whole number of minor units, 0 or more"),
                )
            })
        })
        .transpose()
}

/// Query parameter `name` as an RFC 3339 instant (`2026-01-31T00:00:00Z`, any offset); 400
/// `invalid_<name>` otherwise.
fn instant(ctx: &Ctx, name: &str) -> ApiResult<Option<DateTime<Utc>>> {
    ctx.query(name)
        .map(|v| {
            DateTime::parse_from_rfc3339(&v)
                .map(|t| t.to_utc())
                .map_err(|_| {
                    ApiError::bad_request(
                        format!("invalid_{name}"),
                        format!("{name}: an RFC 3339 date and time, like 2026-01-31T00:00:00Z"),
                    )
                })
        })
        .transpose()
}

/// The embedding of the search query `query` (its normalised words) in pgvector's text form:
/// the kept one if the plugged-in model embedded the same query lately, else the provider's,
/// which is then kept.
fn query_vector(db: &Db, query: &str) -> ApiResult<String> {
    let model = embeddings::model();
    if let Some(kept) = query_embedding::find(db, &model, query)? {
        return Ok(kept);
    }
    let vector = embeddings::embed_one(query)?;
    query_embedding::keep(db, &model, query, &vector);
    Ok(vector)
}

/// `GET /api/v1/catalog/products` — product cards.
///
/// Query: `q` (search), `seller_id`, `category` (ids, at most [`MAX_QUERY_IDS`] each;
/// subcategories included), `tag` (slugs, all of them), `price_min` / `price_max` (minor
/// units: the product has a SKU in range), `in_stock` (`true`/`false`, as inventory last
/// announced), `created_from` / `created_to` (RFC 3339, both ends included), `sort` (`newest`,
/// `price_asc`, `price_desc`, `rating`, `popular` — units sold —, `relevance` — the default
/// with `q`), `limit`, `cursor`. Disabled products are listed only to their seller
/// (`seller_id` = the caller). How search ranks is told in [`listing`].
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let viewer = ctx.optional_user()?.map(|c| c.sub);
    let query = ListQuery::parse(&ctx, viewer)?;
    let db = ctx.db()?;
    let search = if query.words.is_empty() {
        None
    } else {
        let words = search_word::read(db, &query.words)?;
        let vector = query_vector(db, &query.words.join(" "))
            .inspect_err(|e| kit::log::warn(format_args!("searching by full text alone: {e}")))
            .ok();
        Some(Search {
            tsquery: rules::search::tsquery(&words),
            vector,
        })
    };
    let found = listing::page(
        db,
        &query.filters,
        search.as_ref(),
        query.sort,
        query.page.after.as_ref(),
        query.page.fetch(),
    )
    .await?;
    let page = query.page.page(found, |(p, k)| Cursor { k: *k, id: p.id });
    let products: Vec<Product> = page.items.into_iter().map(|(p, _)| p).collect();
    let ids: Vec<Uuid> = products.iter().map(|p| p.id).collect();
    let skus = sku::of_products(db, &ids)?;
    let more = enrich::fetch(&ctx, viewer, &ids, &skus).await;
    json::ok(&Page {
        items: products
            .iter()
            .map(|p| Card::new(p, more.summary(p, &skus)))
            .collect(),
        next_cursor: page.next_cursor,
    })
}

//! Browsing and searching: product cards filtered by seller, category (subcategories
//! included), tags (all of them) and price, sorted by newest, price or relevance, with keyset
//! pagination; `q` searches the full text — every filter applies inside the same query, so a
//! page is never thinned out afterwards. And the tag list.

use kit::db::{Param, rows, strings, text, uuid, uuids};
use kit::page::{self, PageRequest};
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::products::{self, Product};
use crate::{enrich, rules, skus};

/// Where a page ended: the sort key and the id.
#[derive(Debug, Serialize, Deserialize)]
struct Cursor {
    k: f64,
    id: Uuid,
}

/// How a list is ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sort {
    Newest,
    PriceAsc,
    PriceDesc,
    Relevance,
}

impl Sort {
    fn parse(value: Option<&str>, searching: bool) -> ApiResult<Sort> {
        match value {
            None if searching => Ok(Sort::Relevance),
            None | Some("newest") => Ok(Sort::Newest),
            Some("price_asc") => Ok(Sort::PriceAsc),
            Some("price_desc") => Ok(Sort::PriceDesc),
            Some("relevance") if searching => Ok(Sort::Relevance),
            Some("relevance") => Err(ApiError::bad_request(
                "invalid_sort",
                "sort=relevance needs a search (q)",
            )),
            Some(other) => Err(ApiError::bad_request(
                "invalid_sort",
                format!("unknown sort `{other}`; one of newest, price_asc, price_desc, relevance"),
            )),
        }
    }

    /// The sort key as `float8` (prices fit exactly; products without a price sort last), and
    /// whether it descends.
    fn key(self) -> (&'static str, bool) {
        match self {
            Sort::Newest => ("0::float8", true),
            Sort::PriceAsc => ("coalesce(p.min_price, 10000000000000)::float8", false),
            Sort::PriceDesc => ("coalesce(p.min_price, -1)::float8", true),
            Sort::Relevance => ("ts_rank(p.search, q.query)::float8", true),
        }
    }
}

/// A WHERE clause and its parameters, numbered as they are added.
#[derive(Default)]
struct Filter {
    conditions: Vec<String>,
    params: Vec<Param>,
}

impl Filter {
    /// Adds `param`; returns its placeholder.
    fn bind(&mut self, param: Param) -> String {
        self.params.push(param);
        format!("${}", self.params.len())
    }

    fn when(&mut self, condition: String) {
        self.conditions.push(condition);
    }
}

fn uuid_list(ctx: &Ctx, name: &str) -> ApiResult<Vec<Uuid>> {
    ctx.query_all(name)
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

fn money(ctx: &Ctx, name: &str) -> ApiResult<Option<i64>> {
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

/// Each query word with its spellings: itself and up to three known words that share enough
/// of its trigrams (a typo's correction), for words of four letters or more.
fn spellings(ctx: &Ctx, words: &[String]) -> ApiResult<Vec<Vec<String>>> {
    let long: Vec<&String> = words.iter().filter(|w| w.chars().count() >= 4).collect();
    let mut out: Vec<Vec<String>> = words.iter().map(|w| vec![w.clone()]).collect();
    if long.is_empty() {
        return Ok(out);
    }
    let set = ctx.db()?.query(
        "WITH q AS (SELECT qw, (SELECT array_agg(DISTINCT substr('  ' || qw || ' ', i, 3)) \
                                FROM generate_series(1, length(qw) + 1) AS i) AS tg \
                    FROM unnest($1::text[]) AS qw) \
         SELECT q.qw, c.word FROM q CROSS JOIN LATERAL ( \
           SELECT w.word, s.shared::float8 / (cardinality(w.trigrams) + cardinality(q.tg) - s.shared) AS sim \
           FROM catalog.search_word w \
           CROSS JOIN LATERAL (SELECT count(*) AS shared FROM unnest(w.trigrams) x WHERE x = ANY(q.tg)) s \
           WHERE w.trigrams && q.tg AND w.word <> q.qw ORDER BY sim DESC, w.word LIMIT 3) c \
         WHERE c.sim >= 0.4",
        &[strings(&long)],
    )?;
    for r in rows(&set) {
        let (word, alternative): (String, String) = (r.get("qw")?, r.get("word")?);
        for (i, w) in words.iter().enumerate() {
            if *w == word && !out[i].contains(&alternative) {
                out[i].push(alternative.clone());
            }
        }
    }
    Ok(out)
}

/// `GET /api/v1/catalog/products` — product cards.
///
/// Query: `q` (search), `seller_id`, `category` (ids, subcategories included), `tag` (slugs,
/// all of them), `price_min` / `price_max` (minor units: the product has a SKU in range),
/// `sort` (`newest`, `price_asc`, `price_desc`, `relevance` — the default with `q`), `limit`,
/// `cursor`. Disabled products are listed only to their seller (`seller_id` = the caller).
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let viewer = ctx.optional_user()?.map(|c| c.sub);
    let words = ctx
        .query("q")
        .map(|q| rules::query_words(&q))
        .unwrap_or_default();
    let sort = Sort::parse(ctx.query("sort").as_deref(), !words.is_empty())?;
    let page: PageRequest<Cursor> = page::request(&ctx)?;
    let sellers = uuid_list(&ctx, "seller_id")?;
    let categories = uuid_list(&ctx, "category")?;
    let tags = rules::tags(&ctx.query_all("tag"))?;
    let (price_min, price_max) = (money(&ctx, "price_min")?, money(&ctx, "price_max")?);
    if let (Some(lo), Some(hi)) = (price_min, price_max)
        && lo > hi
    {
        return Err(ApiError::bad_request(
            "invalid_price_range",
            "price_min is above price_max",
        ));
    }

    let mut f = Filter::default();
    f.when("p.deleted_at IS NULL".into());
    let own_listing = viewer.is_some() && sellers.len() == 1 && Some(sellers[0]) == viewer;
    if !own_listing {
        f.when("p.enabled".into());
    }
    if !sellers.is_empty() {
        let p = f.bind(uuids(&sellers));
        f.when(format!("p.seller_id = ANY({p}::text[]::uuid[])"));
    }
    if !categories.is_empty() {
        let p = f.bind(uuids(&categories));
        f.when(format!(
            "p.category_id IN (WITH RECURSIVE sub AS (SELECT id FROM catalog.category WHERE id = ANY({p}::text[]::uuid[]) \
             UNION SELECT c.id FROM catalog.category c JOIN sub ON c.parent_id = sub.id) SELECT id FROM sub)"
        ));
    }
    if !tags.is_empty() {
        let p = f.bind(strings(&tags));
        f.when(format!("p.tags @> {p}::text[]"));
    }
    if let Some(lo) = price_min {
        let p = f.bind(lo.into());
        f.when(format!("p.max_price >= {p}"));
    }
    if let Some(hi) = price_max {
        let p = f.bind(hi.into());
        f.when(format!("p.min_price <= {p}"));
    }
    let query = if words.is_empty() {
        "SELECT NULL::tsquery AS query".to_string()
    } else {
        let tsquery = rules::tsquery(&spellings(&ctx, &words)?);
        let p = f.bind(text(tsquery));
        f.when("p.search @@ q.query".into());
        format!("SELECT to_tsquery('english', {p}) AS query")
    };
    let (key, descending) = sort.key();
    if let Some(after) = &page.after {
        let (k, id) = (f.bind(Param::Floating64(after.k)), f.bind(uuid(after.id)));
        let op = if descending { "<" } else { ">" };
        f.when(format!("({key}, p.id) {op} ({k}, {id})"));
    }
    let direction = if descending { "DESC" } else { "ASC" };
    let limit = f.bind(page.fetch().into());
    let set = ctx.db()?.query(
        &format!(
            "WITH q AS ({query}) SELECT {cols}, {key} AS sort_key FROM catalog.product p CROSS JOIN q \
             WHERE {conditions} ORDER BY sort_key {direction}, p.id {direction} LIMIT {limit}",
            cols = products::COLUMNS,
            conditions = f.conditions.join(" AND "),
        ),
        &f.params,
    )?;
    let mut found: Vec<(Product, f64)> = Vec::new();
    for r in rows(&set) {
        found.push((kit::db::FromRow::from_row(&r)?, r.get("sort_key")?));
    }
    let page = page.page(found, |(p, k)| Cursor { k: *k, id: p.id });
    let products: Vec<Product> = page.items.into_iter().map(|(p, _)| p).collect();
    let ids: Vec<Uuid> = products.iter().map(|p| p.id).collect();
    let skus = skus::of_products(ctx.db()?, &ids)?;
    let cards = enrich::cards(&ctx, viewer, &products, &skus).await;
    json::ok(&json!({ "items": cards, "next_cursor": page.next_cursor }))
}

/// `GET /api/v1/catalog/tags?q=&limit=&cursor=` — tags by slug; `q` keeps those containing it.
pub async fn tags(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let page: PageRequest<String> = page::request(&ctx)?;
    let contains = ctx
        .query("q")
        .map(|q| rules::slugify(&q))
        .filter(|q| !q.is_empty());
    let set = ctx.db()?.query(
        "SELECT slug, name FROM catalog.tag WHERE ($1::text IS NULL OR slug > $1) \
         AND ($2::text IS NULL OR strpos(slug, $2) > 0) ORDER BY slug LIMIT $3",
        &[
            kit::db::optional_text(page.after.as_deref()),
            kit::db::optional_text(contains.as_deref()),
            page.fetch().into(),
        ],
    )?;
    let mut items: Vec<(String, String)> = Vec::new();
    for r in rows(&set) {
        items.push((r.get("slug")?, r.get("name")?));
    }
    let page = page.page(items, |(slug, _)| slug.clone());
    let items: Vec<_> = page
        .items
        .iter()
        .map(|(slug, name)| json!({ "slug": slug, "name": name }))
        .collect();
    json::ok(&json!({ "items": items, "next_cursor": page.next_cursor }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_sort_depends_on_whether_there_is_a_search() {
        assert_eq!(Sort::parse(None, false).unwrap(), Sort::Newest);
        assert_eq!(Sort::parse(None, true).unwrap(), Sort::Relevance);
        assert_eq!(
            Sort::parse(Some("price_desc"), true).unwrap(),
            Sort::PriceDesc
        );
        assert!(Sort::parse(Some("relevance"), false).is_err());
        assert!(Sort::parse(Some("cheapest"), false).is_err());
    }

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut f = Filter::default();
        assert_eq!(f.bind(Param::Int32(1)), "$1");
        assert_eq!(f.bind(Param::Int32(2)), "$2");
        assert_eq!(f.params.len(), 2);
    }
}

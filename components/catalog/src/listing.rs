//! Browsing and searching: product cards filtered by seller, category (subcategories
//! included), tags (all of them) and price, sorted by newest, price or relevance, with keyset
//! pagination. And the tag list.
//!
//! Search (`q`) is hybrid. Two ranked lists of candidates are drawn, each with every filter
//! inside its own query (so nothing is dropped afterwards):
//! - full text: PostgreSQL's `english` configuration (stemming), name weighted above tags and
//!   category above description (`ts_rank`), every word required, each as typed or as a close
//!   known word by trigram similarity (for typos), the last word also as a prefix unless it is
//!   a known word;
//! - meaning: the query's embedding against product embeddings (pgvector HNSW, cosine), keeping
//!   neighbours with a similarity of at least [`MIN_SIMILARITY`], for near-synonyms and
//!   paraphrases.
//!
//! The lists keep their best [`CANDIDATES`] and [`VECTOR_CANDIDATES`]; they are merged by reciprocal rank fusion: a product
//! scores `Σ 1 / (RRF_K + rank)` over the lists it is in, so agreement between the two lists
//! counts more than a high place in one, and neither list's raw scores need calibrating
//! against the other's. When the embeddings provider fails, search goes on with full text
//! alone.

use kit::db::{Param, rows, strings, text, uuid, uuids};
use kit::page::{self, PageRequest};
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::products::{self, Product};
use crate::{embedding, enrich, rules, skus};

/// Candidates the full-text list contributes to a search.
pub const CANDIDATES: i64 = 200;

/// Candidates the meaning list contributes: the HNSW scan's `ef_search`, so one pass of the
/// index yields them.
pub const VECTOR_CANDIDATES: i64 = 100;

/// Reciprocal rank fusion's constant: how much a top place outweighs a lower one (60, as in
/// the method's original evaluation; larger flattens the ranks).
pub const RRF_K: f64 = 60.0;

/// The least cosine similarity for a vector neighbour to count as a match.
pub const MIN_SIMILARITY: f64 = 0.35;

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
    Rating,
    Popular,
    Relevance,
}

impl Sort {
    fn parse(value: Option<&str>, searching: bool) -> ApiResult<Sort> {
        match value {
            None if searching => Ok(Sort::Relevance),
            None | Some("newest") => Ok(Sort::Newest),
            Some("price_asc") => Ok(Sort::PriceAsc),
            Some("price_desc") => Ok(Sort::PriceDesc),
            Some("rating") => Ok(Sort::Rating),
            Some("popular") => Ok(Sort::Popular),
            Some("relevance") if searching => Ok(Sort::Relevance),
            Some("relevance") => Err(ApiError::bad_request(
                "invalid_sort",
                "sort=relevance needs a search (q)",
            )),
            Some(other) => Err(ApiError::bad_request(
                "invalid_sort",
                format!(
                    "unknown sort `{other}`; one of newest, price_asc, price_desc, rating, relevance"
                ),
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
            Sort::Popular => ("p.sold::float8", true),
            Sort::Rating => (
                "coalesce(p.rating_sum::float8 / nullif(p.rating_count, 0), 0)",
                true,
            ),
            Sort::Relevance => ("fused.score", true),
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

/// The query's words as search reads them ([`rules::search::QueryWord`]): whether each is a known word,
/// and, for words of four letters or more, up to three known words that share enough of its
/// trigrams (a typo's corrections). One query for all of them.
fn read_words(ctx: &Ctx, words: &[String]) -> ApiResult<Vec<rules::search::QueryWord>> {
    let mut out: Vec<rules::search::QueryWord> = words
        .iter()
        .map(|w| rules::search::QueryWord {
            typed: w.clone(),
            ..Default::default()
        })
        .collect();
    let set = ctx.db()?.query(
        "WITH q AS (SELECT qw, (SELECT array_agg(DISTINCT substr('  ' || qw || ' ', i, 3)) \
                                FROM generate_series(1, length(qw) + 1) AS i) AS tg \
                    FROM unnest($1::text[]) AS qw) \
         SELECT q.qw, q.qw AS word FROM q WHERE EXISTS (SELECT 1 FROM catalog.search_word k WHERE k.word = q.qw) \
         UNION ALL \
         SELECT q.qw, c.word FROM (SELECT * FROM q WHERE length(qw) >= 4) q CROSS JOIN LATERAL ( \
           SELECT w.word, s.shared::float8 / (cardinality(w.trigrams) + cardinality(q.tg) - s.shared) AS sim \
           FROM catalog.search_word w \
           CROSS JOIN LATERAL (SELECT count(*) AS shared FROM unnest(w.trigrams) x WHERE x = ANY(q.tg)) s \
           WHERE w.trigrams && q.tg AND w.word <> q.qw ORDER BY sim DESC, w.word LIMIT 3) c \
         WHERE c.sim >= 0.4",
        &[strings(words)],
    )?;
    for r in rows(&set) {
        let (typed, word): (String, String) = (r.get("qw")?, r.get("word")?);
        for w in out.iter_mut().filter(|w| w.typed == typed) {
            if word == typed {
                w.known = true;
            } else if !w.corrections.contains(&word) {
                w.corrections.push(word.clone());
            }
        }
    }
    Ok(out)
}

/// `GET /api/v1/catalog/products` — product cards.
///
/// Query: `q` (search), `seller_id`, `category` (ids, subcategories included), `tag` (slugs,
/// all of them), `price_min` / `price_max` (minor units: the product has a SKU in range),
/// `in_stock` (`true`/`false`, as inventory last announced), `sort` (`newest`, `price_asc`,
/// `price_desc`, `rating`, `popular` — units sold —, `relevance` — the default with `q`),
/// `limit`,
/// `cursor`. Disabled products are listed only to their seller (`seller_id` = the caller).
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let viewer = ctx.optional_user()?.map(|c| c.sub);
    let words = ctx
        .query("q")
        .map(|q| rules::search::query_words(&q))
        .unwrap_or_default();
    let sort = Sort::parse(ctx.query("sort").as_deref(), !words.is_empty())?;
    let page: PageRequest<Cursor> = page::request(&ctx)?;
    let sellers = uuid_list(&ctx, "seller_id")?;
    let categories = uuid_list(&ctx, "category")?;
    let tags = rules::product::tags(&ctx.query_all("tag"))?;
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
    match ctx.query("in_stock").as_deref() {
        None => {}
        Some("true") => f.when("p.in_stock".into()),
        Some("false") => f.when("NOT p.in_stock".into()),
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_in_stock",
                "in_stock is true or false",
            ));
        }
    }
    if let Some(hi) = price_max {
        let p = f.bind(hi.into());
        f.when(format!("p.min_price <= {p}"));
    }
    let (key, descending) = sort.key();
    let base = f.conditions.join(" AND ");
    let source = if words.is_empty() {
        "catalog.product p".to_string()
    } else {
        let tq = f.bind(text(rules::search::tsquery(&read_words(&ctx, &words)?)));
        let vector = match embedding::query_vector(ctx.db()?, &words.join(" ")) {
            Ok(v) => Some(f.bind(text(v))),
            Err(e) => {
                kit::log::warn(format_args!("searching by full text alone: {e}"));
                None
            }
        };
        let by_meaning = match vector {
            Some(v) => format!(
                "SELECT id, row_number() OVER (ORDER BY d, id) AS r FROM ( \
                   SELECT p.id, p.embedding <=> {v}::text::vector AS d FROM catalog.product p \
                   WHERE {base} AND p.embedding IS NOT NULL ORDER BY d LIMIT {VECTOR_CANDIDATES}) s \
                 WHERE d <= {max_distance}",
                max_distance = 1.0 - MIN_SIMILARITY
            ),
            None => "SELECT NULL::uuid AS id, NULL::int8 AS r WHERE false".to_string(),
        };
        format!(
            "(WITH q AS (SELECT to_tsquery('english', {tq}) AS query), \
               by_text AS (SELECT id, row_number() OVER (ORDER BY rank DESC, id) AS r FROM ( \
                 SELECT p.id, ts_rank(p.search, q.query) AS rank FROM catalog.product p CROSS JOIN q \
                 WHERE {base} AND p.search @@ q.query ORDER BY rank DESC, p.id LIMIT {CANDIDATES}) s), \
               by_meaning AS ({by_meaning}) \
             SELECT id, sum(1.0 / ({RRF_K} + r))::float8 AS score \
             FROM (SELECT id, r FROM by_text UNION ALL SELECT id, r FROM by_meaning) ranked GROUP BY id) fused \
             JOIN catalog.product p ON p.id = fused.id"
        )
    };
    let mut conditions = if words.is_empty() {
        f.conditions.clone()
    } else {
        Vec::new()
    };
    if let Some(after) = &page.after {
        let (k, id) = (f.bind(Param::Floating64(after.k)), f.bind(uuid(after.id)));
        let op = if descending { "<" } else { ">" };
        conditions.push(format!("({key}, p.id) {op} ({k}, {id})"));
    }
    if conditions.is_empty() {
        conditions.push("true".into());
    }
    let direction = if descending { "DESC" } else { "ASC" };
    let limit = f.bind(page.fetch().into());
    let sql = format!(
        "SELECT {cols}, {key} AS sort_key FROM {source} WHERE {conditions} \
         ORDER BY sort_key {direction}, p.id {direction} LIMIT {limit}",
        cols = products::COLUMNS,
        conditions = conditions.join(" AND "),
    );
    // Filtered HNSW scans go on until they have enough rows (pgvector 0.8), instead of
    // returning fewer neighbours than asked for when filters are selective.
    let set = ctx
        .db()?
        .transaction(async |db: &kit::db::Db| {
            db.execute("SET LOCAL hnsw.iterative_scan = relaxed_order", &[])?;
            db.execute(
                &format!("SET LOCAL hnsw.ef_search = {VECTOR_CANDIDATES}"),
                &[],
            )?;
            Ok(db.query(&sql, &f.params)?)
        })
        .await?;
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

//! The one query behind product lists and search: every filter and the keyset condition
//! inside it, so a page is never thinned out after the fact. The statement is put together
//! from constant pieces; every value the client gave is a bound parameter.
//!
//! A search is hybrid. Two ranked lists of candidates are drawn, each with every filter inside
//! its own query:
//! - full text: PostgreSQL's `english` configuration (stemming), name weighted above tags and
//!   category above description (`ts_rank`), every word required, each as typed, without its
//!   accents (the document holds both forms, so an exact-accent match ranks first) or as a
//!   close known word (see [`super::search_word`]), the last word also as a prefix unless it is
//!   a known word ([`crate::rules::search::tsquery`]);
//! - meaning: the query's embedding against product embeddings (pgvector HNSW, cosine), keeping
//!   neighbours with a similarity of at least [`MIN_SIMILARITY`], for near-synonyms and
//!   paraphrases.
//!
//! The lists keep their best [`CANDIDATES`] and [`VECTOR_CANDIDATES`]; they are merged by
//! reciprocal rank fusion: a product scores `Σ 1 / (RRF_K + rank)` over the lists it is in, so
//! agreement between the two lists counts more than a high place in one, and neither list's
//! raw scores need calibrating against the other's. Without an embedding (the provider
//! failed), the meaning list is empty and search goes on with full text alone.

use chrono::{DateTime, Utc};
use kit::ApiResult;
use kit::db::{Db, FromRow, Param, micros, rows, strings, text, uuid, uuids};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::product::{self, Product};
use crate::rules::search::Sort;

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
pub struct Cursor {
    /// The sort key, as `float8` (see [`sort_key`]).
    pub k: f64,
    /// The product.
    pub id: Uuid,
}

/// Whether a list shows disabled products.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    /// Enabled products only: every list but a seller's own.
    Enabled,
    /// Disabled ones too: a seller listing their own products.
    AlsoDisabled,
}

/// What a list keeps: a product passes every filter given; an empty list or `None` keeps all.
#[derive(Debug)]
pub struct Filters {
    /// Whether disabled products are shown.
    pub shown: Shown,
    /// Products of any of these sellers.
    pub sellers: Vec<Uuid>,
    /// Products in any of these categories or their subcategories.
    pub categories: Vec<Uuid>,
    /// Products with every one of these tags.
    pub tags: Vec<String>,
    /// Products with a SKU at this price or above, after promotions.
    pub price_min: Option<i64>,
    /// Products with a SKU at this price or below, after promotions.
    pub price_max: Option<i64>,
    /// Products with (or without) a SKU in stock, as inventory last announced.
    pub in_stock: Option<bool>,
    /// Products created at this instant or later.
    pub created_from: Option<DateTime<Utc>>,
    /// Products created at this instant or earlier.
    pub created_to: Option<DateTime<Utc>>,
}

/// A search, ready to run: the text-search query and the query's embedding in pgvector's text
/// form, when the provider answered.
#[derive(Debug)]
pub struct Search {
    /// For `to_tsquery('english', …)`.
    pub tsquery: String,
    /// For `$n::text::vector`.
    pub vector: Option<String>,
}

/// Which way a list runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Order {
    Ascending,
    Descending,
}

impl Order {
    fn keyword(self) -> &'static str {
        match self {
            Order::Ascending => "ASC",
            Order::Descending => "DESC",
        }
    }

    /// The comparison that keeps the rows after a cursor.
    fn after(self) -> &'static str {
        match self {
            Order::Ascending => ">",
            Order::Descending => "<",
        }
    }
}

/// The sort key of `catalog.product p` as `float8` (prices fit exactly; products without a
/// price sort last either way), and its order. Ties are broken by id, in the same order.
fn sort_key(sort: Sort) -> (&'static str, Order) {
    match sort {
        Sort::Newest => ("0::float8", Order::Descending),
        Sort::PriceAsc => (
            "coalesce(p.min_price, 10000000000000)::float8",
            Order::Ascending,
        ),
        Sort::PriceDesc => ("coalesce(p.min_price, -1)::float8", Order::Descending),
        Sort::Popular => ("p.sold::float8", Order::Descending),
        Sort::Rating => (
            "coalesce(p.rating_sum::float8 / nullif(p.rating_count, 0), 0)",
            Order::Descending,
        ),
        Sort::Relevance => ("fused.score", Order::Descending),
    }
}

/// A statement's parameters, numbered as they are bound.
#[derive(Default)]
struct Params(Vec<Param>);

impl Params {
    /// Adds `param`; answers its placeholder.
    fn bind(&mut self, param: Param) -> String {
        self.0.push(param);
        format!("${}", self.0.len())
    }
}

/// The conditions of `filters` on `catalog.product p`, their values bound to `params`.
fn conditions(filters: &Filters, params: &mut Params) -> Vec<String> {
    let mut out = vec!["p.deleted_at IS NULL".to_string()];
    if filters.shown == Shown::Enabled {
        out.push("p.enabled".into());
    }
    if !filters.sellers.is_empty() {
        let p = params.bind(uuids(&filters.sellers));
        out.push(format!("p.seller_id = ANY({p}::text[]::uuid[])"));
    }
    if !filters.categories.is_empty() {
        let p = params.bind(uuids(&filters.categories));
        out.push(format!(
            "p.category_id IN (WITH RECURSIVE sub AS ( \
               SELECT id FROM catalog.category WHERE id = ANY({p}::text[]::uuid[]) \
               UNION SELECT c.id FROM catalog.category c JOIN sub ON c.parent_id = sub.id) \
             SELECT id FROM sub)"
        ));
    }
    if !filters.tags.is_empty() {
        let p = params.bind(strings(&filters.tags));
        out.push(format!("p.tags @> {p}::text[]"));
    }
    match filters.in_stock {
        None => {}
        Some(true) => out.push("p.in_stock".into()),
        Some(false) => out.push("NOT p.in_stock".into()),
    }
    // To the microsecond, which an instant in Unix seconds would drop.
    if let Some(from) = &filters.created_from {
        let p = params.bind(micros(*from));
        out.push(format!("p.created_at >= {p}::text::timestamptz"));
    }
    if let Some(to) = &filters.created_to {
        let p = params.bind(micros(*to));
        out.push(format!("p.created_at <= {p}::text::timestamptz"));
    }
    // "Priced in the range" means one live SKU's price is in it, not that the product's range
    // of prices overlaps it (SKUs at 100 and 900 are not "between 400 and 600"); the price is
    // what the shopper pays, after promotions. The bounds on the product's own range (also
    // after promotions) are implied, and let its price index narrow the scan first.
    if filters.price_min.is_some() || filters.price_max.is_some() {
        let lo = params.bind(filters.price_min.unwrap_or(0).into());
        let hi = params.bind(filters.price_max.unwrap_or(i64::MAX).into());
        out.push(format!(
            "p.max_price >= {lo} AND p.min_price <= {hi} AND EXISTS ( \
               SELECT 1 FROM catalog.sku s WHERE s.product_id = p.id AND s.deleted_at IS NULL \
                 AND coalesce(s.promoted_price, s.price) BETWEEN {lo} AND {hi})"
        ));
    }
    out
}

/// The products a search finds, with their fused `score`, as `fused` joined to
/// `catalog.product p`; `base` holds the filters, inside both candidate lists.
fn searched(search: &Search, base: &str, params: &mut Params) -> String {
    let tq = params.bind(text(&search.tsquery));
    let by_meaning = match &search.vector {
        Some(vector) => {
            let v = params.bind(text(vector));
            format!(
                "SELECT id, row_number() OVER (ORDER BY d, id) AS r FROM ( \
                   SELECT p.id, p.embedding <=> {v}::text::vector AS d FROM catalog.product p \
                   WHERE {base} AND p.embedding IS NOT NULL \
                   ORDER BY d LIMIT {VECTOR_CANDIDATES}) s \
                 WHERE d <= {max_distance}",
                max_distance = 1.0 - MIN_SIMILARITY
            )
        }
        None => "SELECT NULL::uuid AS id, NULL::int8 AS r WHERE false".to_string(),
    };
    format!(
        "(WITH q AS (SELECT to_tsquery('english', {tq}) AS query), \
           by_text AS (SELECT id, row_number() OVER (ORDER BY rank DESC, id) AS r FROM ( \
             SELECT p.id, ts_rank(p.search, q.query) AS rank FROM catalog.product p CROSS JOIN q \
             WHERE {base} AND p.search @@ q.query ORDER BY rank DESC, p.id LIMIT {CANDIDATES}) s), \
           by_meaning AS ({by_meaning}) \
         SELECT id, sum(1.0 / ({RRF_K} + r))::float8 AS score \
         FROM (SELECT id, r FROM by_text UNION ALL SELECT id, r FROM by_meaning) ranked \
         GROUP BY id) fused \
         JOIN catalog.product p ON p.id = fused.id"
    )
}

/// Up to `fetch` products that pass `filters` (and match `search`, if given) in `sort` order
/// after `after`, each with its sort key for the next cursor.
pub async fn page(
    db: &Db,
    filters: &Filters,
    search: Option<&Search>,
    sort: Sort,
    after: Option<&Cursor>,
    fetch: i64,
) -> ApiResult<Vec<(Product, f64)>> {
    let mut params = Params::default();
    let filtered = conditions(filters, &mut params);
    // A search filters inside its candidate lists; a plain list filters the outer query.
    let (source, mut outer) = match search {
        None => ("catalog.product p".to_string(), filtered),
        Some(search) => (
            searched(search, &filtered.join(" AND "), &mut params),
            Vec::new(),
        ),
    };
    let (key, order) = sort_key(sort);
    if let Some(after) = after {
        let k = params.bind(Param::Floating64(after.k));
        let id = params.bind(uuid(after.id));
        outer.push(format!("({key}, p.id) {} ({k}, {id})", order.after()));
    }
    if outer.is_empty() {
        outer.push("true".into());
    }
    let limit = params.bind(fetch.into());
    let sql = format!(
        "SELECT {columns}, {key} AS sort_key FROM {source} WHERE {conditions} \
         ORDER BY sort_key {direction}, p.id {direction} LIMIT {limit}",
        columns = product::COLUMNS,
        conditions = outer.join(" AND "),
        direction = order.keyword(),
    );
    // Filtered HNSW scans go on until they have enough rows (pgvector 0.8), instead of
    // returning fewer neighbours than asked for when filters are selective. `SET LOCAL` needs
    // the transaction, and ends with it.
    let set = db
        .transaction(async |db: &Db| {
            db.execute("SET LOCAL hnsw.iterative_scan = relaxed_order", &[])?;
            db.execute(
                &format!("SET LOCAL hnsw.ef_search = {VECTOR_CANDIDATES}"),
                &[],
            )?;
            Ok(db.query(&sql, &params.0)?)
        })
        .await?;
    rows(&set)
        .map(|r| Ok((Product::from_row(&r)?, r.get("sort_key")?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters() -> Filters {
        Filters {
            shown: Shown::Enabled,
            sellers: Vec::new(),
            categories: Vec::new(),
            tags: Vec::new(),
            price_min: None,
            price_max: None,
            in_stock: None,
            created_from: None,
            created_to: None,
        }
    }

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut params = Params::default();
        assert_eq!(params.bind(Param::Int32(1)), "$1");
        assert_eq!(params.bind(Param::Int32(2)), "$2");
        assert_eq!(params.0.len(), 2);
    }

    #[test]
    fn only_given_filters_become_conditions_and_values_are_bound_not_written() {
        let mut params = Params::default();
        assert_eq!(
            conditions(&filters(), &mut params),
            ["p.deleted_at IS NULL", "p.enabled"]
        );
        let own = Filters {
            shown: Shown::AlsoDisabled,
            tags: vec!["a'b".into()],
            price_max: Some(5),
            in_stock: Some(false),
            ..filters()
        };
        let mut params = Params::default();
        assert_eq!(
            conditions(&own, &mut params),
            [
                "p.deleted_at IS NULL",
                "p.tags @> $1::text[]",
                "NOT p.in_stock",
                "p.max_price >= $2 AND p.min_price <= $3 AND EXISTS ( SELECT 1 FROM catalog.sku s \
                 WHERE s.product_id = p.id AND s.deleted_at IS NULL \
                 AND coalesce(s.promoted_price, s.price) BETWEEN $2 AND $3)"
            ]
        );
        assert_eq!(params.0.len(), 3, "the tag, and the price range's two ends");
    }

    #[test]
    fn date_filters_bind_their_instants_to_the_microsecond() {
        let from = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05.123456+07:00")
            .unwrap()
            .to_utc();
        let dated = Filters {
            created_from: Some(from),
            created_to: Some(from),
            ..filters()
        };
        let mut params = Params::default();
        assert_eq!(
            conditions(&dated, &mut params)[2..],
            [
                "p.created_at >= $1::text::timestamptz",
                "p.created_at <= $2::text::timestamptz"
            ]
        );
        assert!(
            matches!(&params.0[0], Param::Str(t) if t == "2026-01-01T20:04:05.123456Z"),
            "{:?}",
            params.0[0]
        );
    }

    #[test]
    fn a_search_without_an_embedding_ranks_by_text_alone() {
        let search = Search {
            tsquery: "(lamp:*)".into(),
            vector: None,
        };
        let mut params = Params::default();
        let sql = searched(&search, "p.enabled", &mut params);
        assert!(sql.contains("WHERE false") && !sql.contains("<=>"), "{sql}");
        assert_eq!(params.0.len(), 1);
    }
}

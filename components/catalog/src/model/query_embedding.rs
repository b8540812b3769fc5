//! `catalog.query_embedding`: the embeddings of recent search queries, per model, so that the
//! popular queries that make up most searches skip the model. A kept embedding is reused for
//! [`KEEP_DAYS`]; stale ones are purged a batch at a time by later searches. Searches are
//! GETs anyone may send, each query new words, so the table is also capped at [`MAX_KEPT`]
//! rows: keeping one more evicts the oldest.

use kit::ApiResult;
use kit::db::{Db, rows, text};

/// How long a query's embedding is reused before the model is asked again.
pub const KEEP_DAYS: i32 = 7;

/// Queries longer than this (in characters) are embedded every time rather than kept: they
/// are rarely repeated, and would fill the table.
const MAX_KEPT_QUERY: usize = 200;

/// Stale query embeddings one purge deletes at most.
const PURGE_BATCH: i64 = 500;

/// Most query embeddings kept (about 1.6 kB each: some 16 MB), whatever the searches: the
/// popular queries worth keeping are far fewer, and are asked again before they are evicted.
pub const MAX_KEPT: i64 = 10_000;

/// The embedding `model` gave `query` within [`KEEP_DAYS`], in pgvector's text form.
pub fn find(db: &Db, model: &str, query: &str) -> ApiResult<Option<String>> {
    let set = db.query(
        "SELECT embedding::text AS v FROM catalog.query_embedding \
         WHERE model = $1 AND query = $2 \
           AND created_at > now() AT TIME ZONE 'UTC' - make_interval(days => $3)",
        &[text(model), text(query), KEEP_DAYS.into()],
    )?;
    rows(&set).next().map(|r| r.get("v")).transpose()
}

/// Keeps `query`'s embedding (unless the query is too long to be worth it), and now and then
/// purges stale ones. Best effort: a failure only means the next search embeds the query again,
/// so it is logged, never returned.
pub fn keep(db: &Db, model: &str, query: &str, vector: &str) {
    if query.chars().count() > MAX_KEPT_QUERY {
        return;
    }
    let kept = db.execute(
        "INSERT INTO catalog.query_embedding (model, query, embedding) \
         VALUES ($1, $2, $3::text::vector) \
         ON CONFLICT (model, query) \
         DO UPDATE SET embedding = excluded.embedding, created_at = excluded.created_at",
        &[text(model), text(query), text(vector)],
    );
    if let Err(e) = kept {
        kit::log::warn(format_args!("keeping a query's embedding: {e}"));
        return;
    }
    // Past the cap the oldest go, newest kept first (a batch at most, so one search never
    // deletes much; searches sent at once may each leave one over, which the next evicts).
    let evicted = db.execute(
        "DELETE FROM catalog.query_embedding WHERE (model, query) IN ( \
           SELECT model, query FROM catalog.query_embedding \
           ORDER BY created_at DESC, model DESC, query DESC OFFSET $1 LIMIT $2 \
           FOR UPDATE SKIP LOCKED)",
        &[MAX_KEPT.into(), PURGE_BATCH.into()],
    );
    if let Err(e) = evicted {
        kit::log::warn(format_args!("evicting the oldest query embeddings: {e}"));
    }
    // About one query in kit's purge ratio also purges, chosen by its hash as kit chooses the
    // idempotency keys that purge: spread over searches, purging keeps up without a scheduler.
    if kit::idempotency::purges_on(query) {
        let purged = db.execute(
            "DELETE FROM catalog.query_embedding WHERE (model, query) IN ( \
               SELECT model, query FROM catalog.query_embedding \
               WHERE created_at < now() AT TIME ZONE 'UTC' - make_interval(days => $1) \
               LIMIT $2 FOR UPDATE SKIP LOCKED)",
            &[KEEP_DAYS.into(), PURGE_BATCH.into()],
        );
        if let Err(e) = purged {
            kit::log::warn(format_args!("purging stale query embeddings: {e}"));
        }
    }
}

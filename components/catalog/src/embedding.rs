//! Product embeddings through the `souk:providers/embeddings` import (spin.toml plugs in the
//! provider: Spin's built-in `all-minilm-l6-v2` by default, or an OpenAI-compatible service).
//! A product is (re)embedded off the request path: a change of its text writes an outbox
//! message, and the relay calls `POST /internal/products/:id/embed`. Queries are embedded at
//! search time, once: a query's vector is kept (per model) for [`QUERY_EMBEDDING_DAYS`], so
//! the popular queries that make up most searches skip the model.

use kit::db::{Db, rows, text, uuid};
use kit::outbox::{self, Message};
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use uuid::Uuid;

mod bindings {
    spin_sdk::wit_bindgen::generate!({
        world: "embeddings-consumer",
        path: "../../wit",
        runtime_path: "::spin_sdk::wit_bindgen::rt",
    });
}

use bindings::souk::providers::embeddings as provider;

/// The dimension of `catalog.product.embedding`.
pub const DIMENSIONS: usize = 384;

/// Vectors for `texts`, from the plugged-in provider. Its refusals are 422; its failures 503.
pub fn embed(texts: &[String]) -> ApiResult<Vec<Vec<f32>>> {
    let vectors = provider::embed(texts).map_err(|e| match e {
        provider::Error::InvalidInput(m) => ApiError::unprocessable("embedding_refused", m),
        provider::Error::Unavailable(m) => ApiError::unavailable("embeddings_unavailable", m),
    })?;
    if vectors.len() != texts.len() || vectors.iter().any(|v| v.len() != DIMENSIONS) {
        return Err(ApiError::unavailable(
            "embeddings_unavailable",
            format!("the embeddings provider did not answer {DIMENSIONS}-dimensional vectors"),
        ));
    }
    Ok(vectors)
}

/// How long a search query's embedding is reused before the model is asked again.
pub const QUERY_EMBEDDING_DAYS: i32 = 7;

/// Queries longer than this (in characters) are embedded every time rather than kept.
const MAX_KEPT_QUERY: usize = 200;

/// Stale query embeddings one purge deletes at most.
const PURGE_BATCH: i64 = 500;

/// The embedding of the search query `query` (its normalised words) in pgvector's text form:
/// the kept one if this model embedded the same query within [`QUERY_EMBEDDING_DAYS`], else
/// the provider's, which is then kept.
pub fn query_vector(db: &Db, query: &str) -> ApiResult<String> {
    let model = provider::model();
    let set = db.query(
        "SELECT embedding::text AS v FROM catalog.query_embedding \
         WHERE model = $1 AND query = $2 AND created_at > now() AT TIME ZONE 'UTC' - make_interval(days => $3)",
        &[text(model.as_str()), text(query), QUERY_EMBEDDING_DAYS.into()],
    )?;
    if let Some(r) = rows(&set).next() {
        return r.get("v");
    }
    let vector = literal(&embed(&[query.to_string()])?.remove(0));
    if query.chars().count() <= MAX_KEPT_QUERY {
        keep(db, &model, query, &vector);
    }
    Ok(vector)
}

/// Stores a query's embedding, and now and then purges stale ones. Best effort: a failure
/// only means the next search embeds the query again.
fn keep(db: &Db, model: &str, query: &str, vector: &str) {
    let kept = db.execute(
        "INSERT INTO catalog.query_embedding (model, query, embedding) VALUES ($1, $2, $3::text::vector) \
         ON CONFLICT (model, query) DO UPDATE SET embedding = excluded.embedding, created_at = excluded.created_at",
        &[text(model), text(query), text(vector)],
    );
    if let Err(e) = kept {
        kit::log::warn(format_args!("keeping a query's embedding: {e}"));
    }
    if kit::idempotency::purges_on(query) {
        let purged = db.execute(
            "DELETE FROM catalog.query_embedding WHERE (model, query) IN (SELECT model, query \
             FROM catalog.query_embedding WHERE created_at < now() AT TIME ZONE 'UTC' - make_interval(days => $1) \
             LIMIT $2 FOR UPDATE SKIP LOCKED)",
            &[QUERY_EMBEDDING_DAYS.into(), PURGE_BATCH.into()],
        );
        if let Err(e) = purged {
            kit::log::warn(format_args!("purging stale query embeddings: {e}"));
        }
    }
}

/// pgvector's text form, for `$n::text::vector`.
pub fn literal(v: &[f32]) -> String {
    let parts: Vec<String> = v.iter().map(|x| format!("{x}")).collect();
    format!("[{}]", parts.join(","))
}

/// What a product's embedding is made of: name, category, tags, specifications, description.
pub fn product_text(db: &Db, id: Uuid) -> ApiResult<Option<String>> {
    let set = db.query(
        "SELECT concat_ws('. ', p.name, c.name, replace(array_to_string(p.tags, ', '), '-', ' '), \
           (SELECT string_agg(s->>'name' || ' ' || (s->>'value'), '. ') FROM jsonb_array_elements(p.specifications) s), \
           left(p.description, 2000)) AS text \
         FROM catalog.product p JOIN catalog.category c ON c.id = p.category_id \
         WHERE p.id = $1 AND p.deleted_at IS NULL",
        &[uuid(id)],
    )?;
    kit::db::rows(&set)
        .next()
        .map(|r| r.get("text"))
        .transpose()
}

/// Asks for product `id` to be embedded again (inside the transaction of the change).
pub fn schedule(db: &Db, id: Uuid) -> ApiResult<()> {
    outbox::enqueue(
        db,
        "catalog",
        &Message {
            target: "catalog",
            path: &format!("/internal/products/{id}/embed"),
            body: serde_json::json!({}),
            key: format!("catalog:embed:{id}:{}", kit::ids::new_id()),
        },
    )
}

/// `POST /internal/products/:id/embed` — embeds the product's current text; a product removed
/// meanwhile needs nothing.
pub async fn refresh(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let id = ctx.param_id("id", "product")?;
    let db = ctx.db()?;
    let Some(text_now) = product_text(db, id)? else {
        return json::ok(&serde_json::json!({ "product_id": id, "embedded": false }));
    };
    let vector = embed(std::slice::from_ref(&text_now))?.remove(0);
    db.execute(
        "UPDATE catalog.product SET embedding = $2::text::vector WHERE id = $1",
        &[uuid(id), text(literal(&vector))],
    )?;
    json::ok(&serde_json::json!({ "product_id": id, "embedded": true }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_are_written_in_pgvectors_text_form() {
        assert_eq!(literal(&[0.5, -1.0, 0.25]), "[0.5,-1,0.25]");
    }
}

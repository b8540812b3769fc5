//! `POST /internal/products/:id/embed`: a product's embedding, made off the request path. A
//! change of a product's text writes an outbox message ([`crate::model::outbox::embed_product`])
//! and the relay calls this route, which embeds the product's text as it is by then.

use contracts::catalog::EmbedAnswer;
use kit::{ApiResult, Ctx, Request, Response, json};

use crate::embeddings;
use crate::model::product;

/// `POST /internal/products/:id/embed` `{}` — embeds the product's current text; a product
/// removed meanwhile needs nothing (`embedded: false`). The body carries nothing, so it is not
/// read. The provider's refusal is a 422 (the message goes dead), its failure a 503 (retried).
pub async fn refresh(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let id = ctx.param_id("id", "product")?;
    let db = ctx.db()?;
    let Some(text) = product::embedding_text(db, id)? else {
        return json::ok(&EmbedAnswer {
            product_id: id,
            embedded: false,
        });
    };
    let vector = embeddings::embed_one(&text)?;
    product::set_embedding(db, id, &vector)?;
    json::ok(&EmbedAnswer {
        product_id: id,
        embedded: true,
    })
}

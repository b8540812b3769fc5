//! The embeddings provider, imported through `souk:providers/embeddings` (spin.toml plugs one
//! in: Spin's built-in `all-minilm-l6-v2` by default, or an OpenAI-compatible service). Below
//! the handlers beside the model layer: it holds no state and runs no SQL.

use kit::{ApiError, ApiResult};

mod bindings {
    spin_sdk::wit_bindgen::generate!({
        world: "embeddings-consumer",
        path: "../../wit/embeddings",
        runtime_path: "::spin_sdk::wit_bindgen::rt",
    });
}

use bindings::souk::providers::embeddings as provider;

/// The dimension of `catalog.product.embedding` and `catalog.query_embedding.embedding`.
const DIMENSIONS: usize = 384;

/// The plugged-in model's name: kept embeddings are only reused with the model that made them.
pub fn model() -> String {
    provider::model()
}

/// Vectors for `texts`, from the plugged-in provider. Its refusals are 422; its failures, and
/// answers of the wrong shape, 503.
fn embed(texts: &[String]) -> ApiResult<Vec<Vec<f32>>> {
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

/// The vector of one text, in pgvector's text form.
pub fn embed_one(text: &str) -> ApiResult<String> {
    let mut vectors = embed(&[text.to_string()])?;
    // `embed` answers exactly one vector per text, so there is one to take.
    Ok(literal(&vectors.swap_remove(0)))
}

/// pgvector's text form, for `$n::text::vector`.
fn literal(v: &[f32]) -> String {
    let parts: Vec<String> = v.iter().map(|x| format!("{x}")).collect();
    format!("[{}]", parts.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_are_written_in_pgvectors_text_form() {
        assert_eq!(literal(&[0.5, -1.0, 0.25]), "[0.5,-1,0.25]");
    }
}

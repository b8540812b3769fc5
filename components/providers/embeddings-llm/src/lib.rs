//! The default embeddings provider: `all-minilm-l6-v2` through Spin's built-in LLM interface
//! (`fermyon:spin/llm@2.0.0`), so search works fully offline. The consumer lists
//! `ai_models = ["all-minilm-l6-v2"]` and inherits its configuration to this provider.

#![expect(
    unsafe_code,
    reason = "wit-bindgen's export! generates the unsafe export glue of the component"
)]

spin_sdk::wit_bindgen::generate!({
    world: "embeddings-provider",
    path: "../../../wit/embeddings",
    runtime_path: "::spin_sdk::wit_bindgen::rt",
});

use exports::souk::providers::embeddings::{Error, Guest};
use spin_sdk::llm::{self, EmbeddingModel};

/// The model, by Spin's name.
const MODEL: &str = "all-minilm-l6-v2";

/// The model's dimension.
const DIMENSIONS: u32 = 384;

/// Texts per call at most.
const MAX_TEXTS: usize = 256;

struct Provider;

impl Guest for Provider {
    fn dimensions() -> u32 {
        DIMENSIONS
    }

    fn model() -> String {
        MODEL.to_string()
    }

    fn embed(texts: Vec<String>) -> Result<Vec<Vec<f32>>, Error> {
        if texts.len() > MAX_TEXTS {
            return Err(Error::InvalidInput(format!(
                "at most {MAX_TEXTS} texts per call"
            )));
        }
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        // One text per call: Spin pads every text of a call to the longest and averages over
        // the padding, so a text embedded beside a longer one would get another vector than
        // the same text alone (a product and the query that names it must agree).
        texts.iter().map(|text| embed_one(text)).collect()
    }
}

/// The vector of one text.
fn embed_one(text: &str) -> Result<Vec<f32>, Error> {
    let result = llm::generate_embeddings(EmbeddingModel::AllMiniLmL6V2, &[text.to_string()])
        .map_err(|e| match e {
            llm::Error::InvalidInput(m) => Error::InvalidInput(m),
            other => Error::Unavailable(format!("{MODEL}: {other}")),
        })?;
    match <[Vec<f32>; 1]>::try_from(result.embeddings) {
        Ok([vector]) if vector.len() == DIMENSIONS as usize => Ok(vector),
        _ => Err(Error::Unavailable(format!(
            "the model answered another shape than one vector of {DIMENSIONS}"
        ))),
    }
}

export!(Provider);

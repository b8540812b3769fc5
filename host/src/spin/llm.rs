//! `fermyon:spin/llm@2.0.0`. `generate-embeddings` runs `all-minilm-l6-v2` natively
//! ([`super::embeddings`]); text generation needs model weights the host does not carry, so
//! `infer` answers a clear error; models a component does not list in `ai_models` are refused
//! as Spin refuses them.

use super::bindings::fermyon::spin2_0_0::llm::{
    self, EmbeddingsResult, EmbeddingsUsage, Error, InferencingParams, InferencingResult,
};
use super::embeddings::{MAX_BATCH, MODEL};
use crate::state::HostState;

impl llm::Host for HostState {
    async fn infer(
        &mut self,
        model: String,
        _prompt: String,
        _params: Option<InferencingParams>,
    ) -> wasmtime::Result<Result<InferencingResult, Error>> {
        if !self.component.caps.ai_models.contains(&model) {
            return Ok(Err(Error::ModelNotSupported));
        }
        Ok(Err(Error::RuntimeError(format!(
            "text generation with `{model}` is not available in souk-host"
        ))))
    }

    async fn generate_embeddings(
        &mut self,
        model: String,
        text: Vec<String>,
    ) -> wasmtime::Result<Result<EmbeddingsResult, Error>> {
        if !self.component.caps.ai_models.contains(&model) || model != MODEL {
            return Ok(Err(Error::ModelNotSupported));
        }
        if text.len() > MAX_BATCH {
            return Ok(Err(Error::InvalidInput(format!(
                "at most {MAX_BATCH} texts per call"
            ))));
        }
        let embedder = match self.app.services.embeddings.get().await {
            Ok(e) => e,
            Err(e) => return Ok(Err(Error::RuntimeError(e))),
        };
        let embedded = tokio::task::spawn_blocking(move || embedder.embed(text)).await;
        Ok(match embedded {
            Ok(Ok((embeddings, tokens))) => Ok(EmbeddingsResult {
                embeddings,
                usage: EmbeddingsUsage {
                    prompt_token_count: tokens,
                },
            }),
            Ok(Err(e)) => Err(Error::RuntimeError(format!("embedding failed: {e:#}"))),
            Err(e) => Err(Error::RuntimeError(format!("embedding failed: {e}"))),
        })
    }
}

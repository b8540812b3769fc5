//! `fermyon:spin/llm@2.0.0`. Text generation needs model weights the host does not carry, so
//! `infer` answers a clear error; models a component does not list in `ai_models` are refused
//! as Spin refuses them.

use super::bindings::fermyon::spin2_0_0::llm::{
    self, EmbeddingsResult, Error, InferencingParams, InferencingResult,
};
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
        _text: Vec<String>,
    ) -> wasmtime::Result<Result<EmbeddingsResult, Error>> {
        if !self.component.caps.ai_models.contains(&model) {
            return Ok(Err(Error::ModelNotSupported));
        }
        Ok(Err(Error::RuntimeError(format!(
            "embeddings with `{model}` are not available in souk-host yet"
        ))))
    }
}

//! `all-minilm-l6-v2` sentence embeddings on the CPU, for `fermyon:spin/llm`'s
//! `generate-embeddings`, from the files Spin reads: `.spin/ai-models/all-minilm-l6-v2/`
//! `tokenizer.json` and `model.safetensors` in the application's directory.
//!
//! The computation is Spin's, step for step, so that a vector from the host equals the vector
//! Spin gives (its `spin-llm-local` crate): the tokenizer as `tokenizer.json` configures it
//! (all-minilm-l6-v2's truncates at 128 word pieces) but padded to the longest text of the
//! call; the BERT encoder with Spin's built-in configuration (tanh-approximated GELU) and *no*
//! attention mask; the mean over every position, padding included; then length 1. So, as
//! under Spin, a text's vector depends on the other texts of its call when they are longer:
//! callers that want stable vectors embed one text per call.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer};
use tokio::sync::OnceCell;

/// The one embeddings model the host serves, by Spin's name.
pub const MODEL: &str = "all-minilm-l6-v2";

/// Texts per call at most.
pub const MAX_BATCH: usize = 256;

/// The loaded model.
pub struct Embedder {
    tokenizer: Tokenizer,
    model: BertModel,
}

/// Loads the model once, on first use, from `<app dir>/.spin/ai-models/all-minilm-l6-v2/`.
pub struct Embeddings {
    dir: PathBuf,
    loaded: OnceCell<Result<Arc<Embedder>, String>>,
}

impl Embeddings {
    /// Embeddings read from the application directory `app_dir`.
    pub fn new(app_dir: &Path) -> Embeddings {
        Embeddings {
            dir: app_dir.join(".spin").join("ai-models").join(MODEL),
            loaded: OnceCell::new(),
        }
    }

    /// The model, loading it the first time; a load failure is kept and reported each time.
    pub async fn get(&self) -> Result<Arc<Embedder>, String> {
        self.loaded
            .get_or_init(|| async {
                let dir = self.dir.clone();
                tokio::task::spawn_blocking(move || Embedder::load(&dir))
                    .await
                    .map_err(|e| format!("loading {MODEL}: {e}"))?
                    .map(Arc::new)
                    .map_err(|e| format!("{e:#}"))
            })
            .await
            .clone()
    }
}

impl Embedder {
    /// Reads the tokenizer, the configuration and the weights from `dir`.
    pub fn load(dir: &Path) -> anyhow::Result<Embedder> {
        let file = |name: &str| {
            let path = dir.join(name);
            if path.exists() {
                Ok(path)
            } else {
                Err(anyhow::anyhow!(
                    "{} is missing: the {MODEL} model files (tokenizer.json, model.safetensors, \
                     config.json) belong in {} — scripts/setup puts them there",
                    path.display(),
                    dir.display()
                ))
            }
        };
        let mut tokenizer = Tokenizer::from_file(file("tokenizer.json")?)
            .map_err(|e| anyhow::anyhow!("reading tokenizer.json: {e}"))?;
        // Spin keeps the file's padding settings but pads to the longest text of the call.
        match tokenizer.get_padding_mut() {
            Some(padding) => padding.strategy = PaddingStrategy::BatchLongest,
            None => {
                tokenizer.with_padding(Some(PaddingParams {
                    strategy: PaddingStrategy::BatchLongest,
                    ..Default::default()
                }));
            }
        }
        // Spin ignores any config.json: its configuration is built in.
        let config: Config =
            serde_json::from_str(SPIN_CONFIG).context("the built-in configuration")?;
        let weights = std::fs::read(file("model.safetensors")?)?;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu)
            .context("reading model.safetensors")?;
        let model = BertModel::load(vb, &config).context("loading the BERT weights")?;
        Ok(Embedder { tokenizer, model })
    }

    /// Unit-length embeddings of `texts`, and the number of tokens they took.
    pub fn embed(&self, texts: Vec<String>) -> anyhow::Result<(Vec<Vec<f32>>, u32)> {
        if texts.is_empty() {
            return Ok((Vec::new(), 0));
        }
        let encodings = self
            .tokenizer
            .encode_batch(texts, true)
            .map_err(|e| anyhow::anyhow!("tokenizing: {e}"))?;
        let rows = encodings.len();
        let width = encodings[0].get_ids().len();
        let mut ids: Vec<u32> = Vec::with_capacity(rows * width);
        for e in &encodings {
            ids.extend_from_slice(e.get_ids());
        }
        let ids = Tensor::from_vec(ids, (rows, width), &Device::Cpu)?;
        // As Spin does: no attention mask, and the mean over every position of the padded
        // width, padding included. Spin reports that width as the prompt's token count.
        let hidden = self.model.forward(&ids, &ids.zeros_like()?, None)?;
        let mean = (hidden.sum(1)? / (width as f64))?;
        let norms = mean.sqr()?.sum_keepdim(1)?.sqrt()?;
        let unit = mean.broadcast_div(&norms)?;
        let tokens = u32::try_from(width).context("token count")?;
        Ok((unit.to_vec2::<f32>()?, tokens))
    }
}

/// The BERT configuration Spin builds in for all-minilm-l6-v2 (its `Config::default()`): the
/// model's own, except that its `gelu` is the tanh approximation.
const SPIN_CONFIG: &str = r#"{
  "architectures": ["BertModel"], "attention_probs_dropout_prob": 0.1,
  "hidden_act": "geluapproximate",
  "hidden_dropout_prob": 0.1, "hidden_size": 384, "initializer_range": 0.02,
  "intermediate_size": 1536, "layer_norm_eps": 1e-12, "max_position_embeddings": 512,
  "model_type": "bert", "num_attention_heads": 12, "num_hidden_layers": 6, "pad_token_id": 0,
  "position_embedding_type": "absolute", "type_vocab_size": 2, "use_cache": true,
  "vocab_size": 30522
}"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Embedder {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        Embedder::load(&root.join(".spin").join("ai-models").join(MODEL))
            .expect("the model files are in .spin/ai-models (scripts/setup puts them there)")
    }

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn embeddings_match_spins_reference_values() {
        let m = model();
        let (v, tokens) = m
            .embed(vec![
                "a red bicycle".into(),
                "a blue bike".into(),
                "tax law".into(),
            ])
            .unwrap();
        assert_eq!((v.len(), v[0].len()), (3, 384));
        assert_eq!(
            tokens, 5,
            "Spin counts the padded width: [CLS] a red bicycle [SEP]"
        );
        let first: Vec<f32> = v[0][..3]
            .iter()
            .map(|x| (x * 1000.0).round() / 1000.0)
            .collect();
        assert_eq!(first, [-0.004, 0.060, -0.088]);
        let norm: f32 = v[0].iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "unit length, got {norm}");
        let bike = cosine(&v[0], &v[1]);
        let law = cosine(&v[0], &v[2]);
        assert!(
            (bike - 0.57).abs() < 0.01,
            "red bicycle / blue bike: {bike}"
        );
        assert!((law - 0.07).abs() < 0.01, "red bicycle / tax law: {law}");
    }

    #[test]
    fn a_shorter_companion_leaves_the_longest_text_alone_and_a_longer_one_does_not() {
        // Spin pads every text of a call to the longest and pools over the padding too.
        let m = model();
        let (alone, tokens) = m.embed(vec!["a red bicycle".into()]).unwrap();
        assert_eq!(tokens, 5, "[CLS] a red bicycle [SEP]");
        let (with_shorter, _) = m.embed(vec!["a red bicycle".into(), "tax".into()]).unwrap();
        assert!(cosine(&alone[0], &with_shorter[0]) > 0.9999);
        let (with_longer, tokens) = m
            .embed(vec![
                "a red bicycle".into(),
                "a much longer sentence about taxes".into(),
            ])
            .unwrap();
        assert_eq!(tokens, 8, "the padded width");
        assert!(cosine(&alone[0], &with_longer[0]) < 0.999);
    }

    #[test]
    fn texts_are_truncated_as_the_tokenizer_file_says() {
        let m = model();
        let long = "word ".repeat(600);
        let (v, tokens) = m.embed(vec![long]).unwrap();
        assert_eq!((v.len(), tokens), (1, 128));
    }

    #[test]
    fn a_missing_model_directory_is_explained() {
        let error = Embedder::load(Path::new("/nonexistent/all-minilm-l6-v2"))
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("scripts/setup"), "{error}");
    }
}

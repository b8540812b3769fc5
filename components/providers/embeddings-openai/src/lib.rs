//! An embeddings provider for any OpenAI-compatible `/v1/embeddings` endpoint: it asks for
//! `dimensions: 384` and L2-normalises what comes back. Variables (inherited from the consumer):
//! `embeddings_url` (the base, e.g. `https://api.openai.com`), `embeddings_model` (e.g.
//! `text-embedding-3-small`) and `embeddings_api_key` (sent as a bearer token when set); the
//! consumer's `allowed_outbound_hosts` must include the URL's host.

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
use serde::Deserialize;
use spin_sdk::http::{Method, Request, Response};

/// The dimension Souk stores.
const DIMENSIONS: u32 = 384;

/// Texts per request (the API takes up to 2048).
const MAX_TEXTS: usize = 256;

#[derive(Deserialize)]
struct Reply {
    data: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    index: usize,
    embedding: Vec<f32>,
}

fn var(name: &str) -> Result<String, Error> {
    spin_sdk::variables::get(name)
        .map_err(|e| Error::Unavailable(format!("variable `{name}` is not available: {e}")))
}

/// Scales `v` to length 1 (a zero vector stays as it is).
fn normalised(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

/// The vectors of a 200 answer, in input order, checked and normalised.
fn vectors(body: &[u8], expected: usize) -> Result<Vec<Vec<f32>>, Error> {
    let reply: Reply = serde_json::from_slice(body).map_err(|e| {
        Error::Unavailable(format!(
            "the embeddings service answered unexpected JSON: {e}"
        ))
    })?;
    let mut items = reply.data;
    items.sort_by_key(|i| i.index);
    let in_order = items.iter().enumerate().all(|(n, i)| n == i.index);
    if items.len() != expected || !in_order {
        return Err(Error::Unavailable(format!(
            "the embeddings service answered {} vectors for {expected} texts",
            items.len()
        )));
    }
    items
        .into_iter()
        .map(|i| {
            if i.embedding.len() == DIMENSIONS as usize {
                Ok(normalised(i.embedding))
            } else {
                Err(Error::Unavailable(format!(
                    "the embeddings service answered {} dimensions, not {DIMENSIONS}",
                    i.embedding.len()
                )))
            }
        })
        .collect()
}

/// The message of an OpenAI error body, or the body itself.
fn error_message(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(200).collect())
}

struct Provider;

impl Guest for Provider {
    fn dimensions() -> u32 {
        DIMENSIONS
    }

    fn model() -> String {
        let base = spin_sdk::variables::get("embeddings_url").unwrap_or_default();
        let model = spin_sdk::variables::get("embeddings_model").unwrap_or_default();
        format!("{model} at {}", base.trim_end_matches('/'))
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
        let base = var("embeddings_url")?;
        let model = var("embeddings_model")?;
        let key = spin_sdk::variables::get("embeddings_api_key").unwrap_or_default();
        let body = serde_json::json!({
            "model": model, "input": texts, "dimensions": DIMENSIONS, "encoding_format": "float",
        });
        let mut builder = Request::builder();
        builder
            .method(Method::Post)
            .uri(format!("{}/v1/embeddings", base.trim_end_matches('/')))
            .header("content-type", "application/json");
        if !key.is_empty() {
            builder.header("authorization", format!("Bearer {key}"));
        }
        let request = builder.body(body.to_string()).build();
        let response: Response =
            spin_sdk::http::run(spin_sdk::http::send(request)).map_err(|e| {
                Error::Unavailable(format!("the embeddings service is unreachable: {e}"))
            })?;
        let status = *response.status();
        match status {
            200..=299 => vectors(response.body(), texts.len()),
            408 | 409 | 429 | 500.. => Err(Error::Unavailable(format!(
                "the embeddings service answered {status}: {}",
                error_message(response.body())
            ))),
            _ => Err(Error::InvalidInput(format!(
                "the embeddings service refused the texts ({status}): {}",
                error_message(response.body())
            ))),
        }
    }
}

export!(Provider);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_put_in_input_order_and_normalised() {
        let mut a = vec![0.0_f32; 384];
        a[0] = 3.0;
        a[1] = 4.0;
        let b = vec![1.0_f32; 384];
        let body = serde_json::json!({ "data": [
            { "index": 1, "embedding": b }, { "index": 0, "embedding": a },
        ] });
        let v = vectors(body.to_string().as_bytes(), 2).unwrap();
        assert_eq!((v[0][0], v[0][1]), (0.6, 0.8));
        assert!((v[1].iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn wrong_shapes_and_counts_are_refused() {
        let short = serde_json::json!({ "data": [{ "index": 0, "embedding": [1.0, 2.0] }] });
        assert!(vectors(short.to_string().as_bytes(), 1).is_err());
        let one = serde_json::json!({ "data": [{ "index": 0, "embedding": vec![1.0; 384] }] });
        assert!(vectors(one.to_string().as_bytes(), 2).is_err());
        assert_eq!(
            error_message(br#"{"error":{"message":"bad key","type":"invalid_request_error"}}"#),
            "bad key"
        );
    }
}

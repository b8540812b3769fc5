//! The OpenAI-compatible embeddings provider plugged into catalog in place of the default,
//! against a local server that speaks that API: products and queries are embedded through it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use souk_e2e::{Stack, Variant, eventually};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

/// What the fake OpenAI-compatible server saw.
#[derive(Default)]
struct Seen {
    requests: Vec<(String, Value)>,
}

/// A deterministic embedding: each word adds weight to one of 384 dimensions.
fn bag_of_words(text: &str) -> Vec<f32> {
    let mut v = vec![0.0_f32; 384];
    for word in text
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let h = word
            .bytes()
            .fold(7_u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
        v[(h % 384) as usize] += 1.0;
    }
    v
}

/// Reads one HTTP/1.1 request: its head and its body (by content-length, or chunked).
async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0_u8; 8192];
    let end = loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
    let header = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
    };
    let mut body = buf[end + 4..].to_vec();
    if header("transfer-encoding:").is_some_and(|v| v.contains("chunked")) {
        while !body.windows(5).any(|w| w == b"0\r\n\r\n") {
            let n = socket.read(&mut chunk).await.ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
        let mut decoded = Vec::new();
        let mut rest = &body[..];
        while let Some(line_end) = rest.windows(2).position(|w| w == b"\r\n") {
            let size =
                usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).ok()?.trim(), 16)
                    .ok()?;
            if size == 0 {
                break;
            }
            let start = line_end + 2;
            decoded.extend_from_slice(rest.get(start..start + size)?);
            rest = rest.get(start + size + 2..)?;
        }
        return Some((head, decoded));
    }
    let length: usize = header("content-length:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while body.len() < length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((head, body))
}

/// Serves `POST /v1/embeddings` as OpenAI does (one connection at a time is enough here).
async fn fake_openai(seen: Arc<Mutex<Seen>>) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let seen = seen.clone();
            tokio::spawn(async move {
                let Some((head, body)) = read_request(&mut socket).await else {
                    return;
                };
                let auth = head
                    .lines()
                    .find_map(|l| {
                        l.to_lowercase()
                            .starts_with("authorization:")
                            .then(|| l[14..].trim().to_string())
                    })
                    .unwrap_or_default();
                let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                seen.lock().unwrap().requests.push((auth, request.clone()));
                let inputs: Vec<String> = request["input"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| s.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                let data: Vec<Value> = inputs
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        json!({ "object": "embedding", "index": i, "embedding": bag_of_words(t) })
                    })
                    .collect();
                let reply = json!({
                    "object": "list", "data": data, "model": request["model"],
                    "usage": { "prompt_tokens": 1, "total_tokens": 1 },
                })
                .to_string();
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                     connection: close\r\n\r\n{reply}",
                    reply.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    port
}

#[tokio::test]
async fn the_openai_compatible_provider_embeds_products_and_queries_through_that_api() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let port = fake_openai(seen.clone()).await;
    let own = Stack::private_with(Variant {
        manifest: Box::new(|m| m.replace("embeddings_llm.wasm", "embeddings_openai.wasm")),
        env: vec![
            (
                "SPIN_VARIABLE_EMBEDDINGS_URL".into(),
                format!("http://127.0.0.1:{port}"),
            ),
            (
                "SPIN_VARIABLE_EMBEDDINGS_MODEL".into(),
                "test-embedding-model".into(),
            ),
            (
                "SPIN_VARIABLE_EMBEDDINGS_API_KEY".into(),
                "sk-test-key".into(),
            ),
        ],
    })
    .expect("a stack with the OpenAI-compatible provider starts");
    let (_, token) = own.register("VN").await;
    let token = token.as_str();
    let created = own
        .api()
        .post("/api/v1/catalog/products")
        .bearer(token)
        .json(json!({
            "category_id": "01900000-0000-7000-8000-00000000000a", "name": "Quasar Lantern",
            "description": "A camping light",
        }))
        .send()
        .await;
    created.assert_status(201);
    let id: Uuid = created["id"].as_str().unwrap().parse().unwrap();
    let db = own.db().await;
    let embedded = eventually(Duration::from_secs(20), async || {
        let row = db
            .query_one(
                "SELECT embedding IS NOT NULL FROM catalog.product WHERE id = $1",
                &[&id],
            )
            .await
            .unwrap();
        row.get::<_, bool>(0).then_some(())
    })
    .await;
    assert!(
        embedded.is_some(),
        "embedded through the fake service; log:\n{}",
        own.log()
    );
    {
        let seen = seen.lock().unwrap();
        let (auth, request) = seen.requests.first().expect("the service was called");
        assert_eq!(auth, "bearer sk-test-key", "(headers are read lower-cased)");
        assert_eq!(request["model"], "test-embedding-model");
        assert_eq!(request["dimensions"], 384);
        assert!(
            request["input"][0]
                .as_str()
                .unwrap()
                .starts_with("Quasar Lantern"),
            "{request}"
        );
    }
    let found = own
        .api()
        .get("/api/v1/catalog/products?q=quasar%20lantern")
        .send()
        .await;
    found.assert_status(200);
    assert_eq!(found["items"][0]["id"], id.to_string());
    let queries = seen.lock().unwrap().requests.len();
    assert!(queries >= 2, "the query was embedded by the service too");

    // The query's vector is kept, under the provider's model, so asking again (in other case
    // and spacing: the same words) does not call the service.
    let model: String = db
        .query_one(
            "SELECT model FROM catalog.query_embedding WHERE query = 'quasar lantern'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        model,
        format!("test-embedding-model at http://127.0.0.1:{port}")
    );
    let again = own
        .api()
        .get("/api/v1/catalog/products?q=Quasar%20%20LANTERN")
        .send()
        .await;
    again.assert_status(200);
    assert_eq!(again["items"][0]["id"], id.to_string());
    assert_eq!(seen.lock().unwrap().requests.len(), queries);
}

//! Hybrid search on a seeded catalog of 216 products, embedded by the real all-minilm-l6-v2
//! model in the host through the default provider; and the OpenAI-compatible provider against
//! a local server that speaks that API.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use souk_e2e::{Reply, Stack, Variant, eventually, stack};

use crate::catalog::names;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::OnceCell;
use uuid::Uuid;

const BRANDS: [&str; 9] = [
    "Acme",
    "Borealis",
    "Cobalt",
    "Driftwood",
    "Ember",
    "Fjord",
    "Granite",
    "Halcyon",
    "Ivory",
];

/// (product type, category slug, description words).
const TYPES: [(&str, &str, &str); 24] = [
    (
        "Wireless Earbuds",
        "audio",
        "true wireless in-ear buds with charging case and noise isolation",
    ),
    (
        "Over-Ear Headphones",
        "audio",
        "closed-back headphones with soft ear cushions for studio listening",
    ),
    (
        "Bluetooth Speaker",
        "audio",
        "portable waterproof speaker with deep bass for parties",
    ),
    (
        "Smartphone",
        "phones",
        "android phone with a bright OLED screen and dual cameras",
    ),
    (
        "Phone Case",
        "accessories",
        "shockproof protective cover for your mobile",
    ),
    (
        "USB-C Charger",
        "accessories",
        "fast wall charger for phones and tablets",
    ),
    (
        "Laptop",
        "computers",
        "lightweight notebook computer with long battery life",
    ),
    (
        "Mechanical Keyboard",
        "computers",
        "tactile switches and backlit keys for typing and gaming",
    ),
    (
        "Running Shoes",
        "shoes",
        "lightweight cushioned trainers for jogging and marathons",
    ),
    (
        "Hiking Boots",
        "shoes",
        "waterproof leather boots with grippy soles for trails",
    ),
    (
        "Leather Backpack",
        "bags",
        "roomy rucksack with laptop sleeve for commuting",
    ),
    (
        "Denim Jacket",
        "clothing",
        "classic blue jean jacket with button front",
    ),
    (
        "Cotton T-Shirt",
        "clothing",
        "soft crew neck tee for everyday wear",
    ),
    (
        "Chef Knife",
        "kitchen",
        "forged steel blade for slicing and dicing vegetables",
    ),
    (
        "Nonstick Frying Pan",
        "kitchen",
        "skillet for cooking eggs, pancakes and stir fry",
    ),
    (
        "Espresso Machine",
        "kitchen",
        "coffee maker with milk frother for lattes",
    ),
    (
        "Office Chair",
        "furniture",
        "ergonomic desk chair with lumbar support",
    ),
    (
        "Bookshelf",
        "furniture",
        "wooden shelving unit for books and decor",
    ),
    (
        "Yoga Mat",
        "sports",
        "non-slip exercise mat for pilates and stretching",
    ),
    (
        "Camping Tent",
        "sports",
        "two-person shelter for backpacking and outdoor trips",
    ),
    (
        "Face Moisturizer",
        "beauty",
        "hydrating cream for dry skin with hyaluronic acid",
    ),
    (
        "Eau de Parfum",
        "beauty",
        "floral fragrance with notes of jasmine and vanilla",
    ),
    (
        "Mystery Novel",
        "books",
        "a detective story full of twists, a page-turning thriller",
    ),
    (
        "Vegetarian Cookbook",
        "books",
        "recipes for healthy plant-based meals",
    ),
];

struct Seeded {
    seller: Uuid,
    /// product id → (name, category slug, price)
    products: Vec<(String, String, String, i64)>,
}

static SEEDED: OnceCell<Seeded> = OnceCell::const_new();

async fn category_id(slug: &str) -> String {
    let reply = stack()
        .api()
        .get(&format!("/api/v1/catalog/categories/{slug}"))
        .send()
        .await;
    reply.assert_status(200);
    reply["id"].as_str().unwrap().to_string()
}

/// One seller's 216 products (9 brands × 24 kinds, priced by brand), every one embedded.
async fn seeded() -> &'static Seeded {
    SEEDED
        .get_or_init(|| async {
            let (seller, token) = stack().register("VN").await;
            let mut categories = std::collections::HashMap::new();
            for (_, slug, _) in TYPES {
                if !categories.contains_key(slug) {
                    categories.insert(slug, category_id(slug).await);
                }
            }
            let mut wanted = Vec::new();
            for (b, brand) in BRANDS.iter().enumerate() {
                for (kind, slug, words) in TYPES {
                    let price = 100_000 * (b as i64 + 1);
                    wanted.push((format!("{brand} {kind}"), slug, words, price));
                }
            }
            let mut products = Vec::new();
            for chunk in wanted.chunks(8) {
                let made =
                    futures::future::join_all(chunk.iter().map(|(name, slug, words, price)| {
                        let token = token.clone();
                        let category = categories[slug].clone();
                        async move {
                            let created = stack()
                                .api()
                                .post("/api/v1/catalog/products")
                                .bearer(&token)
                                .json(json!({
                                    "category_id": category, "name": name,
                                    "description": format!("{name}: {words}."),
                                }))
                                .send()
                                .await;
                            created.assert_status(201);
                            let id = created["id"].as_str().unwrap().to_string();
                            stack()
                                .api()
                                .post(&format!("/api/v1/catalog/products/{id}/skus"))
                                .bearer(&token)
                                .json(json!({ "price": price }))
                                .send()
                                .await
                                .assert_status(201);
                            (id, name.clone(), slug.to_string(), *price)
                        }
                    }))
                    .await;
                products.extend(made);
            }
            wait_until_embedded(seller, products.len(), 120).await;
            Seeded { seller, products }
        })
        .await
}

async fn search(query: &str) -> Reply {
    let s = seeded().await;
    let reply = stack()
        .api()
        .get(&format!(
            "/api/v1/catalog/products?seller_id={}&{query}",
            s.seller
        ))
        .send()
        .await;
    reply.assert_status(200);
    reply
}

/// The category slug of each result.
fn categories_of(reply: &Reply) -> Vec<String> {
    let s = SEEDED.get().unwrap();
    names(reply)
        .iter()
        .map(|n| {
            s.products
                .iter()
                .find(|(_, name, _, _)| name == n)
                .map(|(_, _, c, _)| c.clone())
                .unwrap()
        })
        .collect()
}

#[tokio::test]
async fn an_exact_name_comes_first() {
    let found = search("q=Granite%20Espresso%20Machine").await;
    assert_eq!(names(&found)[0], "Granite Espresso Machine");
    assert_eq!(seeded().await.products.len(), 216);
}

#[tokio::test]
async fn a_misspelt_query_still_finds_its_products() {
    let found = search("q=hedphones&limit=9").await;
    let top = names(&found);
    assert!(!top.is_empty());
    assert!(
        top.iter().all(|n| n.ends_with("Over-Ear Headphones")),
        "{top:?}"
    );
}

#[tokio::test]
async fn a_kept_query_vector_is_used_for_a_week_then_made_again() {
    let s = seeded().await;
    let db = stack().db().await;
    let espresso = &s
        .products
        .iter()
        .find(|(_, name, _, _)| name == "Granite Espresso Machine")
        .unwrap()
        .0;
    let espresso: Uuid = espresso.parse().unwrap();
    // Words no product has, kept with the vector of one product: only meaning can find it.
    db.execute(
        "INSERT INTO catalog.query_embedding (model, query, embedding) \
         SELECT 'all-minilm-l6-v2', 'zyzzyva plover', embedding FROM catalog.product WHERE id = $1 \
         ON CONFLICT (model, query) \
         DO UPDATE SET embedding = excluded.embedding, created_at = excluded.created_at",
        &[&espresso],
    )
    .await
    .unwrap();
    let found = search("q=zyzzyva%20plover&limit=3").await;
    assert_eq!(names(&found)[0], "Granite Espresso Machine");

    // Kept over a week ago: made again by the model, and kept afresh.
    db.execute(
        "UPDATE catalog.query_embedding \
         SET created_at = now() AT TIME ZONE 'UTC' - interval '8 days' \
         WHERE query = 'zyzzyva plover'",
        &[],
    )
    .await
    .unwrap();
    search("q=zyzzyva%20plover&limit=3").await;
    let row = db
        .query_one(
            "SELECT q.created_at > now() AT TIME ZONE 'UTC' - interval '1 minute', \
                    q.embedding::text = p.embedding::text \
             FROM catalog.query_embedding q, catalog.product p \
             WHERE q.query = 'zyzzyva plover' AND p.id = $1",
            &[&espresso],
        )
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0), "kept afresh");
    assert!(
        !row.get::<_, bool>(1),
        "the model's vector replaced the planted one"
    );
}

#[tokio::test]
async fn a_query_in_other_words_finds_products_by_meaning() {
    for (query, category) in [
        ("earphones%20for%20music", "audio"),
        ("sneakers%20for%20jogging", "shoes"),
        ("something%20to%20cook%20breakfast%20in", "kitchen"),
        ("a%20whodunit%20book", "books"),
    ] {
        let found = search(&format!("q={query}&limit=5")).await;
        let top = categories_of(&found);
        assert!(top.len() >= 3, "{query}: {:?}", names(&found));
        assert!(
            top[..3].iter().all(|c| c == category),
            "{query}: top three should be {category}: {:?}",
            names(&found)
        );
    }
}

#[tokio::test]
async fn filters_apply_inside_the_search() {
    let found = search("q=wireless%20earbuds&price_max=300000&limit=50").await;
    let got = names(&found);
    assert!(!got.is_empty());
    let s = seeded().await;
    for name in &got {
        let price = s.products.iter().find(|(_, n, _, _)| n == name).unwrap().3;
        assert!(price <= 300_000, "{name} costs {price}");
    }
    assert!(
        got.contains(&"Acme Wireless Earbuds".to_string()),
        "{got:?}"
    );
    assert!(
        got.contains(&"Cobalt Wireless Earbuds".to_string()),
        "{got:?}"
    );

    let shoes = category_id("shoes").await;
    let found = search(&format!("q=waterproof&category={shoes}&limit=50")).await;
    let cats = categories_of(&found);
    assert!(
        !cats.is_empty() && cats.iter().all(|c| c == "shoes"),
        "{:?}",
        names(&found)
    );
    assert_eq!(
        cats.len(),
        9,
        "every brand's hiking boots: {:?}",
        names(&found)
    );
}

#[tokio::test]
async fn search_pages_are_stable_and_complete() {
    let whole = names(&search("q=wireless&limit=100").await);
    assert!(whole.len() >= 9, "{whole:?}");
    let mut paged = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = search(&format!("q=wireless&limit=7&cursor={cursor}")).await;
        paged.extend(names(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    assert_eq!(paged, whole);
    assert_eq!(paged.iter().collect::<HashSet<_>>().len(), paged.len());
}

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

#[tokio::test]
async fn searches_never_grow_the_kept_query_vectors_past_their_cap() {
    /// `catalog::model::query_embedding::MAX_KEPT`.
    const MAX_KEPT: i64 = 10_000;
    let db = stack().db().await;
    // The table full of queries kept two days ago, under a model no search uses.
    db.execute(
        "INSERT INTO catalog.query_embedding (model, query, embedding, created_at) \
         SELECT 'filler-model', 'filler ' || n, array_fill(0.05, ARRAY[384])::vector, \
                now() AT TIME ZONE 'UTC' - interval '2 days' \
         FROM generate_series(1, $1::int8) n",
        &[&MAX_KEPT],
    )
    .await
    .unwrap();
    let count = async |condition: &str| -> i64 {
        db.query_one(
            &format!("SELECT count(*) FROM catalog.query_embedding WHERE {condition}"),
            &[],
        )
        .await
        .unwrap()
        .get(0)
    };
    // Twenty new queries, each kept; other tests' searches may run meanwhile.
    for i in 0..20 {
        let reply = stack()
            .api()
            .get(&format!(
                "/api/v1/catalog/products?q=capped{i}query&limit=1"
            ))
            .send()
            .await;
        reply.assert_status(200);
    }
    assert_eq!(
        count("query LIKE 'capped%query'").await,
        20,
        "each was kept"
    );
    let total = count("true").await;
    assert!(total <= MAX_KEPT + 5, "{total} rows kept");
    let fillers = count("model = 'filler-model'").await;
    assert!(
        fillers <= MAX_KEPT - 20 + 5,
        "the oldest were evicted: {fillers}"
    );
}

/// A Vietnamese shop's products (name, category slug, description), each embedded, and the
/// seller's id.
async fn vietnamese_catalog() -> &'static Uuid {
    static SHOP: OnceCell<Uuid> = OnceCell::const_new();
    SHOP.get_or_init(|| async {
        let (seller, token) = stack().register("VN").await;
        let products = [
            (
                "Nồi cơm điện Sunhouse 1.8L",
                "kitchen",
                "Nồi cơm điện nắp gài, lòng nồi chống dính, nấu cơm ngon.",
            ),
            (
                "Nồi chiên không dầu Lock&Lock",
                "kitchen",
                "Chiên, nướng không cần dầu, dung tích 5 lít.",
            ),
            (
                "Cơm cháy chà bông",
                "kitchen",
                "Đặc sản giòn rụm, hộp 200 gam.",
            ),
            (
                "Điện thoại Samsung Galaxy A15",
                "phones",
                "Màn hình lớn, pin trâu.",
            ),
            (
                "Bàn làm việc gỗ sồi",
                "furniture",
                "Mặt gỗ sồi tự nhiên, chân sắt sơn tĩnh điện.",
            ),
            (
                "Áo thun cotton giá bán sỉ",
                "clothing",
                "Áo thun trơn, lô 10 chiếc.",
            ),
        ];
        for (name, slug, description) in products {
            let category = category_id(slug).await;
            stack()
                .api()
                .post("/api/v1/catalog/products")
                .bearer(&token)
                .json(json!({ "category_id": category, "name": name, "description": description }))
                .send()
                .await
                .assert_status(201);
        }
        wait_until_embedded(seller, products.len(), 60).await;
        seller
    })
    .await
}

/// The names the Vietnamese shop's search for `query` (sent percent-encoded) answers, best
/// first.
async fn vietnamese_search(query: &str) -> Vec<String> {
    let seller = vietnamese_catalog().await;
    let encoded: String = query
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let reply = stack()
        .api()
        .get(&format!(
            "/api/v1/catalog/products?seller_id={seller}&q={encoded}"
        ))
        .send()
        .await;
    reply.assert_status(200);
    names(&reply)
}

#[tokio::test]
async fn vietnamese_typed_without_its_accents_finds_the_product() {
    const RICE_COOKER: &str = "Nồi cơm điện Sunhouse 1.8L";
    for query in ["noi com dien", "NOI COM DIEN", "Noi com đien", "noi com di"] {
        let found = vietnamese_search(query).await;
        assert_eq!(
            found.first().map(String::as_str),
            Some(RICE_COOKER),
            "{query}: {found:?}"
        );
    }
    // Full text finds it, not only meaning (whose tokeniser drops accents too).
    let seller = vietnamese_catalog().await;
    let by_text: Vec<String> = stack()
        .db()
        .await
        .query(
            "SELECT name FROM catalog.product \
             WHERE seller_id = $1 AND search @@ to_tsquery('english', 'noi & com & dien')",
            &[seller],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(by_text, [RICE_COOKER]);
    let found = vietnamese_search("nồi cơm điện").await;
    assert_eq!(found[0], RICE_COOKER, "{found:?}");
    let found = vietnamese_search("dien thoai").await;
    assert_eq!(found[0], "Điện thoại Samsung Galaxy A15", "{found:?}");
    // One word found in several products, with or without its accents.
    for query in ["noi", "nồi"] {
        let found = vietnamese_search(query).await;
        assert!(
            found.contains(&RICE_COOKER.to_string())
                && found.contains(&"Nồi chiên không dầu Lock&Lock".to_string()),
            "{query}: {found:?}"
        );
    }
}

#[tokio::test]
async fn an_accented_query_ranks_the_word_with_its_own_accents_first() {
    // `bàn` (a table) and `bán` (to sell) fold to the same `ban`; each finds both products,
    // and its own first.
    const TABLE: &str = "Bàn làm việc gỗ sồi";
    const SOLD: &str = "Áo thun cotton giá bán sỉ";
    for (query, first, second) in [("bàn", TABLE, SOLD), ("bán", SOLD, TABLE)] {
        let found = vietnamese_search(query).await;
        assert_eq!(
            found.first().map(String::as_str),
            Some(first),
            "{query}: {found:?}"
        );
        assert!(found.contains(&second.to_string()), "{query}: {found:?}");
    }
    let found = vietnamese_search("ban").await;
    assert!(
        found.contains(&TABLE.to_string()) && found.contains(&SOLD.to_string()),
        "{found:?}"
    );
}

#[tokio::test]
async fn the_database_folds_text_as_kit_does() {
    // Every character kit's fold changes, in both cases, and a decomposed accent.
    let text: String = (0x80..=0x10ffff_u32)
        .filter_map(char::from_u32)
        .filter(|c| kit::validate::fold_to_ascii(&c.to_string()) != c.to_string())
        .chain("Nồi cơm ĐIỆN, Cafe\u{301} 手机".chars())
        .collect();
    let db = stack().db().await;
    let folded: String = db
        .query_one("SELECT catalog.fold($1)", &[&text])
        .await
        .unwrap()
        .get(0);
    assert_eq!(folded, kit::validate::fold_to_ascii(&text));
    assert!(folded.ends_with("Noi com DIEN, Cafe 手机"), "{folded}");
}

/// Waits (up to `secs`) until all `count` products of `seller` have their embedding, which the
/// outbox computes after each create.
async fn wait_until_embedded(seller: Uuid, count: usize, secs: u64) {
    let db = stack().db().await;
    let embedded = eventually(Duration::from_secs(secs), async || {
        let n: i64 = db
            .query_one(
                "SELECT count(*) FROM catalog.product \
                 WHERE seller_id = $1 AND embedding IS NOT NULL",
                &[&seller],
            )
            .await
            .unwrap()
            .get(0);
        (n == count as i64).then_some(n)
    })
    .await;
    assert!(
        embedded.is_some(),
        "every product is embedded; log:\n{}",
        stack().log()
    );
}

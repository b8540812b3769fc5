//! Hybrid search on a seeded catalog of 216 products, embedded by the real all-minilm-l6-v2
//! model in the host through the default provider. The OpenAI-compatible provider is in
//! `embeddings.rs`.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::json;
use souk_e2e::{Reply, eventually, stack};

use crate::catalog::names;
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

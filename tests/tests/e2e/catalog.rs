//! The catalog through the real stack: products and SKUs with their owners' rules, categories,
//! slugs and what the edge refuses. Listing, search and the stock summaries cards read are in
//! `listing.rs`, reviews in `reviews.rs`, prices after promotions in `prices.rs`.

use serde_json::{Value, json};
use souk_e2e::{Reply, stack};
use uuid::Uuid;

pub(crate) const PHONES: &str = "01900000-0000-7000-8000-000000000002";
pub(crate) const ELECTRONICS: &str = "01900000-0000-7000-8000-000000000001";
pub(crate) const AUDIO: &str = "01900000-0000-7000-8000-000000000004";
pub(crate) const BOOKS: &str = "01900000-0000-7000-8000-00000000000d";

/// A registered account in `country`: (id, access token).
pub(crate) async fn account(country: &str) -> (Uuid, String) {
    stack().register(country).await
}

pub(crate) async fn create(token: &str, body: Value) -> Reply {
    stack()
        .api()
        .post("/api/v1/catalog/products")
        .bearer(token)
        .json(body)
        .send()
        .await
}

pub(crate) async fn product(token: &str, name: &str, category: &str, tags: &[&str]) -> Value {
    let reply = create(
        token,
        json!({
            "category_id": category, "name": name, "description": format!("{name}, described."),
            "tags": tags,
        }),
    )
    .await;
    reply.assert_status(201);
    reply.json().clone()
}

pub(crate) async fn add_sku(token: &str, product: &str, price: i64) -> Value {
    let reply = stack()
        .api()
        .post(&format!("/api/v1/catalog/products/{product}/skus"))
        .bearer(token)
        .json(json!({ "price": price, "attributes": [{ "name": "Colour", "value": "Black" }] }))
        .send()
        .await;
    reply.assert_status(201);
    reply.json().clone()
}

/// Restocks `sku` with `quantity` units (its seller's `token`).
pub(crate) async fn import(token: &str, sku: &str, quantity: i64) {
    stack()
        .api()
        .post(&format!("/api/v1/inventory/stock/{sku}/import"))
        .bearer(token)
        .json(json!({ "quantity": quantity }))
        .send()
        .await
        .assert_status(200);
}

pub(crate) async fn list(query: &str, token: Option<&str>) -> Reply {
    let mut call = stack()
        .api()
        .get(&format!("/api/v1/catalog/products?{query}"));
    if let Some(t) = token {
        call = call.bearer(t);
    }
    let reply = call.send().await;
    reply.assert_status(200);
    reply
}

pub(crate) fn names(reply: &Reply) -> Vec<String> {
    reply["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_seller_creates_a_product_in_their_currency_and_prices_it_with_skus() {
    let (seller, token) = account("VN").await;
    let created = create(
        &token,
        json!({
            "category_id": PHONES, "name": "Aurora X2 Phone", "description": "A bright phone.",
            "tags": ["Android", "5G"],
            "specifications": [{ "name": "Screen", "value": "6.1 inch" }],
            "images": ["https://img.example/aurora.png"]
        }),
    )
    .await;
    created.assert_status(201);
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["currency"], "VND");
    assert_eq!(created["seller_id"], seller.to_string());
    assert_eq!(created["tags"], json!(["android", "5g"]));
    let slug = created["slug"].as_str().unwrap().to_string();
    assert!(slug.starts_with("aurora-x2-phone-"), "{slug}");

    let by_slug = stack()
        .api()
        .get(&format!("/api/v1/catalog/products/{slug}"))
        .send()
        .await;
    by_slug.assert_status(200);
    assert_eq!(by_slug["id"], id.as_str());
    assert_eq!(by_slug["price"], Value::Null, "no SKU, no price");
    assert_eq!(by_slug["category"]["slug"], "phones");

    let dear = add_sku(&token, &id, 9_000_000).await;
    let cheap = add_sku(&token, &id, 5_000_000).await;
    // Each SKU has its stock in inventory, owned by the seller.
    let stock = stack()
        .api()
        .get(&format!(
            "/api/v1/inventory/stock/{}",
            cheap["id"].as_str().unwrap()
        ))
        .send()
        .await;
    stock.assert_status(200);
    assert_eq!(stock["seller_id"], seller.to_string());

    let detail = stack()
        .api()
        .get(&format!("/api/v1/catalog/products/{id}"))
        .send()
        .await;
    assert_eq!(
        detail["price"], 5_000_000,
        "the cheapest before one is featured"
    );
    assert_eq!(
        detail["price_range"],
        json!({ "min": 5_000_000, "max": 9_000_000 })
    );
    assert_eq!(detail["skus"].as_array().unwrap().len(), 2);
    assert_eq!(
        (&detail["available"], &detail["in_stock"]),
        (&json!(0), &json!(false))
    );

    import(&token, dear["id"].as_str().unwrap(), 7).await;
    let featured = stack()
        .api()
        .patch(&format!("/api/v1/catalog/products/{id}"))
        .bearer(&token)
        .json(json!({ "featured_sku_id": dear["id"] }))
        .send()
        .await;
    featured.assert_status(200);
    let detail = stack()
        .api()
        .get(&format!("/api/v1/catalog/products/{id}"))
        .send()
        .await;
    assert_eq!(detail["price"], 9_000_000, "the featured SKU's price");
    assert_eq!(detail["original_price"], 9_000_000);
    assert_eq!(
        (&detail["available"], &detail["in_stock"]),
        (&json!(7), &json!(true))
    );
    let dear_sku = detail["skus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == dear["id"])
        .unwrap();
    assert_eq!(dear_sku["available"], 7);

    // Removing the featured SKU shows the cheapest again.
    stack()
        .api()
        .delete(&format!(
            "/api/v1/catalog/products/{id}/skus/{}",
            dear["id"].as_str().unwrap()
        ))
        .bearer(&token)
        .send()
        .await
        .assert_status(204);
    let detail = stack()
        .api()
        .get(&format!("/api/v1/catalog/products/{id}"))
        .send()
        .await;
    assert_eq!(
        (&detail["price"], &detail["featured_sku_id"]),
        (&json!(5_000_000), &Value::Null)
    );
}

#[tokio::test]
async fn bad_input_and_other_sellers_get_clear_client_errors() {
    let (_, token) = account("VN").await;
    let (_, other) = account("VN").await;
    let api = stack().api();
    api.post("/api/v1/catalog/products")
        .json(json!({ "category_id": PHONES, "name": "x" }))
        .send()
        .await
        .assert_error(401, "unauthorized");
    for (body, status, code) in [
        (
            json!({ "category_id": Uuid::new_v4(), "name": "x" }),
            422,
            "category_not_found",
        ),
        (
            json!({ "category_id": PHONES, "name": "x", "currency": "USD" }),
            422,
            "currency_mismatch",
        ),
        (
            json!({ "category_id": PHONES, "name": "" }),
            422,
            "validation",
        ),
        (
            json!({ "category_id": PHONES, "name": "n".repeat(201) }),
            422,
            "validation",
        ),
        (
            json!({ "category_id": PHONES, "name": "x", "description": "d".repeat(20_001) }),
            422,
            "validation",
        ),
        (
            json!({
                "category_id": PHONES, "name": "x",
                "tags": (0..21).map(|i| format!("t{i}")).collect::<Vec<_>>(),
            }),
            422,
            "validation",
        ),
        (
            json!({ "category_id": PHONES, "name": "x", "images": ["javascript:alert(1)"] }),
            422,
            "validation",
        ),
        (
            json!({ "category_id": "not-a-uuid", "name": "x" }),
            422,
            "validation",
        ),
        (
            json!({ "category_id": PHONES, "name": "x", "price": 5 }),
            422,
            "validation",
        ),
    ] {
        create(&token, body.clone())
            .await
            .assert_error(status, code);
    }
    let p = product(&token, "Guarded Phone", PHONES, &[]).await;
    let id = p["id"].as_str().unwrap();
    for price in [0_i64, -1, 1_000_000_000_001] {
        api.post(&format!("/api/v1/catalog/products/{id}/skus"))
            .bearer(&token)
            .json(json!({ "price": price }))
            .send()
            .await
            .assert_error(422, "validation");
    }
    api.post(&format!("/api/v1/catalog/products/{id}/skus"))
        .bearer(&other)
        .json(json!({ "price": 100 }))
        .send()
        .await
        .assert_error(403, "forbidden");
    api.patch(&format!("/api/v1/catalog/products/{id}"))
        .bearer(&other)
        .json(json!({ "name": "Stolen" }))
        .send()
        .await
        .assert_error(403, "forbidden");
    api.delete(&format!("/api/v1/catalog/products/{id}"))
        .bearer(&other)
        .send()
        .await
        .assert_error(403, "forbidden");
    let foreign = product(&other, "Other Phone", PHONES, &[]).await;
    let foreign_sku = add_sku(&other, foreign["id"].as_str().unwrap(), 100).await;
    api.patch(&format!("/api/v1/catalog/products/{id}"))
        .bearer(&token)
        .json(json!({ "featured_sku_id": foreign_sku["id"] }))
        .send()
        .await
        .assert_error(422, "sku_not_in_product");
    api.get(&format!("/api/v1/catalog/products/{}", Uuid::new_v4()))
        .send()
        .await
        .assert_error(404, "product_not_found");
    api.get("/api/v1/catalog/products/no-such-slug")
        .send()
        .await
        .assert_error(404, "product_not_found");
    for query in [
        "limit=0",
        "cursor=garbage",
        "sort=cheapest",
        "sort=relevance",
        "price_min=-1",
        "price_min=9&price_max=1",
        "seller_id=nope",
        "tag=%21%21",
    ] {
        api.get(&format!("/api/v1/catalog/products?{query}"))
            .send()
            .await
            .assert_status(if query.starts_with("tag") { 422 } else { 400 });
    }
    // Nothing half-written: the refused product changes left it as it was.
    let unchanged = api
        .get(&format!("/api/v1/catalog/products/{id}"))
        .send()
        .await;
    assert_eq!(unchanged["name"], "Guarded Phone");
    assert_eq!(unchanged["skus"], json!([]));
}

#[tokio::test]
async fn disabled_and_deleted_products_leave_public_lists_and_the_owner_still_sees_disabled_ones() {
    let (seller, token) = account("VN").await;
    let shown = product(&token, "Shown Lamp", BOOKS, &[]).await;
    let hidden = product(&token, "Hidden Lamp", BOOKS, &[]).await;
    let gone = product(&token, "Gone Lamp", BOOKS, &[]).await;
    let api = stack().api();
    api.patch(&format!(
        "/api/v1/catalog/products/{}",
        hidden["id"].as_str().unwrap()
    ))
    .bearer(&token)
    .json(json!({ "enabled": false }))
    .send()
    .await
    .assert_status(200);
    api.delete(&format!(
        "/api/v1/catalog/products/{}",
        gone["id"].as_str().unwrap()
    ))
    .bearer(&token)
    .send()
    .await
    .assert_status(204);
    let public = list(&format!("seller_id={seller}"), None).await;
    assert_eq!(names(&public), ["Shown Lamp"]);
    let mine = list(&format!("seller_id={seller}"), Some(&token)).await;
    assert_eq!(names(&mine), ["Hidden Lamp", "Shown Lamp"]);
    api.get(&format!(
        "/api/v1/catalog/products/{}",
        hidden["id"].as_str().unwrap()
    ))
    .send()
    .await
    .assert_error(404, "product_not_found");
    api.get(&format!(
        "/api/v1/catalog/products/{}",
        hidden["id"].as_str().unwrap()
    ))
    .bearer(&token)
    .send()
    .await
    .assert_status(200);
    api.get(&format!(
        "/api/v1/catalog/products/{}",
        gone["id"].as_str().unwrap()
    ))
    .bearer(&token)
    .send()
    .await
    .assert_error(404, "product_not_found");
    assert_eq!(shown["enabled"], true);
}

#[tokio::test]
async fn repeated_creates_with_one_key_make_one_product_and_one_sku() {
    let (seller, token) = account("VN").await;
    let key = Uuid::new_v4().to_string();
    let body = json!({ "category_id": PHONES, "name": "Once Phone" });
    let first = stack()
        .api()
        .post("/api/v1/catalog/products")
        .bearer(&token)
        .header("idempotency-key", &key)
        .json(body.clone())
        .send()
        .await;
    first.assert_status(201);
    let again = stack()
        .api()
        .post("/api/v1/catalog/products")
        .bearer(&token)
        .header("idempotency-key", &key)
        .json(body)
        .send()
        .await;
    again.assert_status(201);
    assert_eq!(again["id"], first["id"]);
    let id = first["id"].as_str().unwrap();
    let sku_key = Uuid::new_v4().to_string();
    let mut skus = Vec::new();
    for _ in 0..2 {
        let reply = stack()
            .api()
            .post(&format!("/api/v1/catalog/products/{id}/skus"))
            .bearer(&token)
            .header("idempotency-key", &sku_key)
            .json(json!({ "price": 700 }))
            .send()
            .await;
        reply.assert_status(201);
        skus.push(reply["id"].clone());
    }
    assert_eq!(skus[0], skus[1]);
    let listed = list(&format!("seller_id={seller}"), None).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let detail = stack()
        .api()
        .get(&format!("/api/v1/catalog/products/{id}"))
        .send()
        .await;
    assert_eq!(detail["skus"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn categories_form_a_tree_with_previews_and_operators_add_to_it() {
    let (_, token) = account("VN").await;
    let p = product(&token, "Preview Phone", PHONES, &["preview-tag"]).await;
    let api = stack().api();
    let all = api.get("/api/v1/catalog/categories").send().await;
    all.assert_status(200);
    let electronics = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "electronics")
        .unwrap()
        .clone();
    assert!(
        electronics["preview"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == p["id"]),
        "a parent previews its subcategories' newest products"
    );
    let phones = api.get("/api/v1/catalog/categories/phones").send().await;
    phones.assert_status(200);
    let path: Vec<&str> = phones["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["slug"].as_str().unwrap())
        .collect();
    assert_eq!(path, ["electronics", "phones"]);
    api.get("/api/v1/catalog/categories/nowhere")
        .send()
        .await
        .assert_error(404, "category_not_found");

    let slug = format!("cameras-{}", &Uuid::new_v4().simple().to_string()[..6]);
    let body = json!({ "slug": slug, "name": "Cameras", "parent_id": ELECTRONICS });
    api.post("/api/v1/catalog/categories")
        .bearer(&token)
        .json(body.clone())
        .send()
        .await
        .assert_error(401, "unauthorized");
    let admin = &stack().admin_token;
    api.post("/api/v1/catalog/categories")
        .bearer(admin)
        .json(body.clone())
        .send()
        .await
        .assert_status(201);
    api.post("/api/v1/catalog/categories")
        .bearer(admin)
        .json(body)
        .send()
        .await
        .assert_error(409, "category_slug_taken");
    api.post("/api/v1/catalog/categories")
        .bearer(admin)
        .json(json!({ "slug": "Not A Slug", "name": "x" }))
        .send()
        .await
        .assert_error(422, "validation");

    let tags = api.get("/api/v1/catalog/tags?q=preview").send().await;
    tags.assert_status(200);
    assert!(
        tags["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["slug"] == "preview-tag")
    );
}

#[tokio::test]
async fn vietnamese_names_get_unaccented_slugs_and_tags_keep_their_diacritics() {
    let (seller, token) = account("VN").await;
    let created = create(
        &token,
        json!({
            "category_id": PHONES, "name": "Điện thoại Đỏ Ưu việt",
            "tags": ["Bàn gỗ", "Bán gỗ", "Ban go", "BÀN GỖ"],
        }),
    )
    .await;
    created.assert_status(201);
    let slug = created["slug"].as_str().unwrap();
    assert!(slug.starts_with("dien-thoai-do-uu-viet-"), "{slug}");
    assert_eq!(
        created["tags"],
        json!(["bàn-gỗ", "bán-gỗ", "ban-go"]),
        "words that differ only in diacritics stay apart; case does not"
    );
    let tags = stack()
        .api()
        .get("/api/v1/catalog/tags?q=B%C3%A0n")
        .send()
        .await;
    tags.assert_status(200);
    assert_eq!(
        tags["items"],
        json!([{ "slug": "bàn-gỗ", "name": "Bàn gỗ" }]),
        "the text first written is kept, and `Bàn` finds neither `bán` nor `ban`"
    );
    let s = format!("seller_id={seller}");
    let tagged = list(&format!("{s}&tag=b%C3%A1n-g%E1%BB%97"), None).await;
    assert_eq!(names(&tagged), ["Điện thoại Đỏ Ưu việt"]);
    let plain = product(&token, "Plain Go Board", PHONES, &["ban go"]).await;
    assert_eq!(plain["tags"], json!(["ban-go"]));
    assert_eq!(
        names(&list(&format!("{s}&tag=b%C3%A0n-g%E1%BB%97"), None).await),
        ["Điện thoại Đỏ Ưu việt"],
        "`bàn-gỗ` does not find the product tagged `ban-go`"
    );
}

#[tokio::test]
async fn control_characters_are_refused_or_normalised_at_the_edge() {
    let (_, token) = account("VN").await;
    for bad in [
        json!({ "category_id": BOOKS, "name": "Two\nlines" }),
        json!({ "category_id": BOOKS, "name": "Bell\u{7}" }),
        json!({ "category_id": BOOKS, "name": "Null", "description": "a\u{0}b" }),
        json!({ "category_id": BOOKS, "name": "Escape", "description": "\u{1b}[31mred" }),
        json!({ "category_id": BOOKS, "name": "Flip \u{202e}txt.exe" }),
        json!({ "category_id": BOOKS, "name": "Tag", "tags": ["a\tb"] }),
        json!({ "category_id": BOOKS, "name": "Image", "images": ["https://i.example/a\n.png"] }),
        json!({ "category_id": BOOKS, "name": "Spec",
                "specifications": [{ "name": "Si\rze", "value": "L" }] }),
    ] {
        create(&token, bad.clone())
            .await
            .assert_error(422, "validation");
    }
    let created = create(
        &token,
        json!({
            "category_id": BOOKS, "name": "Windows Lines",
            "description": "First line\r\nsecond line\rthird\u{2028}fourth\tTabbed",
        }),
    )
    .await;
    created.assert_status(201);
    assert_eq!(
        created["description"],
        "First line\nsecond line\nthird\nfourth\tTabbed"
    );
}

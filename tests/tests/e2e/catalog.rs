//! The catalog through the real stack: products and SKUs with their owners' rules, stock in
//! inventory, cards enriched with availability and favourites, listing with filters, sorts and
//! keyset pages, and full-text search with spelling correction. Reviews are in `reviews.rs`.

use serde_json::{Value, json};
use souk_e2e::{Reply, stack};
use uuid::Uuid;

const PHONES: &str = "01900000-0000-7000-8000-000000000002";
const ELECTRONICS: &str = "01900000-0000-7000-8000-000000000001";
const AUDIO: &str = "01900000-0000-7000-8000-000000000004";
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
async fn listing_filters_by_category_tree_tags_and_price_and_pages_stably() {
    let (seller, token) = account("VN").await;
    let mut expected = Vec::new();
    for (i, (name, category, tags, price)) in [
        ("Nimbus Phone", PHONES, vec!["android", "5g"], 300),
        ("Cirrus Phone", PHONES, vec!["android"], 100),
        ("Stratus Earbuds", AUDIO, vec!["wireless", "5g"], 200),
        ("Cumulus Novel", BOOKS, vec!["fiction"], 50),
        ("Alto Speaker", AUDIO, vec!["wireless"], 400),
    ]
    .into_iter()
    .enumerate()
    {
        let p = product(&token, name, category, &tags).await;
        add_sku(&token, p["id"].as_str().unwrap(), price).await;
        expected.push((i, name));
    }
    let s = format!("seller_id={seller}");
    // Newest first by default.
    assert_eq!(
        names(&list(&s, None).await),
        [
            "Alto Speaker",
            "Cumulus Novel",
            "Stratus Earbuds",
            "Cirrus Phone",
            "Nimbus Phone"
        ]
    );
    // A parent category includes its subcategories.
    assert_eq!(
        names(&list(&format!("{s}&category={ELECTRONICS}&sort=price_asc"), None).await),
        [
            "Cirrus Phone",
            "Stratus Earbuds",
            "Nimbus Phone",
            "Alto Speaker"
        ]
    );
    assert_eq!(
        names(&list(&format!("{s}&tag=5g&tag=android"), None).await),
        ["Nimbus Phone"]
    );
    assert_eq!(
        names(
            &list(
                &format!("{s}&price_min=100&price_max=300&sort=price_desc"),
                None
            )
            .await
        ),
        ["Nimbus Phone", "Stratus Earbuds", "Cirrus Phone"]
    );
    // Pages of two, by price: every product once, in order, across pages.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = list(&format!("{s}&sort=price_asc&limit=2&cursor={cursor}"), None).await;
        seen.extend(names(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            "Cumulus Novel",
            "Cirrus Phone",
            "Stratus Earbuds",
            "Nimbus Phone",
            "Alto Speaker"
        ]
    );
    assert_eq!(expected.len(), 5);
}

#[tokio::test]
async fn search_ranks_names_first_forgives_typos_and_keeps_every_filter() {
    let (seller, token) = account("VN").await;
    let names_in = |r: &Reply| names(r);
    let over_ear = product(&token, "Zephyr Headphones", AUDIO, &["wireless"]).await;
    add_sku(&token, over_ear["id"].as_str().unwrap(), 500).await;
    let p = create(
        &token,
        json!({
            "category_id": AUDIO, "name": "Zephyr Cable",
            "description": "Spare cable for headphones", "tags": ["cable"],
        }),
    )
    .await;
    p.assert_status(201);
    let phone = product(&token, "Zephyr Phone", PHONES, &["android"]).await;
    add_sku(&token, phone["id"].as_str().unwrap(), 900).await;
    let s = format!("seller_id={seller}");

    // The name weighs more than the description.
    let found = list(&format!("{s}&q=headphones"), None).await;
    assert_eq!(names_in(&found), ["Zephyr Headphones", "Zephyr Cable"]);
    // Stemming, a prefix while typing, and a misspelt word.
    assert_eq!(
        names_in(&list(&format!("{s}&q=headphone"), None).await)[0],
        "Zephyr Headphones"
    );
    assert_eq!(
        names_in(&list(&format!("{s}&q=zephyr%20headph"), None).await)[0],
        "Zephyr Headphones"
    );
    assert_eq!(
        names_in(&list(&format!("{s}&q=headphnes"), None).await)[0],
        "Zephyr Headphones"
    );
    // Filters apply inside the search.
    assert_eq!(
        names_in(&list(&format!("{s}&q=zephyr&category={PHONES}"), None).await),
        ["Zephyr Phone"]
    );
    assert_eq!(
        names_in(&list(&format!("{s}&q=zephyr&price_min=600"), None).await),
        ["Zephyr Phone"]
    );
    assert!(names_in(&list(&format!("{s}&q=refrigerator"), None).await).is_empty());
    // Search pages hold together too.
    let first = list(&format!("{s}&q=zephyr&limit=2"), None).await;
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let second = list(&format!("{s}&q=zephyr&limit=2&cursor={cursor}"), None).await;
    let mut all = names_in(&first);
    all.extend(names_in(&second));
    all.sort();
    assert_eq!(all, ["Zephyr Cable", "Zephyr Headphones", "Zephyr Phone"]);
}

#[tokio::test]
async fn cards_carry_availability_and_the_viewers_favourites() {
    let (seller, token) = account("VN").await;
    let (_, buyer) = account("VN").await;
    let p = product(&token, "Favourite Kettle", BOOKS, &[]).await;
    let id = p["id"].as_str().unwrap();
    let sku = add_sku(&token, id, 1200).await;
    import(&token, sku["id"].as_str().unwrap(), 3).await;
    stack()
        .api()
        .post(&format!("/api/v1/account/favorites/{id}"))
        .bearer(&buyer)
        .send()
        .await
        .assert_status(201);
    let s = format!("seller_id={seller}");
    let anonymous = list(&s, None).await;
    let card = &anonymous["items"][0];
    assert_eq!(
        (
            &card["price"],
            &card["available"],
            &card["in_stock"],
            &card["is_favorite"]
        ),
        (&json!(1200), &json!(3), &json!(true), &json!(false))
    );
    assert_eq!(
        list(&s, Some(&buyer)).await["items"][0]["is_favorite"],
        true
    );
    let detail = stack()
        .api()
        .get(&format!("/api/v1/catalog/products/{id}"))
        .bearer(&buyer)
        .send()
        .await;
    assert_eq!(detail["is_favorite"], true);
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
async fn availability_filters_and_popularity_sorts_follow_inventory() {
    let (seller_id, token) = account("VN").await;
    let stocked = product(&token, "Stocked Mug", BOOKS, &[]).await;
    let stocked_sku = add_sku(&token, stocked["id"].as_str().unwrap(), 300).await;
    let empty = product(&token, "Empty Mug", BOOKS, &[]).await;
    add_sku(&token, empty["id"].as_str().unwrap(), 300).await;
    let sku = stocked_sku["id"].as_str().unwrap();
    import(&token, sku, 5).await;
    let internal = stack().internal("inventory");
    let reservation = internal
        .post("/internal/reservations")
        .header("idempotency-key", &Uuid::new_v4().to_string())
        .json(json!({ "reference": "test", "lines": [{ "sku_id": sku, "quantity": 2 }] }))
        .send()
        .await;
    reservation.assert_status(201);
    internal
        .post(&format!(
            "/internal/reservations/{}/commit",
            reservation["reservation_id"].as_str().unwrap()
        ))
        .header("idempotency-key", &Uuid::new_v4().to_string())
        .send()
        .await
        .assert_status(200);
    let s = format!("seller_id={seller_id}");
    // Inventory announces levels through its outbox: they reach catalog shortly after, each
    // change in its own message (the sale's may come after the restock's).
    let arrived = souk_e2e::eventually(std::time::Duration::from_secs(15), async || {
        let popular = list(&format!("{s}&sort=popular"), None).await;
        (names(&popular) == ["Stocked Mug", "Empty Mug"]).then_some(())
    })
    .await;
    assert!(
        arrived.is_some(),
        "levels reach catalog; log:\n{}",
        stack().log()
    );
    assert_eq!(
        names(&list(&format!("{s}&in_stock=true"), None).await),
        ["Stocked Mug"]
    );
    assert_eq!(
        names(&list(&format!("{s}&in_stock=false"), None).await),
        ["Empty Mug"]
    );
    let card = &list(&format!("{s}&sort=popular"), None).await["items"][0];
    assert_eq!((&card["available"], &card["sold"]), (&json!(3), &json!(2)));
    stack()
        .api()
        .get(&format!("/api/v1/catalog/products?{s}&in_stock=maybe"))
        .send()
        .await
        .assert_error(400, "invalid_in_stock");
}

#[tokio::test]
async fn the_price_filter_finds_products_with_a_sku_priced_inside_the_range() {
    let (seller, token) = account("VN").await;
    let p = product(&token, "Split Price Lamp", BOOKS, &[]).await;
    let id = p["id"].as_str().unwrap();
    add_sku(&token, id, 100).await;
    add_sku(&token, id, 900).await;
    let s = format!("seller_id={seller}");
    let between = list(&format!("{s}&price_min=400&price_max=600"), None).await;
    assert!(
        names(&between).is_empty(),
        "no SKU costs 400-600, though 100-900 overlaps it"
    );
    let low = list(&format!("{s}&price_min=50&price_max=150"), None).await;
    assert_eq!(names(&low), ["Split Price Lamp"]);
    let high = list(&format!("{s}&price_min=850"), None).await;
    assert_eq!(names(&high), ["Split Price Lamp"]);
}

/// The product row's stock summary, as listing filters and sorts read it.
async fn stock_summary(product: &str) -> (bool, i64) {
    let id: Uuid = product.parse().unwrap();
    let row = stack()
        .db()
        .await
        .query_one(
            "SELECT in_stock, sold FROM catalog.product WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

#[tokio::test]
async fn stock_levels_of_sibling_skus_arriving_at_once_keep_the_product_totals_exact() {
    let (seller, token) = account("VN").await;
    let p = product(&token, "Sibling Cups", BOOKS, &[]).await;
    let id = p["id"].as_str().unwrap();
    let mut skus = Vec::new();
    for price in 100..108 {
        skus.push(
            add_sku(&token, id, price).await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let internal = stack().internal("catalog");
    let level = |sku: &String, available: i64, sold: i64, version: i64| {
        internal
            .post("/internal/stock-levels")
            .json(
                json!({ "sku_id": sku, "available": available, "sold": sold, "version": version }),
            )
            .send()
    };
    let s = format!("seller_id={seller}");
    // Versions far above inventory's own announcements of these SKUs, which are then stale.
    for round in 0..4_i64 {
        let version = 1_000 + 2 * round;
        let restocked =
            futures::future::join_all(skus.iter().map(|k| level(k, 3, round, version))).await;
        assert!(
            restocked
                .iter()
                .all(|r| r.status == 200 && r["applied"] == true)
        );
        assert_eq!(stock_summary(id).await, (true, 8 * round));
        // Every SKU sells out at once, each in its own message.
        let sold_out =
            futures::future::join_all(skus.iter().map(|k| level(k, 0, round + 1, version + 1)))
                .await;
        assert!(
            sold_out
                .iter()
                .all(|r| r.status == 200 && r["applied"] == true)
        );
        assert_eq!(
            stock_summary(id).await,
            (false, 8 * (round + 1)),
            "round {round}: every SKU is sold out"
        );
        assert!(names(&list(&format!("{s}&in_stock=true"), None).await).is_empty());
    }
}

#[tokio::test]
async fn removing_the_last_sku_in_stock_takes_the_product_out_of_stock() {
    let (seller, token) = account("VN").await;
    let p = product(&token, "Last Stocked Bowl", BOOKS, &[]).await;
    let id = p["id"].as_str().unwrap();
    let stocked = add_sku(&token, id, 100).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    add_sku(&token, id, 200).await;
    stack()
        .internal("catalog")
        .post("/internal/stock-levels")
        .json(json!({ "sku_id": stocked, "available": 4, "sold": 2, "version": 1_000 }))
        .send()
        .await
        .assert_status(200);
    let s = format!("seller_id={seller}");
    assert_eq!(
        names(&list(&format!("{s}&in_stock=true"), None).await),
        ["Last Stocked Bowl"]
    );
    stack()
        .api()
        .delete(&format!("/api/v1/catalog/products/{id}/skus/{stocked}"))
        .bearer(&token)
        .send()
        .await
        .assert_status(204);
    assert_eq!(stock_summary(id).await, (false, 0));
    assert_eq!(
        names(&list(&format!("{s}&in_stock=false"), None).await),
        ["Last Stocked Bowl"]
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

#[tokio::test]
async fn listings_filter_by_creation_time_in_rfc_3339() {
    let (seller, token) = account("VN").await;
    let old = product(&token, "Old Stool", BOOKS, &[]).await;
    let new = product(&token, "New Stool", BOOKS, &[]).await;
    let db = stack().db().await;
    for (p, at) in [
        (&old, "2025-03-01T10:00:00Z"),
        (&new, "2026-03-01T10:00:00.5Z"),
    ] {
        let id: Uuid = p["id"].as_str().unwrap().parse().unwrap();
        db.execute(
            "UPDATE catalog.product SET created_at = $2::text::timestamptz WHERE id = $1",
            &[&id, &at],
        )
        .await
        .unwrap();
    }
    let s = format!("seller_id={seller}");
    let dated = async |q: &str| list(&format!("{s}&{q}"), None).await;
    assert_eq!(
        names(&dated("created_from=2026-01-01T00:00:00Z").await),
        ["New Stool"]
    );
    assert_eq!(
        names(&dated("created_to=2025-12-31T23:59:59%2B07:00").await),
        ["Old Stool"]
    );
    assert_eq!(
        names(&dated("created_from=2025-03-01T10:00:00Z&created_to=2026-03-01T10:00:00.5Z").await),
        ["New Stool", "Old Stool"],
        "both ends are included, to the fraction of a second"
    );
    assert!(
        names(&dated("created_from=2026-03-01T10:00:00.6Z").await).is_empty(),
        "half a second after the newest"
    );
    let api = stack().api();
    for (query, code) in [
        ("created_from=yesterday", "invalid_created_from"),
        ("created_to=2026-01-01", "invalid_created_to"),
        (
            "created_from=2026-02-01T00:00:00Z&created_to=2026-01-01T00:00:00Z",
            "invalid_created_range",
        ),
    ] {
        api.get(&format!("/api/v1/catalog/products?{s}&{query}"))
            .send()
            .await
            .assert_error(400, code);
    }
}

#[tokio::test]
async fn id_lists_in_a_listing_query_have_a_maximum() {
    let ids = |n: usize| -> String {
        (0..n)
            .map(|_| format!("seller_id={}", Uuid::new_v4()))
            .collect::<Vec<_>>()
            .join("&")
    };
    list(&ids(50), None).await;
    let api = stack().api();
    api.get(&format!("/api/v1/catalog/products?{}", ids(51)))
        .send()
        .await
        .assert_error(400, "invalid_seller_id");
    let categories: String = (0..51)
        .map(|_| format!("category={}", Uuid::new_v4()))
        .collect::<Vec<_>>()
        .join("&");
    api.get(&format!("/api/v1/catalog/products?{categories}"))
        .send()
        .await
        .assert_error(400, "invalid_category");
}

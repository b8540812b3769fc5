//! Catalog listings through the real stack: filters (category tree, tags, price, stock,
//! creation time), sorts and keyset pages, full-text search with spelling correction, cards
//! enriched with availability and favourites, and the stock summaries inventory keeps them
//! in step with.

use serde_json::json;
use souk_e2e::{Reply, stack};
use uuid::Uuid;

use crate::catalog::{
    AUDIO, BOOKS, ELECTRONICS, PHONES, account, add_sku, create, import, list, names, product,
};

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

//! Catalog's prices after promotions through the real stack: cards, detail, the price sort and
//! the price filter all read the promoted price catalog keeps, which promotion's outbox and
//! durable timers keep fresh — a promotion written or deleted, a SKU added or repriced, a
//! product moved into a promoted category, a limit running out and coming back, a window
//! opening and closing. Every change reaches catalog a moment after the write, so each check
//! waits for it, within a bound.

use std::time::Duration;

use serde_json::{Value, json};
use souk_e2e::{eventually, stack};
use uuid::Uuid;

use crate::catalog::{add_sku, list, names, product};
use crate::catalog_batch::category;
use crate::promotion::{delete, key};
use crate::quotes::{RUNNING, promotion, seller_with};
use crate::redemptions::{finish, one_line, reserve};

/// How long a change may take to reach catalog's prices: an outbox relay and one reprice.
const FRESH: Duration = Duration::from_secs(20);

/// The same after a seller's bulk upload of 501 SKUs. Each write used to publish a wake-up of
/// its own, and real Spin's Redis trigger hands them over one at a time (24 s once in the full
/// suite); a pending wake-up now holds back the others (`kit::wake::pending_key`), and the
/// reprice lands within seconds under both runners. The margin is for a loaded machine.
const FRESH_AFTER_BULK: Duration = Duration::from_secs(30);

/// The card of `product` in its seller's listing: (price, original price).
async fn card(seller: Uuid, product: &str) -> (Value, Value) {
    let reply = list(&format!("seller_id={seller}"), None).await;
    let card = reply["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == product)
        .unwrap_or_else(|| panic!("a card for {product}: {}", reply.text))
        .clone();
    (card["price"].clone(), card["original_price"].clone())
}

/// Waits until the card of `product` shows `price` after promotions and `original` before.
async fn card_shows(seller: Uuid, product: &str, price: i64, original: i64) {
    let want = (json!(price), json!(original));
    let mut last = None;
    let seen = eventually(FRESH, async || {
        let now = card(seller, product).await;
        let done = now == want;
        last = Some(now);
        done.then_some(())
    })
    .await;
    assert!(
        seen.is_some(),
        "the card of {product} shows {want:?}; last seen {last:?}"
    );
}

/// A product's detail: (price, original price, each SKU's price by id).
async fn detail(product: &str) -> (Value, Value, Vec<(String, Value)>) {
    let reply = stack()
        .api()
        .get(&format!("/api/v1/catalog/products/{product}"))
        .send()
        .await;
    reply.assert_status(200);
    let skus = reply["skus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_str().unwrap().to_string(), s["price"].clone()))
        .collect();
    (
        reply["price"].clone(),
        reply["original_price"].clone(),
        skus,
    )
}

/// Waits until SKU `sku` of `product` shows `price` in the product's detail.
async fn sku_shows(product: &str, sku: &str, price: i64) {
    let seen = eventually(FRESH, async || {
        let (_, _, skus) = detail(product).await;
        skus.iter()
            .any(|(id, p)| id == sku && *p == json!(price))
            .then_some(())
    })
    .await;
    assert!(
        seen.is_some(),
        "SKU {sku} shows {price}: {:?}",
        detail(product).await
    );
}

/// Waits until the names `query` lists are `want`, in order.
async fn listed(query: &str, want: &[&str]) {
    let mut last = Vec::new();
    let seen = eventually(FRESH, async || {
        last = names(&list(query, None).await);
        (last == want).then_some(())
    })
    .await;
    assert!(seen.is_some(), "`{query}` lists {want:?}; last {last:?}");
}

/// The product of `sku`, as catalog's batch read tells.
pub(crate) async fn product_of(sku: &str) -> String {
    stack()
        .internal("catalog")
        .post("/internal/skus/batch")
        .json(json!({ "sku_ids": [sku] }))
        .send()
        .await["items"][0]["product_id"]
        .as_str()
        .unwrap()
        .to_string()
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

#[tokio::test]
async fn cards_and_detail_show_the_price_after_running_automatic_promotions() {
    let cat = category("price-cards", None).await;
    let (seller, token, skus) = seller_with(&cat, &[100_000]).await;
    let product = product_of(&skus[0]).await;
    card_shows(seller, &product, 100_000, 100_000).await;

    // A window on a day two days away is closed now (even across a midnight meanwhile).
    let today = chrono::Utc::now()
        .format("%u")
        .to_string()
        .parse::<usize>()
        .unwrap()
        - 1;
    let closed = promotion(
        &token,
        json!({ "name": "Another day", "kind": { "type": "percentage", "percent": 50 },
                "target": { "type": "all" },
                "schedule": { "starts_at": RUNNING, "timezone": "UTC",
                              "windows": [{ "days": [DAYS[(today + 2) % 7]],
                                            "from": "00:00", "to": "24:00" }] } }),
    )
    .await;
    // Every day, all day: open.
    let open = promotion(
        &token,
        json!({ "name": "Every day", "kind": { "type": "percentage", "percent": 20 },
                "target": { "type": "all" },
                "schedule": { "starts_at": RUNNING, "timezone": "Asia/Ho_Chi_Minh",
                              "windows": [{ "days": DAYS, "from": "00:00", "to": "24:00" }] } }),
    )
    .await;
    card_shows(seller, &product, 80_000, 100_000).await;
    let (price, original, skus) = detail(&product).await;
    assert_eq!((price, original), (json!(80_000), json!(100_000)));
    assert_eq!(skus[0].1, json!(80_000), "the SKU shows what it costs");

    // Gone again once the promotion is.
    for id in [open, closed] {
        delete(&id, &token).await.assert_status(204);
    }
    card_shows(seller, &product, 100_000, 100_000).await;
}

#[tokio::test]
async fn the_price_sort_and_the_price_filter_follow_promotions() {
    let cat = category("price-sort", None).await;
    let (seller, token, dear) = seller_with(&cat, &[100_000]).await;
    let dear = product_of(&dear[0]).await;
    let cheap = product(&token, "Cheap Lamp", &cat, &[]).await;
    add_sku(&token, cheap["id"].as_str().unwrap(), 80_000).await;
    let s = format!("seller_id={seller}");
    let ascending = format!("{s}&sort=price_asc");
    let below = format!("{s}&price_max=75000");
    listed(&ascending, &["Cheap Lamp", "Quoted Lamp"]).await;

    // 30% off the dearer product makes it the cheaper one: 70,000 < 80,000.
    let sale = promotion(
        &token,
        json!({ "name": "Lamp sale", "kind": { "type": "percentage", "percent": 30 },
                "target": { "type": "products", "ids": [dear] },
                "schedule": { "starts_at": RUNNING } }),
    )
    .await;
    listed(&ascending, &["Quoted Lamp", "Cheap Lamp"]).await;
    listed(&below, &["Quoted Lamp"]).await;
    listed(&format!("{s}&price_min=90000"), &[]).await;
    card_shows(seller, &dear, 70_000, 100_000).await;

    delete(&sale, &token).await.assert_status(204);
    listed(&ascending, &["Cheap Lamp", "Quoted Lamp"]).await;
    listed(&below, &[]).await;
}

#[tokio::test]
async fn new_skus_new_prices_and_moved_products_are_priced_under_running_promotions() {
    let cat = category("price-follow", None).await;
    let (seller, token, skus) = seller_with(&cat, &[100_000]).await;
    let product = product_of(&skus[0]).await;
    promotion(
        &token,
        json!({ "name": "Tenth off", "kind": { "type": "percentage", "percent": 10 },
                "target": { "type": "all" }, "schedule": { "starts_at": RUNNING } }),
    )
    .await;
    card_shows(seller, &product, 90_000, 100_000).await;

    // A SKU added under the running promotion gets its discount; so does a new price.
    let added = add_sku(&token, &product, 50_000).await;
    let added = added["id"].as_str().unwrap();
    sku_shows(&product, added, 45_000).await;
    card_shows(seller, &product, 45_000, 50_000).await;
    let repriced = stack()
        .api()
        .patch(&format!("/api/v1/catalog/products/{product}/skus/{added}"))
        .bearer(&token)
        .json(json!({ "price": 200_000 }))
        .send()
        .await;
    repriced.assert_status(200);
    sku_shows(&product, added, 180_000).await;
    card_shows(seller, &product, 90_000, 100_000).await;

    // The platform discounts a category; a product moved into it gets the discount, and
    // compounds with its seller's own.
    let promoted = category("price-promoted", None).await;
    promotion(
        &stack().admin_token,
        json!({ "name": "Category week", "kind": { "type": "fixed", "amount_minor": 5_000 },
                "currency": "VND",
                "target": { "type": "categories", "ids": [promoted] },
                "schedule": { "starts_at": RUNNING } }),
    )
    .await;
    let moved = stack()
        .api()
        .patch(&format!("/api/v1/catalog/products/{product}"))
        .bearer(&token)
        .json(json!({ "category_id": promoted }))
        .send()
        .await;
    moved.assert_status(200);
    sku_shows(&product, &skus[0], 85_000).await;
}

#[tokio::test]
async fn a_promotion_over_more_skus_than_one_reprice_run_reaches_every_one() {
    use futures::StreamExt;

    let cat = category("price-many", None).await;
    let (_, token) = crate::catalog::account("VN").await;
    // 501 SKUs: one more than a run prices, so the last is priced by a follow-up message.
    let mut products = Vec::new();
    for (name, count) in [("Many Lamp", 251), ("Many Shade", 250)] {
        let made = product(&token, name, &cat, &[]).await;
        products.push((made["id"].as_str().unwrap().to_string(), count));
    }
    let adds = products
        .iter()
        .flat_map(|(p, count)| std::iter::repeat_n(p.clone(), *count))
        .map(|p| {
            let token = token.clone();
            async move { add_sku(&token, &p, 10_000).await }
        });
    let added = futures::stream::iter(adds)
        .buffer_unordered(8)
        .count()
        .await;
    assert_eq!(added, 501);
    promotion(
        &token,
        json!({ "name": "Tenth off many", "kind": { "type": "percentage", "percent": 10 },
                "target": { "type": "categories", "ids": [cat] },
                "schedule": { "starts_at": RUNNING } }),
    )
    .await;
    for (product, count) in &products {
        let mut last = 0;
        let all = eventually(FRESH_AFTER_BULK, async || {
            let (_, _, skus) = detail(product).await;
            last = skus.iter().filter(|(_, p)| *p == json!(9_000)).count();
            (skus.len() == *count && last == *count).then_some(())
        })
        .await;
        assert!(
            all.is_some(),
            "{last} of {count} SKUs of {product} repriced"
        );
    }
}

#[tokio::test]
async fn a_limited_promotion_that_runs_out_shows_full_price_until_a_use_comes_back() {
    let cat = category("price-limit", None).await;
    let (seller, token, skus) = seller_with(&cat, &[100_000]).await;
    let product = product_of(&skus[0]).await;
    let once = promotion(
        &token,
        json!({ "name": "First come", "kind": { "type": "percentage", "percent": 25 },
                "target": { "type": "all" }, "schedule": { "starts_at": RUNNING },
                "total_limit": 1 }),
    )
    .await;
    card_shows(seller, &product, 75_000, 100_000).await;

    // The one use is reserved: nobody else can have it, so cards stop offering it.
    let checkout = one_line(&once, 25_000, None);
    let reference = checkout["reference"].as_str().unwrap().to_string();
    reserve(checkout, &key()).await.assert_status(201);
    card_shows(seller, &product, 100_000, 100_000).await;

    // The checkout is cancelled: the use comes back, and so does the discount.
    finish(&reference, "release", &key())
        .await
        .assert_status(200);
    card_shows(seller, &product, 75_000, 100_000).await;
}

#[tokio::test]
async fn a_window_opens_and_closes_on_time_while_the_stack_runs() {
    use chrono::{Duration as Minutes, Timelike, Utc};

    let cat = category("price-window", None).await;
    let (seller, token, skus) = seller_with(&cat, &[100_000]).await;
    let product = product_of(&skus[0]).await;
    // The next whole minute to the one after, every day, on a clock far from midnight (UTC, or
    // six hours behind it late in the UTC day), so the window never crosses a day.
    let (zone, offset) = if Utc::now().hour() < 22 {
        ("UTC", 0)
    } else {
        ("Etc/GMT+6", -6)
    };
    let now = Utc::now() + Minutes::hours(offset);
    let opens = now.with_second(0).unwrap().with_nanosecond(0).unwrap() + Minutes::minutes(1);
    let closes = opens + Minutes::minutes(1);
    let hhmm = |t: chrono::DateTime<Utc>| t.format("%H:%M").to_string();
    promotion(
        &token,
        json!({ "name": "One minute", "kind": { "type": "percentage", "percent": 30 },
                "target": { "type": "all" },
                "schedule": { "starts_at": RUNNING, "timezone": zone,
                              "windows": [{ "days": DAYS, "from": hhmm(opens),
                                            "to": hhmm(closes) }] } }),
    )
    .await;
    let local_now = || Utc::now() + Minutes::hours(offset);
    if local_now() < opens - Minutes::seconds(2) {
        assert_eq!(
            card(seller, &product).await,
            (json!(100_000), json!(100_000))
        );
    }
    // The timer fires at the edge and catalog is repriced a moment later.
    let limit = Duration::from_secs(75);
    let during = eventually(limit, async || {
        let price = card(seller, &product).await;
        (price.0 == json!(70_000)).then_some(local_now())
    })
    .await
    .expect("the window opens within its minute");
    assert!(during >= opens, "not before it opens: {during} < {opens}");
    let after = eventually(limit, async || {
        let price = card(seller, &product).await;
        (price.0 == json!(100_000)).then_some(local_now())
    })
    .await
    .expect("the window closes within its minute");
    assert!(after >= closes, "not before it closes: {after} < {closes}");
}

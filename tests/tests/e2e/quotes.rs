//! Quotes through the real stack: a shopper's cart priced from catalog's SKUs under the
//! promotions running now — sellers' promotions only on their own lines, stages compounding,
//! codes in any letter case, per-buyer limits counted for the signed-in shopper — and the
//! internal quote for lines the caller has read.

use serde_json::{Value, json};
use souk_e2e::{Reply, stack};
use uuid::Uuid;

use crate::catalog::{account, add_sku, product};
use crate::catalog_batch::category;
use crate::prices::product_of;
use crate::redemptions::{one_line, reserve};

/// A code no other test uses.
fn code(prefix: &str) -> String {
    format!("{prefix}{}", &Uuid::new_v4().simple().to_string()[..10])
}

/// Creates a promotion with `token` (a seller's, or the admin token for the platform's).
pub(crate) async fn promotion(token: &str, body: Value) -> String {
    let reply = stack()
        .api()
        .post("/api/v1/promotion/promotions")
        .bearer(token)
        .json(body)
        .send()
        .await;
    reply.assert_status(201);
    reply["id"].as_str().unwrap().to_string()
}

async fn quote(body: Value, token: Option<&str>) -> Reply {
    let call = stack().api().post("/api/v1/promotion/quote").json(body);
    match token {
        Some(t) => call.bearer(t),
        None => call,
    }
    .send()
    .await
}

/// The line of `sku` in a quote.
fn line<'a>(quote: &'a Value, sku: &str) -> &'a Value {
    quote["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["sku_id"] == sku)
        .unwrap_or_else(|| panic!("a line for {sku}: {quote:#}"))
}

/// Why `promotion` did not apply, or `None` when it did not appear there.
fn reason(quote: &Value, promotion: &str) -> Option<String> {
    quote["not_applied"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["promotion_id"] == promotion)
        .map(|n| n["reason"]["code"].as_str().unwrap().to_string())
}

fn applied(quote: &Value, promotion: &str) -> Option<i64> {
    quote["applied"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["promotion_id"] == promotion)
        .map(|a| a["discount_minor"].as_i64().unwrap())
}

/// A seller in Vietnam with one product in `category` and a SKU per price: (seller, token,
/// SKU ids).
pub(crate) async fn seller_with(category: &str, prices: &[i64]) -> (Uuid, String, Vec<String>) {
    let (seller, token) = account("VN").await;
    let made = product(&token, "Quoted Lamp", category, &[]).await;
    let product = made["id"].as_str().unwrap().to_string();
    let mut skus = Vec::new();
    for &price in prices {
        let sku = add_sku(&token, &product, price).await;
        skus.push(sku["id"].as_str().unwrap().to_string());
    }
    (seller, token, skus)
}

pub(crate) const RUNNING: &str = "2020-01-01T00:00:00Z";

#[tokio::test]
async fn a_cart_preview_compounds_stages_keeps_sellers_apart_and_says_why_others_did_not_apply() {
    let parent = category("quote-parent", None).await;
    let child = category("quote-child", Some(&parent)).await;
    let (_, a_token, a) = seller_with(&child, &[100_000, 50_000]).await;
    let (_, b_token, b) = seller_with(&child, &[80_000]).await;
    let a_ten = promotion(
        &a_token,
        json!({ "name": "A: 10% off everything", "kind": { "type": "percentage", "percent": 10 },
                "target": { "type": "all" }, "schedule": { "starts_at": RUNNING } }),
    )
    .await;
    let a_code = code("BIG");
    let a_big = promotion(
        &a_token,
        json!({ "name": "A: 10,000 off a big order", "currency": "VND", "code": a_code,
                "kind": { "type": "fixed", "amount_minor": 10_000, "per": "order" },
                "conditions": { "min_spend_minor": 1_000_000 },
                "target": { "type": "all" }, "schedule": { "starts_at": RUNNING } }),
    )
    .await;
    let b_code = code("SOON");
    let b_soon = promotion(
        &b_token,
        json!({ "name": "B: next year", "code": b_code,
                "kind": { "type": "percentage", "percent": 50 },
                "target": { "type": "all" }, "schedule": { "starts_at": "2099-01-01T00:00:00Z" } }),
    )
    .await;
    // The platform's 5% on the parent category reaches the child's products.
    let platform = promotion(
        &stack().admin_token,
        json!({ "name": "Platform: 5% on the category", "kind": { "type": "percentage", "percent": 5 },
                "target": { "type": "categories", "ids": [parent] },
                "schedule": { "starts_at": RUNNING } }),
    )
    .await;

    let reply = quote(
        json!({
            "lines": [
                { "sku_id": a[0], "quantity": 2 },
                { "sku_id": a[1], "quantity": 1 },
                { "sku_id": b[0], "quantity": 1 },
            ],
            "codes": [a_code.to_lowercase(), b_code, "NO-SUCH-CODE"],
        }),
        None,
    )
    .await;
    reply.assert_status(200);
    let q = &reply.body;
    // A's 10% first (100,000 → 90,000 a unit), then the platform's 5% of what is left (4,500).
    assert_eq!(line(q, &a[0])["original_minor"], 200_000, "{q:#}");
    assert_eq!(line(q, &a[0])["final_minor"], 171_000, "{q:#}");
    assert_eq!(line(q, &a[1])["final_minor"], 42_750, "{q:#}");
    // B's line: only the platform's, never A's "everything".
    assert_eq!(line(q, &b[0])["final_minor"], 76_000, "{q:#}");
    let b_shares: Vec<&Value> = line(q, &b[0])["applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["promotion_id"])
        .collect();
    assert_eq!(b_shares, [&Value::from(platform.as_str())], "{q:#}");
    assert_eq!(applied(q, &a_ten), Some(25_000));
    assert_eq!(applied(q, &platform), Some(15_250));
    assert_eq!(reason(q, &a_big).as_deref(), Some("min_spend_not_met"));
    assert_eq!(reason(q, &b_soon).as_deref(), Some("not_started"));
    assert_eq!(q["unknown_codes"], json!(["NO-SUCH-CODE"]));
    assert_eq!(q["subtotal_minor"], 330_000);
    assert_eq!(q["discount_minor"], 40_250);
    assert_eq!(q["total_minor"], 289_750);
    assert_eq!(q["currency"], "VND");
    let named = q["applied"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["promotion_id"] == a_ten.as_str() && a["name"] == "A: 10% off everything");
    assert!(named, "{q:#}");
}

#[tokio::test]
async fn a_per_buyer_limit_needs_a_signed_in_shopper_and_counts_their_redemptions() {
    let cat = category("quote-buyer", None).await;
    let (_, token, skus) = seller_with(&cat, &[200_000]).await;
    let once = code("ONCE");
    let id = promotion(
        &token,
        json!({ "name": "Once each", "code": once, "per_buyer_limit": 1,
                "kind": { "type": "percentage", "percent": 20 },
                "target": { "type": "skus", "ids": [skus[0]] },
                "schedule": { "starts_at": RUNNING } }),
    )
    .await;
    let cart = json!({ "lines": [{ "sku_id": skus[0], "quantity": 1 }], "codes": [once] });

    let guest = quote(cart.clone(), None).await;
    guest.assert_status(200);
    assert_eq!(
        reason(&guest.body, &id).as_deref(),
        Some("sign_in_required")
    );

    let (buyer, buyer_token) = account("VN").await;
    let signed_in = quote(cart.clone(), Some(&buyer_token)).await;
    signed_in.assert_status(200);
    assert_eq!(applied(&signed_in.body, &id), Some(40_000));
    assert_eq!(signed_in.body["total_minor"], 160_000);

    reserve(
        one_line(&id, 40_000, Some(buyer)),
        &Uuid::new_v4().to_string(),
    )
    .await
    .assert_status(201);
    let used = quote(cart, Some(&buyer_token)).await;
    used.assert_status(200);
    assert_eq!(
        reason(&used.body, &id).as_deref(),
        Some("buyer_limit_reached")
    );
    assert_eq!(used.body["total_minor"], 200_000);
}

#[tokio::test]
async fn the_internal_quote_prices_lines_the_caller_read_and_knows_a_first_order() {
    let (seller, token) = account("VN").await;
    let first = code("FIRST");
    let id = promotion(
        &token,
        json!({ "name": "First order", "code": first, "currency": "VND",
                "kind": { "type": "shipping", "amount_minor": 30_000 },
                "conditions": { "first_order_only": true },
                "target": { "type": "all" }, "schedule": { "starts_at": RUNNING } }),
    )
    .await;
    let body = |first_order: bool| {
        json!({
            "currency": "VND",
            "lines": [{
                "sku_id": Uuid::new_v4(), "product_id": Uuid::new_v4(), "seller_id": seller,
                "category_path": [], "unit_price_minor": 120_000, "quantity": 1,
            }],
            "shipping": [{ "seller_id": seller, "amount_minor": 25_000 }],
            "buyer_id": Uuid::new_v4(),
            "first_order": first_order,
            "codes": [first],
        })
    };
    let internal = |b: Value| async move {
        stack()
            .internal("promotion")
            .post("/internal/quote")
            .json(b)
            .send()
            .await
    };
    let reply = internal(body(true)).await;
    reply.assert_status(200);
    // The shipping discount never exceeds the shipping.
    assert_eq!(applied(&reply.body, &id), Some(25_000), "{:#}", reply.body);
    assert_eq!(reply.body["shipping_discount_minor"], 25_000);
    assert_eq!(reply.body["total_minor"], 120_000);

    let reply = internal(body(false)).await;
    reply.assert_status(200);
    assert_eq!(
        reason(&reply.body, &id).as_deref(),
        Some("first_order_only")
    );
    assert_eq!(reply.body["total_minor"], 145_000);

    stack()
        .api()
        .post("/internal/quote")
        .json(body(true))
        .send()
        .await
        .assert_status(404);
}

#[tokio::test]
async fn bad_quotes_are_refused_with_a_reason() {
    let cat = category("quote-bad", None).await;
    let (_, token, skus) = seller_with(&cat, &[10_000, 20_000]).await;
    let line = |sku: &str, quantity: i64| json!({ "sku_id": sku, "quantity": quantity });
    let unknown = Uuid::new_v4().to_string();
    let cases = [
        (json!({ "lines": [] }), 422, "validation"),
        (json!({ "lines": [line(&skus[0], 0)] }), 422, "validation"),
        (
            json!({ "lines": [line(&skus[0], 1), line(&skus[0], 2)] }),
            422,
            "duplicate_sku",
        ),
        (
            json!({ "lines": [line(&unknown, 1)] }),
            404,
            "sku_not_found",
        ),
        (
            json!({ "lines": [line(&skus[0], 1)], "codes": vec!["X"; 11] }),
            422,
            "validation",
        ),
        (
            json!({ "lines": [line(&skus[0], 1)], "coupon": "X" }),
            422,
            "validation",
        ),
    ];
    for (body, status, code) in cases {
        quote(body.clone(), None).await.assert_error(status, code);
    }
    // A SKU its seller removed is no longer sold.
    let product_id = product_of(&skus[1]).await;
    stack()
        .api()
        .delete(&format!(
            "/api/v1/catalog/products/{product_id}/skus/{}",
            skus[1]
        ))
        .bearer(&token)
        .send()
        .await
        .assert_status(204);
    quote(json!({ "lines": [line(&skus[1], 1)] }), None)
        .await
        .assert_error(409, "sku_unavailable");
}

#[tokio::test]
async fn a_promotion_s_terms_are_checked_whole_when_written() {
    let (_, token) = account("VN").await;
    let base = json!({ "name": "Checked", "target": { "type": "all" },
                       "kind": { "type": "percentage", "percent": 10 },
                       "schedule": { "starts_at": RUNNING } });
    let with = |field: &str, value: Value| {
        let mut b = base.clone();
        b[field] = value;
        b
    };
    let cases = [
        (
            with(
                "schedule",
                json!({ "starts_at": RUNNING, "timezone": "Mars/Olympus",
                        "windows": [{ "days": ["fri"], "from": "18:00", "to": "22:00" }] }),
            ),
            "unknown_timezone",
        ),
        (
            with(
                "schedule",
                json!({ "starts_at": RUNNING,
                        "windows": [{ "days": ["fri"], "from": "18:00", "to": "22:00" }] }),
            ),
            "validation",
        ),
        (
            with("kind", json!({ "type": "fixed", "amount_minor": 5_000 })),
            "validation",
        ),
        (
            with(
                "kind",
                json!({ "type": "buy_x_get_y", "buy": 2, "get": 1, "percent": 0 }),
            ),
            "percent_out_of_range",
        ),
        (
            with("conditions", json!({ "min_spend_minor": -1 })),
            "validation",
        ),
        (
            with(
                "kind",
                json!({ "type": "bundle", "items": [], "price_minor": 1 }),
            ),
            "validation",
        ),
    ];
    for (body, code) in cases {
        stack()
            .api()
            .post("/api/v1/promotion/promotions")
            .bearer(&token)
            .json(body.clone())
            .send()
            .await
            .assert_error(422, code);
    }
    // Friday evenings in Hồ Chí Minh City, written back as given.
    let evenings = json!({ "starts_at": RUNNING, "timezone": "Asia/Ho_Chi_Minh",
                           "windows": [{ "days": ["fri"], "from": "18:00", "to": "22:00" }] });
    let id = promotion(&token, with("schedule", evenings.clone())).await;
    let read = stack()
        .api()
        .get(&format!("/api/v1/promotion/promotions/{id}"))
        .send()
        .await;
    read.assert_status(200);
    assert_eq!(read["schedule"], evenings, "{}", read.text);
    assert_eq!(read["kind"]["per"], "item", "the default is written out");
}

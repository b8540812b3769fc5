//! The buyer's cart through the real stack: lines priced as shoppers see them (after
//! promotions), grouped by seller, checked against stock each time it is shown; lines that
//! cannot be bought shown with their reason and counted in no total; limits held under
//! concurrent additions.

use serde_json::{Value, json};
use souk_e2e::{Reply, stack};

use crate::catalog::{account, import, product};
use crate::catalog_batch::category;
use crate::quotes::seller_with;

async fn add(token: &str, sku: &str, quantity: i64) -> Reply {
    stack()
        .api()
        .post("/api/v1/order/cart/items")
        .bearer(token)
        .json(json!({ "sku_id": sku, "quantity": quantity }))
        .send()
        .await
}

async fn cart(token: &str) -> Value {
    let reply = stack()
        .api()
        .get("/api/v1/order/cart")
        .bearer(token)
        .send()
        .await;
    reply.assert_status(200);
    reply.json().clone()
}

fn line<'a>(cart: &'a Value, sku: &str) -> &'a Value {
    cart["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["lines"].as_array().unwrap())
        .find(|l| l["sku_id"] == sku)
        .unwrap_or_else(|| panic!("{sku} is not in {cart}"))
}

#[tokio::test]
async fn a_cart_groups_lines_by_seller_with_prices_stock_and_reasons() {
    let cat = category("cart", None).await;
    let (seller_a, a_token, a) = seller_with(&cat, &[120_000, 80_000]).await;
    let (_, b_token, b) = seller_with(&cat, &[50_000]).await;
    import(&a_token, &a[0], 10).await;
    import(&a_token, &a[1], 1).await;
    import(&b_token, &b[0], 5).await;
    let (_, buyer) = account("VN").await;

    add(&buyer, &a[0], 2).await.assert_status(200);
    add(&buyer, &a[0], 1).await.assert_status(200);
    add(&buyer, &a[1], 3).await.assert_status(200);
    let shown = add(&buyer, &b[0], 1).await;
    shown.assert_status(200);
    let groups = shown["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "one group per seller: {}", shown.text);
    assert_eq!(groups[0]["seller_id"], seller_a.to_string());
    let first = line(shown.json(), &a[0]);
    assert_eq!(first["quantity"], 3, "adding adds to the line");
    assert_eq!(first["line_total_minor"], 360_000);
    assert_eq!(first["unavailable"], Value::Null);
    let short = line(shown.json(), &a[1]);
    assert_eq!(
        short["unavailable"], "not_enough_stock",
        "3 asked, 1 in stock"
    );
    assert_eq!(
        groups[0]["subtotal_minor"], 360_000,
        "a line that cannot be bought counts in no total"
    );
    assert_eq!(groups[1]["subtotal_minor"], 50_000);

    // Setting, removing, and a line the seller took off sale.
    let set = stack()
        .api()
        .put(&format!("/api/v1/order/cart/items/{}", a[1]))
        .bearer(&buyer)
        .json(json!({ "quantity": 1 }))
        .send()
        .await;
    set.assert_status(200);
    assert_eq!(line(set.json(), &a[1])["unavailable"], Value::Null);
    let product_of_b = line(set.json(), &b[0])["product_id"]
        .as_str()
        .unwrap()
        .to_string();
    stack()
        .api()
        .patch(&format!("/api/v1/catalog/products/{product_of_b}"))
        .bearer(&b_token)
        .json(json!({ "enabled": false }))
        .send()
        .await
        .assert_status(200);
    let after = cart(&buyer).await;
    assert_eq!(line(&after, &b[0])["unavailable"], "not_for_sale");
    assert_eq!(after["groups"][1]["subtotal_minor"], 0);
    stack()
        .api()
        .delete(&format!("/api/v1/order/cart/items/{}", b[0]))
        .bearer(&buyer)
        .send()
        .await
        .assert_status(200);
    stack()
        .api()
        .delete(&format!("/api/v1/order/cart/items/{}", b[0]))
        .bearer(&buyer)
        .send()
        .await
        .assert_error(404, "cart_line_not_found");
    stack()
        .api()
        .delete("/api/v1/order/cart")
        .bearer(&buyer)
        .send()
        .await
        .assert_status(204);
    assert_eq!(cart(&buyer).await["lines"], 0);
}

#[tokio::test]
async fn what_no_cart_may_hold_is_refused() {
    let cat = category("cart-refusals", None).await;
    let (_, seller_token, skus) = seller_with(&cat, &[10_000]).await;
    let (_, buyer) = account("VN").await;
    add(&seller_token, &skus[0], 1)
        .await
        .assert_error(422, "own_product");
    add(&buyer, &uuid::Uuid::new_v4().to_string(), 1)
        .await
        .assert_error(404, "sku_not_found");
    add(&buyer, &skus[0], 0).await.assert_status(422);
    add(&buyer, &skus[0], 100).await.assert_status(422);
    add(&buyer, &skus[0], 60).await.assert_status(200);
    add(&buyer, &skus[0], 60)
        .await
        .assert_error(409, "cart_quantity_exceeded");
    stack()
        .api()
        .get("/api/v1/order/cart")
        .send()
        .await
        .assert_status(401);
    let made = product(&seller_token, "Gone Lamp", &cat, &[]).await;
    let gone = crate::catalog::add_sku(&seller_token, made["id"].as_str().unwrap(), 5_000).await;
    stack()
        .api()
        .delete(&format!(
            "/api/v1/catalog/products/{}/skus/{}",
            made["id"].as_str().unwrap(),
            gone["id"].as_str().unwrap()
        ))
        .bearer(&seller_token)
        .send()
        .await;
    add(&buyer, gone["id"].as_str().unwrap(), 1)
        .await
        .assert_error(409, "sku_unavailable");
}

#[tokio::test]
async fn concurrent_additions_never_pass_a_lines_limit() {
    let cat = category("cart-race", None).await;
    let (_, _, skus) = seller_with(&cat, &[10_000]).await;
    let (_, buyer) = account("VN").await;
    let tries = (0..12).map(|_| add(&buyer, &skus[0], 10));
    let replies = futures::future::join_all(tries).await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(ok, 9, "9 × 10 fit in 99, the rest are refused");
    assert!(
        replies
            .iter()
            .filter(|r| r.status != 200)
            .all(|r| r.json()["error"]["code"] == "cart_quantity_exceeded")
    );
    assert_eq!(line(&cart(&buyer).await, &skus[0])["quantity"], 90);
}

//! Catalog's internal batch reads through the real stack: many SKUs' or products' seller,
//! category path, price and currency in one call, as promotion's quotes and checkout use them.

use serde_json::{Value, json};
use souk_e2e::{Reply, stack};
use uuid::Uuid;

use crate::catalog::{account, add_sku, product};

/// A new category under `parent` (the top of the tree when `None`), made with the admin token:
/// its id.
pub(crate) async fn category(name: &str, parent: Option<&str>) -> String {
    let slug = format!("{name}-{}", &Uuid::new_v4().simple().to_string()[..8]);
    let reply = stack()
        .api()
        .post("/api/v1/catalog/categories")
        .bearer(&stack().admin_token)
        .json(json!({ "slug": slug, "name": name, "parent_id": parent }))
        .send()
        .await;
    reply.assert_status(201);
    reply["id"].as_str().unwrap().to_string()
}

/// `POST /internal/<what>/batch` with `{<field>: ids}`, carrying the service token.
async fn batch(what: &str, field: &str, ids: &[String]) -> Reply {
    stack()
        .internal("catalog")
        .post(&format!("/internal/{what}/batch"))
        .json(json!({ field: ids }))
        .send()
        .await
}

/// A seller's product in a child category of a new top category, with two SKUs.
struct Fixture {
    seller: Uuid,
    token: String,
    parent: String,
    child: String,
    product: String,
    skus: [String; 2],
}

async fn fixture() -> Fixture {
    let (seller, token) = account("VN").await;
    let parent = category("batch-parent", None).await;
    let child = category("batch-child", Some(&parent)).await;
    let made = product(&token, "Batch Kettle", &child, &[]).await;
    let product = made["id"].as_str().unwrap().to_string();
    let cheap = add_sku(&token, &product, 150_000).await;
    let dear = add_sku(&token, &product, 250_000).await;
    Fixture {
        seller,
        token,
        parent,
        child,
        product,
        skus: [cheap, dear].map(|s| s["id"].as_str().unwrap().to_string()),
    }
}

fn items(reply: &Reply) -> &Vec<Value> {
    reply.assert_status(200);
    reply["items"].as_array().expect("an items array")
}

#[tokio::test]
async fn the_sku_batch_answers_seller_price_currency_and_category_path_in_request_order() {
    let f = fixture().await;
    let [cheap, dear] = &f.skus;
    let unknown = Uuid::new_v4().to_string();
    let ids = [dear.clone(), unknown, cheap.clone(), dear.clone()];
    let reply = batch("skus", "sku_ids", &ids).await;
    let found = items(&reply);
    assert_eq!(
        found.len(),
        2,
        "the unknown id is absent, the repeat answered once"
    );
    for (item, (sku, price)) in found.iter().zip([(dear, 250_000), (cheap, 150_000)]) {
        assert!(item["attributes"][0]["name"].is_string(), "{item}");
        assert_eq!(
            item,
            &json!({
                "sku_id": sku, "product_id": f.product, "seller_id": f.seller,
                "category_path": [f.child, f.parent], "unit_price_minor": price,
                "currency": "VND", "available": true, "name": "Batch Kettle",
                "promoted_price_minor": null, "attributes": item["attributes"],
                "weight_grams": null, "length_cm": null, "width_cm": null, "height_cm": null,
            })
        );
    }
}

#[tokio::test]
async fn a_deleted_sku_is_answered_as_not_available() {
    let f = fixture().await;
    let [cheap, dear] = &f.skus;
    stack()
        .api()
        .delete(&format!(
            "/api/v1/catalog/products/{}/skus/{cheap}",
            f.product
        ))
        .bearer(&f.token)
        .send()
        .await
        .assert_status(204);
    let reply = batch("skus", "sku_ids", &[cheap.clone(), dear.clone()]).await;
    let found = items(&reply);
    assert_eq!(found.len(), 2);
    assert_eq!(found[0]["sku_id"], cheap.as_str());
    assert_eq!(found[0]["available"], false);
    assert_eq!(
        found[0]["unit_price_minor"], 150_000,
        "an old order still shows its price"
    );
    assert_eq!(found[1]["available"], true);
}

#[tokio::test]
async fn the_product_batch_answers_the_seller_and_a_disabled_product_is_not_available() {
    let f = fixture().await;
    let reply = batch(
        "products",
        "product_ids",
        &[f.product.clone(), f.product.clone()],
    )
    .await;
    assert_eq!(
        items(&reply),
        &vec![json!({
            "product_id": f.product, "seller_id": f.seller,
            "category_path": [f.child, f.parent], "currency": "VND", "available": true,
        })]
    );

    stack()
        .api()
        .patch(&format!("/api/v1/catalog/products/{}", f.product))
        .bearer(&f.token)
        .json(json!({ "enabled": false }))
        .send()
        .await
        .assert_status(200);
    let products = batch("products", "product_ids", std::slice::from_ref(&f.product)).await;
    assert_eq!(items(&products)[0]["available"], false);
    let skus = batch("skus", "sku_ids", &f.skus).await;
    assert!(
        items(&skus).iter().all(|s| s["available"] == false),
        "{skus:?}"
    );
}

#[tokio::test]
async fn a_batch_names_one_to_five_hundred_ids() {
    let many: Vec<String> = (0..501).map(|_| Uuid::new_v4().to_string()).collect();
    for (what, field) in [("skus", "sku_ids"), ("products", "product_ids")] {
        for ids in [&many[..0], &many[..]] {
            let reply = batch(what, field, ids).await;
            reply.assert_error(422, "validation");
            let message = reply["error"]["message"].as_str().unwrap();
            assert!(message.starts_with(field), "{message}");
        }
        let reply = batch(what, field, &many[..500]).await;
        assert_eq!(items(&reply).len(), 0, "500 unknown ids: an empty answer");
    }
}

#[tokio::test]
async fn the_batches_refuse_unknown_fields_and_callers_without_the_service_token() {
    let internal = stack().internal("catalog");
    internal
        .post("/internal/skus/batch")
        .json(json!({ "sku_ids": [Uuid::new_v4()], "seller_id": Uuid::new_v4() }))
        .send()
        .await
        .assert_error(422, "validation");
    for (what, field) in [("skus", "sku_ids"), ("products", "product_ids")] {
        let path = format!("/__internal/catalog/internal/{what}/batch");
        let body = json!({ field: [Uuid::new_v4()] });
        let api = stack().api();
        api.post(&path)
            .json(body.clone())
            .send()
            .await
            .assert_error(401, "invalid_service_token");
        api.post(&path)
            .header("x-souk-service-token", "wrong")
            .json(body)
            .send()
            .await
            .assert_error(401, "invalid_service_token");
    }
}

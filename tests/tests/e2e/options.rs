//! Service options through the real stack: the platform's and a seller's own, public reads that
//! never show secrets, secrets sealed at rest and opened only for internal callers, and writes
//! by the owner alone.

use serde_json::{Value, json};
use souk_e2e::{Reply, stack};

async fn create(bearer: &str, body: Value) -> Reply {
    stack()
        .api()
        .post("/api/v1/common/options")
        .bearer(bearer)
        .json(body)
        .send()
        .await
}

#[tokio::test]
async fn a_checkout_sees_the_platforms_options_and_its_sellers_never_their_secrets() {
    let admin = stack().admin_token.clone();
    let (seller, seller_token) = stack().register("VN").await;
    let (_, stranger) = stack().register("VN").await;
    let provider = format!("gw{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);

    let platform = create(
        &admin,
        json!({
            "kind": "payment", "provider": provider, "method": "qr", "display_name": "QR (VNPay)",
            "priority": 10, "config": { "bank_code": "VNPAYQR" },
        }),
    )
    .await;
    platform.assert_status(201);
    assert_eq!(platform["owner_id"], Value::Null);
    let own = create(&seller_token, json!({
        "kind": "payment", "provider": provider, "method": "card", "display_name": "Thẻ quốc tế",
        "priority": 5, "secrets": { "tmn_code": "SELLER1", "hash_secret": "s3cret-of-the-seller" },
    }))
    .await;
    own.assert_status(201);
    assert_eq!(own["owner_id"], seller.to_string());
    assert_eq!(own["has_secrets"], true);
    assert!(!own.text.contains("s3cret"), "secrets are never answered");

    let listed = stack()
        .api()
        .get(&format!(
            "/api/v1/common/options?kind=payment&seller_id={seller}"
        ))
        .send()
        .await;
    listed.assert_status(200);
    let mine: Vec<&Value> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["provider"] == provider.as_str())
        .collect();
    assert_eq!(
        mine.len(),
        2,
        "the platform's and the seller's: {}",
        listed.text
    );
    assert_eq!(mine[0]["method"], "qr", "highest priority first");
    assert!(!listed.text.contains("s3cret"));
    let without_seller = stack()
        .api()
        .get("/api/v1/common/options?kind=payment")
        .send()
        .await;
    assert!(!without_seller.text.contains(own["id"].as_str().unwrap()));

    // At rest the secret is sealed; an internal caller gets it opened.
    let db = stack().db().await;
    let stored: Vec<u8> = db
        .query_one(
            "SELECT secrets FROM common.service_option WHERE id = $1",
            &[&uuid::Uuid::parse_str(own["id"].as_str().unwrap()).unwrap()],
        )
        .await
        .unwrap()
        .get(0);
    assert!(!stored.windows(6).any(|w| w == b"s3cret"), "sealed at rest");
    let opened = stack()
        .internal("common")
        .get(&format!(
            "/internal/options/{}/secrets",
            own["id"].as_str().unwrap()
        ))
        .send()
        .await;
    opened.assert_status(200);
    assert_eq!(opened["secrets"]["hash_secret"], "s3cret-of-the-seller");

    // Only the owner writes: anyone else gets 404, as if it did not exist.
    let path = format!("/api/v1/common/options/{}", own["id"].as_str().unwrap());
    stack()
        .api()
        .patch(&path)
        .bearer(&stranger)
        .json(json!({ "enabled": false }))
        .send()
        .await
        .assert_error(404, "option_not_found");
    let disabled = stack()
        .api()
        .patch(&path)
        .bearer(&seller_token)
        .json(json!({ "enabled": false, "secrets": null }))
        .send()
        .await;
    disabled.assert_status(200);
    assert_eq!(
        (
            disabled["enabled"].as_bool(),
            disabled["has_secrets"].as_bool()
        ),
        (Some(false), Some(false))
    );
    stack()
        .api()
        .get(&path)
        .send()
        .await
        .assert_error(404, "option_not_found");
    stack()
        .api()
        .get(&path)
        .bearer(&seller_token)
        .send()
        .await
        .assert_status(200);
    stack()
        .api()
        .delete(&format!(
            "/api/v1/common/options/{}",
            platform["id"].as_str().unwrap()
        ))
        .bearer(&seller_token)
        .send()
        .await
        .assert_error(404, "option_not_found");
    stack()
        .api()
        .delete(&format!(
            "/api/v1/common/options/{}",
            platform["id"].as_str().unwrap()
        ))
        .bearer(&admin)
        .send()
        .await
        .assert_status(204);
}

#[tokio::test]
async fn bad_options_are_refused_and_one_per_owner_kind_provider_and_method() {
    let (_, token) = stack().register("VN").await;
    let provider = format!("gw{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let ok = json!({
        "kind": "shipping", "provider": provider, "method": "express", "display_name": "Nhanh",
    });
    create(&token, ok.clone()).await.assert_status(201);
    create(&token, ok.clone())
        .await
        .assert_error(409, "option_exists");
    for (field, value) in [
        ("method", json!("card")),
        ("kind", json!("gift")),
        ("provider", json!("Has Spaces")),
        ("display_name", json!("")),
        ("config", json!([1, 2])),
    ] {
        let mut body = ok.clone();
        body[field] = value;
        body["method"] = if field == "method" {
            json!("card")
        } else {
            json!("standard")
        };
        create(&token, body).await.assert_status(422);
    }
    stack()
        .api()
        .post("/api/v1/common/options")
        .json(ok)
        .send()
        .await
        .assert_status(401);
    stack()
        .api()
        .get("/api/v1/common/options?kind=gift")
        .send()
        .await
        .assert_error(422, "validation");
}

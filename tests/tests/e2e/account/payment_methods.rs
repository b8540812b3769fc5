//! Payment methods: provider references, never card numbers; the default one.

use super::*;

#[tokio::test]
async fn payment_methods_store_provider_references_never_card_numbers() {
    let (_, token) = user().await;
    let api = stack().api();
    let add = |body: Value| {
        let token = token.clone();
        async move {
            stack()
                .api()
                .post("/api/v1/account/payment-methods")
                .bearer(&token)
                .json(body)
                .send()
                .await
        }
    };
    add(json!({ "provider": "vnpay", "provider_reference": "4111 1111 1111 1111" }))
        .await
        .assert_error(422, "raw_card_data");
    let first = add(json!({
        "provider": "vnpay", "provider_reference": "tok_abc", "brand": "visa", "last4": "4242",
    }))
    .await;
    first.assert_status(201);
    assert_eq!(first["is_default"], true);
    add(json!({ "provider": "vnpay", "provider_reference": "tok_abc" }))
        .await
        .assert_error(409, "payment_method_exists");
    let second =
        add(json!({ "provider": "sepay", "provider_reference": "acct_9", "make_default": true }))
            .await;
    assert_eq!(second["is_default"], true);
    add(json!({ "provider": "sepay", "provider_reference": "acct_10", "last4": "12345" }))
        .await
        .assert_error(422, "validation");
    let list = api
        .get("/api/v1/account/payment-methods")
        .bearer(&token)
        .send()
        .await;
    assert_eq!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["is_default"] == true)
            .count(),
        1
    );
    api.delete(&format!(
        "/api/v1/account/payment-methods/{}",
        second["id"].as_str().unwrap()
    ))
    .bearer(&token)
    .send()
    .await
    .assert_status(204);
    let list = api
        .get("/api/v1/account/payment-methods")
        .bearer(&token)
        .send()
        .await;
    assert_eq!(
        list["items"][0]["is_default"], true,
        "the default moves to the remaining method"
    );
    api.delete(&format!(
        "/api/v1/account/payment-methods/{}",
        Uuid::new_v4()
    ))
    .bearer(&token)
    .send()
    .await
    .assert_error(404, "payment_method_not_found");
}

#[tokio::test]
async fn another_method_becomes_the_default_and_the_account_hears_of_each_change() {
    let (_, token) = user().await;
    let api = stack().api();
    let add = |reference: &'static str| {
        let token = token.clone();
        async move {
            stack()
                .api()
                .post("/api/v1/account/payment-methods")
                .bearer(&token)
                .json(json!({
                    "provider": "vnpay", "provider_reference": reference, "brand": "Visa",
                    "last4": "4242",
                }))
                .send()
                .await
        }
    };
    let first = add("tok_first").await;
    let second = add("tok_second").await;
    assert_eq!(
        (
            first["is_default"].as_bool(),
            second["is_default"].as_bool()
        ),
        (Some(true), Some(false))
    );
    let second_id = second["id"].as_str().unwrap();
    let chosen = api
        .post(&format!(
            "/api/v1/account/payment-methods/{second_id}/default"
        ))
        .bearer(&token)
        .send()
        .await;
    chosen.assert_status(200);
    assert_eq!(chosen["is_default"], true);
    let list = api
        .get("/api/v1/account/payment-methods")
        .bearer(&token)
        .send()
        .await;
    let defaults: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["is_default"] == true)
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(defaults, [second_id], "one default, the chosen one");
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        2,
        "the former default stays"
    );

    let (_, stranger) = user().await;
    api.post(&format!(
        "/api/v1/account/payment-methods/{second_id}/default"
    ))
    .bearer(&stranger)
    .send()
    .await
    .assert_error(404, "payment_method_not_found");
    api.post(&format!(
        "/api/v1/account/payment-methods/{}/default",
        Uuid::new_v4()
    ))
    .bearer(&token)
    .send()
    .await
    .assert_error(404, "payment_method_not_found");

    api.delete(&format!("/api/v1/account/payment-methods/{second_id}"))
        .bearer(&token)
        .send()
        .await
        .assert_status(204);
    let notifications = api
        .get("/api/v1/account/notifications")
        .bearer(&token)
        .send()
        .await;
    let seen: Vec<(&str, &str)> = notifications["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["type"].as_str().unwrap(), n["content"].as_str().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            ("payment_method_deleted", "Visa ending 4242 was removed."),
            ("payment_method_added", "Visa ending 4242 was added."),
            ("payment_method_added", "Visa ending 4242 was added."),
            (
                "welcome",
                "Your account is ready: you can buy, and you can sell."
            ),
        ],
        "{}",
        notifications.text
    );
    assert_eq!(
        notifications["items"][0]["metadata"]["payment_method_id"],
        second_id
    );
}

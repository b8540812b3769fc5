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

//! Profiles, public profiles, the country rule, and accounts as other modules read them.

use super::*;

#[tokio::test]
async fn the_profile_updates_validate_and_the_status_cannot_be_changed() {
    let (_, reg) = new_user().await;
    let token = reg["access_token"].as_str().unwrap().to_string();
    let api = stack().api();
    let patch = |body: Value| {
        let token = token.clone();
        async move {
            stack()
                .api()
                .patch("/api/v1/account/me")
                .bearer(&token)
                .json(body)
                .send()
                .await
        }
    };
    let updated = patch(json!({
        "name": "Bình", "gender": "female", "date_of_birth": "1990-05-31",
        "description": "seller of bikes",
    }))
    .await;
    updated.assert_status(200);
    assert_eq!(
        (updated["name"].as_str(), updated["date_of_birth"].as_str()),
        (Some("Bình"), Some("1990-05-31"))
    );
    let cleared = patch(json!({ "description": null })).await;
    assert_eq!(cleared["description"], Value::Null);
    patch(json!({ "status": "suspended" }))
        .await
        .assert_error(422, "validation");
    patch(json!({ "gender": "robot" }))
        .await
        .assert_error(422, "validation");
    patch(json!({ "date_of_birth": "2999-01-01" }))
        .await
        .assert_error(422, "validation");
    patch(json!({ "description": "x".repeat(501) }))
        .await
        .assert_error(422, "validation");
    patch(json!({ "name": "Bình\r\nAdmin" }))
        .await
        .assert_error(422, "validation");
    let described = patch(json!({ "description": "bikes\r\nand parts" })).await;
    assert_eq!(
        described["description"], "bikes\nand parts",
        "a description keeps its lines, each break stored as \\n"
    );
    patch(json!({ "username": null }))
        .await
        .assert_error(422, "identifier_required");
    let (taken, _) = new_user().await;
    patch(json!({ "username": taken }))
        .await
        .assert_error(409, "username_taken");
    assert_eq!(
        api.get("/api/v1/account/me").bearer(&token).send().await["status"],
        "active"
    );
    api.get("/api/v1/account/me")
        .send()
        .await
        .assert_error(401, "unauthorized");
}

#[tokio::test]
async fn public_profiles_show_no_contact_details() {
    let email = format!("{}@example.com", unique("pub"));
    let reg = register(json!({
        "username": unique("p"), "email": email, "password": "correct horse", "country": "VN",
    }))
    .await;
    let id = reg["account"]["id"].as_str().unwrap();
    let profile = stack()
        .api()
        .get(&format!("/api/v1/account/accounts/{id}"))
        .send()
        .await;
    profile.assert_status(200);
    assert_eq!(profile["id"], id);
    for hidden in ["email", "phone", "date_of_birth", "status"] {
        assert!(
            profile.body.get(hidden).is_none(),
            "{hidden} must not be public: {}",
            profile.text
        );
    }
    stack()
        .api()
        .get(&format!("/api/v1/account/accounts/{}", Uuid::new_v4()))
        .send()
        .await
        .assert_error(404, "account_not_found");
}

#[tokio::test]
async fn the_country_changes_only_while_the_wallet_is_empty() {
    let (_, reg) = new_user().await;
    let token = reg["access_token"].as_str().unwrap();
    let api = stack().api();
    let changed = api
        .put("/api/v1/account/me/country")
        .bearer(token)
        .json(json!({ "country": "JP" }))
        .send()
        .await;
    changed.assert_status(200);
    assert_eq!(
        (changed["country"].as_str(), changed["currency"].as_str()),
        (Some("JP"), Some("JPY"))
    );
    api.put("/api/v1/account/me/country")
        .bearer(token)
        .json(json!({ "country": "ZZ" }))
        .send()
        .await
        .assert_error(422, "validation");
    let id = Uuid::parse_str(reg["account"]["id"].as_str().unwrap()).unwrap();
    stack()
        .db()
        .await
        .execute(
            "UPDATE account.wallet SET balance = 500 WHERE account_id = $1",
            &[&id],
        )
        .await
        .unwrap();
    api.put("/api/v1/account/me/country")
        .bearer(token)
        .json(json!({ "country": "US" }))
        .send()
        .await
        .assert_error(409, "wallet_not_empty");
    assert_eq!(
        api.get("/api/v1/account/me").bearer(token).send().await["country"],
        "JP"
    );
}

#[tokio::test]
async fn other_modules_read_accounts_contacts_and_currency_in_batches() {
    let (a, token_a) = user().await;
    let (b, _) = user().await;
    add_contact(&token_a, "Shop").await.assert_status(201);
    let internal = stack().internal("account");
    let batch = internal
        .post("/internal/accounts/batch")
        .json(json!({ "account_ids": [a, b, Uuid::new_v4()] }))
        .send()
        .await;
    let items = batch["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(
        items
            .iter()
            .all(|i| i["currency"] == "VND" && i.get("email").is_none())
    );
    let contacts = internal
        .post("/internal/contacts/default")
        .json(json!({ "account_ids": [a, b] }))
        .send()
        .await;
    assert_eq!(contacts["items"].as_array().unwrap().len(), 1);
    assert_eq!(contacts["items"][0]["account_id"], a.to_string());
    let currency = internal
        .get(&format!("/internal/accounts/{a}/currency"))
        .send()
        .await;
    assert_eq!(currency["currency"], "VND");
    internal
        .post("/internal/accounts/batch")
        .json(json!({ "account_ids": [] }))
        .send()
        .await
        .assert_error(422, "validation");
}

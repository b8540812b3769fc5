//! Accounts through the real stack: registration, sign-in with throttling, rotating refresh
//! tokens with family revocation, sign-out, profiles and the country rule.

use serde_json::{Value, json};
use souk_e2e::{Reply, stack};
use uuid::Uuid;

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", &Uuid::new_v4().simple().to_string()[..10])
}

async fn register(body: Value) -> Reply {
    stack()
        .api()
        .post("/api/v1/account/auth/register")
        .json(body)
        .send()
        .await
}

/// Registers a fresh account with a username and password `correct horse`.
async fn new_user() -> (String, Reply) {
    let username = unique("u");
    let reply =
        register(json!({ "username": username, "password": "correct horse", "country": "VN" }))
            .await;
    reply.assert_status(201);
    (username, reply)
}

async fn login(identifier: &str, password: &str) -> Reply {
    stack()
        .api()
        .post("/api/v1/account/auth/login")
        .json(json!({ "identifier": identifier, "password": password }))
        .send()
        .await
}

async fn refresh(token: &str) -> Reply {
    stack()
        .api()
        .post("/api/v1/account/auth/refresh")
        .json(json!({ "refresh_token": token }))
        .send()
        .await
}

#[tokio::test]
async fn registration_returns_the_account_and_a_working_session() {
    let email = format!("{}@example.com", unique("Ann."));
    let reply = register(json!({ "email": email, "phone": "+84 90 123 4567".replace("4567", &format!("{:04}", rand4())), "password": "correct horse", "country": "VN", "name": "Ann" })).await;
    reply.assert_status(201);
    let account = &reply["account"];
    assert_eq!(
        account["email"],
        email.to_lowercase(),
        "e-mail is stored lower-case"
    );
    assert_eq!(
        (account["country"].as_str(), account["currency"].as_str()),
        (Some("VN"), Some("VND"))
    );
    assert_eq!(account["status"], "active");
    assert_eq!(reply["token_type"], "Bearer");
    assert!(account.get("password_hash").is_none());
    let me = stack()
        .api()
        .get("/api/v1/account/me")
        .bearer(reply["access_token"].as_str().unwrap())
        .send()
        .await;
    me.assert_status(200);
    assert_eq!(me["id"], account["id"]);
}

fn rand4() -> u16 {
    (Uuid::new_v4().as_u128() % 10_000) as u16
}

#[tokio::test]
async fn registration_refuses_bad_and_duplicate_identifiers() {
    let (username, _) = new_user().await;
    register(json!({ "username": username.to_uppercase(), "password": "correct horse", "country": "VN" })).await.assert_error(409, "username_taken");
    let email = format!("{}@example.com", unique("dup"));
    register(json!({ "email": email, "password": "correct horse", "country": "US" }))
        .await
        .assert_status(201);
    register(
        json!({ "email": email.to_uppercase(), "password": "correct horse", "country": "US" }),
    )
    .await
    .assert_error(409, "email_taken");
    for (body, code) in [
        (
            json!({ "password": "correct horse", "country": "VN" }),
            "identifier_required",
        ),
        (
            json!({ "username": unique("u"), "password": "short", "country": "VN" }),
            "validation",
        ),
        (
            json!({ "username": unique("u"), "password": "correct horse", "country": "XX" }),
            "validation",
        ),
        (
            json!({ "username": unique("u"), "password": "correct horse", "country": "vn" }),
            "validation",
        ),
        (
            json!({ "username": "1bad", "password": "correct horse", "country": "VN" }),
            "validation",
        ),
        (
            json!({ "email": "not-an-email", "password": "correct horse", "country": "VN" }),
            "validation",
        ),
        (
            json!({ "phone": "0901234567", "password": "correct horse", "country": "VN" }),
            "validation",
        ),
        (
            json!({ "username": unique("u"), "password": "correct horse", "country": "VN", "status": "active" }),
            "validation",
        ),
        (
            json!({ "username": unique("u"), "password": 12345678, "country": "VN" }),
            "validation",
        ),
    ] {
        register(body.clone()).await.assert_error(422, code);
    }
}

#[tokio::test]
async fn login_works_with_any_identifier_and_never_says_which_part_was_wrong() {
    let email = format!("{}@example.com", unique("login"));
    let username = unique("l");
    register(json!({ "username": username, "email": email, "password": "correct horse", "country": "DE" })).await.assert_status(201);
    login(&username, "correct horse").await.assert_status(200);
    login(&email.to_uppercase(), "correct horse")
        .await
        .assert_status(200);
    let wrong_password = login(&username, "wrong horse!").await;
    wrong_password.assert_error(401, "invalid_credentials");
    let unknown = login(&unique("nobody"), "wrong horse!").await;
    unknown.assert_error(401, "invalid_credentials");
    assert_eq!(
        wrong_password["error"]["message"],
        unknown["error"]["message"]
    );
}

#[tokio::test]
async fn repeated_login_failures_are_throttled_with_retry_after() {
    let (username, _) = new_user().await;
    for _ in 0..5 {
        login(&username, "wrong horse!")
            .await
            .assert_error(401, "invalid_credentials");
    }
    let throttled = login(&username, "correct horse").await;
    throttled.assert_error(429, "too_many_requests");
    let retry: u64 = throttled.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_revokes_the_session() {
    let (_, reg) = new_user().await;
    let first = reg["refresh_token"].as_str().unwrap().to_string();
    let second = refresh(&first).await;
    second.assert_status(200);
    let second_token = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(second_token, first);
    let third = refresh(&second_token).await;
    third.assert_status(200);
    let third_token = third["refresh_token"].as_str().unwrap().to_string();

    refresh(&first)
        .await
        .assert_error(401, "refresh_token_reused");
    refresh(&third_token)
        .await
        .assert_error(401, "invalid_refresh_token");
    refresh("not-a-token")
        .await
        .assert_error(401, "invalid_refresh_token");
}

#[tokio::test]
async fn logout_ends_this_session_and_logout_all_ends_every_session() {
    let (username, reg) = new_user().await;
    let other = login(&username, "correct horse").await;
    let api = stack().api();
    api.post("/api/v1/account/auth/logout")
        .bearer(reg["access_token"].as_str().unwrap())
        .send()
        .await
        .assert_status(204);
    refresh(reg["refresh_token"].as_str().unwrap())
        .await
        .assert_error(401, "invalid_refresh_token");
    let other_refreshed = refresh(other["refresh_token"].as_str().unwrap()).await;
    other_refreshed.assert_status(200);

    api.post("/api/v1/account/auth/logout-all")
        .bearer(other["access_token"].as_str().unwrap())
        .send()
        .await
        .assert_status(204);
    refresh(other_refreshed["refresh_token"].as_str().unwrap())
        .await
        .assert_error(401, "invalid_refresh_token");
    api.post("/api/v1/account/auth/logout")
        .send()
        .await
        .assert_error(401, "unauthorized");
}

#[tokio::test]
async fn a_suspended_account_cannot_sign_in_or_refresh() {
    let (username, reg) = new_user().await;
    let id = Uuid::parse_str(reg["account"]["id"].as_str().unwrap()).unwrap();
    let db = stack().db().await;
    db.execute(
        "UPDATE account.account SET status = 'suspended' WHERE id = $1",
        &[&id],
    )
    .await
    .unwrap();
    login(&username, "correct horse")
        .await
        .assert_error(403, "account_suspended");
    refresh(reg["refresh_token"].as_str().unwrap())
        .await
        .assert_error(403, "account_suspended");
}

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
    let updated = patch(json!({ "name": "Bình", "gender": "female", "date_of_birth": "1990-05-31", "description": "seller of bikes" })).await;
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
    let reg = register(json!({ "username": unique("p"), "email": email, "password": "correct horse", "country": "VN" })).await;
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

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
    let phone = "+84 90 123 4567".replace("4567", &format!("{:04}", rand4()));
    let reply = register(json!({
        "email": email, "phone": phone, "password": "correct horse", "country": "VN", "name": "Ann",
    }))
    .await;
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
    register(json!({
        "username": username.to_uppercase(), "password": "correct horse", "country": "VN",
    }))
    .await
    .assert_error(409, "username_taken");
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
            json!({
                "username": unique("u"), "password": "correct horse", "country": "VN",
                "status": "active",
            }),
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
    register(json!({
        "username": username, "email": email, "password": "correct horse", "country": "DE",
    }))
    .await
    .assert_status(201);
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

/// A fresh account: (id, access token).
async fn user() -> (Uuid, String) {
    let (_, reg) = new_user().await;
    (
        Uuid::parse_str(reg["account"]["id"].as_str().unwrap()).unwrap(),
        reg["access_token"].as_str().unwrap().to_string(),
    )
}

async fn wallet_move(action: &str, account: Uuid, amount: i64, key: &str) -> Reply {
    stack()
        .internal("account")
        .post(&format!("/internal/wallet/{action}"))
        .header("idempotency-key", key)
        .json(json!({
            "account_id": account, "amount": amount, "currency": "VND", "reason": "test",
            "reference": "order-1",
        }))
        .send()
        .await
}

#[tokio::test]
async fn concurrent_debits_never_overdraw_the_wallet() {
    let (id, token) = user().await;
    wallet_move("credit", id, 100, &unique("k"))
        .await
        .assert_status(200);
    let attempts =
        (0..6).map(|_| async move { wallet_move("debit", id, 60, &unique("k")).await.status });
    let statuses = futures::future::join_all(attempts).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        5,
        "{statuses:?}"
    );
    let wallet = stack()
        .api()
        .get("/api/v1/account/wallet")
        .bearer(&token)
        .send()
        .await;
    assert_eq!(
        (wallet["balance"].as_i64(), wallet["currency"].as_str()),
        (Some(40), Some("VND"))
    );
    let ledger = stack()
        .api()
        .get("/api/v1/account/wallet/entries")
        .bearer(&token)
        .send()
        .await;
    let kinds: Vec<(&str, i64)> = ledger["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap(),
                e["balance_after"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(kinds, [("debit", 40), ("credit", 100)]);
    assert!(
        ledger["items"][0]["idempotency_key"]
            .as_str()
            .is_some_and(|k| !k.is_empty()),
        "{}",
        ledger.text
    );
}

#[tokio::test]
async fn wallet_movements_happen_once_per_key_and_in_the_wallets_currency() {
    let (id, token) = user().await;
    let k = unique("k");
    let first = wallet_move("credit", id, 250, &k).await;
    let again = wallet_move("credit", id, 250, &k).await;
    assert_eq!(first.body, again.body);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        stack()
            .api()
            .get("/api/v1/account/wallet")
            .bearer(&token)
            .send()
            .await["balance"],
        250
    );
    wallet_move("debit", id, 251, &unique("k"))
        .await
        .assert_error(409, "insufficient_funds");
    wallet_move("debit", id, 0, &unique("k"))
        .await
        .assert_error(422, "validation");
    stack()
        .internal("account")
        .post("/internal/wallet/debit")
        .header("idempotency-key", &unique("k"))
        .json(json!({ "account_id": id, "amount": 1, "currency": "USD", "reason": "test" }))
        .send()
        .await
        .assert_error(422, "currency_mismatch");
    wallet_move("debit", Uuid::new_v4(), 1, &unique("k"))
        .await
        .assert_error(404, "account_not_found");
}

async fn add_contact(token: &str, name: &str) -> Reply {
    add_contact_keyed(token, name, None).await
}

/// Adds a contact, with `key` as its `Idempotency-Key` when given.
async fn add_contact_keyed(token: &str, name: &str, key: Option<&str>) -> Reply {
    let mut call = stack()
        .api()
        .post("/api/v1/account/contacts")
        .bearer(token)
        .json(json!({
            "full_name": name, "phone": "+84901234567", "address": "1 Lê Lợi, Huế",
            "address_type": "home",
        }));
    if let Some(key) = key {
        call = call.header("idempotency-key", key);
    }
    call.send().await
}

#[tokio::test]
async fn contacts_keep_exactly_one_default_and_at_least_one_contact() {
    let (_, token) = user().await;
    let api = stack().api();
    let first = add_contact(&token, "Home").await;
    first.assert_status(201);
    assert_eq!(
        first["is_default"], true,
        "the first contact becomes the default"
    );
    let second = add_contact(&token, "Work").await;
    assert_eq!(second["is_default"], false);
    let (a, b) = (
        first["id"].as_str().unwrap(),
        second["id"].as_str().unwrap(),
    );
    api.post(&format!("/api/v1/account/contacts/{b}/default"))
        .bearer(&token)
        .send()
        .await
        .assert_status(200);
    let list = api
        .get("/api/v1/account/contacts")
        .bearer(&token)
        .send()
        .await;
    let defaults: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["is_default"] == true)
        .collect();
    assert_eq!((defaults.len(), defaults[0]["id"].as_str()), (1, Some(b)));
    api.delete(&format!("/api/v1/account/contacts/{b}"))
        .bearer(&token)
        .send()
        .await
        .assert_status(204);
    assert_eq!(
        api.get(&format!("/api/v1/account/contacts/{a}"))
            .bearer(&token)
            .send()
            .await["is_default"],
        true,
        "the default moves"
    );
    api.delete(&format!("/api/v1/account/contacts/{a}"))
        .bearer(&token)
        .send()
        .await
        .assert_error(409, "cannot_delete_last_contact");
    let patched = api
        .patch(&format!("/api/v1/account/contacts/{a}"))
        .bearer(&token)
        .json(json!({ "full_name": "Nhà" }))
        .send()
        .await;
    assert_eq!(patched["full_name"], "Nhà");
    api.patch(&format!("/api/v1/account/contacts/{a}"))
        .bearer(&token)
        .json(json!({ "address_type": "boat" }))
        .send()
        .await
        .assert_error(422, "validation");
    stack()
        .api()
        .post("/api/v1/account/contacts")
        .bearer(&token)
        .json(json!({ "full_name": "x", "phone": "12", "address": "a", "address_type": "home" }))
        .send()
        .await
        .assert_error(422, "validation");

    let (_, stranger) = user().await;
    api.get(&format!("/api/v1/account/contacts/{a}"))
        .bearer(&stranger)
        .send()
        .await
        .assert_error(404, "contact_not_found");
    api.delete(&format!("/api/v1/account/contacts/{a}"))
        .bearer(&stranger)
        .send()
        .await
        .assert_error(404, "contact_not_found");
}

#[tokio::test]
async fn favorites_are_idempotent_and_checked_in_batches() {
    let (id, token) = user().await;
    let api = stack().api();
    let (p1, p2, p3) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    api.post(&format!("/api/v1/account/favorites/{p1}"))
        .bearer(&token)
        .send()
        .await
        .assert_status(201);
    api.post(&format!("/api/v1/account/favorites/{p1}"))
        .bearer(&token)
        .send()
        .await
        .assert_status(200);
    api.post(&format!("/api/v1/account/favorites/{p2}"))
        .bearer(&token)
        .send()
        .await
        .assert_status(201);
    let page = api
        .get("/api/v1/account/favorites?limit=1")
        .bearer(&token)
        .send()
        .await;
    assert_eq!(page["items"][0]["spu_id"], p2.to_string(), "newest first");
    let cursor = page["next_cursor"].as_str().unwrap();
    let next = api
        .get(&format!(
            "/api/v1/account/favorites?limit=1&cursor={cursor}"
        ))
        .bearer(&token)
        .send()
        .await;
    assert_eq!(next["items"][0]["spu_id"], p1.to_string());
    let check = stack()
        .internal("account")
        .post("/internal/favorites/check")
        .json(json!({ "account_id": id, "spu_ids": [p1, p2, p3] }))
        .send()
        .await;
    let mut expected = vec![p1.to_string(), p2.to_string()];
    expected.sort();
    assert_eq!(check["favorites"], json!(expected));
    api.delete(&format!("/api/v1/account/favorites/{p1}"))
        .bearer(&token)
        .send()
        .await
        .assert_status(204);
    api.delete(&format!("/api/v1/account/favorites/{p1}"))
        .bearer(&token)
        .send()
        .await
        .assert_status(204);
    api.post("/api/v1/account/favorites/not-a-uuid")
        .bearer(&token)
        .send()
        .await
        .assert_error(404, "product_not_found");
}

#[tokio::test]
async fn notifications_come_from_other_modules_and_are_read_by_their_owner() {
    let (id, token) = user().await;
    let internal = stack().internal("account");
    let k = unique("k");
    for (i, key) in [k.clone(), k.clone(), unique("k")].iter().enumerate() {
        internal
            .post("/internal/notifications")
            .header("idempotency-key", key)
            .json(json!({
                "account_id": id, "type": "welcome",
                "title": if i == 2 { "second" } else { "first" },
                "metadata": { "n": 1 },
            }))
            .send()
            .await
            .assert_status(201);
    }
    let api = stack().api();
    assert_eq!(
        api.get("/api/v1/account/notifications/unread-count")
            .bearer(&token)
            .send()
            .await["count"],
        3,
        "two from other modules (the repeated key created one) and the welcome notification"
    );
    let list = api
        .get("/api/v1/account/notifications")
        .bearer(&token)
        .send()
        .await;
    assert_eq!(list["items"][0]["title"], "second");
    assert_eq!(list["items"][1]["metadata"], json!({ "n": 1 }));
    let first_id = list["items"][1]["id"].as_str().unwrap();
    let (_, stranger) = user().await;
    assert_eq!(
        api.post("/api/v1/account/notifications/read")
            .bearer(&stranger)
            .json(json!({ "ids": [first_id] }))
            .send()
            .await["marked"],
        0
    );
    assert_eq!(
        api.post("/api/v1/account/notifications/read")
            .bearer(&token)
            .json(json!({ "ids": [first_id] }))
            .send()
            .await["marked"],
        1
    );
    assert_eq!(
        api.get("/api/v1/account/notifications/unread-count")
            .bearer(&token)
            .send()
            .await["count"],
        2
    );
    api.post("/api/v1/account/notifications/read-all")
        .bearer(&token)
        .send()
        .await
        .assert_status(200);
    assert_eq!(
        api.get("/api/v1/account/notifications/unread-count")
            .bearer(&token)
            .send()
            .await["count"],
        0
    );
    api.post("/api/v1/account/notifications/read")
        .bearer(&token)
        .json(json!({ "ids": [] }))
        .send()
        .await
        .assert_error(422, "validation");
    internal
        .post("/internal/notifications")
        .header("idempotency-key", &unique("k"))
        .json(json!({ "account_id": id, "type": "Bad Type", "title": "x" }))
        .send()
        .await
        .assert_error(422, "validation");
}

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

#[tokio::test]
async fn a_contact_created_twice_with_one_idempotency_key_exists_once() {
    let (_, token) = user().await;
    let key = unique("contact");
    let create = || add_contact_keyed(&token, "Lan", Some(&key));
    let first = create().await;
    first.assert_status(201);
    let again = create().await;
    again.assert_status(201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        again["id"], first["id"],
        "the first answer, not a second contact"
    );
    assert_eq!(again.header("location"), first.header("location"));
    let listed = stack()
        .api()
        .get("/api/v1/account/contacts")
        .bearer(&token)
        .send()
        .await;
    listed.assert_status(200);
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn sign_in_answers_are_never_kept_under_an_idempotency_key() {
    let (username, _) = new_user().await;
    let key = unique("login");
    let login_keyed = || {
        stack()
            .api()
            .post("/api/v1/account/auth/login")
            .header("idempotency-key", &key)
            .json(json!({ "identifier": username, "password": "correct horse" }))
            .send()
    };
    let first = login_keyed().await;
    first.assert_status(200);
    let again = login_keyed().await;
    again.assert_status(200);
    assert_eq!(
        again.header("idempotent-replayed"),
        None,
        "a fresh sign-in, not a replay"
    );
    assert_ne!(again["refresh_token"], first["refresh_token"]);
    let kept: i64 = stack()
        .db()
        .await
        .query_one(
            "SELECT count(*) FROM account.idempotency_key WHERE key = $1",
            &[&key],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(kept, 0, "tokens are never stored with a key");
}

#[tokio::test]
async fn guesses_sent_at_once_get_no_more_password_checks_than_the_limit() {
    let (username, _) = new_user().await;
    let guesses = (0..12).map(|_| login(&username, "wrong horse!"));
    let answers = futures::future::join_all(guesses).await;
    let checked = answers.iter().filter(|a| a.status == 401).count();
    let throttled = answers.iter().filter(|a| a.status == 429).count();
    assert_eq!(
        checked + throttled,
        12,
        "every guess is refused one way or the other"
    );
    assert_eq!(
        checked, 5,
        "five guesses per window reach the password check, however sent"
    );
    login(&username, "correct horse")
        .await
        .assert_error(429, "too_many_requests");
}

#[tokio::test]
async fn a_wallet_movement_retried_after_its_idempotency_record_expired_is_refused_not_repeated() {
    let (id, token) = user().await;
    let k = unique("k");
    wallet_move("credit", id, 250, &k).await.assert_status(200);
    // The record expires (idempotency_ttl_hours) while, say, an operator's retry is pending.
    stack()
        .db()
        .await
        .execute("DELETE FROM account.idempotency_key WHERE key = $1", &[&k])
        .await
        .unwrap();
    wallet_move("credit", id, 250, &k)
        .await
        .assert_error(409, "wallet_entry_exists");
    let wallet = stack()
        .api()
        .get("/api/v1/account/wallet")
        .bearer(&token)
        .send()
        .await;
    assert_eq!(wallet["balance"], 250, "credited once");
}

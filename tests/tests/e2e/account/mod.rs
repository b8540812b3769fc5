//! Accounts through the real stack, one file per resource: registration and sign-in
//! ([`auth`]), the client address the limits count ([`addresses`]), profiles and the country
//! rule ([`profile`]), the wallet, contacts, favourites, notifications and payment methods. The
//! helpers every file uses are here.

mod addresses;
mod auth;
mod contacts;
mod favorites;
mod notifications;
mod payment_methods;
mod profile;
mod wallet;

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

/// A fresh account: (id, access token).
async fn user() -> (Uuid, String) {
    let (_, reg) = new_user().await;
    (
        Uuid::parse_str(reg["account"]["id"].as_str().unwrap()).unwrap(),
        reg["access_token"].as_str().unwrap().to_string(),
    )
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

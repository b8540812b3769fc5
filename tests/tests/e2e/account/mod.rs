//! Accounts through the real stack, one file per resource: registration and sign-in
//! ([`auth`]), the client address the limits count ([`addresses`]), profiles and the country
//! rule ([`profile`]), the wallet, contacts, favourites, notifications and payment methods,
//! and the reads other modules make of them ([`internal_reads`]). The helpers every file uses
//! are here.

mod addresses;
mod auth;
mod contacts;
mod favorites;
mod internal_reads;
mod notifications;
mod payment_methods;
mod profile;
mod wallet;

use std::sync::OnceLock;

use serde_json::{Value, json};
use souk_e2e::{Reply, Stack, Variant, stack};
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

/// Registrations one address may make per hour on the proxied stack.
const REGISTRATIONS: usize = 3;

/// A stack whose trusted proxy is 127.0.0.1, where every test runs from, so each test can be
/// a client of its own by the `X-Forwarded-For` it sends.
fn proxied() -> &'static Stack {
    static PROXIED: OnceLock<Stack> = OnceLock::new();
    PROXIED.get_or_init(|| {
        // The shared stack first: its start forgets every sign-in counter, which must not
        // happen while tests count on this one.
        stack();
        Stack::private_with(Variant {
            env: vec![
                (
                    "SPIN_VARIABLE_TRUSTED_PROXIES".into(),
                    "127.0.0.1/32".into(),
                ),
                (
                    "SPIN_VARIABLE_REGISTRATIONS_PER_ADDRESS_PER_HOUR".into(),
                    REGISTRATIONS.to_string(),
                ),
            ],
            ..Variant::default()
        })
        .expect("a stack behind a trusted proxy starts")
    })
}

/// A /64 of the documentation range no other test (or earlier run) uses.
fn fresh_block() -> String {
    let n = Uuid::new_v4().as_u128();
    // Groups of four digits, never zero, so the /64 prints as written: `2001:db8:xxxx:xxxx::/64`.
    format!(
        "2001:db8:{:x}:{:x}",
        (n >> 16) as u16 | 0x1000,
        n as u16 | 0x1000
    )
}

/// Signs in on `on` as the client `forwarded_for` (believed on the [`proxied`] stack only).
async fn login_from(on: &Stack, forwarded_for: &str, identifier: &str, password: &str) -> Reply {
    on.api()
        .post("/api/v1/account/auth/login")
        .header("x-forwarded-for", forwarded_for)
        .json(json!({ "identifier": identifier, "password": password }))
        .send()
        .await
}

/// Registers `body` on `on` as the client `forwarded_for`.
async fn register_on(on: &Stack, forwarded_for: &str, body: Value) -> Reply {
    on.api()
        .post("/api/v1/account/auth/register")
        .header("x-forwarded-for", forwarded_for)
        .json(body)
        .send()
        .await
}

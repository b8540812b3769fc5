//! Ending access tokens before they expire: an operator's suspension (and reinstatement),
//! sign-out everywhere and sign-out of one session — seen by account and by another module,
//! which verify tokens locally. And the key split: only account can mint tokens.

use serde_json::{Value, json};
use souk_e2e::{Reply, stack};
use uuid::Uuid;

/// A fresh account: (username, registration answer), password `correct horse`.
async fn new_user() -> (String, Reply) {
    let username = format!("s{}", &Uuid::new_v4().simple().to_string()[..12]);
    let reply = stack()
        .api()
        .post("/api/v1/account/auth/register")
        .json(json!({ "username": username, "password": "correct horse", "country": "VN" }))
        .send()
        .await;
    reply.assert_status(201);
    (username, reply)
}

async fn login(username: &str) -> Reply {
    stack()
        .api()
        .post("/api/v1/account/auth/login")
        .json(json!({ "identifier": username, "password": "correct horse" }))
        .send()
        .await
}

async fn refresh(session: &Reply) -> Reply {
    stack()
        .api()
        .post("/api/v1/account/auth/refresh")
        .json(json!({ "refresh_token": session["refresh_token"] }))
        .send()
        .await
}

fn access(session: &Reply) -> &str {
    session["access_token"].as_str().expect("an access token")
}

async fn me(token: &str) -> Reply {
    stack()
        .api()
        .get("/api/v1/account/me")
        .bearer(token)
        .send()
        .await
}

/// A signed-in call to catalog, which verifies the token itself: a reply to a review that does
/// not exist is 404 once the token is accepted.
async fn catalog_call(token: &str) -> Reply {
    stack()
        .api()
        .post(&format!(
            "/api/v1/catalog/reviews/{}/replies",
            Uuid::new_v4()
        ))
        .bearer(token)
        .json(json!({ "body": "thanks" }))
        .send()
        .await
}

async fn operator(action: &str, account: &str, token: &str, body: Option<Value>) -> Reply {
    let mut call = stack()
        .api()
        .post(&format!("/api/v1/account/accounts/{account}/{action}"))
        .bearer(token);
    if let Some(body) = body {
        call = call.json(body);
    }
    call.send().await
}

#[tokio::test]
async fn a_suspended_accounts_tokens_sessions_and_sign_in_end_at_once_until_it_is_reinstated() {
    let (username, session) = new_user().await;
    let id = session["account"]["id"].as_str().unwrap().to_string();
    let admin = &stack().admin_token;
    me(access(&session)).await.assert_status(200);
    catalog_call(access(&session))
        .await
        .assert_error(404, "review_not_found");

    operator("suspend", &id, access(&session), None)
        .await
        .assert_error(401, "unauthorized");
    let suspended = operator(
        "suspend",
        &id,
        admin,
        Some(json!({ "reason": "chargebacks" })),
    )
    .await;
    suspended.assert_status(200);
    assert_eq!(
        (
            suspended["status"].as_str(),
            suspended["suspension_reason"].as_str()
        ),
        (Some("suspended"), Some("chargebacks"))
    );
    assert!(
        suspended["suspended_at"].is_string(),
        "{:?}",
        suspended.json()
    );

    // The very next requests, in account and in catalog: not after the token's 15 minutes.
    me(access(&session))
        .await
        .assert_error(401, "token_revoked");
    catalog_call(access(&session))
        .await
        .assert_error(401, "token_revoked");
    refresh(&session)
        .await
        .assert_error(401, "invalid_refresh_token");
    login(&username)
        .await
        .assert_error(403, "account_suspended");

    let reinstated = operator("reinstate", &id, admin, None).await;
    reinstated.assert_status(200);
    assert_eq!(reinstated["status"], "active");
    assert!(reinstated["suspended_at"].is_null());
    let again = login(&username).await;
    again.assert_status(200);
    me(access(&again)).await.assert_status(200);
    catalog_call(access(&again))
        .await
        .assert_error(404, "review_not_found");
    // What the suspension ended stays ended.
    me(access(&session))
        .await
        .assert_error(401, "token_revoked");

    operator("suspend", &Uuid::new_v4().to_string(), admin, None)
        .await
        .assert_error(404, "account_not_found");
    operator("reinstate", &id, admin, Some(json!({ "reason": "x" })))
        .await
        .assert_status(200);
}

#[tokio::test]
async fn logout_all_ends_every_live_access_token_and_a_new_sign_in_works_at_once() {
    let (username, first) = new_user().await;
    let second = login(&username).await;
    second.assert_status(200);
    me(access(&second)).await.assert_status(200);

    stack()
        .api()
        .post("/api/v1/account/auth/logout-all")
        .bearer(access(&first))
        .send()
        .await
        .assert_status(204);
    for session in [&first, &second] {
        me(access(session)).await.assert_error(401, "token_revoked");
        catalog_call(access(session))
            .await
            .assert_error(401, "token_revoked");
    }
    // Within the same second as the sign-out: the new token is dated after it.
    let fresh = login(&username).await;
    fresh.assert_status(200);
    me(access(&fresh)).await.assert_status(200);
    let refreshed = refresh(&fresh).await;
    refreshed.assert_status(200);
    me(access(&refreshed)).await.assert_status(200);
}

#[tokio::test]
async fn logout_ends_that_sessions_access_tokens_and_no_other() {
    let (username, first) = new_user().await;
    let second = login(&username).await;
    second.assert_status(200);
    stack()
        .api()
        .post("/api/v1/account/auth/logout")
        .bearer(access(&first))
        .send()
        .await
        .assert_status(204);
    me(access(&first)).await.assert_error(401, "token_revoked");
    me(access(&second)).await.assert_status(200);
    catalog_call(access(&second))
        .await
        .assert_error(404, "review_not_found");
}

#[tokio::test]
async fn a_token_signed_with_another_key_is_refused_everywhere() {
    let (_, session) = new_user().await;
    let account: Uuid = session["account"]["id"].as_str().unwrap().parse().unwrap();
    let claims = kit::auth::claims(account, Uuid::new_v4(), chrono::Utc::now(), 900);
    let forged = kit::auth::sign(&claims, &kit::auth::SigningKey::from_seed(&[3; 32]));
    me(&forged).await.assert_error(401, "unauthorized");
    catalog_call(&forged)
        .await
        .assert_error(401, "unauthorized");
    me(&stack().token_for(account)).await.assert_status(200);
}

/// The variables each component of a manifest is given.
fn component_variables(manifest: &str) -> Vec<(String, Vec<String>)> {
    let doc: toml::Table = manifest.parse().expect("the manifest is TOML");
    let components = doc
        .get("component")
        .and_then(|c| c.as_table())
        .expect("components");
    components
        .iter()
        .map(|(name, c)| {
            let vars = c
                .get("variables")
                .and_then(|v| v.as_table())
                .map(|t| t.keys().cloned().collect())
                .unwrap_or_default();
            (name.clone(), vars)
        })
        .collect()
}

#[test]
fn only_account_is_given_the_signing_key_and_every_verifier_the_public_key() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    for file in ["spin.toml", "tests/test-components.toml"] {
        let text = std::fs::read_to_string(format!("{root}/{file}")).unwrap();
        // The test manifest is a fragment with a placeholder for its build folder.
        let components = component_variables(&text.replace("@RELEASE@", "."));
        assert!(!components.is_empty(), "{file}");
        for (name, vars) in components {
            let has = |v: &str| vars.iter().any(|n| n == v);
            assert_eq!(
                has("jwt_signing_key"),
                name == "account",
                "{file}: {name} and jwt_signing_key"
            );
            if has("redis_url") && has("service_token") && name != "durable" {
                assert!(has("jwt_verify_key"), "{file}: {name} verifies tokens");
            }
        }
    }
}

#[tokio::test]
async fn a_refresh_racing_logout_all_leaves_no_session_alive() {
    // Each round: one refresh and one sign-out everywhere sent at once. Whichever commits
    // first, the session must end: a refresh token the racing refresh issued is refused.
    let rounds = futures::future::join_all((0..12).map(|_| async {
        let (_, session) = new_user().await;
        let api = stack().api();
        let (refreshed, out) = tokio::join!(
            refresh(&session),
            api.post("/api/v1/account/auth/logout-all")
                .bearer(access(&session))
                .send()
        );
        out.assert_status(204);
        if refreshed.status != 200 {
            return None;
        }
        Some(refresh(&refreshed).await.status)
    }))
    .await;
    let survived: Vec<_> = rounds.iter().flatten().filter(|s| **s == 200).collect();
    assert!(
        survived.is_empty(),
        "sessions that outlived logout-all: {rounds:?}"
    );
}

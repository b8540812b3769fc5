//! Registration, sign-in with throttling, rotating refresh tokens with family revocation,
//! sign-out.

use super::*;

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
        "UPDATE account.account SET status = 'suspended', suspended_at = now() WHERE id = $1",
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
    // On a client address of its own, so that the twelve guesses counted at once on the
    // address do not throttle the other tests' sign-ins from 127.0.0.1.
    let client = format!("{}::1", fresh_block());
    let username = unique("g");
    let body = json!({ "username": username, "password": "correct horse", "country": "VN" });
    register_on(proxied(), &client, body)
        .await
        .assert_status(201);
    let guesses = (0..12).map(|_| login_from(proxied(), &client, &username, "wrong horse!"));
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
    login_from(proxied(), &client, &username, "correct horse")
        .await
        .assert_error(429, "too_many_requests");
}

#[tokio::test]
async fn every_spelling_of_an_accounts_identifiers_counts_against_one_limit() {
    // From a client address of its own (see the test above).
    let client = format!("{}::1", fresh_block());
    let username = unique("s");
    let email = format!("{}@example.com", unique("spell"));
    let phone = format!("+8490{:03}{:04}", rand4() % 1000, rand4());
    let body = json!({
        "username": username, "email": email, "phone": phone, "password": "correct horse",
        "country": "VN",
    });
    register_on(proxied(), &client, body)
        .await
        .assert_status(201);
    let digits = &phone[1..];
    let spellings = [
        username.to_uppercase(),
        format!("  {username} "),
        email.to_uppercase(),
        format!("+{} {} {}", &digits[..2], &digits[2..5], &digits[5..]),
        format!("+{}-({})-{}", &digits[..2], &digits[2..5], &digits[5..]),
    ];
    for spelling in &spellings {
        login_from(proxied(), &client, spelling, "wrong horse!")
            .await
            .assert_error(401, "invalid_credentials");
    }
    login_from(proxied(), &client, &phone, "correct horse")
        .await
        .assert_error(429, "too_many_requests");
}

#[tokio::test]
async fn e_mail_addresses_fold_alike_at_registration_and_sign_in() {
    let local = unique("Ünal.");
    let email = format!("{}@Example.COM", local.to_uppercase());
    let reply =
        register(json!({ "email": email, "password": "correct horse", "country": "DE" })).await;
    reply.assert_status(201);
    let stored = format!("{}@example.com", local.to_lowercase());
    assert_eq!(reply["account"]["email"], stored);
    for spelling in [
        email.clone(),
        stored.clone(),
        format!("{local}@example.com"),
    ] {
        login(&spelling, "correct horse").await.assert_status(200);
    }
    register(json!({ "email": stored, "password": "correct horse", "country": "DE" }))
        .await
        .assert_error(409, "email_taken");
}

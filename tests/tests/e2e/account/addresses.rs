//! The client's address, as the per-address limits see it: the peer, whatever
//! `X-Forwarded-For` says, unless the peer is a configured trusted proxy; then the client the
//! proxy forwarded for, counted by /64 when it is IPv6. Registrations are limited per address.

use souk_e2e::Stack;

use super::*;

async fn failed_login(on: &Stack, forwarded_for: &str) -> Reply {
    login_from(on, forwarded_for, &unique("nobody"), "wrong horse!").await
}

async fn register_from(on: &Stack, forwarded_for: &str) -> Reply {
    let body = json!({ "username": unique("r"), "password": "correct horse", "country": "VN" });
    register_on(on, forwarded_for, body).await
}

/// Whether the sign-in failures of the address bucket `bucket` are being counted.
async fn counted(bucket: &str) -> bool {
    let client = redis::Client::open(stack().redis_url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("EXISTS")
        .arg(format!("souk:account:login-failures:ip:{bucket}"))
        .query_async::<bool>(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_forwarding_header_is_not_believed_without_trusted_proxies() {
    let block = fresh_block();
    let spoofed = format!("{block}::1");
    failed_login(stack(), &spoofed)
        .await
        .assert_error(401, "invalid_credentials");
    assert!(
        !counted(&format!("{block}::/64")).await,
        "anyone can write X-Forwarded-For: without trusted proxies it names nobody"
    );
    assert!(
        counted("127.0.0.1").await,
        "the failure counts against the peer"
    );

    // The same request through a trusted proxy is counted against the client it names.
    failed_login(proxied(), &spoofed)
        .await
        .assert_error(401, "invalid_credentials");
    assert!(counted(&format!("{block}::/64")).await);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_sign_in_limit_by_64_block() {
    let (attacker, bystander) = (fresh_block(), fresh_block());
    // Thirty failures, from thirty addresses of one /64, each after a forged first hop.
    for i in 1..=30 {
        failed_login(proxied(), &format!("192.0.2.{i}, {attacker}::{i:x}"))
            .await
            .assert_error(401, "invalid_credentials");
    }
    let throttled = failed_login(proxied(), &format!("{attacker}::ffff")).await;
    throttled.assert_error(429, "too_many_requests");
    assert!(throttled.header("retry-after").is_some());
    failed_login(proxied(), &format!("{bystander}::1"))
        .await
        .assert_error(401, "invalid_credentials");
}

#[tokio::test]
async fn registrations_are_throttled_per_address_with_retry_after() {
    let (block, other) = (fresh_block(), fresh_block());
    for i in 1..=REGISTRATIONS {
        register_from(proxied(), &format!("{block}::{i:x}"))
            .await
            .assert_status(201);
    }
    let refused = register_from(proxied(), &format!("{block}::abcd")).await;
    refused.assert_error(429, "too_many_registrations");
    let retry: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    register_from(proxied(), &format!("{other}::1"))
        .await
        .assert_status(201);
}

//! The wallet: exactly-once credits and debits, never overdrawn, in the wallet's currency.

use super::*;

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

#[tokio::test]
async fn credits_racing_a_change_of_country_never_land_in_another_currency() {
    for _ in 0..6 {
        let (id, token) = user().await;
        let credits = (0..6).map(|_| async move {
            let key = unique("k");
            wallet_move("credit", id, 100, &key).await
        });
        let change = stack()
            .api()
            .put("/api/v1/account/me/country")
            .bearer(&token)
            .json(json!({ "country": "JP" }))
            .send();
        let (credited, changed) = futures::join!(futures::future::join_all(credits), change);
        for answer in &credited {
            if answer.status != 200 {
                answer.assert_error(422, "currency_mismatch");
            }
        }
        let landed = credited.iter().filter(|a| a.status == 200).count() as i64;
        if changed.status == 200 {
            assert_eq!(
                landed, 0,
                "a credit landed in the wallet the change found empty"
            );
        } else {
            changed.assert_error(409, "wallet_not_empty");
        }
        let api = stack().api();
        let wallet = api
            .get("/api/v1/account/wallet")
            .bearer(&token)
            .send()
            .await;
        let me = api.get("/api/v1/account/me").bearer(&token).send().await;
        assert_eq!(wallet["balance"], 100 * landed);
        assert_eq!(wallet["currency"], me["currency"], "{}", wallet.text);
        let expected = if changed.status == 200 { "JPY" } else { "VND" };
        assert_eq!(wallet["currency"], expected);
        let ledger = api
            .get("/api/v1/account/wallet/entries")
            .bearer(&token)
            .send()
            .await;
        let entries = ledger["items"].as_array().unwrap();
        assert_eq!(entries.len() as i64, landed);
        assert!(
            entries.iter().all(|e| e["currency"] == wallet["currency"]),
            "{}",
            ledger.text
        );
    }
}

#[tokio::test]
async fn the_database_refuses_an_entry_or_a_currency_change_that_mixes_currencies() {
    let (id, _) = user().await;
    wallet_move("credit", id, 100, &unique("k"))
        .await
        .assert_status(200);
    let db = stack().db().await;
    let entry = db
        .execute(
            "INSERT INTO account.wallet_entry \
             (id, account_id, kind, amount, currency, balance_after, reason) \
             VALUES (gen_random_uuid(), $1, 'credit', 1, 'USD', 101, 'test')",
            &[&id],
        )
        .await
        .unwrap_err();
    assert!(
        format!("{entry:?}").contains("wallet_entry_currency_matches"),
        "{entry:?}"
    );
    let change = db
        .execute(
            "UPDATE account.wallet SET currency = 'JPY' WHERE account_id = $1",
            &[&id],
        )
        .await
        .unwrap_err();
    assert!(
        format!("{change:?}").contains("wallet_currency_needs_empty"),
        "{change:?}"
    );
}

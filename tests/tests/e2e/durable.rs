//! The transactional outbox through the real stack: inventory writes a message with its change,
//! Redis wakes the durable component (Spin's redis trigger), which relays it to account; refused
//! messages are dead-lettered; the admin tick delivers what a lost wake-up left behind.

use std::time::Duration;

use serde_json::{Value, json};
use souk_e2e::stack;
use uuid::Uuid;

/// Registers an account; returns (id, access token).
async fn account() -> (Uuid, String) {
    stack().register("VN").await
}

/// Stock of one unit for `seller`, then a reservation of it: the SKU sells out.
async fn sell_out(seller: Uuid) -> Uuid {
    let sku = Uuid::new_v4();
    let internal = stack().internal("inventory");
    internal
        .post("/internal/stock")
        .header("idempotency-key", &Uuid::new_v4().to_string())
        .json(json!({ "sku_id": sku, "seller_id": seller }))
        .send()
        .await
        .assert_status(201);
    stack()
        .api()
        .post(&format!("/api/v1/inventory/stock/{sku}/import"))
        .bearer(&stack().token_for(seller))
        .json(json!({ "quantity": 1 }))
        .send()
        .await
        .assert_status(200);
    internal
        .post("/internal/reservations")
        .header("idempotency-key", &Uuid::new_v4().to_string())
        .json(json!({ "reference": format!("checkout-{sku}"), "lines": [{ "sku_id": sku, "quantity": 1 }] }))
        .send()
        .await
        .assert_status(201);
    sku
}

/// Polls `check` every 100 ms for up to 15 s.
async fn eventually<F: AsyncFnMut() -> Option<T>, T>(check: F) -> Option<T> {
    souk_e2e::eventually(Duration::from_secs(15), check).await
}

async fn sold_out_notification(token: &str, sku: Uuid) -> Option<Value> {
    let list = stack()
        .api()
        .get("/api/v1/account/notifications")
        .bearer(token)
        .send()
        .await;
    list["items"]
        .as_array()?
        .iter()
        .find(|n| n["type"] == "stock_sold_out" && n["metadata"]["sku_id"] == sku.to_string())
        .cloned()
}

async fn outbox_row(sku: Uuid) -> Option<(String, Option<String>, i32)> {
    let db = stack().db().await;
    let row = db
        .query_opt(
            "SELECT status, last_error, attempts FROM inventory.outbox \
             WHERE body->'metadata'->>'sku_id' = $1",
            &[&sku.to_string()],
        )
        .await
        .unwrap()?;
    Some((row.get(0), row.get(1), row.get(2)))
}

#[tokio::test]
async fn a_sold_out_sku_notifies_its_seller_through_the_outbox() {
    let (seller, token) = account().await;
    let sku = sell_out(seller).await;
    let note = eventually(async || sold_out_notification(&token, sku).await).await;
    assert!(
        note.is_some(),
        "the seller is told; host log:\n{}",
        stack().log()
    );
    // The relay marks the row after the receiver answered, so the notification can show first.
    let delivered =
        eventually(async || outbox_row(sku).await.filter(|(s, _, _)| s == "delivered")).await;
    let (_, _, attempts) = delivered.expect("the relay marks the message delivered");
    assert_eq!(attempts, 1, "delivered on the first attempt");
}

#[tokio::test]
async fn a_message_the_receiver_refuses_is_dead_lettered_with_its_error() {
    let nobody = Uuid::new_v4();
    let sku = sell_out(nobody).await;
    let dead = eventually(async || outbox_row(sku).await.filter(|(s, _, _)| s == "dead")).await;
    let (_, error, _) =
        dead.unwrap_or_else(|| panic!("dead-lettered; host log:\n{}", stack().log()));
    assert!(error.unwrap_or_default().contains("account_not_found"));
}

#[tokio::test]
async fn the_admin_tick_delivers_messages_whose_wake_up_was_lost() {
    let (seller, token) = account().await;
    let sku = Uuid::new_v4();
    let body = json!({
        "account_id": seller, "type": "stock_sold_out", "title": "A product sold out",
        "metadata": { "sku_id": sku },
    });
    stack()
        .db()
        .await
        .execute(
            "INSERT INTO inventory.outbox (id, target, path, body, idempotency_key) \
             VALUES ($1, 'account', '/internal/notifications', $2, $3)",
            &[&Uuid::now_v7(), &body, &format!("test:{sku}")],
        )
        .await
        .unwrap();
    let api = stack().api();
    api.post("/api/v1/durable/tick")
        .send()
        .await
        .assert_error(401, "unauthorized");
    api.post("/api/v1/durable/tick")
        .bearer("wrong")
        .send()
        .await
        .assert_error(401, "unauthorized");
    let tick = api
        .post("/api/v1/durable/tick")
        .bearer(&stack().admin_token)
        .send()
        .await;
    tick.assert_status(200);
    assert!(tick["outboxes"]["inventory"].is_object(), "{}", tick.text);
    let note = eventually(async || sold_out_notification(&token, sku).await).await;
    assert!(
        note.is_some(),
        "delivered by the tick (or the sweep); host log:\n{}",
        stack().log()
    );
}

#[tokio::test]
async fn expired_idempotency_records_are_purged_by_later_writes() {
    let db = stack().db().await;
    let caller = format!("purge-{}", Uuid::new_v4());
    for i in 0..3 {
        db.execute(
            "INSERT INTO inventory.idempotency_key (caller, key, request_hash, expires_at) \
             VALUES ($1, $2, 'h', now() - interval '1 hour')",
            &[&caller, &format!("old-{i}")],
        )
        .await
        .unwrap();
    }
    let purging = (0..)
        .map(|i| format!("purge-{}-{i}", Uuid::new_v4()))
        .find(|k| kit::idempotency::purges_on(k))
        .unwrap();
    stack()
        .internal("inventory")
        .post("/internal/stock")
        .header("idempotency-key", &purging)
        .json(json!({ "sku_id": Uuid::new_v4(), "seller_id": Uuid::new_v4() }))
        .send()
        .await
        .assert_status(201);
    let left: i64 = db
        .query_one(
            "SELECT count(*) FROM inventory.idempotency_key WHERE caller = $1",
            &[&caller],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "expired records are gone");
}

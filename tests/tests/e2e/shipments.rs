//! Shipments through the real carrier provider composed into order (GHTK), against the local
//! sandbox that plays GHTK: fees, a booking that a retry does not repeat, statuses sent as
//! GHTK's webhook moving the shipment only forward, and webhooks that must change nothing —
//! unauthenticated, for a tracking code never booked, or a courier's note.

use serde_json::{Value, json};
use souk_e2e::{Reply, Stack, eventually, stack};
use std::time::Duration;

fn key() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn address(street: &str, ward: &str, district: &str, province: &str) -> Value {
    json!({ "street": street, "ward": ward, "district": district, "province": province, "country": "VN" })
}

fn parcel() -> Value {
    json!({
        "weight_grams": 800, "length_mm": 300, "width_mm": 200, "height_mm": 100,
        "declared_value_minor": 450_000, "currency": "VND",
    })
}

fn booking(owner: &str) -> Value {
    json!({
        "owner": owner,
        "pickup": {
            "name": "Cửa hàng Lan", "phone": "+84912345678",
            "address": address("12 Lý Thường Kiệt", "Phường Tràng Tiền", "Hoàn Kiếm", "Hà Nội"),
        },
        "delivery": {
            "name": "Nguyễn Văn An", "phone": "+84987654321",
            "address": address("45 Nguyễn Huệ", "Phường Bến Nghé", "Quận 1", "Hồ Chí Minh"),
        },
        "parcel": parcel(),
        "items": [{ "name": "Tai nghe", "quantity": 1, "weight_grams": 800 }],
        "service": "standard",
        "cash_on_delivery_minor": 450_000,
    })
}

async fn book(body: Value, key: &str) -> Reply {
    stack()
        .internal("order")
        .post("/internal/shipments")
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
}

async fn shipment(id: &str) -> Value {
    let reply = stack()
        .internal("order")
        .get(&format!("/internal/shipments/{id}"))
        .send()
        .await;
    reply.assert_status(200);
    reply.json().clone()
}

/// Has the sandbox move `label` to `status_id`, which it sends as GHTK's webhook.
pub(crate) async fn drive(s: &Stack, label: &str, status_id: i64) {
    let reply = reqwest::Client::new()
        .post(format!(
            "{}/sandbox/ghtk/shipments/{label}/status",
            s.sandbox_url
        ))
        .json(&json!({ "status_id": status_id }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        reply.status(),
        200,
        "{}",
        reply.text().await.unwrap_or_default()
    );
}

/// Waits until shipment `id` has `events` reports on record; its answer.
async fn with_history(id: &str, events: usize) -> Value {
    eventually(Duration::from_secs(20), async || {
        let s = shipment(id).await;
        (s["history"].as_array().unwrap().len() >= events).then_some(s)
    })
    .await
    .unwrap_or_else(|| panic!("shipment {id} never had {events} reports"))
}

async fn webhook(query: &str, form: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!(
            "{}/api/v1/order/webhooks/ghtk?{query}",
            stack().base_url
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_string())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_carrier_quotes_a_parcel_in_dong() {
    let reply = stack()
        .internal("order")
        .post("/internal/shipments/quote")
        .json(json!({
            "pickup": address("12 Lý Thường Kiệt", "Phường Tràng Tiền", "Hoàn Kiếm", "Hà Nội"),
            "delivery": address("45 Nguyễn Huệ", "Phường Bến Nghé", "Quận 1", "Hồ Chí Minh"),
            "parcel": parcel(),
            "service": "express",
        }))
        .send()
        .await;
    reply.assert_status(200);
    assert_eq!(reply["carrier"], "ghtk");
    assert_eq!(reply["currency"], "VND");
    assert!(reply["fee_minor"].as_i64().unwrap() > 0, "{}", reply.text);
    assert_eq!(reply["deliverable"], true);
}

#[tokio::test]
async fn a_booking_retried_under_its_key_is_the_same_shipment() {
    let owner = format!("order:{}", key());
    let k = key();
    let first = book(booking(&owner), &k).await;
    first.assert_status(201);
    assert_eq!(first["state"], "booked");
    assert_eq!(first["cod_minor"], 450_000);
    let tracking = first["tracking_code"].as_str().unwrap();
    assert!(!tracking.is_empty());

    // The idempotency record forgotten (a retry long after), the carrier still books once.
    let db = stack().db().await;
    db.execute(
        "DELETE FROM \"order\".idempotency_key WHERE key = $1",
        &[&k],
    )
    .await
    .unwrap();
    let again = book(booking(&owner), &k).await;
    again.assert_status(201);
    assert_eq!(again["shipment_id"], first["shipment_id"]);
    assert_eq!(
        again["tracking_code"], tracking,
        "GHTK answered its first booking"
    );
}

#[tokio::test]
async fn statuses_move_a_shipment_forward_and_a_late_report_is_kept_but_not_applied() {
    let booked = book(booking(&format!("order:{}", key())), &key()).await;
    booked.assert_status(201);
    let id = booked["shipment_id"].as_str().unwrap();
    let label = booked["tracking_code"].as_str().unwrap();

    for (n, status) in [12, 3, 4, 9, 4, 5].into_iter().enumerate() {
        drive(stack(), label, status).await;
        with_history(id, n + 2).await;
    }
    let delivered = shipment(id).await;
    assert_eq!(delivered["state"], "delivered", "{delivered}");
    let states: Vec<&str> = delivered["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        [
            "booked",
            "picking_up",
            "picked_up",
            "out_for_delivery",
            "delivery_failed",
            "out_for_delivery",
            "delivered"
        ]
    );

    // GHTK reporting "picked up" again after delivery: recorded, not applied.
    drive(stack(), label, 3).await;
    let after = with_history(id, 8).await;
    assert_eq!(after["state"], "delivered");
    let last = after["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["state"].as_str(), last["applied"].as_bool()),
        (Some("picked_up"), Some(false))
    );

    // Reconciled (6) makes it final: nothing moves it after that.
    drive(stack(), label, 6).await;
    let done = with_history(id, 9).await;
    assert_eq!(
        (done["state"].as_str(), done["final"].as_bool()),
        (Some("delivered"), Some(true))
    );
}

#[tokio::test]
async fn webhooks_that_must_change_nothing_change_nothing() {
    let secret = stack().credentials.ghtk_webhook_secret.clone();
    let unknown = "S1.A1.UNKNOWN".to_string();
    let form = format!(
        "label_id={unknown}&partner_id=x&status_id=5&action_time=2026-12-03T10:00:00%2B07:00"
    );

    let forged = webhook("hash=guess", &form).await;
    assert_eq!(
        forged.status(),
        401,
        "a webhook without the secret is refused"
    );
    let missing = webhook("", &form).await;
    assert_eq!(missing.status(), 401);

    let stray = webhook(&format!("hash={secret}"), &form).await;
    assert_eq!(stray.status(), 200, "acknowledged, so GHTK stops resending");
    let db = stack().db().await;
    let rows = db
        .query(
            "SELECT shipment_id IS NULL, applied FROM \"order\".shipment_event WHERE tracking_code = $1",
            &[&unknown],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "recorded once");
    assert!(
        rows[0].get::<_, bool>(0) && !rows[0].get::<_, bool>(1),
        "for no shipment, applied to none"
    );

    // A courier's note (status 123) is acknowledged and moves nothing.
    let booked = book(booking(&format!("order:{}", key())), &key()).await;
    let label = booked["tracking_code"].as_str().unwrap();
    let note = format!("label_id={label}&status_id=123&reason=hen%20lai");
    assert_eq!(
        webhook(&format!("hash={secret}"), &note).await.status(),
        200
    );
    let s = shipment(booked["shipment_id"].as_str().unwrap()).await;
    assert_eq!(s["state"], "booked");
    assert_eq!(s["history"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_shipment_not_yet_collected_can_be_cancelled() {
    let booked = book(booking(&format!("order:{}", key())), &key()).await;
    let id = booked["shipment_id"].as_str().unwrap();
    let cancelled = stack()
        .internal("order")
        .post(&format!("/internal/shipments/{id}/cancel"))
        .header("idempotency-key", &key())
        .send()
        .await;
    cancelled.assert_status(200);
    assert_eq!(cancelled["state"], "cancelled", "{}", cancelled.text);
    assert_eq!(cancelled["final"], true);
}

#[tokio::test]
async fn bad_bookings_are_refused_before_the_carrier_is_asked() {
    let mut heavy = booking("order:bad");
    heavy["parcel"]["weight_grams"] = 0.into();
    book(heavy, &key()).await.assert_status(422);
    let mut nowhere = booking("order:bad");
    nowhere["delivery"]["address"]["country"] = "XX".into();
    book(nowhere, &key()).await.assert_status(422);
    let mut no_items = booking("order:bad");
    no_items["items"] = json!([]);
    book(no_items, &key()).await.assert_status(422);
    let unkeyed = stack()
        .internal("order")
        .post("/internal/shipments")
        .json(booking("order:bad"))
        .send()
        .await;
    unkeyed.assert_error(400, "idempotency_key_required");
    let db = stack().db().await;
    let stored: i64 = db
        .query_one(
            "SELECT count(*) FROM \"order\".shipment WHERE owner = 'order:bad'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 0);
}

//! Stock reservations through the real stack: all or nothing, exactly once, never oversold,
//! never a lock timeout, never one serial for two checkouts.

use std::collections::HashSet;

use serde_json::json;
use souk_e2e::stack;
use uuid::Uuid;

use crate::inventory::{
    finish, futures_join, hold_stock_row, import, key, new_sku, reserve, seller, stock,
};

#[tokio::test]
async fn a_reservation_is_all_or_nothing() {
    let owner = seller();
    let (a, b) = (new_sku(&owner, false).await, new_sku(&owner, false).await);
    import(&owner, a, json!({ "quantity": 5 }))
        .await
        .assert_status(200);
    import(&owner, b, json!({ "quantity": 1 }))
        .await
        .assert_status(200);
    let r = reserve(
        json!([{ "sku_id": a, "quantity": 2 }, { "sku_id": b, "quantity": 2 }]),
        &key(),
    )
    .await;
    r.assert_error(409, "out_of_stock");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&b.to_string()),
        "{}",
        r.text
    );
    assert_eq!(
        stock(a).await["available"],
        5,
        "nothing is held when one line fails"
    );
    reserve(json!([{ "sku_id": Uuid::new_v4(), "quantity": 1 }]), &key())
        .await
        .assert_error(404, "sku_not_found");
    reserve(json!([]), &key())
        .await
        .assert_error(422, "validation");
    reserve(json!([{ "sku_id": a, "quantity": 0 }]), &key())
        .await
        .assert_error(422, "validation");
    stack()
        .internal("inventory")
        .post("/internal/reservations")
        .json(json!({ "reference": "x", "lines": [{ "sku_id": a, "quantity": 1 }] }))
        .send()
        .await
        .assert_error(400, "idempotency_key_required");
    stack()
        .api()
        .call(
            reqwest::Method::POST,
            "/__internal/inventory/internal/reservations",
        )
        .header("x-souk-service-token", "wrong")
        .header("idempotency-key", &key())
        .json(json!({ "reference": "x", "lines": [{ "sku_id": a, "quantity": 1 }] }))
        .send()
        .await
        .assert_error(401, "invalid_service_token");
}

#[tokio::test]
async fn release_returns_units_and_serials_and_commit_sells_them_each_exactly_once() {
    let owner = seller();
    let sku = new_sku(&owner, true).await;
    import(
        &owner,
        sku,
        json!({ "quantity": 3, "serials": ["A", "B", "C"] }),
    )
    .await
    .assert_status(200);
    let r = reserve(json!([{ "sku_id": sku, "quantity": 2 }]), &key()).await;
    r.assert_status(201);
    let id = r["reservation_id"].as_str().unwrap().to_string();
    let held: Vec<&str> = r["lines"][0]["serials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(held.len(), 2);
    assert_eq!(
        (
            stock(sku).await["available"].as_i64(),
            stock(sku).await["reserved"].as_i64()
        ),
        (Some(1), Some(2))
    );

    let release_key = key();
    let released = finish(&id, "release", &release_key).await;
    released.assert_status(200);
    assert_eq!(
        released["lines"][0]["serials"].as_array().unwrap().len(),
        2,
        "released serials are returned"
    );
    assert_eq!(released.header("idempotent-replayed"), Some("false"));
    let again = finish(&id, "release", &release_key).await;
    again.assert_status(200);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        again.body, released.body,
        "a retried release answers the same and does nothing"
    );
    finish(&id, "release", &key())
        .await
        .assert_error(409, "reservation_released");
    finish(&id, "commit", &key())
        .await
        .assert_error(409, "reservation_released");
    let s = stock(sku).await;
    assert_eq!(
        (s["available"].as_i64(), s["reserved"].as_i64()),
        (Some(3), Some(0))
    );

    let r = reserve(json!([{ "sku_id": sku, "quantity": 3 }]), &key()).await;
    let id = r["reservation_id"].as_str().unwrap().to_string();
    let commit_key = key();
    finish(&id, "commit", &commit_key).await.assert_status(200);
    finish(&id, "commit", &commit_key).await.assert_status(200);
    let s = stock(sku).await;
    assert_eq!(
        (
            s["available"].as_i64(),
            s["reserved"].as_i64(),
            s["sold"].as_i64()
        ),
        (Some(0), Some(0), Some(3)),
        "committed once"
    );
    finish(&Uuid::new_v4().to_string(), "commit", &key())
        .await
        .assert_error(404, "reservation_not_found");
}

#[tokio::test]
async fn a_retried_reservation_reserves_once_and_a_reused_key_is_refused() {
    let owner = seller();
    let sku = new_sku(&owner, false).await;
    import(&owner, sku, json!({ "quantity": 4 }))
        .await
        .assert_status(200);
    let k = key();
    let first = reserve(json!([{ "sku_id": sku, "quantity": 1 }]), &k).await;
    let second = reserve(json!([{ "sku_id": sku, "quantity": 1 }]), &k).await;
    first.assert_status(201);
    second.assert_status(201);
    assert_eq!(first["reservation_id"], second["reservation_id"]);
    assert_eq!(stock(sku).await["reserved"], 1);
    reserve(json!([{ "sku_id": sku, "quantity": 2 }]), &k)
        .await
        .assert_error(422, "idempotency_key_reused");
}

#[tokio::test]
async fn racing_checkouts_never_oversell_the_last_units() {
    let owner = seller();
    let sku = new_sku(&owner, false).await;
    import(&owner, sku, json!({ "quantity": 7 }))
        .await
        .assert_status(200);
    let attempts = (0..20).map(|_| async move {
        reserve(json!([{ "sku_id": sku, "quantity": 1 }]), &key())
            .await
            .status
    });
    let statuses = futures_join(attempts).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        7,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        13,
        "{statuses:?}"
    );
    let s = stock(sku).await;
    assert_eq!(
        (s["available"].as_i64(), s["reserved"].as_i64()),
        (Some(0), Some(7))
    );
}

#[tokio::test]
async fn a_busy_sku_answers_out_of_stock_or_succeeds_never_a_lock_timeout() {
    let owner = seller();
    let sku = new_sku(&owner, false).await;
    import(&owner, sku, json!({ "quantity": 5 }))
        .await
        .assert_status(200);
    // A long queue on the SKU's row: the row is held for longer than any lock timeout in the
    // stack (the idempotency claim waits 5 s) while forty reservations line up behind it.
    let mut db = stack().db().await;
    let holder = hold_stock_row(&mut db, sku).await;
    let queue =
        futures_join((0..40).map(|_| async move {
            reserve(json!([{ "sku_id": sku, "quantity": 1 }]), &key()).await
        }));
    let release = async {
        tokio::time::sleep(std::time::Duration::from_secs(7)).await;
        holder.commit().await.unwrap();
    };
    let (replies, ()) = tokio::join!(queue, release);
    for r in &replies {
        assert!(
            r.status == 201 || (r.status == 409 && r["error"]["code"] == "out_of_stock"),
            "every answer is a reservation or out_of_stock: {} {}",
            r.status,
            r.text
        );
    }
    assert_eq!(replies.iter().filter(|r| r.status == 201).count(), 5);
    let s = stock(sku).await;
    assert_eq!(
        (s["available"].as_i64(), s["reserved"].as_i64()),
        (Some(0), Some(5)),
        "never oversold"
    );

    // Sold out, a request answers at once instead of joining a queue on the row.
    let holder = hold_stock_row(&mut db, sku).await;
    reserve(json!([{ "sku_id": sku, "quantity": 1 }]), &key())
        .await
        .assert_error(409, "out_of_stock");
    holder.rollback().await.unwrap();
}

#[tokio::test]
async fn a_reserve_retried_after_its_key_expired_is_refused_by_its_reference() {
    let owner = seller();
    let sku = new_sku(&owner, false).await;
    import(&owner, sku, json!({ "quantity": 4 }))
        .await
        .assert_status(200);
    let reference = format!("checkout-{}", Uuid::new_v4());
    let body = json!({ "reference": reference, "lines": [{ "sku_id": sku, "quantity": 1 }] });
    let send = |k: String| {
        let body = body.clone();
        async move {
            stack()
                .internal("inventory")
                .post("/internal/reservations")
                .header("idempotency-key", &k)
                .json(body)
                .send()
                .await
        }
    };
    let k = key();
    send(k.clone()).await.assert_status(201);
    // The record of the key is gone, as it is once it expired and was purged.
    stack()
        .db()
        .await
        .execute(
            "DELETE FROM inventory.idempotency_key WHERE caller = 'internal' AND key = $1",
            &[&k],
        )
        .await
        .unwrap();
    send(k).await.assert_error(409, "reservation_exists");
    send(key()).await.assert_error(409, "reservation_exists");
    assert_eq!(stock(sku).await["reserved"], 1, "held once");
}

#[tokio::test]
async fn concurrent_reservations_never_share_a_serial() {
    let owner = seller();
    let sku = new_sku(&owner, true).await;
    let serials: Vec<String> = (0..12).map(|i| format!("IMEI-{i:03}")).collect();
    import(&owner, sku, json!({ "quantity": 12, "serials": serials }))
        .await
        .assert_status(200);
    let attempts = (0..8)
        .map(|_| async move { reserve(json!([{ "sku_id": sku, "quantity": 2 }]), &key()).await });
    let replies = futures_join(attempts).await;
    let mut seen = HashSet::new();
    let mut held = 0;
    for r in replies.iter().filter(|r| r.status == 201) {
        for s in r["lines"][0]["serials"].as_array().unwrap() {
            assert!(
                seen.insert(s.as_str().unwrap().to_string()),
                "serial {s} given to two reservations"
            );
            held += 1;
        }
    }
    assert_eq!(held, 12, "six reservations of two fill the twelve serials");
    assert_eq!(replies.iter().filter(|r| r.status == 409).count(), 2);
}

#[tokio::test]
async fn lines_are_released_one_by_one_and_the_rest_is_still_held_then_sold() {
    let owner = seller();
    let (a, b) = (new_sku(&owner, false).await, new_sku(&owner, true).await);
    import(&owner, a, json!({ "quantity": 4 }))
        .await
        .assert_status(200);
    import(
        &owner,
        b,
        json!({ "quantity": 3, "serials": ["B-1", "B-2", "B-3"] }),
    )
    .await
    .assert_status(200);
    let r = reserve(
        json!([{ "sku_id": a, "quantity": 3 }, { "sku_id": b, "quantity": 2 }]),
        &key(),
    )
    .await;
    r.assert_status(201);
    let id = r["reservation_id"].as_str().unwrap().to_string();
    let release = async |skus: serde_json::Value, key: &str| {
        stack()
            .internal("inventory")
            .post(&format!("/internal/reservations/{id}/release"))
            .header("idempotency-key", key)
            .json(json!({ "sku_ids": skus }))
            .send()
            .await
    };
    let k = key();
    let part = release(json!([b]), &k).await;
    part.assert_status(200);
    assert_eq!(
        part["status"], "held",
        "line A is still held: {}",
        part.text
    );
    assert_eq!(part["lines"].as_array().unwrap().len(), 1);
    assert_eq!(part["lines"][0]["serials"].as_array().unwrap().len(), 2);
    assert_eq!(
        stock(b).await["available"],
        3,
        "B's units and serials are back"
    );
    assert_eq!(stock(a).await["available"], 1, "A's are still held");
    release(json!([b]), &k).await.assert_status(200);
    release(json!([b]), &key())
        .await
        .assert_error(404, "reservation_line_not_found");
    release(json!([]), &key())
        .await
        .assert_error(422, "validation");

    let sold = finish(&id, "commit", &key()).await;
    sold.assert_status(200);
    assert_eq!(sold["status"], "committed");
    assert_eq!(sold["lines"].as_array().unwrap().len(), 1, "only A is sold");
    assert_eq!(stock(a).await["sold"], 3);
    assert_eq!(stock(b).await["sold"], 0);
    assert_eq!(stock(b).await["available"], 3);
    release(json!([a]), &key())
        .await
        .assert_error(409, "reservation_committed");
}

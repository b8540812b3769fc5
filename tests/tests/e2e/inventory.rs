//! Inventory through the real stack: ownership, imports and write-offs, serial numbers, the
//! history, and reservations — all or nothing, exactly once, never oversold.

use std::collections::HashSet;

use serde_json::{Value, json};
use souk_e2e::{Reply, stack};
use uuid::Uuid;

/// A seller: an account id and its access token.
struct Seller {
    id: Uuid,
    token: String,
}

fn seller() -> Seller {
    let id = Uuid::new_v4();
    Seller {
        id,
        token: stack().token_for(id),
    }
}

fn key() -> String {
    Uuid::new_v4().to_string()
}

/// Opens a transaction holding the stock row of `sku`, as a long reservation would; the row is
/// released when the transaction ends.
async fn hold_stock_row(
    db: &mut tokio_postgres::Client,
    sku: Uuid,
) -> tokio_postgres::Transaction<'_> {
    let holder = db.transaction().await.unwrap();
    holder
        .execute(
            "SELECT 1 FROM inventory.stock WHERE sku_id = $1 FOR UPDATE",
            &[&sku],
        )
        .await
        .unwrap();
    holder
}

/// Creates empty stock for a new SKU owned by `seller`, as catalog does.
async fn new_sku(seller: &Seller, serial_required: bool) -> Uuid {
    let sku = Uuid::new_v4();
    stack()
        .internal("inventory")
        .post("/internal/stock")
        .header("idempotency-key", &key())
        .json(json!({ "sku_id": sku, "seller_id": seller.id, "serial_required": serial_required }))
        .send()
        .await
        .assert_status(201);
    sku
}

async fn import(seller: &Seller, sku: Uuid, body: Value) -> Reply {
    stack()
        .api()
        .post(&format!("/api/v1/inventory/stock/{sku}/import"))
        .bearer(&seller.token)
        .json(body)
        .send()
        .await
}

async fn stock(sku: Uuid) -> Value {
    let reply = stack()
        .api()
        .get(&format!("/api/v1/inventory/stock/{sku}"))
        .send()
        .await;
    reply.assert_status(200);
    reply.body
}

async fn reserve(lines: Value, key: &str) -> Reply {
    stack()
        .internal("inventory")
        .post("/internal/reservations")
        .header("idempotency-key", key)
        // One reference per checkout (the database allows no other): a retry with the same
        // key is the same checkout.
        .json(json!({ "reference": format!("checkout-{key}"), "lines": lines }))
        .send()
        .await
}

async fn finish(reservation: &str, action: &str, key: &str) -> Reply {
    stack()
        .internal("inventory")
        .post(&format!("/internal/reservations/{reservation}/{action}"))
        .header("idempotency-key", key)
        .send()
        .await
}

#[tokio::test]
async fn stock_is_public_to_read_and_only_its_owner_may_change_it() {
    let owner = seller();
    let sku = new_sku(&owner, false).await;
    let s = stock(sku).await;
    assert_eq!(
        (s["available"].as_i64(), s["seller_id"].as_str()),
        (Some(0), Some(owner.id.to_string().as_str()))
    );

    import(
        &owner,
        sku,
        json!({ "quantity": 5, "reason": "first delivery" }),
    )
    .await
    .assert_status(200);
    assert_eq!(stock(sku).await["available"], 5);

    let other = seller();
    import(&other, sku, json!({ "quantity": 5 }))
        .await
        .assert_error(403, "forbidden");
    let api = stack().api();
    api.post(&format!("/api/v1/inventory/stock/{sku}/import"))
        .json(json!({ "quantity": 1 }))
        .send()
        .await
        .assert_error(401, "unauthorized");
    api.post(&format!("/api/v1/inventory/stock/{sku}/import"))
        .bearer("not-a-token")
        .json(json!({ "quantity": 1 }))
        .send()
        .await
        .assert_error(401, "unauthorized");
    assert_eq!(
        stock(sku).await["available"],
        5,
        "refused requests change nothing"
    );

    api.get(&format!("/api/v1/inventory/stock/{}", Uuid::new_v4()))
        .send()
        .await
        .assert_error(404, "stock_not_found");
    api.get("/api/v1/inventory/stock/not-a-uuid")
        .send()
        .await
        .assert_error(404, "stock_not_found");
    import(&owner, Uuid::new_v4(), json!({ "quantity": 1 }))
        .await
        .assert_error(404, "stock_not_found");
}

#[tokio::test]
async fn bad_input_is_a_clear_client_error() {
    let owner = seller();
    let sku = new_sku(&owner, false).await;
    for (body, status, code) in [
        (json!({ "quantity": 0 }), 422, "validation"),
        (json!({ "quantity": -3 }), 422, "validation"),
        (json!({ "quantity": "five" }), 422, "validation"),
        (json!({ "quantity": 1, "extra": true }), 422, "validation"),
        (json!({}), 422, "validation"),
        (
            json!({ "quantity": 1, "serials": ["A"] }),
            422,
            "serials_not_tracked",
        ),
    ] {
        import(&owner, sku, body.clone())
            .await
            .assert_error(status, code);
    }
    stack()
        .api()
        .post(&format!("/api/v1/inventory/stock/{sku}/import"))
        .bearer(&owner.token)
        .body("application/json", "{not json")
        .send()
        .await
        .assert_error(400, "invalid_json");
    let adjust = |body: Value| {
        let token = owner.token.clone();
        async move {
            stack()
                .api()
                .post(&format!("/api/v1/inventory/stock/{sku}/adjust"))
                .bearer(&token)
                .json(body)
                .send()
                .await
        }
    };
    adjust(json!({ "delta": -1 }))
        .await
        .assert_error(422, "validation");
    adjust(json!({ "delta": 0, "reason": "x" }))
        .await
        .assert_error(422, "validation");
    adjust(json!({ "delta": -1, "reason": "broken" }))
        .await
        .assert_error(409, "insufficient_stock");
    assert_eq!(stock(sku).await["available"], 0);
}

#[tokio::test]
async fn write_offs_need_a_reason_and_are_in_the_history_with_every_change() {
    let owner = seller();
    let sku = new_sku(&owner, false).await;
    import(&owner, sku, json!({ "quantity": 10 }))
        .await
        .assert_status(200);
    let api = stack().api();
    api.post(&format!("/api/v1/inventory/stock/{sku}/adjust"))
        .bearer(&owner.token)
        .json(json!({ "delta": -3, "reason": "water damage" }))
        .send()
        .await
        .assert_status(200);
    let r = reserve(json!([{ "sku_id": sku, "quantity": 2 }]), &key()).await;
    r.assert_status(201);
    finish(r["reservation_id"].as_str().unwrap(), "commit", &key())
        .await
        .assert_status(200);
    let s = stock(sku).await;
    assert_eq!(
        (
            s["available"].as_i64(),
            s["reserved"].as_i64(),
            s["sold"].as_i64()
        ),
        (Some(5), Some(0), Some(2))
    );

    let mut kinds = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/inventory/stock/{sku}/history?limit=2&cursor={c}"),
            None => format!("/api/v1/inventory/stock/{sku}/history?limit=2"),
        };
        let page = api.get(&path).bearer(&owner.token).send().await;
        page.assert_status(200);
        for e in page["items"].as_array().unwrap() {
            kinds.push(e["kind"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(
        kinds,
        ["commit", "reserve", "adjust", "import", "create"],
        "newest first, across pages"
    );
    api.get(&format!("/api/v1/inventory/stock/{sku}/history"))
        .bearer(&seller().token)
        .send()
        .await
        .assert_error(403, "forbidden");
    api.get(&format!(
        "/api/v1/inventory/stock/{sku}/history?cursor=garbage"
    ))
    .bearer(&owner.token)
    .send()
    .await
    .assert_error(400, "invalid_cursor");
}

#[tokio::test]
async fn serialized_stock_takes_one_new_serial_per_unit_and_tracks_their_status() {
    let owner = seller();
    let sku = new_sku(&owner, true).await;
    import(&owner, sku, json!({ "quantity": 2, "serials": ["SN-1"] }))
        .await
        .assert_error(422, "serial_count_mismatch");
    import(
        &owner,
        sku,
        json!({ "quantity": 2, "serials": ["SN-1", "SN-1"] }),
    )
    .await
    .assert_error(422, "duplicate_serial");
    import(
        &owner,
        sku,
        json!({ "quantity": 3, "serials": ["SN-1", "SN-2", "SN-3"] }),
    )
    .await
    .assert_status(200);
    import(&owner, sku, json!({ "quantity": 1, "serials": ["SN-2"] }))
        .await
        .assert_error(409, "serial_exists");
    assert_eq!(
        stock(sku).await["available"],
        3,
        "the refused import added nothing"
    );

    let api = stack().api();
    let set_status = |serial: &'static str, status: &'static str| {
        let token = owner.token.clone();
        async move {
            stack()
                .api()
                .patch(&format!("/api/v1/inventory/stock/{sku}/serials/{serial}"))
                .bearer(&token)
                .json(json!({ "status": status }))
                .send()
                .await
        }
    };
    set_status("SN-1", "inactive").await.assert_status(200);
    assert_eq!(stock(sku).await["available"], 2);
    set_status("SN-1", "sold")
        .await
        .assert_error(409, "invalid_transition");
    set_status("SN-1", "lost")
        .await
        .assert_error(422, "validation");
    set_status("SN-9", "inactive")
        .await
        .assert_error(404, "serial_not_found");
    set_status("SN-1", "active").await.assert_status(200);
    assert_eq!(stock(sku).await["available"], 3);

    api.post(&format!("/api/v1/inventory/stock/{sku}/adjust"))
        .bearer(&owner.token)
        .json(json!({ "delta": -1, "reason": "cracked", "serials": ["SN-3"] }))
        .send()
        .await
        .assert_status(200);
    let damaged = api
        .get(&format!(
            "/api/v1/inventory/stock/{sku}/serials?status=damaged"
        ))
        .bearer(&owner.token)
        .send()
        .await;
    assert_eq!(
        damaged["items"],
        json!([{ "serial": "SN-3", "status": "damaged", "reservation_id": null }])
    );
    set_status("SN-3", "active")
        .await
        .assert_error(409, "invalid_transition");
}

#[tokio::test]
async fn serial_tracking_can_only_start_when_every_unit_has_a_serial() {
    let owner = seller();
    let sku = new_sku(&owner, false).await;
    import(&owner, sku, json!({ "quantity": 2 }))
        .await
        .assert_status(200);
    let api = stack().api();
    let patch = api
        .patch(&format!("/api/v1/inventory/stock/{sku}"))
        .bearer(&owner.token)
        .json(json!({ "serial_required": true }));
    patch.send().await.assert_error(409, "serials_missing");
    let empty = new_sku(&owner, false).await;
    let reply = api
        .patch(&format!("/api/v1/inventory/stock/{empty}"))
        .bearer(&owner.token)
        .json(json!({ "serial_required": true }))
        .send()
        .await;
    reply.assert_status(200);
    assert_eq!(reply["serial_required"], true);
}

#[tokio::test]
async fn serial_tracking_waits_until_no_reservation_holds_units_without_serials() {
    let owner = seller();
    let sku = new_sku(&owner, false).await;
    import(&owner, sku, json!({ "quantity": 1 }))
        .await
        .assert_status(200);
    let held = reserve(json!([{ "sku_id": sku, "quantity": 1 }]), &key()).await;
    held.assert_status(201);
    let track = || async {
        stack()
            .api()
            .patch(&format!("/api/v1/inventory/stock/{sku}"))
            .bearer(&owner.token)
            .json(json!({ "serial_required": true }))
            .send()
            .await
    };
    // Nothing is available and no serial is active, but the held unit has no serial: released
    // under tracking, it would be available with nothing to match it.
    track().await.assert_error(409, "untracked_units_reserved");
    let id = held["reservation_id"].as_str().unwrap();
    finish(id, "release", &key()).await.assert_status(200);
    let s = stock(sku).await;
    assert_eq!(
        (s["available"].as_i64(), s["serial_required"].as_bool()),
        (Some(1), Some(false)),
        "the refusal changed nothing"
    );
    track().await.assert_error(409, "serials_missing");

    // Once the hold is committed nothing can come back: tracking may start.
    let sold = reserve(json!([{ "sku_id": sku, "quantity": 1 }]), &key()).await;
    sold.assert_status(201);
    track().await.assert_error(409, "untracked_units_reserved");
    finish(sold["reservation_id"].as_str().unwrap(), "commit", &key())
        .await
        .assert_status(200);
    let reply = track().await;
    reply.assert_status(200);
    assert_eq!(
        (
            reply["available"].as_i64(),
            reply["serial_required"].as_bool()
        ),
        (Some(0), Some(true))
    );
}

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

/// A price no other test uses: the fault below refuses only SKUs priced so.
const FAULTY_PRICE: i64 = 987_654_321;

#[tokio::test]
async fn a_sku_whose_catalog_transaction_fails_leaves_no_stock_behind() {
    let (seller, token) = crate::catalog::account("VN").await;
    let product = crate::catalog::product(&token, "Fragile Lamp", crate::catalog::BOOKS, &[]).await;
    let id = product["id"].as_str().unwrap().to_string();
    let db = stack().db().await;
    // Catalog's own transaction fails after everything else it does: the SKU's row is refused
    // by a trigger of this test.
    db.batch_execute(&format!(
        "CREATE FUNCTION catalog.e2e_refuse_sku() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN IF NEW.price = {FAULTY_PRICE} THEN RAISE EXCEPTION 'refused by the test'; END IF; \
         RETURN NEW; END $$; \
         CREATE TRIGGER e2e_refuse_sku BEFORE INSERT ON catalog.sku \
         FOR EACH ROW EXECUTE FUNCTION catalog.e2e_refuse_sku();"
    ))
    .await
    .unwrap();
    let add = || {
        let (id, token) = (id.clone(), token.clone());
        async move {
            stack()
                .api()
                .post(&format!("/api/v1/catalog/products/{id}/skus"))
                .bearer(&token)
                .json(json!({ "price": FAULTY_PRICE }))
                .send()
                .await
        }
    };
    let stocks = async || -> i64 {
        db.query_one(
            "SELECT count(*) FROM inventory.stock WHERE seller_id = $1",
            &[&seller],
        )
        .await
        .unwrap()
        .get(0)
    };
    let failed = add().await;
    assert!(failed.status >= 500, "{} {}", failed.status, failed.text);
    assert_eq!(stocks().await, 0, "the failed SKU left no stock");

    // Retried without a key, it is a new SKU, with its stock there when catalog answers.
    db.batch_execute(
        "DROP TRIGGER e2e_refuse_sku ON catalog.sku; DROP FUNCTION catalog.e2e_refuse_sku();",
    )
    .await
    .unwrap();
    let created = add().await;
    created.assert_status(201);
    let sku: Uuid = created["id"].as_str().unwrap().parse().unwrap();
    let s = stock(sku).await;
    assert_eq!(s["seller_id"], seller.to_string());
    assert_eq!(stocks().await, 1, "one SKU, one stock");
    import(
        &Seller {
            id: seller,
            token: token.clone(),
        },
        sku,
        json!({ "quantity": 2 }),
    )
    .await
    .assert_status(200);
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
async fn availability_and_best_sellers_cover_many_skus_in_one_call() {
    let owner = seller();
    let (a, b) = (new_sku(&owner, false).await, new_sku(&owner, false).await);
    import(&owner, a, json!({ "quantity": 3 }))
        .await
        .assert_status(200);
    let reply = stack()
        .api()
        .get(&format!(
            "/api/v1/inventory/availability?sku_ids={a},{b},{}",
            Uuid::new_v4()
        ))
        .send()
        .await;
    reply.assert_status(200);
    let items = reply["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "SKUs without stock are absent");
    let of = |sku: Uuid| {
        items
            .iter()
            .find(|i| i["sku_id"] == sku.to_string())
            .unwrap()
            .clone()
    };
    assert_eq!(
        (of(a)["available"].as_i64(), of(a)["in_stock"].as_bool()),
        (Some(3), Some(true))
    );
    assert_eq!(of(b)["in_stock"], false);
    stack()
        .api()
        .get("/api/v1/inventory/availability?sku_ids=nope")
        .send()
        .await
        .assert_error(400, "invalid_query");

    let r = reserve(json!([{ "sku_id": a, "quantity": 3 }]), &key()).await;
    finish(r["reservation_id"].as_str().unwrap(), "commit", &key())
        .await
        .assert_status(200);
    let batch = stack()
        .internal("inventory")
        .post("/internal/availability")
        .json(json!({ "sku_ids": [a, b] }))
        .send()
        .await;
    assert_eq!(batch["items"].as_array().unwrap().len(), 2);
    let best = stack()
        .internal("inventory")
        .get("/internal/best-sellers?limit=100")
        .send()
        .await;
    assert!(
        best["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["sku_id"] == a.to_string() && i["sold"] == 3),
        "{}",
        best.text
    );
}

/// Runs futures concurrently and collects their outputs in order.
async fn futures_join<F: std::future::Future>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    let handles: Vec<_> = futures.into_iter().collect();
    let mut out = Vec::with_capacity(handles.len());
    let joined = futures::future::join_all(handles).await;
    out.extend(joined);
    out
}

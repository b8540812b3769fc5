//! Inventory through the real stack: ownership, imports and write-offs, serial numbers, the
//! history, availability in batches. Reservations are in `reservations.rs`.

use serde_json::{Value, json};
use souk_e2e::{Reply, stack};
use uuid::Uuid;

/// A seller: an account id and its access token.
pub(crate) struct Seller {
    pub(crate) id: Uuid,
    pub(crate) token: String,
}

pub(crate) fn seller() -> Seller {
    let id = Uuid::new_v4();
    Seller {
        id,
        token: stack().token_for(id),
    }
}

pub(crate) fn key() -> String {
    Uuid::new_v4().to_string()
}

/// Opens a transaction holding the stock row of `sku`, as a long reservation would; the row is
/// released when the transaction ends.
pub(crate) async fn hold_stock_row(
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
pub(crate) async fn new_sku(seller: &Seller, serial_required: bool) -> Uuid {
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

pub(crate) async fn import(seller: &Seller, sku: Uuid, body: Value) -> Reply {
    stack()
        .api()
        .post(&format!("/api/v1/inventory/stock/{sku}/import"))
        .bearer(&seller.token)
        .json(body)
        .send()
        .await
}

pub(crate) async fn stock(sku: Uuid) -> Value {
    let reply = stack()
        .api()
        .get(&format!("/api/v1/inventory/stock/{sku}"))
        .send()
        .await;
    reply.assert_status(200);
    reply.body
}

pub(crate) async fn reserve(lines: Value, key: &str) -> Reply {
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

pub(crate) async fn finish(reservation: &str, action: &str, key: &str) -> Reply {
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
pub(crate) async fn futures_join<F: std::future::Future>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    let handles: Vec<_> = futures.into_iter().collect();
    let mut out = Vec::with_capacity(handles.len());
    let joined = futures::future::join_all(handles).await;
    out.extend(joined);
    out
}

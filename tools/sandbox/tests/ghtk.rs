//! The GHTK sandbox played as Souk's shipping provider will use it: calls without the token
//! are refused; a fee and a shipment are answered in GHTK's envelopes; the driver moves a
//! shipment and each move reaches the callback URL (secret included) as GHTK's form webhook,
//! which `protocols::ghtk` reads; cancelling follows GHTK's rules.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{GHTK_HOOK_SECRET, GHTK_SOURCE, GHTK_TOKEN, Merchant, client, eventually, sandbox};
use protocols::form;
use protocols::ghtk::{Status, read_webhook};
use serde_json::{Value, json};

async fn call(base: &str, method: &str, path: &str, body: Option<Value>) -> Value {
    let url = format!("{base}{path}");
    let request = match method {
        "GET" => client().get(url),
        _ => client().post(url),
    }
    .header("token", GHTK_TOKEN)
    .header("x-client-source", GHTK_SOURCE);
    let request = match body {
        Some(b) => request.json(&b),
        None => request,
    };
    request.send().await.unwrap().json().await.unwrap()
}

fn order(id: &str) -> Value {
    json!({
        "products": [{ "name": "Lamp", "weight": 0.4, "quantity": 2, "price": 150_000 }],
        "order": {
            "id": id, "pick_name": "Seller", "pick_money": 0, "pick_address": "1 Lê Lợi",
            "pick_province": "TP. Hồ Chí Minh", "pick_district": "Quận 1", "pick_tel": "0900000001",
            "name": "Buyer", "address": "2 Kim Mã", "province": "Hà Nội", "district": "Quận Ba Đình",
            "ward": "Phường Kim Mã", "hamlet": "Khác", "tel": "0900000002", "value": 300_000,
        },
    })
}

/// The webhooks a merchant got, as `protocols::ghtk` reads them, with the secret they carried.
fn webhooks(m: &Merchant) -> Vec<(Option<String>, protocols::ghtk::Webhook)> {
    m.received()
        .iter()
        .map(|r| {
            let hash = form::parse(&r.query).and_then(|q| q.get("hash").cloned());
            let form: BTreeMap<String, String> =
                form::parse(std::str::from_utf8(&r.body).unwrap()).unwrap();
            (hash, read_webhook(&form).unwrap())
        })
        .collect()
}

#[tokio::test]
async fn calls_need_the_token_and_the_client_source() {
    let base = sandbox(None, None, None).await;
    let refused = client()
        .get(format!("{base}/services/shipment/fee?weight=100"))
        .header("token", "wrong")
        .header("x-client-source", GHTK_SOURCE)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["success"], false);
    let fee = call(
        &base,
        "GET",
        "/services/shipment/fee?pick_province=H%C3%A0+N%E1%BB%99i&pick_district=Ba+%C4%90%C3%ACnh\
         &province=H%C3%A0+N%E1%BB%99i&district=C%E1%BA%A7u+Gi%E1%BA%A5y&weight=1200&value=3000000\
         &deliver_option=none",
        None,
    )
    .await;
    assert_eq!(fee["success"], true, "{fee}");
    assert_eq!(
        fee["fee"]["ship_fee_only"], 27_000,
        "within one province, 1.2 kg"
    );
    assert_eq!(fee["fee"]["insurance_fee"], 15_000);
    assert_eq!(fee["fee"]["fee"], 42_000);
    let missing = call(&base, "GET", "/services/shipment/fee?weight=1200", None).await;
    assert_eq!(missing["success"], false);
}

#[tokio::test]
async fn a_shipment_moves_through_ghtk_s_statuses_and_each_move_is_a_webhook() {
    let (m, hook) = Merchant::start(&[(500, "{}")]).await;
    let base = sandbox(None, None, Some(hook)).await;
    let created = call(
        &base,
        "POST",
        "/services/shipment/order",
        Some(order("shp_1")),
    )
    .await;
    assert_eq!(created["success"], true, "{created}");
    assert_eq!(created["order"]["status_id"], 2);
    let label = created["order"]["label"].as_str().unwrap().to_string();
    let again = call(
        &base,
        "POST",
        "/services/shipment/order",
        Some(order("shp_1")),
    )
    .await;
    assert_eq!(again["success"], false, "a partner id is used once");

    for (id, reason) in [(12, ""), (3, ""), (123, "courier picked up"), (4, "")] {
        let moved = client()
            .post(format!("{base}/sandbox/ghtk/shipments/{label}/status"))
            .json(&json!({ "status_id": id, "reason": reason }))
            .send()
            .await
            .unwrap();
        assert_eq!(moved.status(), 200);
    }
    // The first webhook was answered 500 and resent once; then one per move.
    let got = eventually(|| {
        let w = webhooks(&m);
        (w.len() >= 5).then_some(w)
    })
    .await;
    assert!(
        got.iter()
            .all(|(hash, w)| hash.as_deref() == Some(GHTK_HOOK_SECRET)
                && w.label == label
                && w.partner_id.as_deref() == Some("shp_1"))
    );
    let mut ids: Vec<i64> = got.iter().map(|(_, w)| w.status_id).collect();
    ids.sort();
    assert_eq!(ids, [3, 4, 12, 12, 123]);
    assert_eq!(
        got.iter()
            .find(|(_, w)| w.status_id == 123)
            .unwrap()
            .1
            .status,
        None
    );
    let status = call(
        &base,
        "GET",
        &format!("/services/shipment/v2/{label}"),
        None,
    )
    .await;
    assert_eq!(
        status["order"]["status"], "4",
        "a courier's report changes no status"
    );
    assert_eq!(
        Status::from_id(status["order"]["status"].as_str().unwrap().parse().unwrap()),
        Some(Status::Delivering)
    );

    // Picked up: GHTK no longer cancels.
    let cancel = call(
        &base,
        "POST",
        &format!("/services/shipment/cancel/{label}"),
        None,
    )
    .await;
    assert_eq!(cancel["success"], false);
}

#[tokio::test]
async fn a_shipment_not_yet_picked_up_is_cancelled_once_and_says_so() {
    let (m, hook) = Merchant::start(&[]).await;
    let base = sandbox(None, None, Some(hook)).await;
    call(
        &base,
        "POST",
        "/services/shipment/order",
        Some(order("shp_2")),
    )
    .await;
    let cancel = call(
        &base,
        "POST",
        "/services/shipment/cancel/partner_id:shp_2",
        None,
    )
    .await;
    assert_eq!(cancel["success"], true, "{cancel}");
    let hooks = eventually(|| {
        let w = webhooks(&m);
        (!w.is_empty()).then_some(w)
    })
    .await;
    assert_eq!(hooks[0].1.status, Some(Status::Cancelled));
    let twice = call(
        &base,
        "POST",
        "/services/shipment/cancel/partner_id:shp_2",
        None,
    )
    .await;
    assert_eq!(twice["success"], false);
    let final_move = client()
        .post(format!("{base}/sandbox/ghtk/shipments/shp_2/status"))
        .json(&json!({ "status_id": 3 }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        final_move.status(),
        409,
        "a cancelled shipment moves no more"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(m.received().len(), 1);
}

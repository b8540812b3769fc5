//! Refunds and disputes of delivered orders through the real stack: the buyer asks, the
//! order's seller accepts (the return booked with the carrier's sandbox) and approves or
//! rejects; an unanswered refund is approved when its time runs out; a rejected one can be
//! disputed and an operator decides it. The payout waits for each, and the money follows:
//! the buyer's wallet, order's ledger and the seller's payout reconcile.

use serde_json::{Value, json};
use souk_e2e::{Reply, Stack, eventually, stack};
use std::time::Duration;

use crate::checkout::{
    RETURN_URL, balance, buyer, checkout, get, item_id, key, reconciles, seller, told,
};
use crate::orders::{Delivered, confirm_keyed, delivered, order, short};
use crate::payments::{pay_vnpay, vnpay_refunded};
use crate::shipments::drive;

async fn ask(s: &Stack, d: &Delivered, body: Value) -> Reply {
    let id = d.order["id"].as_str().unwrap();
    s.api()
        .post(&format!("/api/v1/order/orders/{id}/refunds"))
        .bearer(&d.token)
        .json(body)
        .send()
        .await
}

async fn decide(s: &Stack, token: &str, refund: &str, what: &str, body: Value) -> Reply {
    s.api()
        .post(&format!("/api/v1/order/refunds/{refund}/{what}"))
        .bearer(token)
        .json(body)
        .send()
        .await
}

async fn refund(s: &Stack, token: &str, id: &str) -> Value {
    let r = s
        .api()
        .get(&format!("/api/v1/order/refunds/{id}"))
        .bearer(token)
        .send()
        .await;
    r.assert_status(200);
    r.json().clone()
}

/// What the checkout of `d`'s order holds in order's ledger now.
async fn held(s: &Stack, d: &Delivered) -> i64 {
    get(s, &d.token, d.checkout["id"].as_str().unwrap()).await["held_minor"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_refund_in_two_stages_returns_the_order_and_cancels_the_payout() {
    let s = stack();
    let d = delivered(s).await;
    let total = d.order["total_minor"].as_i64().unwrap();
    assert_eq!(held(s, &d).await, total, "order holds what the buyer paid");
    ask(s, &d, json!({ "method": "pick_up", "reason": "Sai màu" }))
        .await
        .assert_error(422, "validation");
    ask(s, &d, json!({ "method": "swap", "reason": "Sai màu" }))
        .await
        .assert_error(422, "validation");
    let asked = ask(
        s,
        &d,
        json!({
            "method": "pick_up", "reason": "Sai màu",
            "address": "45 Nguyễn Huệ, Phường Bến Nghé, Quận 1, Hồ Chí Minh",
        }),
    )
    .await;
    asked.assert_status(201);
    assert_eq!(asked["status"], "requested");
    let id = asked["id"].as_str().unwrap().to_string();
    told(s, d.seller_id, "refund_requested", 1).await;
    ask(s, &d, json!({ "method": "drop_off", "reason": "again" }))
        .await
        .assert_error(409, "refund_active");

    // Only the order's seller decides, and in order.
    decide(s, &d.token, &id, "accept", json!({}))
        .await
        .assert_error(403, "not_the_seller");
    let (_, stranger) = s.register("VN").await;
    decide(s, &stranger, &id, "accept", json!({}))
        .await
        .assert_error(404, "refund_not_found");
    decide(s, &d.seller_token, &id, "approve", json!({}))
        .await
        .assert_error(409, "refund_stage_skipped");
    let accepted = decide(s, &d.seller_token, &id, "accept", json!({})).await;
    accepted.assert_status(200);
    assert_eq!(accepted["status"], "accepted");
    let shipment = accepted["return_shipment_id"].as_str().unwrap().to_string();
    told(s, d.buyer_id, "refund_accepted", 1).await;
    let label = s
        .internal("order")
        .get(&format!("/internal/shipments/{shipment}"))
        .send()
        .await["label"]
        .as_str()
        .unwrap()
        .to_string();
    drive(s, &label, 5).await;
    let back = eventually(Duration::from_secs(20), async || {
        let r = refund(s, &d.seller_token, &id).await;
        (!r["returned_at"].is_null()).then_some(r)
    })
    .await;
    assert!(back.is_some(), "the return's delivery is recorded");

    let before = (balance(s, d.buyer_id).await, balance(s, d.seller_id).await);
    let approved = decide(s, &d.seller_token, &id, "approve", json!({})).await;
    approved.assert_status(200);
    assert_eq!(approved["status"], "approved");
    assert_eq!(
        approved["amount_minor"], total,
        "all the buyer paid for the order"
    );
    assert_eq!(approved["decided_by"], "seller");
    assert_eq!(balance(s, d.buyer_id).await, before.0 + total);
    assert_eq!(
        balance(s, d.seller_id).await,
        before.1,
        "the seller is paid nothing"
    );
    let o = order(s, &d.seller_token, d.order["id"].as_str().unwrap()).await;
    assert_eq!(o["status"], "refunded");
    assert_eq!(o["refunded_minor"], total);
    assert_eq!(o["payout"]["status"], "cancelled");
    assert_eq!(o["payout"]["payout_minor"], 0);
    assert_eq!(held(s, &d).await, 0, "order gave back all it held");
    reconciles(
        s,
        get(s, &d.token, d.checkout["id"].as_str().unwrap())
            .await
            .json(),
    )
    .await;
    decide(
        s,
        &d.seller_token,
        &id,
        "reject",
        json!({ "note": "too late" }),
    )
    .await
    .assert_error(409, "refund_decided");
    told(s, d.buyer_id, "refund_approved", 1).await;
    let listed = s
        .api()
        .get("/api/v1/order/refunds?as=seller")
        .bearer(&d.seller_token)
        .send()
        .await;
    assert_eq!(listed["items"][0]["id"], id.as_str(), "{}", listed.text);
}

#[tokio::test]
async fn a_rejected_refund_can_be_disputed_and_an_operator_decides_it() {
    let s = stack();
    let d = delivered(s).await;
    let order_id = d.order["id"].as_str().unwrap().to_string();
    let asked = ask(
        s,
        &d,
        json!({ "method": "drop_off", "reason": "Hỏng khoá kéo" }),
    )
    .await;
    asked.assert_status(201);
    let id = asked["id"].as_str().unwrap().to_string();
    decide(s, &d.seller_token, &id, "reject", json!({ "note": "" }))
        .await
        .assert_error(422, "validation");
    let rejected = decide(
        s,
        &d.seller_token,
        &id,
        "reject",
        json!({ "note": "Ảnh cho thấy còn nguyên" }),
    )
    .await;
    rejected.assert_status(200);
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["rejected_at_stage"], 1);
    told(s, d.buyer_id, "refund_rejected", 1).await;

    let dispute = async |token: &str, body: Value| {
        s.api()
            .post(&format!("/api/v1/order/refunds/{id}/disputes"))
            .bearer(token)
            .json(body)
            .send()
            .await
    };
    let (_, stranger) = s.register("VN").await;
    dispute(&stranger, json!({ "reason": "x", "note": "y" }))
        .await
        .assert_error(404, "refund_not_found");
    dispute(&d.token, json!({ "reason": "Hàng lỗi", "note": "" }))
        .await
        .assert_error(422, "validation");
    let opened = dispute(
        &d.token,
        json!({ "reason": "Hàng lỗi", "note": "Khoá kéo gãy ngay khi mở hộp" }),
    )
    .await;
    opened.assert_status(201);
    assert_eq!(opened["opener"], "buyer");
    let dispute_id = opened["id"].as_str().unwrap().to_string();
    told(s, d.seller_id, "dispute_opened", 1).await;
    dispute(&d.seller_token, json!({ "reason": "x", "note": "y" }))
        .await
        .assert_error(409, "dispute_active");

    // Operators only.
    s.api()
        .get("/api/v1/order/admin/disputes")
        .bearer(&d.token)
        .send()
        .await
        .assert_status(401);
    let open = s
        .api()
        .get("/api/v1/order/admin/disputes?status=open&limit=100")
        .bearer(&s.admin_token)
        .send()
        .await;
    assert!(
        open["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == dispute_id.as_str()),
        "{}",
        open.text
    );
    let resolve = async |token: &str, body: Value| {
        s.api()
            .post(&format!(
                "/api/v1/order/admin/disputes/{dispute_id}/resolve"
            ))
            .bearer(token)
            .json(body)
            .send()
            .await
    };
    resolve(&d.token, json!({ "favour": "buyer", "note": "mine" }))
        .await
        .assert_status(401);
    let total = d.order["total_minor"].as_i64().unwrap();
    resolve(
        &s.admin_token,
        json!({ "favour": "buyer", "refund_minor": total + 1, "note": "too much" }),
    )
    .await
    .assert_error(422, "refund_too_large");
    let payout_before = order(s, &d.seller_token, &order_id).await["payout"]["payout_minor"]
        .as_i64()
        .unwrap();
    let buyer_before = balance(s, d.buyer_id).await;
    let resolved = resolve(
        &s.admin_token,
        json!({ "favour": "buyer", "refund_minor": 100_000, "note": "Hoàn một phần" }),
    )
    .await;
    resolved.assert_status(200);
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(resolved["favour"], "buyer");
    assert_eq!(balance(s, d.buyer_id).await, buyer_before + 100_000);
    let o = order(s, &d.seller_token, &order_id).await;
    assert_eq!(o["refunded_minor"], 100_000);
    let cut = (payout_before * 100_000 + total - 1) / total;
    assert_eq!(
        o["payout"]["cut_minor"], cut,
        "the payout loses the refund's share"
    );
    assert_eq!(o["payout"]["payout_minor"], payout_before - cut);
    assert_eq!(o["payout"]["status"], "held");
    assert_eq!(held(s, &d).await, total - 100_000);
    reconciles(
        s,
        get(s, &d.token, d.checkout["id"].as_str().unwrap())
            .await
            .json(),
    )
    .await;
    told(s, d.buyer_id, "dispute_resolved", 1).await;
    told(s, d.seller_id, "dispute_resolved", 1).await;
    resolve(
        &s.admin_token,
        json!({ "favour": "seller", "note": "again" }),
    )
    .await
    .assert_error(409, "dispute_resolved");
    let theirs = s
        .api()
        .get(&format!("/api/v1/order/disputes/{dispute_id}"))
        .bearer(&d.seller_token)
        .send()
        .await;
    theirs.assert_status(200);
    s.api()
        .get(&format!("/api/v1/order/disputes/{dispute_id}"))
        .bearer(&stranger)
        .send()
        .await
        .assert_error(404, "dispute_not_found");
}

#[tokio::test]
async fn a_refund_its_seller_leaves_unanswered_is_approved_and_no_payout_follows() {
    let s = short();
    let d = delivered(s).await;
    let total = d.order["total_minor"].as_i64().unwrap();
    let seller_before = balance(s, d.seller_id).await;
    let asked = ask(
        s,
        &d,
        json!({ "method": "drop_off", "reason": "Không vừa" }),
    )
    .await;
    asked.assert_status(201);
    let id = asked["id"].as_str().unwrap().to_string();
    let buyer_before = balance(s, d.buyer_id).await;
    let approved = eventually(Duration::from_secs(30), async || {
        let r = refund(s, &d.token, &id).await;
        (r["status"] == "approved").then_some(r)
    })
    .await
    .expect("the timeout approves it");
    assert_eq!(approved["decided_by"], "timeout");
    assert_eq!(balance(s, d.buyer_id).await, buyer_before + total);
    // Past the hold, the cancelled payout stays cancelled.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let o = order(s, &d.seller_token, d.order["id"].as_str().unwrap()).await;
    assert_eq!(o["payout"]["status"], "cancelled");
    assert_eq!(balance(s, d.seller_id).await, seller_before);
}

#[tokio::test]
async fn a_refund_to_the_original_gateway_goes_back_through_vnpay() {
    let s = stack();
    let (_, seller_token, skus) = seller(s, &[180_000], 5).await;
    let (buyer_id, token) = buyer(s, 0).await;
    let started = checkout(
        s,
        &token,
        json!({
            "items": [{ "sku_id": skus[0], "quantity": 1 }],
            "payment": { "gateway": "vnpay" }, "return_url": RETURN_URL,
        }),
    )
    .await;
    started.assert_status(201);
    let payment = started["payment"].clone();
    pay_vnpay(&payment, "pay").await;
    let id = started["id"].as_str().unwrap().to_string();
    let paid = eventually(Duration::from_secs(30), async || {
        let c = get(s, &token, &id).await;
        (c["status"] == "paid").then(|| c.json().clone())
    })
    .await
    .expect("the gateway checkout is paid");
    let confirmed = confirm_keyed(
        s,
        &seller_token,
        json!({ "item_ids": [item_id(&paid, &skus[0])] }),
        &key(),
    )
    .await;
    confirmed.assert_status(201);
    let order_id = confirmed["id"].as_str().unwrap().to_string();
    drive(s, confirmed["shipment"]["label"].as_str().unwrap(), 5).await;
    let delivered = eventually(Duration::from_secs(20), async || {
        let o = order(s, &token, &order_id).await;
        (o["status"] == "delivered").then_some(())
    })
    .await;
    assert!(delivered.is_some());
    let total = confirmed["total_minor"].as_i64().unwrap();

    let asked = s
        .api()
        .post(&format!("/api/v1/order/orders/{order_id}/refunds"))
        .bearer(&token)
        .json(
            json!({ "method": "drop_off", "reason": "Không đúng mô tả", "refund_to": "original" }),
        )
        .send()
        .await;
    asked.assert_status(201);
    assert_eq!(asked["refund_to"], "original");
    let refund_id = asked["id"].as_str().unwrap().to_string();
    decide(s, &seller_token, &refund_id, "accept", json!({}))
        .await
        .assert_status(200);
    let approved = decide(s, &seller_token, &refund_id, "approve", json!({})).await;
    approved.assert_status(200);
    assert_eq!(approved["amount_minor"], total);
    assert_eq!(vnpay_refunded(&payment).await, total, "back through VNPay");
    assert_eq!(balance(s, buyer_id).await, 0, "nothing through the wallet");
    reconciles(s, get(s, &token, &id).await.json()).await;
}

#[tokio::test]
async fn a_dispute_resolved_for_the_seller_refunds_nothing_and_the_payout_goes_on() {
    let s = short();
    let d = delivered(s).await;
    let order_id = d.order["id"].as_str().unwrap().to_string();
    let asked = ask(s, &d, json!({ "method": "drop_off", "reason": "Đổi ý" })).await;
    asked.assert_status(201);
    let id = asked["id"].as_str().unwrap().to_string();
    decide(
        s,
        &d.seller_token,
        &id,
        "reject",
        json!({ "note": "Hàng đã dùng" }),
    )
    .await
    .assert_status(200);
    let opened = s
        .api()
        .post(&format!("/api/v1/order/refunds/{id}/disputes"))
        .bearer(&d.token)
        .json(json!({ "reason": "Chưa dùng", "note": "Còn nguyên tem" }))
        .send()
        .await;
    opened.assert_status(201);
    let dispute_id = opened["id"].as_str().unwrap().to_string();
    let buyer_before = balance(s, d.buyer_id).await;
    let seller_before = balance(s, d.seller_id).await;
    let resolved = s
        .api()
        .post(&format!(
            "/api/v1/order/admin/disputes/{dispute_id}/resolve"
        ))
        .bearer(&s.admin_token)
        .json(json!({ "favour": "seller", "note": "Ảnh cho thấy đã dùng" }))
        .send()
        .await;
    resolved.assert_status(200);
    assert_eq!(resolved["favour"], "seller");
    assert!(resolved["refund_minor"].is_null());
    told(s, d.buyer_id, "dispute_resolved", 1).await;
    told(s, d.seller_id, "dispute_resolved", 1).await;
    // Decided once: the refund cannot be disputed again.
    s.api()
        .post(&format!("/api/v1/order/refunds/{id}/disputes"))
        .bearer(&d.token)
        .json(json!({ "reason": "again", "note": "again" }))
        .send()
        .await
        .assert_error(409, "dispute_resolved");
    let paid = eventually(Duration::from_secs(30), async || {
        let o = order(s, &d.seller_token, &order_id).await;
        (o["status"] == "completed").then(|| o.json().clone())
    })
    .await
    .expect("the payout goes on once the dispute is resolved");
    assert_eq!(
        balance(s, d.buyer_id).await,
        buyer_before,
        "nothing refunded"
    );
    assert_eq!(
        balance(s, d.seller_id).await,
        seller_before + paid["payout"]["payout_minor"].as_i64().unwrap()
    );
}

//! Orders through the real stack: a seller confirms paid items into an order — the fee taken,
//! the shipment booked with the carrier (the local sandbox that plays GHTK), the stock sold —
//! or rejects them, refunding each buyer exactly; the carrier's reports move the order, and the
//! escrow is paid out to the seller a hold after delivery. Items a seller leaves unconfirmed
//! are withdrawn at the deadline. The money reconciles: what the buyer paid, what the seller
//! receives, the commission and the fee add up.

use serde_json::{Value, json};
use souk_e2e::{Reply, Stack, eventually, stack};
use std::sync::OnceLock;
use std::time::Duration;
use uuid::Uuid;

use crate::checkout::{
    RETURN_URL, available, balance, buyer, checkout, credit, get, item_id, key, reconciles, seller,
    told,
};
use crate::payments::pay_vnpay;
use crate::shipments::drive;

/// A stack whose payouts wait 5 s after delivery, whose sellers have 12 s to confirm an item
/// and 10 s to answer a refund.
pub(crate) fn short() -> &'static Stack {
    static SHORT: OnceLock<Stack> = OnceLock::new();
    SHORT.get_or_init(|| {
        Stack::private_with(souk_e2e::Variant {
            env: vec![
                ("SPIN_VARIABLE_PAYOUT_HOLD_SECS".into(), "5".into()),
                ("SPIN_VARIABLE_CONFIRM_WITHIN_SECS".into(), "12".into()),
                ("SPIN_VARIABLE_REFUND_ANSWER_SECS".into(), "10".into()),
            ],
            ..Default::default()
        })
        .expect("a stack with short order timings starts")
    })
}

/// A paid wallet checkout of `lines` (SKU, quantity) by `token`: its view.
async fn bought(s: &Stack, token: &str, lines: &[(&str, i64)]) -> Value {
    let items: Vec<Value> = lines
        .iter()
        .map(|(sku, q)| json!({ "sku_id": sku, "quantity": q }))
        .collect();
    let c = checkout(
        s,
        token,
        json!({ "items": items, "payment": { "use_wallet": true }, "return_url": RETURN_URL }),
    )
    .await;
    c.assert_status(201);
    assert_eq!(c["status"], "paid", "{}", c.text);
    c.json().clone()
}

pub(crate) async fn confirm_keyed(s: &Stack, token: &str, body: Value, key: &str) -> Reply {
    s.api()
        .post("/api/v1/order/seller/pending/confirm")
        .bearer(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
}

pub(crate) async fn order(s: &Stack, token: &str, id: &str) -> Reply {
    s.api()
        .get(&format!("/api/v1/order/orders/{id}"))
        .bearer(token)
        .send()
        .await
}

/// A delivered order: its parties, the order and the checkout it came from.
pub(crate) struct Delivered {
    pub seller_id: Uuid,
    pub seller_token: String,
    pub buyer_id: Uuid,
    pub token: String,
    pub order: Value,
    pub checkout: Value,
}

/// A seller's order of two units at 150,000 đồng, paid from the buyer's wallet, confirmed
/// and reported delivered by the carrier.
pub(crate) async fn delivered(s: &Stack) -> Delivered {
    let (seller_id, seller_token, skus) = seller(s, &[150_000], 10).await;
    let (buyer_id, token) = buyer(s, 2_000_000).await;
    let c = bought(s, &token, &[(&skus[0], 2)]).await;
    let confirmed = confirm_keyed(
        s,
        &seller_token,
        json!({ "item_ids": [item_id(&c, &skus[0])] }),
        &key(),
    )
    .await;
    confirmed.assert_status(201);
    let id = confirmed["id"].as_str().unwrap().to_string();
    drive(s, confirmed["shipment"]["label"].as_str().unwrap(), 5).await;
    let o = eventually(Duration::from_secs(20), async || {
        let o = order(s, &seller_token, &id).await;
        (o["status"] == "delivered").then(|| o.json().clone())
    })
    .await
    .expect("the carrier's report delivers the order");
    Delivered {
        seller_id,
        seller_token,
        buyer_id,
        token,
        order: o,
        checkout: c,
    }
}

/// The seller's shipping of checkout `c`, after promotions.
fn shipping_of(c: &Value, seller: Uuid) -> i64 {
    let s = c["shipping"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["seller_id"] == seller.to_string())
        .unwrap();
    s["fee_minor"].as_i64().unwrap() - s["discount_minor"].as_i64().unwrap()
}

async fn sold(s: &Stack, sku: &str) -> i64 {
    let reply = s
        .internal("inventory")
        .post("/internal/availability")
        .json(json!({ "sku_ids": [sku] }))
        .send()
        .await;
    reply.assert_status(200);
    reply["items"][0]["sold"].as_i64().unwrap()
}

#[tokio::test]
async fn a_confirmed_order_is_booked_then_paid_out_to_the_seller_a_hold_after_delivery() {
    let s = short();
    let (seller_id, seller_token, skus) = seller(s, &[120_000, 45_000], 10).await;
    // 2% back on the seller's products, credited once the order is paid out.
    s.api()
        .post("/api/v1/promotion/promotions")
        .bearer(&seller_token)
        .json(crate::promotion::draft(json!({
            "name": "Hoàn 2%", "kind": { "type": "cashback", "percent": 2 },
            "budget_minor": 100_000, "currency": "VND",
        })))
        .send()
        .await
        .assert_status(201);
    let (buyer_id, token) = buyer(s, 2_000_000).await;
    let c = bought(s, &token, &[(&skus[0], 2), (&skus[1], 1)]).await;
    let items_total = 2 * 120_000 + 45_000;
    let cashback = c["cashback_minor"].as_i64().unwrap();
    assert_eq!(cashback, items_total * 2 / 100, "{c}");
    let shipping = shipping_of(&c, seller_id);

    let inbox = s
        .api()
        .get("/api/v1/order/seller/pending")
        .bearer(&seller_token)
        .send()
        .await;
    inbox.assert_status(200);
    let listed = inbox["items"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "{}", inbox.text);
    assert!(listed.iter().all(|i| i["buyer_id"] == buyer_id.to_string()));
    let ids = [item_id(&c, &skus[0]), item_id(&c, &skus[1])];

    let k = key();
    let body = json!({ "item_ids": ids, "note": "Gói kỹ giúp em" });
    let confirmed = confirm_keyed(s, &seller_token, body.clone(), &k).await;
    confirmed.assert_status(201);
    let o = confirmed.json().clone();
    assert_eq!(o["status"], "confirmed");
    assert_eq!(o["items"].as_array().unwrap().len(), 2);
    assert_eq!(o["items_minor"], items_total);
    assert_eq!(
        o["shipping_minor"], shipping,
        "the order takes the shipping the buyer paid"
    );
    assert_eq!(o["total_minor"], items_total + shipping);
    let label = o["shipment"]["label"]
        .as_str()
        .expect("booked with the carrier")
        .to_string();
    assert!(!o["shipment"]["tracking_code"].as_str().unwrap().is_empty());
    let p = &o["payout"];
    assert_eq!(p["currency"], "VND");
    assert_eq!(p["gross_minor"], items_total + shipping);
    assert_eq!(
        p["commission_minor"],
        items_total * 500 / 10_000,
        "5% of the items"
    );
    let fee = p["fee_minor"].as_i64().unwrap();
    assert!(fee > 0, "the carrier's quote: {o}");
    assert_eq!(p["fee_source"], "payout");
    let payout = p["payout_minor"].as_i64().unwrap();
    assert_eq!(
        payout,
        items_total + shipping - items_total * 500 / 10_000 - fee
    );
    assert_eq!(p["status"], "held");
    assert_eq!(sold(s, &skus[0]).await, 2, "the stock is sold");
    assert_eq!(available(s, &skus[0]).await, 8);
    told(s, buyer_id, "order_confirmed", 1).await;

    // A retry under the key is the same order; the items cannot be confirmed twice.
    let again = confirm_keyed(s, &seller_token, body.clone(), &k).await;
    again.assert_status(201);
    assert_eq!(again["id"], o["id"]);
    let twice = confirm_keyed(s, &seller_token, body, &key()).await;
    twice.assert_error(409, "item_not_pending");
    assert_eq!(sold(s, &skus[0]).await, 2, "sold once");

    // The buyer sees the order without the seller's money; a stranger sees nothing.
    let id = o["id"].as_str().unwrap();
    let theirs = order(s, &token, id).await;
    theirs.assert_status(200);
    assert!(theirs.json().get("payout").is_none(), "{}", theirs.text);
    let (_, stranger) = s.register("VN").await;
    order(s, &stranger, id)
        .await
        .assert_error(404, "order_not_found");
    let list = s
        .api()
        .get("/api/v1/order/orders?status=confirmed")
        .bearer(&token)
        .send()
        .await;
    assert_eq!(list["items"][0]["id"], o["id"], "{}", list.text);
    let checkout_view = get(s, &token, c["id"].as_str().unwrap()).await;
    assert!(
        checkout_view["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["status"] == "confirmed")
    );
    for (search, found) in [("nguyễn văn", 1), (&id[..8], 1), ("nobody", 0)] {
        let page = s
            .api()
            .get(&format!(
                "/api/v1/order/seller/orders?search={}",
                urlencode(search)
            ))
            .bearer(&seller_token)
            .send()
            .await;
        page.assert_status(200);
        assert_eq!(
            page["items"].as_array().unwrap().len(),
            found,
            "{search}: {}",
            page.text
        );
    }

    // Not delivered yet: no refund.
    s.api()
        .post(&format!("/api/v1/order/orders/{id}/refunds"))
        .bearer(&token)
        .json(json!({ "method": "drop_off", "reason": "Chưa nhận được" }))
        .send()
        .await
        .assert_error(409, "order_not_delivered");

    // Delivered: the hold runs, then the seller is paid out exactly once, and the buyer gets
    // the cashback.
    let before = balance(s, seller_id).await;
    let buyer_before = balance(s, buyer_id).await;
    drive(s, &label, 5).await;
    told(s, buyer_id, "order_delivered", 1).await;
    let done = eventually(Duration::from_secs(30), async || {
        let o = order(s, &seller_token, id).await;
        (o["status"] == "completed").then(|| o.json().clone())
    })
    .await
    .expect("the payout is released after the hold");
    assert_eq!(done["payout"]["status"], "released");
    assert_eq!(balance(s, seller_id).await, before + payout);
    told(s, seller_id, "payout_released", 1).await;
    let credited = eventually(Duration::from_secs(20), async || {
        let now = balance(s, buyer_id).await;
        (now != buyer_before).then_some(now)
    })
    .await;
    assert_eq!(
        credited,
        Some(buyer_before + cashback),
        "the cashback, once"
    );
    reconciles(s, get(s, &token, c["id"].as_str().unwrap()).await.json()).await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn a_fee_from_the_wallet_is_debited_exactly_and_a_short_wallet_changes_nothing() {
    let s = stack();
    let (seller_id, seller_token, skus) = seller(s, &[80_000], 5).await;
    let (_, token) = buyer(s, 1_000_000).await;
    let c = bought(s, &token, &[(&skus[0], 1)]).await;
    let ids = [item_id(&c, &skus[0])];

    let short = confirm_keyed(
        s,
        &seller_token,
        json!({ "item_ids": ids, "fee_from": "wallet" }),
        &key(),
    )
    .await;
    assert!(short.status >= 400 && short.status < 500, "{}", short.text);
    assert_eq!(balance(s, seller_id).await, 0);
    let inbox = s
        .api()
        .get("/api/v1/order/seller/pending")
        .bearer(&seller_token)
        .send()
        .await;
    assert_eq!(
        inbox["items"][0]["status"], "awaiting_seller",
        "{}",
        inbox.text
    );
    let orders = s
        .api()
        .get("/api/v1/order/seller/orders")
        .bearer(&seller_token)
        .send()
        .await;
    assert_eq!(
        orders["items"].as_array().unwrap().len(),
        0,
        "{}",
        orders.text
    );
    let booked: i64 = s
        .db()
        .await
        .query_one(
            "SELECT count(*) FROM \"order\".shipment s JOIN \"order\".seller_order o \
             ON s.owner = 'order:' || o.id WHERE o.seller_id = $1",
            &[&seller_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(booked, 0, "nothing was booked");
    assert_eq!(available(s, &skus[0]).await, 4, "still held for the buyer");

    credit(s, seller_id, 500_000).await;
    let paid = confirm_keyed(
        s,
        &seller_token,
        json!({ "item_ids": ids, "fee_from": "wallet" }),
        &key(),
    )
    .await;
    paid.assert_status(201);
    let fee = paid["payout"]["fee_minor"].as_i64().unwrap();
    assert_eq!(paid["payout"]["fee_source"], "wallet");
    assert_eq!(balance(s, seller_id).await, 500_000 - fee);
    assert_eq!(
        paid["payout"]["payout_minor"].as_i64().unwrap(),
        paid["payout"]["gross_minor"].as_i64().unwrap()
            - paid["payout"]["commission_minor"].as_i64().unwrap(),
        "the fee paid from the wallet is not kept again"
    );
}

#[tokio::test]
async fn confirmations_that_cannot_be_done_are_refused_and_leave_the_items_waiting() {
    let s = stack();
    let (_, seller_token, skus) = seller(s, &[60_000], 10).await;
    let (_, other_token, other) = seller(s, &[60_000], 10).await;
    let (_, first) = buyer(s, 1_000_000).await;
    let (_, second) = buyer(s, 1_000_000).await;
    let a = bought(s, &first, &[(&skus[0], 1)]).await;
    let b = bought(s, &second, &[(&skus[0], 1)]).await;
    let o = bought(s, &first, &[(&other[0], 1)]).await;
    let (ia, ib, io) = (
        item_id(&a, &skus[0]),
        item_id(&b, &skus[0]),
        item_id(&o, &other[0]),
    );
    let confirm = async |token: &str, body: Value| confirm_keyed(s, token, body, &key()).await;
    confirm(&seller_token, json!({ "item_ids": [ia, ib] }))
        .await
        .assert_error(422, "items_not_same_buyer");
    confirm(&seller_token, json!({ "item_ids": [ia, io] }))
        .await
        .assert_error(404, "item_not_found");
    confirm(&other_token, json!({ "item_ids": [ia] }))
        .await
        .assert_error(404, "item_not_found");
    for bad in [
        json!({ "item_ids": [] }),
        json!({ "item_ids": [ia, ia] }),
        json!({ "item_ids": [ia], "fee_from": "gift" }),
        json!({ "item_ids": [ia], "note": "x".repeat(501) }),
        json!({ "items": [ia] }),
    ] {
        let reply = confirm(&seller_token, bad.clone()).await;
        assert!(
            reply.status == 400 || reply.status == 422,
            "{bad}: {}",
            reply.text
        );
    }
    let unkeyed = s
        .api()
        .post("/api/v1/order/seller/pending/confirm")
        .bearer(&seller_token)
        .json(json!({ "item_ids": [ia] }))
        .send()
        .await;
    unkeyed.assert_error(400, "idempotency_key_required");
    let inbox = s
        .api()
        .get("/api/v1/order/seller/pending")
        .bearer(&seller_token)
        .send()
        .await;
    let waiting = inbox["items"].as_array().unwrap();
    assert_eq!(waiting.len(), 2, "{}", inbox.text);
    assert!(waiting.iter().all(|i| i["status"] == "awaiting_seller"));
    // The buyer can still cancel what the seller did not confirm.
    s.api()
        .delete(&format!("/api/v1/order/pending-items/{ia}"))
        .bearer(&first)
        .send()
        .await
        .assert_status(200);
    confirm(&seller_token, json!({ "item_ids": [ia] }))
        .await
        .assert_error(409, "item_not_pending");
}

#[tokio::test]
async fn a_rejection_refunds_each_buyer_exactly_the_rejected_items() {
    let s = stack();
    let (seller_id, seller_token, skus) = seller(s, &[100_000, 40_000], 10).await;
    let (first_id, first) = buyer(s, 1_000_000).await;
    let (second_id, second) = buyer(s, 1_000_000).await;
    let a = bought(s, &first, &[(&skus[0], 1), (&skus[1], 2)]).await;
    let b = bought(s, &second, &[(&skus[1], 1)]).await;
    let (first_before, second_before) = (balance(s, first_id).await, balance(s, second_id).await);
    let ids = [item_id(&a, &skus[1]), item_id(&b, &skus[1])];
    let reject = async || {
        s.api()
            .post("/api/v1/order/seller/pending/reject")
            .bearer(&seller_token)
            .json(json!({ "item_ids": ids, "reason": "Hết hàng màu này" }))
            .send()
            .await
    };
    let rejected = reject().await;
    rejected.assert_status(200);
    assert!(
        rejected["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["status"] == "cancelled"),
        "{}",
        rejected.text
    );
    // The first buyer keeps an item of this seller: only the rejected line comes back. The
    // second lost their only item: its shipping comes back too.
    assert_eq!(balance(s, first_id).await, first_before + 80_000);
    assert_eq!(
        balance(s, second_id).await,
        second_before + 40_000 + shipping_of(&b, seller_id)
    );
    assert_eq!(
        available(s, &skus[1]).await,
        10,
        "the rejected units are on sale again"
    );
    told(s, first_id, "item_refunded", 1).await;
    told(s, second_id, "item_refunded", 1).await;
    let cancelled = s
        .api()
        .get("/api/v1/order/cancelled-items")
        .bearer(&first)
        .send()
        .await;
    cancelled.assert_status(200);
    let listed = cancelled["items"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{}", cancelled.text);
    assert_eq!(listed[0]["id"], ids[0]);
    assert_eq!(listed[0]["cancelled_by"], "seller");
    // Retried, it changes nothing more.
    reject().await.assert_status(200);
    assert_eq!(balance(s, first_id).await, first_before + 80_000);
    for (token, c) in [(&first, &a), (&second, &b)] {
        reconciles(s, get(s, token, c["id"].as_str().unwrap()).await.json()).await;
    }
    // The item left can still be confirmed alone, and another seller cannot reject it.
    let (_, stranger_token, _) = seller(s, &[1_000], 1).await;
    s.api()
        .post("/api/v1/order/seller/pending/reject")
        .bearer(&stranger_token)
        .json(json!({ "item_ids": [item_id(&a, &skus[0])] }))
        .send()
        .await
        .assert_error(404, "item_not_found");
    confirm_keyed(
        s,
        &seller_token,
        json!({ "item_ids": [item_id(&a, &skus[0])] }),
        &key(),
    )
    .await
    .assert_status(201);
}

#[tokio::test]
async fn items_a_seller_does_not_confirm_in_time_are_withdrawn_and_refunded() {
    let s = short();
    let (seller_id, _, skus) = seller(s, &[90_000], 5).await;
    let (buyer_id, token) = buyer(s, 1_000_000).await;
    let c = bought(s, &token, &[(&skus[0], 2)]).await;
    assert_eq!(available(s, &skus[0]).await, 3);
    let id = c["id"].as_str().unwrap().to_string();
    let lapsed = eventually(Duration::from_secs(40), async || {
        let view = get(s, &token, &id).await;
        (view["items"][0]["status"] == "cancelled").then(|| view.json().clone())
    })
    .await
    .expect("the deadline withdraws the item");
    assert_eq!(
        balance(s, buyer_id).await,
        1_000_000,
        "everything came back"
    );
    assert_eq!(available(s, &skus[0]).await, 5);
    told(s, buyer_id, "item_refunded", 1).await;
    told(s, seller_id, "item_cancelled", 1).await;
    let cancelled = s
        .api()
        .get("/api/v1/order/cancelled-items")
        .bearer(&token)
        .send()
        .await;
    assert_eq!(
        cancelled["items"][0]["cancelled_by"], "deadline",
        "{}",
        cancelled.text
    );
    reconciles(s, &lapsed).await;
}

#[tokio::test]
async fn a_sellers_dashboard_adds_up_to_the_orders_it_was_given() {
    let s = stack();
    let (seller_id, seller_token, skus) = seller(s, &[100_000, 50_000], 10).await;
    let confirmed = async |c: &Value, sku: &str| {
        let o = confirm_keyed(
            s,
            &seller_token,
            json!({ "item_ids": [item_id(c, sku)] }),
            &key(),
        )
        .await;
        o.assert_status(201);
        o.json().clone()
    };
    let (_, first) = buyer(s, 2_000_000).await;
    let (_, second) = buyer(s, 2_000_000).await;
    let (_, third) = buyer(s, 2_000_000).await;
    let a = bought(s, &first, &[(&skus[0], 2)]).await;
    let b = bought(s, &second, &[(&skus[1], 1)]).await;
    bought(s, &third, &[(&skus[1], 1)]).await;
    let one = confirmed(&a, &skus[0]).await;
    let two = confirmed(&b, &skus[1]).await;
    let gross = |o: &Value| o["payout"]["gross_minor"].as_i64().unwrap();

    let now = chrono::Utc::now();
    let at = |t: chrono::DateTime<chrono::Utc>| urlencode(&t.to_rfc3339());
    let (from, to) = (
        at(now - chrono::Duration::hours(1)),
        at(now + chrono::Duration::hours(1)),
    );
    let ask = async |path: String| {
        let r = s.internal("order").get(&path).send().await;
        r.assert_status(200);
        r.json().clone()
    };
    let stats = ask(format!(
        "/internal/sellers/{seller_id}/order-stats?from={from}&to={to}"
    ))
    .await;
    assert_eq!(stats["currency"], "VND");
    let current = &stats["current"];
    assert_eq!(current["orders"], 2, "{stats}");
    assert_eq!(current["items_sold"], 3);
    assert_eq!(current["revenue_minor"], gross(&one) + gross(&two));
    assert_eq!(current["refunded_orders"], 0);
    assert_eq!(stats["previous"]["orders"], 0);
    assert_eq!(stats["previous"]["revenue_minor"], 0);

    let series = ask(format!(
        "/internal/sellers/{seller_id}/order-series?from={from}&to={to}&bucket=day"
    ))
    .await;
    let buckets = series["items"].as_array().unwrap();
    assert!(!buckets.is_empty() && buckets.len() <= 2, "{series}");
    let summed: i64 = buckets
        .iter()
        .map(|b| b["revenue_minor"].as_i64().unwrap())
        .sum();
    assert_eq!(summed, current["revenue_minor"].as_i64().unwrap());

    let pending = ask(format!("/internal/sellers/{seller_id}/pending-actions")).await;
    assert_eq!(pending["unconfirmed_items"], 1, "{pending}");
    assert_eq!(pending["open_refunds"], 0);

    let top = ask(format!(
        "/internal/sellers/{seller_id}/top-products?from={from}&to={to}&limit=5"
    ))
    .await;
    let top = top["items"].as_array().unwrap();
    assert_eq!(top.len(), 1, "one product, two SKUs: {top:?}");
    assert_eq!(top[0]["quantity"], 3);
    assert_eq!(top[0]["orders"], 2);
    assert_eq!(top[0]["list_minor"], 2 * 100_000 + 50_000);

    for bad in [
        format!("/internal/sellers/{seller_id}/order-stats?from={to}&to={from}"),
        format!("/internal/sellers/{seller_id}/order-stats?from={from}"),
        format!("/internal/sellers/{seller_id}/order-series?from={from}&to={to}&bucket=year"),
        format!("/internal/sellers/{seller_id}/top-products?from={from}&to={to}&limit=0"),
        format!("/internal/sellers/{seller_id}/order-stats?from=yesterday&to={to}"),
    ] {
        s.internal("order")
            .get(&bad)
            .send()
            .await
            .assert_error(422, "validation");
    }
    // A seller with no orders has nothing to show, and no error.
    let (nobody, _) = s.register("VN").await;
    let none = ask(format!(
        "/internal/sellers/{nobody}/order-stats?from={from}&to={to}"
    ))
    .await;
    assert_eq!(none["current"]["orders"], 0);
}

#[tokio::test]
async fn a_fee_paid_through_a_gateway_books_the_order_once_paid_and_a_cancel_gives_the_items_back()
{
    let s = stack();
    let (_, seller_token, skus) = seller(s, &[70_000], 10).await;
    let (_, token) = buyer(s, 2_000_000).await;
    let first = bought(s, &token, &[(&skus[0], 1)]).await;
    let second = bought(s, &token, &[(&skus[0], 2)]).await;
    let by_gateway = |c: &Value| {
        json!({
            "item_ids": [item_id(c, &skus[0])], "fee_from": "gateway", "gateway": "vnpay",
            "return_url": RETURN_URL,
        })
    };
    confirm_keyed(
        s,
        &seller_token,
        json!({ "item_ids": [item_id(&first, &skus[0])], "fee_from": "gateway" }),
        &key(),
    )
    .await
    .assert_error(422, "validation");

    // Paid: the order is booked, the fee not kept from the payout.
    let started = confirm_keyed(s, &seller_token, by_gateway(&first), &key()).await;
    started.assert_status(202);
    assert_eq!(started["status"], "confirming", "{}", started.text);
    assert!(
        started["shipment"].is_null(),
        "not booked before the fee is paid"
    );
    let payment = started["fee_payment"].clone();
    assert!(payment["next_step"]["url"].is_string(), "{}", started.text);
    let id = started["id"].as_str().unwrap().to_string();
    order(s, &token, &id)
        .await
        .assert_error(404, "order_not_found");
    let again = s
        .api()
        .post(&format!(
            "/api/v1/order/seller/confirmations/{id}/payment-url"
        ))
        .bearer(&seller_token)
        .send()
        .await;
    again.assert_status(202);
    assert_eq!(
        again["fee_payment"]["payment_id"], payment["payment_id"],
        "reused while payable"
    );
    pay_vnpay(&payment, "pay").await;
    let done = eventually(Duration::from_secs(30), async || {
        let o = order(s, &seller_token, &id).await;
        (o["status"] == "confirmed").then(|| o.json().clone())
    })
    .await
    .expect("the paid fee lets the confirmation book the order");
    assert!(done["shipment"]["tracking_code"].is_string());
    let p = &done["payout"];
    assert_eq!(p["fee_source"], "gateway");
    assert_eq!(
        p["payout_minor"].as_i64().unwrap(),
        p["gross_minor"].as_i64().unwrap() - p["commission_minor"].as_i64().unwrap()
    );
    order(s, &token, &id).await.assert_status(200);

    // Cancelled while its fee is unpaid: nothing booked, the items await the seller again.
    let other = confirm_keyed(s, &seller_token, by_gateway(&second), &key()).await;
    other.assert_status(202);
    let other_id = other["id"].as_str().unwrap().to_string();
    let cancelled = s
        .api()
        .post(&format!(
            "/api/v1/order/seller/confirmations/{other_id}/cancel"
        ))
        .bearer(&seller_token)
        .send()
        .await;
    assert!(
        cancelled.status == 200 || cancelled.status == 202,
        "{}",
        cancelled.text
    );
    let failed = eventually(Duration::from_secs(30), async || {
        let o = order(s, &seller_token, &other_id).await;
        (o["status"] == "failed").then_some(())
    })
    .await;
    assert!(failed.is_some(), "the cancel ends the confirmation");
    let items = eventually(Duration::from_secs(30), async || {
        let view = get(s, &token, second["id"].as_str().unwrap()).await;
        (view["items"][0]["status"] == "awaiting_seller").then_some(())
    })
    .await;
    assert!(items.is_some(), "the items await the seller again");
    s.api()
        .post(&format!(
            "/api/v1/order/seller/confirmations/{other_id}/payment-url"
        ))
        .bearer(&seller_token)
        .send()
        .await
        .assert_error(410, "confirmation_ended");
    confirm_keyed(
        s,
        &seller_token,
        json!({ "item_ids": [item_id(&second, &skus[0])] }),
        &key(),
    )
    .await
    .assert_status(201);
}

#[tokio::test]
async fn concurrent_confirmations_decide_one_after_the_other() {
    let s = stack();
    let (a_id, a_token, a) = seller(s, &[60_000], 10).await;
    let (b_id, b_token, b) = seller(s, &[40_000], 10).await;
    let (_, token) = buyer(s, 2_000_000).await;
    let c = bought(s, &token, &[(&a[0], 2), (&b[0], 1)]).await;
    // The two sellers of one checkout at once: both confirmed, each with its own shipping.
    let (theirs, ours) = (
        json!({ "item_ids": [item_id(&c, &b[0])] }),
        json!({ "item_ids": [item_id(&c, &a[0])] }),
    );
    let (k1, k2) = (key(), key());
    let (x, y) = tokio::join!(
        confirm_keyed(s, &b_token, theirs, &k1),
        confirm_keyed(s, &a_token, ours, &k2),
    );
    x.assert_status(201);
    y.assert_status(201);
    assert_eq!(x["shipping_minor"], shipping_of(&c, b_id));
    assert_eq!(y["shipping_minor"], shipping_of(&c, a_id));
    assert_eq!(sold(s, &a[0]).await, 2);
    assert_eq!(sold(s, &b[0]).await, 1);
    reconciles(s, get(s, &token, c["id"].as_str().unwrap()).await.json()).await;

    // One seller twice at once, under two keys: one order, the other refused.
    let other = bought(s, &token, &[(&a[0], 1)]).await;
    let mine = json!({ "item_ids": [item_id(&other, &a[0])] });
    let (k3, k4) = (key(), key());
    let (one, two) = tokio::join!(
        confirm_keyed(s, &a_token, mine.clone(), &k3),
        confirm_keyed(s, &a_token, mine.clone(), &k4),
    );
    let mut statuses = [one.status, two.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{} / {}", one.text, two.text);
    let loser = if one.status == 409 { &one } else { &two };
    loser.assert_error(409, "item_not_pending");
    assert_eq!(sold(s, &a[0]).await, 3, "each unit sold once");
    let orders = s
        .api()
        .get("/api/v1/order/seller/orders")
        .bearer(&a_token)
        .send()
        .await;
    assert_eq!(
        orders["items"].as_array().unwrap().len(),
        2,
        "{}",
        orders.text
    );
}

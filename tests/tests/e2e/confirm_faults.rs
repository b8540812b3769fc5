//! Order's workflows after checkout crashing around their steps (the durable layer's fault
//! points, on stacks of their own): each resumes, and every effect happens once — the fee
//! debited once, the shipment booked once, the stock sold once, the seller paid once, a
//! withdrawn item and an unanswered refund refunded once.

use serde_json::json;
use souk_e2e::{Stack, eventually};
use std::time::Duration;

use crate::checkout::{RETURN_URL, balance, buyer, checkout, credit, item_id, key, seller};
use crate::orders::{confirm_keyed, order};
use crate::shipments::drive;

#[tokio::test]
async fn a_confirmation_and_its_payout_crashing_around_every_step_have_each_effect_once() {
    let faults = "confirm:before-commit:claim,confirm:after:claim,confirm:before-commit:fee,\
                  confirm:before-commit:book,confirm:after:book,confirm:before-commit:commit,\
                  confirm:before:complete,confirm:before-commit:complete,\
                  payout:before-commit:release-1";
    let s = Stack::private_with(souk_e2e::Variant {
        env: vec![
            ("SPIN_VARIABLE_DURABLE_FAULTS".into(), faults.into()),
            ("SPIN_VARIABLE_PAYOUT_HOLD_SECS".into(), "0".into()),
        ],
        ..Default::default()
    })
    .expect("a stack with confirmation fault points starts");
    let s = &s;
    let (seller_id, seller_token, skus) = seller(s, &[90_000], 5).await;
    credit(s, seller_id, 300_000).await;
    let (_, token) = buyer(s, 1_000_000).await;
    let c = checkout(
        s,
        &token,
        json!({
            "items": [{ "sku_id": skus[0], "quantity": 2 }],
            "payment": { "use_wallet": true }, "return_url": RETURN_URL,
        }),
    )
    .await;
    c.assert_status(201);
    let body = json!({ "item_ids": [item_id(c.json(), &skus[0])], "fee_from": "wallet" });
    let k = key();
    let first = confirm_keyed(s, &seller_token, body.clone(), &k).await;
    assert_eq!(
        first.status, 202,
        "a crash leaves it running: {}",
        first.text
    );
    let o = eventually(Duration::from_secs(120), async || {
        let again = confirm_keyed(s, &seller_token, body.clone(), &k).await;
        (again.status == 201).then(|| again.json().clone())
    })
    .await
    .unwrap_or_else(|| panic!("the confirmation never finished: {}", s.log()));
    let id = o["id"].as_str().unwrap().to_string();
    let fee = o["payout"]["fee_minor"].as_i64().unwrap();
    assert_eq!(
        balance(s, seller_id).await,
        300_000 - fee,
        "the fee debited once"
    );
    let db = s.db().await;
    let count = async |sql: &str| -> i64 {
        db.query_one(sql, &[&format!("order:{id}")])
            .await
            .unwrap()
            .get(0)
    };
    assert_eq!(
        count("SELECT count(*) FROM \"order\".shipment WHERE owner = $1").await,
        1,
        "booked once"
    );
    let sold: i64 = db
        .query_one(
            "SELECT sold FROM inventory.stock WHERE sku_id = $1::text::uuid",
            &[&skus[0]],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(sold, 2, "sold once");

    // The payout's first look sees no delivery and waits (so its release is `release-1`).
    let waiting = eventually(Duration::from_secs(60), async || {
        let n: i64 = db
            .query_one(
                "SELECT count(*) FROM \"order\".invocation \
                 WHERE workflow = 'payout' AND status = 'waiting'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        (n == 1).then_some(())
    })
    .await;
    assert!(
        waiting.is_some(),
        "the payout waits for the delivery: {}",
        s.log()
    );
    drive(s, o["shipment"]["label"].as_str().unwrap(), 5).await;
    let payout = o["payout"]["payout_minor"].as_i64().unwrap();
    let paid = eventually(Duration::from_secs(120), async || {
        let now = order(s, &seller_token, &id).await;
        (now["status"] == "completed").then_some(())
    })
    .await;
    assert!(paid.is_some(), "the payout resumes: {}", s.log());
    assert_eq!(
        balance(s, seller_id).await,
        300_000 - fee + payout,
        "paid out once"
    );
    assert_eq!(
        count("SELECT count(*) FROM account.wallet_entry WHERE reference = $1 AND kind = 'credit'")
            .await,
        1
    );
    let fired: i64 = db
        .query_one(
            "SELECT coalesce(sum(array_length(faults_fired, 1)), 0)::int8 \
             FROM \"order\".invocation WHERE workflow IN ('confirm', 'payout')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(fired, 9, "every fault point struck once");
}

#[tokio::test]
async fn a_deadline_and_a_refund_timeout_crashing_around_their_steps_refund_once() {
    let faults = "confirm_by:before-commit:lapse,confirm_by:after:lapse,\
                  refund_timeout:before-commit:approve,refund_timeout:after:approve";
    let s = Stack::private_with(souk_e2e::Variant {
        env: vec![
            ("SPIN_VARIABLE_DURABLE_FAULTS".into(), faults.into()),
            ("SPIN_VARIABLE_CONFIRM_WITHIN_SECS".into(), "10".into()),
            ("SPIN_VARIABLE_REFUND_ANSWER_SECS".into(), "10".into()),
            ("SPIN_VARIABLE_PAYOUT_HOLD_SECS".into(), "600".into()),
        ],
        ..Default::default()
    })
    .expect("a stack with deadline and refund fault points starts");
    let s = &s;
    let (_, seller_token, skus) = seller(s, &[50_000, 70_000], 5).await;
    let (buyer_id, token) = buyer(s, 1_000_000).await;
    let buy = async |sku: &str| {
        let c = checkout(
            s,
            &token,
            json!({
                "items": [{ "sku_id": sku, "quantity": 1 }],
                "payment": { "use_wallet": true }, "return_url": RETURN_URL,
            }),
        )
        .await;
        c.assert_status(201);
        c.json().clone()
    };
    // Left unconfirmed: the deadline withdraws it, crashing before and after its step.
    let lapsing = buy(&skus[0]).await;
    // Confirmed, delivered, then a refund its seller leaves unanswered.
    let kept = buy(&skus[1]).await;
    let o = confirm_keyed(
        s,
        &seller_token,
        json!({ "item_ids": [item_id(&kept, &skus[1])] }),
        &key(),
    )
    .await;
    o.assert_status(201);
    let id = o["id"].as_str().unwrap().to_string();
    drive(s, o["shipment"]["label"].as_str().unwrap(), 5).await;
    let delivered = eventually(Duration::from_secs(30), async || {
        (order(s, &token, &id).await["status"] == "delivered").then_some(())
    })
    .await;
    assert!(delivered.is_some());
    s.api()
        .post(&format!("/api/v1/order/orders/{id}/refunds"))
        .bearer(&token)
        .json(json!({ "method": "drop_off", "reason": "Không vừa" }))
        .send()
        .await
        .assert_status(201);
    let total = |c: &serde_json::Value| c["total_minor"].as_i64().unwrap();
    let whole = eventually(Duration::from_secs(150), async || {
        let now = balance(s, buyer_id).await;
        (now == 1_000_000).then_some(())
    })
    .await;
    assert!(
        whole.is_some(),
        "both refunds arrive ({} of {} back): {}",
        balance(s, buyer_id).await,
        total(&lapsing) + total(&kept),
        s.log()
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(balance(s, buyer_id).await, 1_000_000, "each refunded once");
    // Both deadlines (the confirmed checkout's finds nothing to withdraw) and the refund's
    // timeout have struck each of their fault points once.
    let struck = eventually(Duration::from_secs(60), async || {
        let fired: i64 = s
            .db()
            .await
            .query_one(
                "SELECT coalesce(sum(array_length(faults_fired, 1)), 0)::int8 \
                 FROM \"order\".invocation WHERE workflow IN ('confirm_by', 'refund_timeout') \
                 AND status = 'completed'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        (fired == 6).then_some(())
    })
    .await;
    assert!(
        struck.is_some(),
        "every fault point struck once in each invocation"
    );
    assert_eq!(
        balance(s, buyer_id).await,
        1_000_000,
        "and nothing refunded twice"
    );
}

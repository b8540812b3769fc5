//! Payment attempts through the real gateway providers composed into order (VNPay and SePay
//! side by side in two of its slots), against the local sandbox that plays both gateways:
//! the buyer pays on the sandbox's page, the sandbox sends the signed IPN, order settles the
//! attempt once; forged, replayed, wrong-amount and late callbacks change nothing they must
//! not; reconciliation asks the gateway; refunds never give back more than was paid.

use serde_json::{Value, json};
use souk_e2e::{Reply, eventually, stack};
use std::time::Duration;

fn key() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn start(gateway: &str, amount: i64, method: &str) -> Value {
    let reply = stack()
        .internal("order")
        .post("/internal/payments")
        .header("idempotency-key", &key())
        .json(json!({
            "owner": format!("checkout:{}", key()),
            "gateway": gateway,
            "method": method,
            "amount_minor": amount,
            "currency": "VND",
            "description": "Đơn hàng Souk: tai nghe",
            "return_url": "https://souk.example/checkout/return",
            "buyer_ip": "203.0.113.9",
        }))
        .send()
        .await;
    reply.assert_status(201);
    reply.json().clone()
}

async fn payment(id: &str) -> Value {
    let reply = stack()
        .internal("order")
        .get(&format!("/internal/payments/{id}"))
        .send()
        .await;
    reply.assert_status(200);
    reply.json().clone()
}

/// Waits until the attempt is no longer pending; its answer.
async fn settled(id: &str) -> Value {
    eventually(Duration::from_secs(20), async || {
        let p = payment(id).await;
        (p["status"] != "pending").then_some(p)
    })
    .await
    .unwrap_or_else(|| panic!("payment {id} stayed pending"))
}

/// Opens VNPay's payment page as the buyer's browser does, then clicks `outcome`; the signed
/// query the browser is sent back with.
pub(crate) async fn pay_vnpay(p: &Value, outcome: &str) -> String {
    let url = p["next_step"]["url"].as_str().expect("a redirect");
    let page = client().get(url).send().await.unwrap();
    assert_eq!(
        page.status(),
        200,
        "{}",
        page.text().await.unwrap_or_default()
    );
    let base = &stack().sandbox_url;
    let decided = client()
        .post(format!("{base}/paymentv2/decide"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "reference={}&outcome={outcome}",
            p["reference"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(decided.status(), 303);
    let location = decided.headers()["location"].to_str().unwrap().to_string();
    location
        .split_once('?')
        .map(|(_, q)| q.to_string())
        .unwrap_or_default()
}

/// What the sandbox's VNPay says it refunded of attempt `p`, in đồng.
pub(crate) async fn vnpay_refunded(p: &Value) -> i64 {
    let url = format!(
        "{}/sandbox/vnpay/attempts/{}",
        stack().sandbox_url,
        p["reference"].as_str().unwrap()
    );
    let seen: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    seen["refunded_vnd"].as_i64().unwrap()
}

/// Sends `query` to order's VNPay IPN, as VNPay does (GET).
pub(crate) async fn vnpay_ipn(query: &str) -> Value {
    let url = format!(
        "{}/api/v1/order/payments/vnpay/callback?{query}",
        stack().base_url
    );
    let reply = client().get(url).send().await.unwrap();
    assert_eq!(reply.status(), 200);
    reply.json().await.unwrap()
}

/// A callback query for `reference` signed with `secret`, saying `amount` đồng was paid.
pub(crate) fn signed_ipn(secret: &str, reference: &str, amount: i64) -> String {
    let c = &stack().credentials;
    let amount = (amount * 100).to_string();
    let pairs = [
        ("vnp_Amount", amount.as_str()),
        ("vnp_BankCode", "NCB"),
        ("vnp_CardType", "ATM"),
        ("vnp_OrderInfo", "Souk"),
        ("vnp_PayDate", "20261203120000"),
        ("vnp_ResponseCode", "00"),
        ("vnp_TmnCode", c.vnpay_tmn_code.as_str()),
        ("vnp_TransactionNo", "99990001"),
        ("vnp_TransactionStatus", "00"),
        ("vnp_TxnRef", reference),
    ];
    let query = protocols::vnpay::signed_query(pairs);
    let hash = protocols::vnpay::hmac_sha512_hex(secret, &query);
    format!("{query}&vnp_SecureHash={hash}")
}

async fn callbacks(reference: &str) -> Vec<(String, Option<String>)> {
    let db = stack().db().await;
    db.query(
        "SELECT c.verdict, c.reason FROM \"order\".payment_callback c \
         WHERE c.reference = $1 ORDER BY c.received_at",
        &[&reference],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

#[tokio::test]
async fn both_gateways_are_offered_from_one_consumer() {
    let reply = stack()
        .api()
        .get("/api/v1/order/payments/gateways")
        .send()
        .await;
    reply.assert_status(200);
    let ids: Vec<&str> = reply["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["vnpay", "sepay"],
        "slots c and d hold payment-none and are left out"
    );
    let vnpay = &reply["items"][0]["methods"];
    assert_eq!(vnpay, &json!(["any", "qr", "bank", "card"]));
}

#[tokio::test]
async fn a_vnpay_payment_is_settled_once_by_its_signed_ipn_and_a_replay_changes_nothing() {
    let p = start("vnpay", 250_000, "bank").await;
    assert_eq!(p["status"], "pending");
    assert_eq!(p["next_step"]["kind"], "redirect");
    let url = p["next_step"]["url"].as_str().unwrap();
    assert!(url.contains("vnp_Amount=25000000"), "amounts ×100: {url}");
    assert!(url.contains("vnp_BankCode=VNBANK"), "bank is VNBANK: {url}");

    let returned = pay_vnpay(&p, "pay").await;
    let paid = settled(p["payment_id"].as_str().unwrap()).await;
    assert_eq!(paid["status"], "paid");
    assert!(
        paid["transaction_id"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert_eq!(
        callbacks(p["reference"].as_str().unwrap()).await[0].0,
        "accepted"
    );

    // The same signed parameters again (the browser's return, replayed to the IPN).
    let again = vnpay_ipn(&returned).await;
    assert_eq!(again["RspCode"], "02", "already confirmed: {again}");
    let after = payment(p["payment_id"].as_str().unwrap()).await;
    assert_eq!(after["status"], "paid");
    assert_eq!(after["settled_at"], paid["settled_at"]);
}

#[tokio::test]
async fn forged_and_wrong_amount_callbacks_are_refused_and_leave_the_attempt_pending() {
    let p = start("vnpay", 180_000, "any").await;
    let reference = p["reference"].as_str().unwrap();

    let forged = vnpay_ipn(&signed_ipn("not-the-secret", reference, 180_000)).await;
    assert_eq!(forged["RspCode"], "97", "{forged}");
    let secret = stack().credentials.vnpay_hash_secret.clone();
    let short = vnpay_ipn(&signed_ipn(&secret, reference, 18_000)).await;
    assert_eq!(short["RspCode"], "04", "{short}");
    let unknown = vnpay_ipn(&signed_ipn(&secret, "ffffffffffffffffffffffffffffffff", 1)).await;
    assert_eq!(unknown["RspCode"], "01", "{unknown}");

    let after = payment(p["payment_id"].as_str().unwrap()).await;
    assert_eq!(after["status"], "pending");
    let verdicts: Vec<String> = callbacks(reference)
        .await
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(
        verdicts,
        ["amount_mismatch"],
        "the forgery names no attempt it is believed of"
    );
    let db = stack().db().await;
    let refused: i64 = db
        .query_one(
            "SELECT count(*) FROM \"order\".payment_callback \
             WHERE verdict = 'refused' AND reason ILIKE '%signature%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(refused >= 1, "the forged callback is on record");
}

#[tokio::test]
async fn money_taken_after_the_attempt_was_given_up_is_paid_late_and_refunded_unasked() {
    let p = start("vnpay", 99_000, "qr").await;
    let id = p["payment_id"].as_str().unwrap();
    let cancelled = stack()
        .internal("order")
        .post(&format!("/internal/payments/{id}/cancel"))
        .header("idempotency-key", &key())
        .send()
        .await;
    cancelled.assert_status(200);
    assert_eq!(cancelled["status"], "expired");

    // The buyer still pays on VNPay's page, which had not expired there.
    pay_vnpay(&p, "pay").await;
    let late = eventually(Duration::from_secs(20), async || {
        let now = payment(id).await;
        (now["status"] == "paid_late").then_some(now)
    })
    .await
    .expect("the late payment is recorded");
    assert!(late["transaction_id"].is_string());

    // It is money to give back, and it goes back without anyone asking: all of it, once.
    let refunded = eventually(Duration::from_secs(30), async || {
        let now = payment(id).await;
        (now["refunded_minor"] == 99_000).then_some(now)
    })
    .await;
    assert!(
        refunded.is_some(),
        "the late payment was refunded: {}",
        payment(id).await
    );
    assert_eq!(
        vnpay_refunded(&p).await,
        99_000,
        "the gateway gave back exactly that"
    );
}

#[tokio::test]
async fn refunds_of_a_paid_attempt_never_give_back_more_than_was_paid() {
    let p = start("vnpay", 99_000, "qr").await;
    let id = p["payment_id"].as_str().unwrap();
    pay_vnpay(&p, "pay").await;
    assert_eq!(settled(id).await["status"], "paid");
    let refund = |amount: Option<i64>, k: String| async move {
        let mut body = json!({ "reason": "returned by the buyer", "requested_by": "system" });
        if let Some(a) = amount {
            body["amount_minor"] = a.into();
        }
        stack()
            .internal("order")
            .post(&format!("/internal/payments/{id}/refunds"))
            .header("idempotency-key", &k)
            .json(body)
            .send()
            .await
    };
    let part = refund(Some(40_000), key()).await;
    part.assert_status(201);
    assert_eq!(part["status"], "done", "{}", part.text);
    let over: Reply = refund(Some(60_000), key()).await;
    over.assert_error(409, "refund_exceeds_payment");
    let rest_key = key();
    let rest = refund(None, rest_key.clone()).await;
    rest.assert_status(201);
    assert_eq!(rest["amount_minor"], 59_000);
    let retried = refund(None, rest_key).await;
    assert_eq!(
        retried["refund_id"], rest["refund_id"],
        "a retry is the same refund"
    );
    assert_eq!(payment(id).await["refunded_minor"], 99_000);
    refund(Some(1), key())
        .await
        .assert_error(409, "refund_exceeds_payment");
    assert_eq!(
        vnpay_refunded(&p).await,
        99_000,
        "the gateway gave back exactly that"
    );
}

#[tokio::test]
async fn reconciliation_asks_the_gateway_about_a_pending_attempt() {
    let p = start("vnpay", 120_000, "card").await;
    let id = p["payment_id"].as_str().unwrap();
    let url = p["next_step"]["url"].as_str().unwrap();
    assert!(url.contains("vnp_BankCode=INTCARD"));
    let reconciled = stack()
        .internal("order")
        .post(&format!("/internal/payments/{id}/reconcile"))
        .send()
        .await;
    reconciled.assert_status(200);
    assert_eq!(
        reconciled["status"], "pending",
        "nothing happened yet: {}",
        reconciled.text
    );
}

#[tokio::test]
async fn a_sepay_payment_is_settled_by_its_ipn_and_a_wrong_secret_is_refused() {
    let p = start("sepay", 320_000, "qr").await;
    assert_eq!(p["next_step"]["kind"], "form", "{p}");
    let action = p["next_step"]["action"].as_str().unwrap();
    let fields: Vec<(String, String)> = p["next_step"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f[0].as_str().unwrap().into(), f[1].as_str().unwrap().into()))
        .collect();
    let form = protocols::form::encode_pairs(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let page = client()
        .post(action)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200, "the sandbox accepts the signed form");

    let wrong = client()
        .post(format!(
            "{}/api/v1/order/payments/sepay/callback",
            stack().base_url
        ))
        .header("x-secret-key", "guess")
        .header("content-type", "application/json")
        .body(json!({ "notification_type": "ORDER_PAID" }).to_string())
        .send()
        .await
        .unwrap();
    assert!(
        wrong.status().is_client_error(),
        "a wrong secret is refused: {}",
        wrong.status()
    );

    let base = &stack().sandbox_url;
    let decided = client()
        .post(format!("{base}/v1/checkout/decide"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "reference={}&outcome=pay",
            p["reference"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(decided.status(), 303);
    let paid = settled(p["payment_id"].as_str().unwrap()).await;
    assert_eq!(paid["status"], "paid", "{paid}");
}

#[tokio::test]
async fn bad_start_requests_are_refused_before_any_gateway_is_asked() {
    let internal = stack().internal("order");
    let base = json!({
        "owner": "checkout:x", "gateway": "vnpay", "method": "any", "amount_minor": 1000,
        "currency": "VND", "description": "x", "return_url": "https://souk.example/r",
        "buyer_ip": "203.0.113.9",
    });
    let send = |patch: Value| {
        let mut body = base.clone();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        internal
            .post("/internal/payments")
            .header("idempotency-key", &key())
            .json(body)
            .send()
    };
    send(json!({ "gateway": "paypal" }))
        .await
        .assert_error(404, "gateway_not_found");
    send(json!({ "amount_minor": 0 })).await.assert_status(422);
    send(json!({ "buyer_ip": "nowhere" }))
        .await
        .assert_status(422);
    send(json!({ "return_url": "javascript:alert(1)" }))
        .await
        .assert_status(422);
    send(json!({ "currency": "USD" }))
        .await
        .assert_error(422, "payment_invalid");
    send(json!({ "expires_in_secs": 5 }))
        .await
        .assert_status(422);
    let db = stack().db().await;
    let stored: i64 = db
        .query_one(
            "SELECT count(*) FROM \"order\".payment_attempt WHERE owner = 'checkout:x'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 0, "nothing half-written");
}

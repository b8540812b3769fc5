//! The VNPay sandbox played against the protocol Souk's providers speak: a pay URL built by
//! `protocols::vnpay` is accepted and a tampered one refused; a click sends a signed IPN that
//! `protocols::vnpay` verifies, again until it is acknowledged, and a signed redirect; late
//! clicks expire; `querydr` and `refund` check and sign their checksums.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::{Merchant, VNPAY_SECRET as SECRET, VNPAY_TMN as TMN, client, eventually, sandbox};
use protocols::vnpay::{
    Outcome, PayRequest, QUERYDR_ANSWER_ORDER, QUERYDR_ORDER, REFUND_ANSWER_ORDER, REFUND_ORDER,
    format_time, json_checksum, pay_url, verify_callback,
};
use serde_json::{Value, json};

fn attempt(txn_ref: &str, minutes_left: i64) -> (String, i64) {
    let now = Utc::now();
    let created = now - chrono::Duration::minutes(20);
    let request = PayRequest {
        tmn_code: TMN,
        amount_vnd: 250_000,
        txn_ref,
        order_info: "Souk order 42",
        order_type: "other",
        locale: "vn",
        return_url: "https://souk.example/return",
        ip: "203.0.113.7",
        created,
        expires: now + chrono::Duration::minutes(minutes_left),
        bank_code: None,
    };
    let query = pay_url("", SECRET, &request).unwrap();
    (query, 250_000)
}

/// The payment page for a pay URL's `query`, as the buyer's browser opens it.
async fn open(base: &str, query: &str) -> reqwest::Response {
    client()
        .get(format!("{base}/paymentv2/vpcpay.html{query}"))
        .send()
        .await
        .unwrap()
}

async fn click(base: &str, txn_ref: &str, outcome: &str) -> reqwest::Response {
    common::click(base, "/paymentv2/decide", txn_ref, outcome).await
}

#[tokio::test]
async fn a_paid_attempt_sends_a_signed_ipn_until_acknowledged_and_a_signed_redirect() {
    let (m, ipn) = Merchant::start(&[(200, r#"{"RspCode":"99","Message":"x"}"#)]).await;
    let base = sandbox(Some(ipn), None, None).await;
    let (query, amount) = attempt("a1", 15);
    let page = open(&base, &query).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("250000 VND"));

    let redirect = click(&base, "a1", "pay").await;
    assert_eq!(redirect.status(), 303);
    let location = redirect.headers()["location"].to_str().unwrap().to_string();
    let (to, signed) = location.split_once('?').unwrap();
    assert_eq!(to, "https://souk.example/return");
    let back = verify_callback(SECRET, TMN, signed).unwrap();
    assert_eq!((back.outcome, back.amount_vnd), (Outcome::Paid, amount));
    assert!(back.transaction_no.is_some());

    // Answered 99 first: VNPay sends it again, and stops at 00.
    let received = eventually(|| {
        let r = m.received();
        (r.len() >= 2).then_some(r)
    })
    .await;
    for ipn in &received {
        assert_eq!(verify_callback(SECRET, TMN, &ipn.query).unwrap(), back);
    }
    let view: Value = client()
        .get(format!("{base}/sandbox/vnpay/attempts/a1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["state"], "paid");
    assert_eq!(view["ipn_replies"], json!(["99", "00"]));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(m.received().len(), 2, "no delivery after 00");

    // Once decided, the attempt is not paid again.
    assert_eq!(click(&base, "a1", "pay").await.status(), 400);
}

#[tokio::test]
async fn tampered_and_malformed_pay_requests_get_vnpay_s_error_page() {
    let base = sandbox(None, None, None).await;
    let (query, _) = attempt("b1", 15);
    let get = |q: String| {
        let base = base.clone();
        async move {
            let r = open(&base, &q).await;
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let tampered = query.replace("vnp_Amount=25000000", "vnp_Amount=100");
    let (status, page) = get(tampered).await;
    assert_eq!(status, 400);
    assert!(page.contains("error 97"), "{page}");
    let (status, page) = get(format!("{query}&vnp_SecureHashType=HmacSHA512")).await;
    assert_eq!(status, 400, "2.1.0 sends no hash type");
    assert!(page.contains("error 03"), "{page}");
    let (status, _) = get(format!("{query}&vnp_TxnRef=b2")).await;
    assert_eq!(status, 400, "a parameter named twice");
    // Signed correctly, but for another terminal.
    let other = query.replace("vnp_TmnCode=SOUKTEST", "vnp_TmnCode=OTHER123");
    let (status, page) = get(other).await;
    assert_eq!(status, 400);
    assert!(
        page.contains("error 97"),
        "the terminal is signed too: {page}"
    );
    assert_eq!(get(query).await.0, 200);
}

#[tokio::test]
async fn a_click_after_the_deadline_expires_the_attempt() {
    let base = sandbox(None, None, None).await;
    let (query, _) = attempt("c1", -1);
    let page = open(&base, &query).await;
    assert_eq!(page.status(), 200);
    let redirect = click(&base, "c1", "pay").await;
    let location = redirect.headers()["location"].to_str().unwrap().to_string();
    let back = verify_callback(SECRET, TMN, location.split_once('?').unwrap().1).unwrap();
    assert_eq!(back.outcome, Outcome::Expired);
    assert_eq!(back.response_code, "11");
}

/// A transaction API request with its checksum.
fn signed(order: &[&str], mut fields: Value) -> Value {
    fields["vnp_SecureHash"] = json_checksum(SECRET, order, &fields).into();
    fields
}

async fn api(base: &str, body: &Value) -> Value {
    let answer: Value = client()
        .post(format!("{base}/merchant_webapi/api/transaction"))
        .json(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer
}

#[tokio::test]
async fn querydr_and_refund_check_their_checksums_and_sign_their_answers() {
    let base = sandbox(None, None, None).await;
    let (query, _) = attempt("d1", 15);
    open(&base, &query).await;
    click(&base, "d1", "pay").await;
    let now = format_time(Utc::now());
    let querydr = |id: &str, txn: &str| {
        json!({
            "vnp_RequestId": id, "vnp_Version": "2.1.0", "vnp_Command": "querydr",
            "vnp_TmnCode": TMN, "vnp_TxnRef": txn, "vnp_OrderInfo": "Query d1",
            "vnp_TransactionDate": now, "vnp_CreateDate": now, "vnp_IpAddr": "10.0.0.1",
        })
    };
    let answer = api(&base, &signed(&QUERYDR_ORDER, querydr("q1", "d1"))).await;
    assert_eq!(answer["vnp_ResponseCode"], "00", "{answer}");
    assert_eq!(answer["vnp_TransactionStatus"], "00");
    assert_eq!(answer["vnp_Amount"], "25000000");
    let hash = answer["vnp_SecureHash"].as_str().unwrap();
    assert_eq!(json_checksum(SECRET, &QUERYDR_ANSWER_ORDER, &answer), hash);

    let again = api(&base, &signed(&QUERYDR_ORDER, querydr("q1", "d1"))).await;
    assert_eq!(again["vnp_ResponseCode"], "94", "a request id is used once");
    let mut forged = signed(&QUERYDR_ORDER, querydr("q2", "d1"));
    forged["vnp_TxnRef"] = "d2".into();
    assert_eq!(api(&base, &forged).await["vnp_ResponseCode"], "97");
    let unknown = api(&base, &signed(&QUERYDR_ORDER, querydr("q3", "zz"))).await;
    assert_eq!(unknown["vnp_ResponseCode"], "91");

    let refund = |id: &str, kind: &str, amount: &str| {
        json!({
            "vnp_RequestId": id, "vnp_Version": "2.1.0", "vnp_Command": "refund",
            "vnp_TmnCode": TMN, "vnp_TransactionType": kind, "vnp_TxnRef": "d1",
            "vnp_Amount": amount, "vnp_TransactionDate": now, "vnp_CreateBy": "souk",
            "vnp_CreateDate": now, "vnp_IpAddr": "10.0.0.1", "vnp_OrderInfo": "Refund d1",
        })
    };
    let part = api(
        &base,
        &signed(&REFUND_ORDER, refund("r1", "03", "10000000")),
    )
    .await;
    assert_eq!(part["vnp_ResponseCode"], "00", "{part}");
    let hash = part["vnp_SecureHash"].as_str().unwrap();
    assert_eq!(json_checksum(SECRET, REFUND_ANSWER_ORDER, &part), hash);
    let full = api(
        &base,
        &signed(&REFUND_ORDER, refund("r2", "02", "25000000")),
    )
    .await;
    assert_eq!(full["vnp_ResponseCode"], "93", "more than is left");
    let rest = api(
        &base,
        &signed(&REFUND_ORDER, refund("r3", "03", "15000000")),
    )
    .await;
    assert_eq!(rest["vnp_ResponseCode"], "00");
    let status = api(&base, &signed(&QUERYDR_ORDER, querydr("q4", "d1"))).await;
    assert_eq!(status["vnp_TransactionStatus"], "05", "refunded");
}

//! The SePay sandbox played against the protocol Souk's providers speak: a checkout form built
//! by `protocols::sepay` is accepted and a tampered or reordered one refused; paying sends the
//! `ORDER_PAID` IPN with the IPN secret, again until it is answered 200, and `protocols::sepay`
//! reads it; failing and cancelling send the browser back and no IPN; the order detail answers
//! the merchant's credentials only, and `protocols::sepay` reads what became of each checkout.

mod common;

use std::time::Duration;

use common::{Merchant, SEPAY_IPN_SECRET, SEPAY_KEY, SEPAY_MERCHANT, client, eventually, sandbox};
use protocols::form;
use protocols::sepay::{
    Checkout, Method, OrderStatus, Outcome, basic_auth, checkout_form, order_detail_url, read_ipn,
    read_order_detail,
};

fn checkout(invoice: &'static str) -> Checkout<'static> {
    Checkout {
        merchant: SEPAY_MERCHANT,
        amount_vnd: 120_000,
        invoice_number: invoice,
        description: "Souk order 7",
        method: Some(Method::BankTransfer),
        success_url: "https://souk.example/paid",
        error_url: "https://souk.example/failed",
        cancel_url: "https://souk.example/cancelled",
    }
}

fn encode(fields: &[(String, String)]) -> String {
    form::encode_pairs(fields.iter().map(|(n, v)| (n.as_str(), v.as_str())))
}

async fn post_form(base: &str, body: String) -> (u16, String) {
    let r = client()
        .post(format!("{base}/v1/checkout/init"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn click(base: &str, invoice: &str, outcome: &str) -> reqwest::Response {
    common::click(base, "/v1/checkout/decide", invoice, outcome).await
}

#[tokio::test]
async fn paying_sends_the_ipn_with_its_secret_until_answered_200() {
    let (m, ipn) = Merchant::start(&[(500, "{}")]).await;
    let base = sandbox(None, Some(ipn), None).await;
    let form = checkout_form(SEPAY_KEY, &checkout("INV_7")).unwrap();
    let (status, page) = post_form(&base, encode(&form)).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("120000 VND"), "{page}");

    let paid = click(&base, "INV_7", "pay").await;
    assert_eq!(paid.status(), 303);
    assert_eq!(paid.headers()["location"], "https://souk.example/paid");
    let received = eventually(|| {
        let r = m.received();
        (r.len() >= 2).then_some(r)
    })
    .await;
    for ipn in &received {
        assert_eq!(ipn.secret.as_deref(), Some(SEPAY_IPN_SECRET));
        let body: serde_json::Value = serde_json::from_slice(&ipn.body).unwrap();
        let read = read_ipn(&body).unwrap();
        assert_eq!(
            (read.invoice_number.as_str(), read.amount_vnd, read.outcome),
            ("INV_7", 120_000, Outcome::Paid)
        );
        assert!(read.transaction_id.is_some());
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(m.received().len(), 2, "no delivery after a 200");
    assert_eq!(
        click(&base, "INV_7", "pay").await.status(),
        400,
        "paid once"
    );
}

#[tokio::test]
async fn failing_and_cancelling_send_the_browser_back_and_no_ipn() {
    let (m, ipn) = Merchant::start(&[]).await;
    let base = sandbox(None, Some(ipn), None).await;
    for (invoice, outcome, back) in [
        ("INV_8", "fail", "https://souk.example/failed"),
        ("INV_9", "cancel", "https://souk.example/cancelled"),
    ] {
        let form = checkout_form(SEPAY_KEY, &checkout(invoice)).unwrap();
        assert_eq!(post_form(&base, encode(&form)).await.0, 200);
        let r = click(&base, invoice, outcome).await;
        assert_eq!(r.headers()["location"], back);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(m.received().is_empty());
}

#[tokio::test]
async fn tampered_reordered_and_foreign_forms_are_refused() {
    let base = sandbox(None, None, None).await;
    let form = checkout_form(SEPAY_KEY, &checkout("INV_10")).unwrap();
    let mut cheaper = form.clone();
    cheaper[3].1 = "1000".into();
    let (status, page) = post_form(&base, encode(&cheaper)).await;
    assert_eq!(status, 400);
    assert!(page.contains("signature"), "{page}");
    // The same fields in another order: the signature is over the order posted.
    let mut reordered = form.clone();
    reordered.swap(0, 1);
    assert_eq!(post_form(&base, encode(&reordered)).await.0, 400);
    let foreign = checkout_form(
        SEPAY_KEY,
        &Checkout {
            merchant: "SP-OTHER",
            ..checkout("INV_11")
        },
    )
    .unwrap();
    let (status, page) = post_form(&base, encode(&foreign)).await;
    assert_eq!(status, 400);
    assert!(page.contains("merchant"), "{page}");
    let forged = checkout_form("another-key", &checkout("INV_12")).unwrap();
    assert_eq!(post_form(&base, encode(&forged)).await.0, 400);
    assert_eq!(post_form(&base, encode(&form)).await.0, 200);
}

async fn order_detail(base: &str, invoice: &str, auth: Option<&str>) -> (u16, serde_json::Value) {
    let mut request = client().get(order_detail_url(base, invoice).unwrap());
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
    }
    let r = request.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn the_order_detail_tells_what_became_of_each_checkout_with_the_ipn_s_transaction() {
    let (m, ipn) = Merchant::start(&[]).await;
    let base = sandbox(None, Some(ipn), None).await;
    let auth = basic_auth(SEPAY_MERCHANT, SEPAY_KEY);
    for invoice in ["INV_20", "INV_21", "INV_22"] {
        let form = checkout_form(SEPAY_KEY, &checkout(invoice)).unwrap();
        assert_eq!(post_form(&base, encode(&form)).await.0, 200);
    }
    let (status, body) = order_detail(&base, "INV_20", Some(&auth)).await;
    assert_eq!(status, 200, "{body}");
    let pending = read_order_detail(&body).unwrap();
    assert_eq!(
        (pending.status, pending.amount_vnd, pending.transaction_id),
        (OrderStatus::Pending, 120_000, None)
    );

    click(&base, "INV_20", "pay").await;
    click(&base, "INV_21", "cancel").await;
    let received = eventually(|| m.received().first().cloned()).await;
    let ipn = read_ipn(&serde_json::from_slice(&received.body).unwrap()).unwrap();
    let paid = read_order_detail(&order_detail(&base, "INV_20", Some(&auth)).await.1).unwrap();
    assert_eq!(
        (
            paid.invoice_number.as_str(),
            paid.status,
            paid.status_code.as_str()
        ),
        ("INV_20", OrderStatus::Captured, "CAPTURED")
    );
    assert!(paid.transaction_id.is_some());
    assert_eq!(
        paid.transaction_id, ipn.transaction_id,
        "both name the payment alike"
    );
    let cancelled = read_order_detail(&order_detail(&base, "INV_21", Some(&auth)).await.1);
    assert_eq!(cancelled.unwrap().status, OrderStatus::Cancelled);
    let untouched = read_order_detail(&order_detail(&base, "INV_22", Some(&auth)).await.1);
    assert_eq!(untouched.unwrap().status, OrderStatus::Pending);
    assert_eq!(order_detail(&base, "INV_404", Some(&auth)).await.0, 404);
}

#[tokio::test]
async fn the_order_detail_refuses_callers_without_the_merchant_s_credentials() {
    let base = sandbox(None, None, None).await;
    let form = checkout_form(SEPAY_KEY, &checkout("INV_30")).unwrap();
    assert_eq!(post_form(&base, encode(&form)).await.0, 200);
    let wrong_key = basic_auth(SEPAY_MERCHANT, "spsk_test_WRONG");
    let wrong_merchant = basic_auth("SP-OTHER", SEPAY_KEY);
    for auth in [
        None,
        Some(wrong_key.as_str()),
        Some(wrong_merchant.as_str()),
    ] {
        assert_eq!(order_detail(&base, "INV_30", auth).await.0, 401, "{auth:?}");
    }
    // An unknown invoice is not told apart from a known one without credentials.
    assert_eq!(order_detail(&base, "INV_404", None).await.0, 401);
    let good = basic_auth(SEPAY_MERCHANT, SEPAY_KEY);
    assert_eq!(order_detail(&base, "INV_30", Some(&good)).await.0, 200);
}

//! Checkout through the real stack: the checkout workflow reserves stock, prices the cart with
//! promotion and the carrier's quotes, takes the wallet part, waits for the gateway's signed
//! callback (from the local sandbox that plays VNPay), and undoes everything on a cancel or a
//! refusal. After every flow the money reconciles: what the buyer's wallet lost, what order's
//! ledger holds and what the checkout says it was paid add up.

use serde_json::{Value, json};
use souk_e2e::{Reply, Stack, eventually, stack};
use std::time::Duration;
use uuid::Uuid;

use crate::catalog::BOOKS;
use crate::payments::{pay_vnpay, signed_ipn, vnpay_ipn};

pub(crate) fn key() -> String {
    Uuid::new_v4().to_string()
}

pub(crate) const RETURN_URL: &str = "https://souk.example/checkout/return";

/// Gives `account` its default contact at `address`. Written straight into account's table:
/// contacts made through the API are geocoded, one request a second for the whole application
/// by Nominatim's policy, and the contact API has tests of its own; a checkout only reads it.
async fn contact(s: &Stack, account: Uuid, address: &str) {
    s.db()
        .await
        .execute(
            "INSERT INTO account.contact (id, account_id, full_name, phone, address, \
             address_type, is_default) VALUES ($1, $2, 'Nguyễn Văn An', '+84987654321', $3, \
             'home', true)",
            &[&Uuid::now_v7(), &account, &address],
        )
        .await
        .unwrap();
}

/// A seller in Hà Nội with a product, a SKU per price, each with `stock` units: (seller,
/// token, SKUs).
pub(crate) async fn seller(s: &Stack, prices: &[i64], stock: i64) -> (Uuid, String, Vec<String>) {
    let (id, token) = s.register("VN").await;
    contact(
        s,
        id,
        "12 Lý Thường Kiệt, Phường Tràng Tiền, Hoàn Kiếm, Hà Nội",
    )
    .await;
    let api = s.api();
    let product = api
        .post("/api/v1/catalog/products")
        .bearer(&token)
        .json(json!({
            "category_id": BOOKS, "name": "Sổ tay da bò", "description": "Sổ tay bìa da.",
        }))
        .send()
        .await;
    product.assert_status(201);
    let product = product["id"].as_str().unwrap().to_string();
    let mut skus = Vec::new();
    for &price in prices {
        let sku = api
            .post(&format!("/api/v1/catalog/products/{product}/skus"))
            .bearer(&token)
            .json(json!({ "price": price, "attributes": [] }))
            .send()
            .await;
        sku.assert_status(201);
        let sku = sku["id"].as_str().unwrap().to_string();
        api.post(&format!("/api/v1/inventory/stock/{sku}/import"))
            .bearer(&token)
            .json(json!({ "quantity": stock }))
            .send()
            .await
            .assert_status(200);
        skus.push(sku);
    }
    (id, token, skus)
}

pub(crate) async fn credit(s: &Stack, account: Uuid, amount: i64) {
    s.internal("account")
        .post("/internal/wallet/credit")
        .header("idempotency-key", &key())
        .json(json!({
            "account_id": account, "amount": amount, "currency": "VND", "reason": "top-up",
        }))
        .send()
        .await
        .assert_status(200);
}

/// A buyer in Hồ Chí Minh City with `wallet` đồng: (id, token).
pub(crate) async fn buyer(s: &Stack, wallet: i64) -> (Uuid, String) {
    let (id, token) = s.register("VN").await;
    contact(s, id, "45 Nguyễn Huệ, Phường Bến Nghé, Quận 1, Hồ Chí Minh").await;
    if wallet > 0 {
        credit(s, id, wallet).await;
    }
    (id, token)
}

pub(crate) async fn balance(s: &Stack, account: Uuid) -> i64 {
    let reply = s
        .internal("account")
        .get(&format!("/internal/accounts/{account}/wallet"))
        .send()
        .await;
    reply.assert_status(200);
    reply["balance"].as_i64().unwrap()
}

async fn checkout_keyed(s: &Stack, token: &str, body: Value, key: &str) -> Reply {
    s.api()
        .post("/api/v1/order/checkout")
        .bearer(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
}

pub(crate) async fn checkout(s: &Stack, token: &str, body: Value) -> Reply {
    checkout_keyed(s, token, body, &key()).await
}

pub(crate) async fn get(s: &Stack, token: &str, id: &str) -> Reply {
    s.api()
        .get(&format!("/api/v1/order/checkouts/{id}"))
        .bearer(token)
        .send()
        .await
}

/// Waits until checkout `id` is `status`; its view.
async fn reaches(s: &Stack, token: &str, id: &str, status: &str) -> Value {
    eventually(Duration::from_secs(30), async || {
        let c = get(s, token, id).await;
        (c["status"] == status).then(|| c.json().clone())
    })
    .await
    .unwrap_or_else(|| panic!("checkout {id} never became {status}"))
}

async fn add_to_cart(s: &Stack, token: &str, sku: &str, quantity: i64) {
    s.api()
        .post("/api/v1/order/cart/items")
        .bearer(token)
        .json(json!({ "sku_id": sku, "quantity": quantity }))
        .send()
        .await
        .assert_status(200);
}

pub(crate) async fn available(s: &Stack, sku: &str) -> i64 {
    let reply = s
        .internal("inventory")
        .post("/internal/availability")
        .json(json!({ "sku_ids": [sku] }))
        .send()
        .await;
    reply.assert_status(200);
    reply["items"][0]["available"].as_i64().unwrap()
}

/// The money of checkout `id` reconciles across account and order: the buyer's wallet entries
/// for it (but the cashback, which is promotion's money), order's ledger, and what the
/// checkout says it holds.
pub(crate) async fn reconciles(s: &Stack, c: &Value) {
    let id: Uuid = c["id"].as_str().unwrap().parse().unwrap();
    let db = s.db().await;
    let wallet: i64 = db
        .query_one(
            "SELECT COALESCE(sum(CASE kind WHEN 'debit' THEN amount ELSE -amount END), 0)::int8 \
             FROM account.wallet_entry WHERE reference = $1 AND reason <> 'Cashback'",
            &[&format!("checkout:{id}")],
        )
        .await
        .unwrap()
        .get(0);
    let (taken, given_back): (i64, i64) = {
        let row = db
            .query_one(
                "SELECT COALESCE(sum(amount_minor) FILTER (WHERE kind = 'wallet' \
                 AND direction = 'taken'), 0)::int8, \
                 COALESCE(sum(amount_minor) FILTER (WHERE kind = 'wallet' \
                 AND direction = 'given_back'), 0)::int8 \
                 FROM \"order\".ledger_entry WHERE checkout_id = $1",
                &[&id],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(
        wallet,
        taken - given_back,
        "the wallet moved what order's ledger says: {c}"
    );
    let held: i64 = db
        .query_one(
            "SELECT COALESCE(sum(CASE direction WHEN 'taken' THEN amount_minor \
             ELSE -amount_minor END), 0)::int8 FROM \"order\".ledger_entry WHERE checkout_id = $1",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(c["held_minor"].as_i64().unwrap(), held);
    // After delivery: cash the courier collected comes in, refunds of orders go out.
    let (collected, order_refunds): (i64, i64) = {
        let row = db
            .query_one(
                "SELECT (SELECT COALESCE(sum(amount_minor), 0) FROM \"order\".ledger_entry \
                   WHERE checkout_id = $1 AND kind = 'cash_on_delivery' \
                   AND direction = 'taken')::int8, \
                 (SELECT COALESCE(sum(refunded_minor), 0) FROM \"order\".order_part \
                   WHERE checkout_id = $1)::int8",
                &[&id],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    let n = |field: &str| c[field].as_i64().unwrap();
    let expected = if c["status"] == "paid" {
        n("wallet_minor") + n("gateway_minor") + collected - n("refunded_minor") - order_refunds
    } else {
        0
    };
    assert_eq!(
        held, expected,
        "a paid checkout holds what was paid (and collected on delivery) less refunds, an \
         ended one 0: {c}"
    );
    assert_eq!(
        n("cancelled_minor"),
        n("refunded_minor") + n("cod_waived_minor")
    );
    let parts = c["wallet_minor"].as_i64().unwrap()
        + c["gateway_minor"].as_i64().unwrap()
        + c["cod_minor"].as_i64().unwrap();
    assert_eq!(parts, c["total_minor"].as_i64().unwrap());
    let items: i64 = c["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["total_minor"].as_i64().unwrap())
        .sum();
    let shipping: i64 = c["shipping"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["fee_minor"].as_i64().unwrap() - s["discount_minor"].as_i64().unwrap())
        .sum();
    assert_eq!(items + shipping, c["total_minor"].as_i64().unwrap());
}

/// Waits until `account` has `count` notifications of `kind` (sent through an outbox).
pub(crate) async fn told(s: &Stack, account: Uuid, kind: &str, count: i64) {
    let seen = eventually(Duration::from_secs(20), async || {
        let n: i64 = s
            .db()
            .await
            .query_one(
                "SELECT count(*) FROM account.notification WHERE account_id = $1 AND type = $2",
                &[&account, &kind],
            )
            .await
            .unwrap()
            .get(0);
        (n == count).then_some(())
    })
    .await;
    assert!(seen.is_some(), "{account} was not sent {count} {kind}");
}

/// Waits until the workflow of checkout `id` has ended (its undo included, once the checkout
/// shows it ended).
async fn workflow_ended(s: &Stack, id: &str) {
    let id: Uuid = id.parse().unwrap();
    let ended = eventually(Duration::from_secs(30), async || {
        let status: String = s
            .db()
            .await
            .query_one(
                "SELECT i.status FROM \"order\".invocation i \
                 JOIN \"order\".checkout c ON c.invocation_id = i.id WHERE c.id = $1",
                &[&id],
            )
            .await
            .unwrap()
            .get(0);
        matches!(status.as_str(), "completed" | "rolled_back" | "cancelled").then_some(())
    })
    .await;
    assert!(ended.is_some(), "the workflow of checkout {id} never ended");
}

fn wallet_only() -> Value {
    json!({ "use_wallet": true })
}

#[tokio::test]
async fn a_wallet_checkout_of_two_sellers_is_paid_at_once_and_a_double_click_is_one_checkout() {
    let s = stack();
    let (seller_a, _, a) = seller(s, &[120_000, 30_000], 10).await;
    let (seller_b, _, b) = seller(s, &[50_000], 10).await;
    let (buyer_id, token) = buyer(s, 1_000_000).await;
    add_to_cart(s, &token, &a[0], 2).await;
    add_to_cart(s, &token, &a[1], 1).await;
    add_to_cart(s, &token, &b[0], 1).await;
    let body = json!({ "payment": wallet_only(), "return_url": RETURN_URL });
    let k = key();
    let first = checkout_keyed(s, &token, body.clone(), &k).await;
    first.assert_status(201);
    assert_eq!(
        first["status"], "paid",
        "the wallet covers it: {}",
        first.text
    );
    assert_eq!(first["source"], "cart");
    assert_eq!(first["subtotal_minor"], 320_000);
    let shipping = first["shipping"].as_array().unwrap();
    assert_eq!(shipping.len(), 2, "one shipment per seller");
    assert!(
        shipping
            .iter()
            .all(|s| s["fee_minor"].as_i64().unwrap() > 0)
    );
    let total = first["total_minor"].as_i64().unwrap();
    assert_eq!(first["wallet_minor"], total);
    assert_eq!(balance(s, buyer_id).await, 1_000_000 - total);
    assert!(
        first["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["status"] == "awaiting_seller")
    );
    let sellers: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["seller_id"].as_str().unwrap())
        .collect();
    assert!(sellers.contains(&seller_a.to_string().as_str()));
    assert!(sellers.contains(&seller_b.to_string().as_str()));
    assert_eq!(available(s, &a[0]).await, 8);
    let cart = s
        .api()
        .get("/api/v1/order/cart")
        .bearer(&token)
        .send()
        .await;
    assert_eq!(
        cart["groups"].as_array().map(Vec::len),
        Some(0),
        "{}",
        cart.text
    );
    reconciles(s, first.json()).await;

    let again = checkout_keyed(s, &token, body, &k).await;
    assert!(again.status == 201 || again.status == 200, "{}", again.text);
    assert_eq!(
        again["id"], first["id"],
        "the same key is the same checkout"
    );
    assert_eq!(
        balance(s, buyer_id).await,
        1_000_000 - total,
        "debited once"
    );
    let list = s
        .api()
        .get("/api/v1/order/checkouts?status=paid")
        .bearer(&token)
        .send()
        .await;
    list.assert_status(200);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    // The sellers are told.
    told(s, seller_a, "items_awaiting_confirmation", 1).await;
}

#[tokio::test]
async fn a_gateway_checkout_is_paid_by_the_signed_callback_and_forgeries_change_nothing() {
    let s = stack();
    let (_, _, a) = seller(s, &[250_000], 5).await;
    let (_, token) = buyer(s, 0).await;
    let body = json!({
        "items": [{ "sku_id": a[0], "quantity": 1 }],
        "payment": { "gateway": "vnpay" }, "return_url": RETURN_URL,
    });
    let started = checkout(s, &token, body).await;
    started.assert_status(201);
    assert_eq!(started["status"], "awaiting_payment", "{}", started.text);
    assert_eq!(started["source"], "buy_now");
    let payment = started["payment"].clone();
    assert_eq!(payment["status"], "pending");
    assert!(payment["next_step"]["url"].as_str().is_some());
    let id = started["id"].as_str().unwrap();
    assert_eq!(available(s, &a[0]).await, 4, "held while the buyer pays");

    // A payment URL asked again is the same attempt while it is payable.
    let url = s
        .api()
        .post(&format!("/api/v1/order/checkouts/{id}/payment-url"))
        .bearer(&token)
        .send()
        .await;
    url.assert_status(200);
    assert_eq!(url["payment"]["payment_id"], payment["payment_id"]);
    assert_eq!(url["payment"]["attempts"], 1);

    // A forged callback changes nothing.
    let reference = payment["reference"].as_str().unwrap();
    let total = started["total_minor"].as_i64().unwrap();
    let forged = vnpay_ipn(&signed_ipn("not-the-secret", reference, total)).await;
    assert_eq!(forged["RspCode"], "97");
    assert_eq!(get(s, &token, id).await["status"], "awaiting_payment");

    // The buyer pays on the gateway's page; its signed IPN settles the attempt.
    let returned = pay_vnpay(&payment, "pay").await;
    let paid = reaches(s, &token, id, "paid").await;
    assert_eq!(paid["payment"]["status"], "paid");
    assert_eq!(paid["held_minor"], total);
    // The same callback again is answered and changes nothing.
    let replay = vnpay_ipn(&returned).await;
    assert_eq!(replay["RspCode"], "02", "already settled: {replay}");
    reconciles(s, &reaches(s, &token, id, "paid").await).await;
    assert_eq!(available(s, &a[0]).await, 4, "sold, not released");
}

#[tokio::test]
async fn a_split_checkout_takes_the_wallet_part_and_a_cancel_gives_everything_back() {
    let s = stack();
    let (_, _, a) = seller(s, &[300_000], 5).await;
    let (buyer_id, token) = buyer(s, 100_000).await;
    add_to_cart(s, &token, &a[0], 1).await;
    let started = checkout(
        s,
        &token,
        json!({
            "payment": { "use_wallet": true, "gateway": "vnpay" }, "return_url": RETURN_URL,
        }),
    )
    .await;
    started.assert_status(201);
    assert_eq!(started["status"], "awaiting_payment", "{}", started.text);
    assert_eq!(started["wallet_minor"], 100_000, "the whole wallet first");
    let total = started["total_minor"].as_i64().unwrap();
    assert_eq!(started["gateway_minor"], total - 100_000);
    assert_eq!(balance(s, buyer_id).await, 0);
    let id = started["id"].as_str().unwrap();

    let cancelled = s
        .api()
        .post(&format!("/api/v1/order/checkouts/{id}/cancel"))
        .bearer(&token)
        .send()
        .await;
    assert!(
        cancelled.status == 200 || cancelled.status == 202,
        "{}",
        cancelled.text
    );
    reaches(s, &token, id, "cancelled").await;
    workflow_ended(s, id).await;
    let ended = get(s, &token, id).await.json().clone();
    assert_eq!(ended["reason"], "cancelled_by_buyer");
    assert_eq!(
        ended["payment"]["status"], "expired",
        "the attempt was given up"
    );
    assert_eq!(
        balance(s, buyer_id).await,
        100_000,
        "the wallet part came back"
    );
    assert_eq!(available(s, &a[0]).await, 5, "the stock came back");
    let cart = s
        .api()
        .get("/api/v1/order/cart")
        .bearer(&token)
        .send()
        .await;
    assert_eq!(
        cart["groups"][0]["lines"][0]["sku_id"], a[0],
        "the cart line came back: {}",
        cart.text
    );
    reconciles(s, &ended).await;
    let late = s
        .api()
        .post(&format!("/api/v1/order/checkouts/{id}/payment-url"))
        .bearer(&token)
        .send()
        .await;
    late.assert_error(410, "checkout_ended");

    // The gateway still takes the money for the given-up attempt: it is acknowledged, and
    // the buyer's wallet gets all of it, once however often the gateway repeats itself.
    let gateway_part = ended["gateway_minor"].as_i64().unwrap();
    let reference = ended["payment"]["reference"].as_str().unwrap();
    let secret = s.credentials.vnpay_hash_secret.clone();
    let ipn = signed_ipn(&secret, reference, gateway_part);
    assert_eq!(vnpay_ipn(&ipn).await["RspCode"], "00");
    assert_eq!(vnpay_ipn(&ipn).await["RspCode"], "02");
    let credited = eventually(Duration::from_secs(20), async || {
        let b = balance(s, buyer_id).await;
        (b == 100_000 + gateway_part).then_some(b)
    })
    .await;
    assert!(credited.is_some(), "the late payment reached the wallet");
    let after = get(s, &token, id).await;
    assert_eq!(after["status"], "cancelled");
    assert_eq!(after["payment"]["status"], "paid_late");
    reconciles(s, after.json()).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        balance(s, buyer_id).await,
        100_000 + gateway_part,
        "credited once"
    );
}

#[tokio::test]
async fn cash_on_delivery_completes_at_once_with_the_amount_due_recorded() {
    let s = stack();
    let (_, _, a) = seller(s, &[90_000], 5).await;
    let (buyer_id, token) = buyer(s, 20_000).await;
    let done = checkout(
        s,
        &token,
        json!({
            "items": [{ "sku_id": a[0], "quantity": 2 }],
            "payment": { "use_wallet": true, "gateway": "cod" }, "return_url": RETURN_URL,
        }),
    )
    .await;
    done.assert_status(201);
    assert_eq!(done["status"], "paid", "{}", done.text);
    let total = done["total_minor"].as_i64().unwrap();
    assert_eq!(done["wallet_minor"], 20_000);
    assert_eq!(
        done["cod_minor"],
        total - 20_000,
        "the rest is due on delivery"
    );
    assert_eq!(done["payment"], Value::Null, "no gateway attempt");
    assert_eq!(balance(s, buyer_id).await, 0);
    reconciles(s, done.json()).await;
}

#[tokio::test]
async fn concurrent_checkouts_for_the_last_units_sell_exactly_the_stock_and_losers_are_whole() {
    let s = stack();
    let (_, _, a) = seller(s, &[40_000], 3).await;
    let mut buyers = Vec::new();
    for _ in 0..8 {
        buyers.push(buyer(s, 500_000).await);
    }
    let body = json!({
        "items": [{ "sku_id": a[0], "quantity": 1 }],
        "payment": wallet_only(), "return_url": RETURN_URL,
    });
    let replies = futures::future::join_all(
        buyers
            .iter()
            .map(|(_, token)| checkout(s, token, body.clone())),
    )
    .await;
    let mut sold = 0;
    for (reply, (buyer_id, _)) in replies.iter().zip(&buyers) {
        match reply.status {
            201 => {
                assert_eq!(reply["status"], "paid", "{}", reply.text);
                sold += 1;
                let total = reply["total_minor"].as_i64().unwrap();
                assert_eq!(balance(s, *buyer_id).await, 500_000 - total);
                reconciles(s, reply.json()).await;
            }
            _ => {
                reply.assert_error(409, "out_of_stock");
                assert_eq!(
                    balance(s, *buyer_id).await,
                    500_000,
                    "a loser's wallet is whole"
                );
            }
        }
    }
    assert_eq!(sold, 3, "exactly the units in stock sold");
    assert_eq!(available(s, &a[0]).await, 0);
}

#[tokio::test]
async fn bad_checkouts_are_refused_with_clear_errors_and_leave_nothing_behind() {
    let s = stack();
    let (_, seller_token, a) = seller(s, &[60_000], 5).await;
    let (buyer_id, token) = buyer(s, 10_000).await;
    let one = |sku: &str, quantity: i64| {
        json!({
            "items": [{ "sku_id": sku, "quantity": quantity }],
            "payment": wallet_only(), "return_url": RETURN_URL,
        })
    };
    let no_key = s
        .api()
        .post("/api/v1/order/checkout")
        .bearer(&token)
        .json(one(&a[0], 1))
        .send()
        .await;
    no_key.assert_error(400, "idempotency_key_required");
    checkout(s, &token, one(&a[0], 0))
        .await
        .assert_error(422, "validation");
    checkout(s, &token, one(&Uuid::new_v4().to_string(), 1))
        .await
        .assert_error(404, "sku_not_found");
    checkout(s, &seller_token, one(&a[0], 1))
        .await
        .assert_error(422, "own_product");
    checkout(s, &token, one(&a[0], 1))
        .await
        .assert_error(422, "payment_method_required");
    let mut coded = one(&a[0], 1);
    coded["codes"] = json!(["NO-SUCH-CODE"]);
    coded["payment"] = json!({ "gateway": "cod" });
    checkout(s, &token, coded)
        .await
        .assert_error(422, "promotion_code_unknown");
    let mut unknown_gateway = one(&a[0], 1);
    unknown_gateway["payment"] = json!({ "gateway": "paypal" });
    checkout(s, &token, unknown_gateway)
        .await
        .assert_error(404, "gateway_not_found");
    assert_eq!(balance(s, buyer_id).await, 10_000, "nothing was debited");
    assert_eq!(available(s, &a[0]).await, 5, "nothing is held");

    // Someone else's checkout is not found.
    let (_, other) = buyer(s, 0).await;
    let mine = checkout(
        s,
        &token,
        json!({
            "items": [{ "sku_id": a[0], "quantity": 1 }],
            "payment": { "gateway": "cod" }, "return_url": RETURN_URL,
        }),
    )
    .await;
    mine.assert_status(201);
    let id = mine["id"].as_str().unwrap();
    get(s, &other, id)
        .await
        .assert_error(404, "checkout_not_found");
    let cancel = s
        .api()
        .post(&format!("/api/v1/order/checkouts/{id}/cancel"))
        .bearer(&token)
        .send()
        .await;
    cancel.assert_error(409, "checkout_paid");
}

#[tokio::test]
async fn an_unpaid_checkout_expires_its_attempts_then_its_session_and_undoes_everything() {
    let s = Stack::private_with(souk_e2e::Variant {
        env: vec![
            ("SPIN_VARIABLE_CHECKOUT_SESSION_SECS".into(), "24".into()),
            ("SPIN_VARIABLE_CHECKOUT_ATTEMPT_SECS".into(), "10".into()),
        ],
        ..Default::default()
    })
    .expect("a stack with short checkouts starts");
    let s = &s;
    let (_, _, a) = seller(s, &[150_000], 4).await;
    let (buyer_id, token) = buyer(s, 50_000).await;
    let started = checkout(
        s,
        &token,
        json!({
            "items": [{ "sku_id": a[0], "quantity": 2 }],
            "payment": { "use_wallet": true, "gateway": "vnpay" }, "return_url": RETURN_URL,
        }),
    )
    .await;
    started.assert_status(201);
    let id = started["id"].as_str().unwrap();
    let first = started["payment"]["payment_id"].clone();
    assert_eq!(balance(s, buyer_id).await, 0);
    assert_eq!(available(s, &a[0]).await, 2);

    // The attempt expires after 10 s and is given up; the checkout waits for the buyer.
    let given_up = eventually(Duration::from_secs(30), async || {
        let c = get(s, &token, id).await;
        (c["payment"]["status"] == "expired").then(|| c.json().clone())
    })
    .await
    .unwrap_or_else(|| panic!("the attempt was never given up: {}", s.log()));
    assert_eq!(given_up["status"], "awaiting_payment");
    assert_eq!(
        given_up["payment"]["next_step"],
        Value::Null,
        "not payable any more"
    );

    // A new payment URL is a second attempt.
    let again = s
        .api()
        .post(&format!("/api/v1/order/checkouts/{id}/payment-url"))
        .bearer(&token)
        .send()
        .await;
    assert!(again.status == 200 || again.status == 202, "{}", again.text);
    let second = eventually(Duration::from_secs(20), async || {
        let c = get(s, &token, id).await;
        (c["payment"]["payment_id"] != first && c["payment"]["status"] == "pending")
            .then(|| c.json().clone())
    })
    .await
    .expect("a second attempt");
    assert_eq!(second["payment"]["attempts"], 2);

    // The session ends at 24 s: everything is undone.
    eventually(Duration::from_secs(40), async || {
        let c = get(s, &token, id).await;
        (c["status"] == "expired").then_some(())
    })
    .await
    .unwrap_or_else(|| panic!("the checkout never expired: {}", s.log()));
    workflow_ended(s, id).await;
    let ended = get(s, &token, id).await.json().clone();
    assert_eq!(ended["reason"], "session_expired");
    assert_eq!(ended["payment"]["status"], "expired");
    assert_eq!(
        balance(s, buyer_id).await,
        50_000,
        "the wallet part came back"
    );
    assert_eq!(available(s, &a[0]).await, 4, "the stock came back");
    reconciles(s, &ended).await;
}

#[tokio::test]
async fn a_checkout_crashing_around_every_step_resumes_to_one_debit_and_one_reservation() {
    let faults = "checkout:before-commit:price,checkout:before-commit:reserve,\
                  checkout:after:reserve,checkout:before-commit:wallet,\
                  checkout:before:complete,checkout:before-commit:complete";
    let s = Stack::private_with(souk_e2e::Variant {
        env: vec![
            ("SPIN_VARIABLE_DURABLE_FAULTS".into(), faults.into()),
            // The test repeats its request while the checkout resumes.
            (
                "SPIN_VARIABLE_CHECKOUT_REQUESTS_PER_MINUTE".into(),
                "1000".into(),
            ),
        ],
        ..Default::default()
    })
    .expect("a stack with checkout fault points starts");
    let s = &s;
    let (_, _, a) = seller(s, &[80_000], 5).await;
    let (buyer_id, token) = buyer(s, 1_000_000).await;
    add_to_cart(s, &token, &a[0], 2).await;
    let k = key();
    let body = json!({ "payment": wallet_only(), "return_url": RETURN_URL });
    let first = checkout_keyed(s, &token, body.clone(), &k).await;
    assert_eq!(
        first.status, 202,
        "a crash leaves it running: {}",
        first.text
    );
    // Retried by the durable component with backoff; the buyer's retry of the request joins
    // the same invocation.
    let paid = eventually(Duration::from_secs(90), async || {
        let again = checkout_keyed(s, &token, body.clone(), &k).await;
        (again.status == 201 && again["status"] == "paid").then(|| again.json().clone())
    })
    .await
    .unwrap_or_else(|| panic!("the checkout never finished: {}", s.log()));
    let total = paid["total_minor"].as_i64().unwrap();
    assert_eq!(
        balance(s, buyer_id).await,
        1_000_000 - total,
        "debited once"
    );
    assert_eq!(available(s, &a[0]).await, 3, "reserved once");
    let db = s.db().await;
    let debits: i64 = db
        .query_one(
            "SELECT count(*) FROM account.wallet_entry WHERE account_id = $1 AND kind = 'debit'",
            &[&buyer_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(debits, 1);
    let fired: i64 = db
        .query_one(
            "SELECT coalesce(array_length(faults_fired, 1), 0)::int8 FROM \"order\".invocation \
             WHERE workflow = 'checkout'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(fired, 6, "every fault point struck once");
    reconciles(s, &paid).await;
}

#[tokio::test]
async fn a_buyers_checkouts_are_listed_newest_first_in_stable_pages() {
    let s = stack();
    let (_, _, a) = seller(s, &[10_000], 10).await;
    let (_, token) = buyer(s, 0).await;
    let mut made = Vec::new();
    for _ in 0..3 {
        let c = checkout(
            s,
            &token,
            json!({
                "items": [{ "sku_id": a[0], "quantity": 1 }],
                "payment": { "gateway": "cod" }, "return_url": RETURN_URL,
            }),
        )
        .await;
        c.assert_status(201);
        made.push(c["id"].as_str().unwrap().to_string());
    }
    let page = |cursor: Option<String>| {
        let query = cursor.map_or(String::new(), |c| format!("&cursor={c}"));
        s.api()
            .get(&format!("/api/v1/order/checkouts?limit=2{query}"))
            .bearer(&token)
            .send()
    };
    let first = page(None).await;
    first.assert_status(200);
    let cursor = first["next_cursor"].as_str().map(str::to_string);
    assert!(cursor.is_some(), "{}", first.text);
    let second = page(cursor).await;
    assert_eq!(second["next_cursor"], Value::Null);
    let listed: Vec<String> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["items"].as_array().unwrap())
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    made.reverse();
    assert_eq!(listed, made, "newest first, each once");
}

#[tokio::test]
async fn checkout_and_payment_url_requests_are_limited_per_account() {
    let s = stack();
    let (_, _, a) = seller(s, &[10_000], 5).await;
    let (_, token) = buyer(s, 0).await;
    let started = checkout(
        s,
        &token,
        json!({
            "items": [{ "sku_id": a[0], "quantity": 1 }],
            "payment": { "gateway": "vnpay" }, "return_url": RETURN_URL,
        }),
    )
    .await;
    started.assert_status(201);
    let id = started["id"].as_str().unwrap();
    let ask = || {
        s.api()
            .post(&format!("/api/v1/order/checkouts/{id}/payment-url"))
            .bearer(&token)
            .send()
    };
    for _ in 1..10 {
        ask().await.assert_status(200);
    }
    let refused = ask().await;
    refused.assert_error(429, "too_many_checkout_requests");
    assert!(refused.header("retry-after").is_some());
    let (_, other) = buyer(s, 0).await;
    get(s, &other, id)
        .await
        .assert_error(404, "checkout_not_found");
}

async fn cancel_item(s: &Stack, token: &str, item: &str) -> Reply {
    s.api()
        .delete(&format!("/api/v1/order/pending-items/{item}"))
        .bearer(token)
        .send()
        .await
}

pub(crate) fn item<'a>(c: &'a Value, sku: &str) -> &'a Value {
    c["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["sku_id"] == sku)
        .unwrap()
}

pub(crate) fn item_id<'a>(c: &'a Value, sku: &str) -> &'a str {
    item(c, sku)["id"].as_str().unwrap()
}

#[tokio::test]
async fn a_paid_item_cancelled_before_its_seller_confirms_gives_back_exactly_its_part() {
    let s = stack();
    let (seller_a, _, a) = seller(s, &[100_000, 50_000], 5).await;
    let (_, _, b) = seller(s, &[70_000], 5).await;
    let (buyer_id, token) = buyer(s, 1_000_000).await;
    for sku in [&a[0], &a[1], &b[0]] {
        add_to_cart(s, &token, sku, 1).await;
    }
    let paid = checkout(
        s,
        &token,
        json!({ "payment": wallet_only(), "return_url": RETURN_URL }),
    )
    .await;
    paid.assert_status(201);
    let id = paid["id"].as_str().unwrap();
    let total = paid["total_minor"].as_i64().unwrap();
    let pending = s
        .api()
        .get("/api/v1/order/pending-items")
        .bearer(&token)
        .send()
        .await;
    assert_eq!(
        pending["items"].as_array().unwrap().len(),
        3,
        "{}",
        pending.text
    );

    // Not A's last item: exactly its total comes back, and its stock.
    let first = cancel_item(s, &token, item_id(paid.json(), &a[0])).await;
    first.assert_status(200);
    assert_eq!(first["status"], "cancelled");
    let a0 = item(paid.json(), &a[0])["total_minor"].as_i64().unwrap();
    assert_eq!(balance(s, buyer_id).await, 1_000_000 - total + a0);
    assert_eq!(available(s, &a[0]).await, 5);
    assert_eq!(available(s, &a[1]).await, 4, "the rest is still held");

    // A's last item takes A's shipping with it.
    let a1_item = item_id(paid.json(), &a[1]);
    cancel_item(s, &token, a1_item).await.assert_status(200);
    let after = get(s, &token, id).await;
    let shipping_a = after["shipping"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["seller_id"] == seller_a.to_string())
        .map(|x| x["fee_minor"].as_i64().unwrap() - x["discount_minor"].as_i64().unwrap())
        .unwrap();
    let a1 = item(paid.json(), &a[1])["total_minor"].as_i64().unwrap();
    let back = a0 + a1 + shipping_a;
    assert_eq!(after["refunded_minor"], back);
    assert_eq!(balance(s, buyer_id).await, 1_000_000 - total + back);

    // Cancelling again answers the item as it stands and gives nothing more.
    cancel_item(s, &token, a1_item).await.assert_status(200);
    assert_eq!(balance(s, buyer_id).await, 1_000_000 - total + back);
    let (_, stranger) = buyer(s, 0).await;
    cancel_item(s, &stranger, item_id(paid.json(), &b[0]))
        .await
        .assert_error(404, "item_not_found");
    reconciles(s, after.json()).await;
    told(s, seller_a, "item_cancelled", 2).await;
}

#[tokio::test]
async fn a_cancelled_cash_on_delivery_item_waives_the_cash_and_an_unpaid_one_cannot_be() {
    let s = stack();
    let (_, _, a) = seller(s, &[40_000, 60_000], 5).await;
    let (buyer_id, token) = buyer(s, 0).await;
    let cod = checkout(
        s,
        &token,
        json!({
            "items": [{ "sku_id": a[0], "quantity": 1 }, { "sku_id": a[1], "quantity": 1 }],
            "payment": { "gateway": "cod" }, "return_url": RETURN_URL,
        }),
    )
    .await;
    cod.assert_status(201);
    cancel_item(s, &token, item_id(cod.json(), &a[0]))
        .await
        .assert_status(200);
    let after = get(s, &token, cod["id"].as_str().unwrap()).await;
    assert_eq!(after["refunded_minor"], 0, "nothing was paid yet");
    assert_eq!(
        after["cod_waived_minor"],
        item(cod.json(), &a[0])["total_minor"],
        "the cash due shrinks by the item"
    );
    assert_eq!(balance(s, buyer_id).await, 0);
    reconciles(s, after.json()).await;

    let unpaid = checkout(
        s,
        &token,
        json!({
            "items": [{ "sku_id": a[1], "quantity": 1 }],
            "payment": { "gateway": "vnpay" }, "return_url": RETURN_URL,
        }),
    )
    .await;
    unpaid.assert_status(201);
    cancel_item(s, &token, item_id(unpaid.json(), &a[1]))
        .await
        .assert_error(409, "item_not_pending");
}

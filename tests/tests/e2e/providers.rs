//! Providers swapped and unreachable, on a stack of its own: spin.toml lines alone change
//! which gateways a checkout offers, and a provider whose service cannot be reached answers a
//! clear 503 at once — never a hang, never a 500.

use serde_json::json;
use souk_e2e::{Stack, Variant};
use std::time::{Duration, Instant};

/// A port nothing listens on: connections to it are refused.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn a_gateway_removed_in_spin_toml_is_not_offered_and_unreachable_providers_are_503() {
    let dead = format!("http://127.0.0.1:{}", closed_port());
    let own = Stack::private_with(Variant {
        // SePay's slot filled by payment-none instead: nothing else changes.
        manifest: Box::new(|m| m.replace("payment_sepay.wasm", "payment_none.wasm")),
        env: [
            "VNPAY_API_URL",
            "GHTK_API_URL",
            "NOMINATIM_URL",
            "RATES_URL",
        ]
        .iter()
        .map(|k| (format!("SPIN_VARIABLE_{k}"), dead.clone()))
        .collect(),
    })
    .expect("a stack with one gateway starts");

    let gateways = own
        .api()
        .get("/api/v1/order/payments/gateways")
        .send()
        .await;
    gateways.assert_status(200);
    assert_eq!(
        gateways["items"].as_array().unwrap().len(),
        1,
        "{}",
        gateways.text
    );
    assert_eq!(gateways["items"][0]["id"], "vnpay");

    // Starting only signs a URL; asking VNPay's API about it needs the unreachable server.
    let started = own
        .internal("order")
        .post("/internal/payments")
        .header("idempotency-key", &uuid::Uuid::new_v4().to_string())
        .json(json!({
            "owner": "checkout:unreachable", "gateway": "vnpay", "method": "any",
            "amount_minor": 50_000, "currency": "VND", "description": "x",
            "return_url": "https://souk.example/r", "buyer_ip": "203.0.113.9",
        }))
        .send()
        .await;
    started.assert_status(201);
    let id = started["payment_id"].as_str().unwrap();
    let asked = Instant::now();
    own.internal("order")
        .post(&format!("/internal/payments/{id}/reconcile"))
        .send()
        .await
        .assert_error(503, "gateway_unavailable");
    assert!(
        asked.elapsed() < Duration::from_secs(20),
        "answered, not hung"
    );
    own.internal("order")
        .get(&format!("/internal/payments/{id}"))
        .send()
        .await
        .assert_status(200);

    let address = json!({
        "street": "1 Tràng Tiền", "ward": "Tràng Tiền", "district": "Hoàn Kiếm",
        "province": "Hà Nội", "country": "VN",
    });
    own.internal("order")
        .post("/internal/shipments/quote")
        .json(json!({
            "pickup": address, "delivery": address, "service": "standard",
            "parcel": {
                "weight_grams": 500, "length_mm": 100, "width_mm": 100, "height_mm": 100,
                "declared_value_minor": 0, "currency": "VND",
            },
        }))
        .send()
        .await
        .assert_error(503, "carrier_unavailable");

    let (_, token) = own.register("VN").await;
    own.api()
        .get("/api/v1/common/geocode/search?q=Ha%20Noi%20unreachable")
        .bearer(&token)
        .send()
        .await
        .assert_error(503, "geocoder_unavailable");
    own.api()
        .get("/api/v1/common/currencies/rates")
        .send()
        .await
        .assert_error(503, "rates_unavailable");
}

//! The rates sandbox read by `protocols::rates` as Souk's exchange-rate provider will read it.

mod common;

use common::{client, sandbox};
use protocols::rates::{Failure, read_latest};
use serde_json::Value;

async fn latest(base: &str, currency: &str) -> (u16, Value) {
    let r = client()
        .get(format!("{base}/v6/latest/{currency}"))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn rates_are_answered_against_any_known_base_and_convert_back_and_forth() {
    let base = sandbox(None, None, None).await;
    let (status, usd) = latest(&base, "USD").await;
    assert_eq!(status, 200);
    let usd = read_latest(&usd).unwrap();
    assert_eq!(usd.base, "USD");
    assert!(usd.next_update_at.unwrap() > usd.updated_at);
    // 10.00 USD → 254,000 đồng, and back.
    assert_eq!(usd.rates["VND"].convert(1_000, 2, 0), Some(254_000));
    let (_, vnd) = latest(&base, "VND").await;
    let vnd = read_latest(&vnd).unwrap();
    assert_eq!(vnd.rates["USD"].convert(254_000, 0, 2), Some(1_000));
    assert_eq!(vnd.rates.len(), usd.rates.len());

    let (status, unknown) = latest(&base, "XYZ").await;
    assert_eq!(status, 404);
    assert_eq!(
        read_latest(&unknown),
        Err(Failure::Refused("unsupported-code".into()))
    );
}

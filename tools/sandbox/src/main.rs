//! `souk-sandbox` — serves the local stand-ins for VNPay, SePay, GHTK, Nominatim and the
//! exchange rates (see the crate docs) until stopped.
//!
//! Configuration, from the environment:
//! - `SOUK_SANDBOX_LISTEN`: `host:port` to serve on (default `127.0.0.1:7070`);
//! - `VNPAY_TMN_CODE`, `VNPAY_HASH_SECRET`: the terminal and secret Souk is configured with
//!   (defaults `SOUKTEST` and a fixed development secret — never a real one);
//! - `VNPAY_IPN_URL`: where IPNs go (none are sent when unset);
//! - `VNPAY_IPN_RETRY_MS`: the wait between IPN deliveries (default 300000, VNPay's 5 minutes);
//! - `SEPAY_MERCHANT`, `SEPAY_SECRET_KEY`: the merchant id and checkout signing key (defaults
//!   `SP-TEST-SOUK` and a fixed development key);
//! - `SEPAY_IPN_URL`, `SEPAY_IPN_SECRET`: where IPNs go (none when unset) and the secret sent
//!   with them in `X-Secret-Key` (default a fixed development secret);
//! - `SEPAY_IPN_RETRY_MS`: the wait between IPN deliveries (default 60000);
//! - `GHTK_TOKEN`, `GHTK_CLIENT_SOURCE`: what every GHTK call must carry (defaults a fixed
//!   development token and `S000000`);
//! - `GHTK_WEBHOOK_URL`: the callback URL, its `hash` secret included (none sent when unset);
//! - `GHTK_WEBHOOK_RETRY_MS`: the wait before GHTK's one resend (default 60000).

use std::time::Duration;

use souk_sandbox::{Config, ghtk, sepay, vnpay};

/// The development secrets: known to anyone reading this file, used by nothing real.
const DEV_SECRET: &str = "SOUKSANDBOXSECRET0123456789ABCDEF";
const DEV_SEPAY_KEY: &str = "spsk_test_souksandbox";
const DEV_SEPAY_IPN_SECRET: &str = "souk-sandbox-ipn-secret";
const DEV_GHTK_TOKEN: &str = "souk-sandbox-ghtk-token";

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let listen = var("SOUK_SANDBOX_LISTEN").unwrap_or_else(|| "127.0.0.1:7070".to_string());
    let millis = |name: &str, default: u64| -> anyhow::Result<Duration> {
        let ms = var(name).map_or(Ok(default), |v| v.parse())?;
        Ok(Duration::from_millis(ms))
    };
    let config = Config {
        vnpay: vnpay::Config {
            tmn_code: var("VNPAY_TMN_CODE").unwrap_or_else(|| "SOUKTEST".to_string()),
            hash_secret: var("VNPAY_HASH_SECRET").unwrap_or_else(|| DEV_SECRET.to_string()),
            ipn_url: var("VNPAY_IPN_URL"),
            ipn_retry: millis("VNPAY_IPN_RETRY_MS", 300_000)?,
        },
        sepay: sepay::Config {
            merchant: var("SEPAY_MERCHANT").unwrap_or_else(|| "SP-TEST-SOUK".to_string()),
            secret_key: var("SEPAY_SECRET_KEY").unwrap_or_else(|| DEV_SEPAY_KEY.to_string()),
            ipn_url: var("SEPAY_IPN_URL"),
            ipn_secret: var("SEPAY_IPN_SECRET").unwrap_or_else(|| DEV_SEPAY_IPN_SECRET.to_string()),
            ipn_retry: millis("SEPAY_IPN_RETRY_MS", 60_000)?,
        },
        ghtk: ghtk::Config {
            token: var("GHTK_TOKEN").unwrap_or_else(|| DEV_GHTK_TOKEN.to_string()),
            client_source: var("GHTK_CLIENT_SOURCE").unwrap_or_else(|| "S000000".to_string()),
            webhook_url: var("GHTK_WEBHOOK_URL"),
            webhook_retry: millis("GHTK_WEBHOOK_RETRY_MS", 60_000)?,
        },
    };
    let bound = souk_sandbox::start(listen.parse()?, config).await?;
    println!("souk-sandbox: VNPay on http://{bound}/paymentv2/vpcpay.html");
    println!("souk-sandbox: SePay on http://{bound}/v1/checkout/init");
    println!("souk-sandbox: GHTK on http://{bound}/services/shipment/");
    println!("souk-sandbox: Nominatim on http://{bound}/search and /reverse");
    println!("souk-sandbox: exchange rates on http://{bound}/v6/latest/USD");
    tokio::signal::ctrl_c().await?;
    Ok(())
}

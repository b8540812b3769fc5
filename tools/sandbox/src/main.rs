//! `souk-sandbox` — serves the local stand-ins for VNPay (see the crate docs) until stopped.
//!
//! Configuration, from the environment:
//! - `SOUK_SANDBOX_LISTEN`: `host:port` to serve on (default `127.0.0.1:7070`);
//! - `VNPAY_TMN_CODE`, `VNPAY_HASH_SECRET`: the terminal and secret Souk is configured with
//!   (defaults `SOUKTEST` and a fixed development secret — never a real one);
//! - `VNPAY_IPN_URL`: where IPNs go (none are sent when unset);
//! - `VNPAY_IPN_RETRY_MS`: the wait between IPN deliveries (default 300000, VNPay's 5 minutes).

use std::time::Duration;

use souk_sandbox::{Config, vnpay};

/// The development secret, known to Souk's `scripts/run` defaults and nothing real.
const DEV_SECRET: &str = "SOUKSANDBOXSECRET0123456789ABCDEF";

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let listen = var("SOUK_SANDBOX_LISTEN").unwrap_or_else(|| "127.0.0.1:7070".to_string());
    let retry_ms: u64 = var("VNPAY_IPN_RETRY_MS").map_or(Ok(300_000), |v| v.parse())?;
    let config = Config {
        vnpay: vnpay::Config {
            tmn_code: var("VNPAY_TMN_CODE").unwrap_or_else(|| "SOUKTEST".to_string()),
            hash_secret: var("VNPAY_HASH_SECRET").unwrap_or_else(|| DEV_SECRET.to_string()),
            ipn_url: var("VNPAY_IPN_URL"),
            ipn_retry: Duration::from_millis(retry_ms),
        },
    };
    let bound = souk_sandbox::start(listen.parse()?, config).await?;
    println!("souk-sandbox: VNPay on http://{bound}/paymentv2/vpcpay.html");
    tokio::signal::ctrl_c().await?;
    Ok(())
}

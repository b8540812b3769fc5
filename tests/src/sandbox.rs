//! The local sandbox every stack's providers talk to (`tools/sandbox`): VNPay, SePay, GHTK,
//! Nominatim and exchange rates on a port of the stack's own, calling back the stack's order
//! module, with credentials made for the stack.

use std::time::Duration;

use anyhow::Context;

/// The credentials both sides are configured with.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub vnpay_tmn_code: String,
    pub vnpay_hash_secret: String,
    pub sepay_merchant: String,
    pub sepay_secret_key: String,
    pub sepay_ipn_secret: String,
    pub ghtk_token: String,
    pub ghtk_client_source: String,
    pub ghtk_webhook_secret: String,
}

impl Credentials {
    /// Fresh secrets: a stack's providers and its sandbox share them, nobody else.
    pub fn new(secret: impl Fn() -> String) -> Credentials {
        Credentials {
            vnpay_tmn_code: "SOUKE2E".into(),
            vnpay_hash_secret: secret().to_uppercase(),
            sepay_merchant: "SP-TEST-E2E".into(),
            sepay_secret_key: format!("spsk_test_{}", secret()),
            sepay_ipn_secret: secret(),
            ghtk_token: secret(),
            ghtk_client_source: "S000001".into(),
            ghtk_webhook_secret: secret(),
        }
    }
}

/// Starts a sandbox on a free port, on a thread of its own (it outlives the test that started
/// it, as the stack does), calling back the app at `app` (`http://host:port`); its base URL.
pub fn start(app: &str, c: &Credentials) -> anyhow::Result<String> {
    let retry = Duration::from_secs(1);
    let config = souk_sandbox::Config {
        vnpay: souk_sandbox::vnpay::Config {
            tmn_code: c.vnpay_tmn_code.clone(),
            hash_secret: c.vnpay_hash_secret.clone(),
            ipn_url: Some(format!("{app}/api/v1/order/payments/vnpay/callback")),
            ipn_retry: retry,
        },
        sepay: souk_sandbox::sepay::Config {
            merchant: c.sepay_merchant.clone(),
            secret_key: c.sepay_secret_key.clone(),
            ipn_url: Some(format!("{app}/api/v1/order/payments/sepay/callback")),
            ipn_secret: c.sepay_ipn_secret.clone(),
            ipn_retry: retry,
        },
        ghtk: souk_sandbox::ghtk::Config {
            token: c.ghtk_token.clone(),
            client_source: c.ghtk_client_source.clone(),
            webhook_url: Some(format!(
                "{app}/api/v1/order/webhooks/ghtk?hash={}",
                c.ghtk_webhook_secret
            )),
            webhook_retry: retry,
        },
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("sandbox".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("a runtime for the sandbox");
            runtime.block_on(async move {
                let bound = souk_sandbox::start("127.0.0.1:0".parse().expect("an address"), config)
                    .await
                    .map_err(|e| format!("{e:#}"));
                let _ = tx.send(bound);
                std::future::pending::<()>().await;
            });
        })
        .context("starting the sandbox's thread")?;
    let bound = rx
        .recv()
        .context("the sandbox's thread ended")?
        .map_err(|e| anyhow::anyhow!("starting the sandbox: {e}"))?;
    Ok(format!("http://{bound}"))
}

/// The `SPIN_VARIABLE_*` settings that point the providers at the sandbox `base`.
pub fn variables(base: &str, c: &Credentials) -> Vec<(String, String)> {
    [
        ("VNPAY_TMN_CODE", c.vnpay_tmn_code.clone()),
        ("VNPAY_HASH_SECRET", c.vnpay_hash_secret.clone()),
        ("VNPAY_PAY_URL", format!("{base}/paymentv2/vpcpay.html")),
        ("VNPAY_API_URL", base.to_string()),
        ("SEPAY_MERCHANT_ID", c.sepay_merchant.clone()),
        ("SEPAY_SECRET_KEY", c.sepay_secret_key.clone()),
        ("SEPAY_IPN_SECRET", c.sepay_ipn_secret.clone()),
        ("SEPAY_CHECKOUT_URL", format!("{base}/v1/checkout/init")),
        ("SEPAY_API_URL", base.to_string()),
        ("GHTK_API_URL", base.to_string()),
        ("GHTK_TOKEN", c.ghtk_token.clone()),
        ("GHTK_CLIENT_SOURCE", c.ghtk_client_source.clone()),
        ("GHTK_WEBHOOK_SECRET", c.ghtk_webhook_secret.clone()),
        ("NOMINATIM_URL", base.to_string()),
        (
            "NOMINATIM_USER_AGENT",
            "Souk-e2e/0.1 (tests@souk.example)".to_string(),
        ),
        ("RATES_URL", base.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (format!("SPIN_VARIABLE_{k}"), v))
    .collect()
}

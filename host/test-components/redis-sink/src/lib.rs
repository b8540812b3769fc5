//! A test component for souk-host's redis trigger: every message is appended to the Redis
//! list named by the `sink_key` variable, on the server named by `sink_address`. A message
//! `chain:<component>` instead tries service chaining to that component and appends
//! `chained <status>` or `chain failed: <error>` — Spin offers chaining only to the HTTP
//! trigger, so from here it must fail.

#![expect(
    unsafe_code,
    reason = "#[redis_component] generates the unsafe export glue of the component"
)]

use spin_sdk::http::{Method, Request, Response};
use spin_sdk::redis::{Connection, RedisParameter};
use spin_sdk::redis_component;

#[redis_component]
async fn on_message(message: Vec<u8>) -> anyhow::Result<()> {
    let address = spin_sdk::variables::get("sink_address")?;
    let key = spin_sdk::variables::get("sink_key")?;
    let record = match String::from_utf8_lossy(&message).strip_prefix("chain:") {
        Some(target) => {
            let request = Request::builder()
                .method(Method::Get)
                .uri(format!("http://{target}.spin.internal/"))
                .build();
            match spin_sdk::http::send::<_, Response>(request).await {
                Ok(response) => format!("chained {}", response.status()).into_bytes(),
                Err(e) => format!("chain failed: {e}").into_bytes(),
            }
        }
        None => message,
    };
    let conn = Connection::open(&address)?;
    conn.execute(
        "RPUSH",
        &[
            RedisParameter::Binary(key.into_bytes()),
            RedisParameter::Binary(record),
        ],
    )?;
    Ok(())
}

//! A test component for souk-host's redis trigger: every message is appended to the Redis
//! list named by the `sink_key` variable, on the server named by `sink_address`.

#![expect(
    unsafe_code,
    reason = "#[redis_component] generates the unsafe export glue of the component"
)]

use spin_sdk::redis::{Connection, RedisParameter};
use spin_sdk::redis_component;

#[redis_component]
fn on_message(message: Vec<u8>) -> anyhow::Result<()> {
    let address = spin_sdk::variables::get("sink_address")?;
    let key = spin_sdk::variables::get("sink_key")?;
    let conn = Connection::open(&address)?;
    conn.execute(
        "RPUSH",
        &[
            RedisParameter::Binary(key.into_bytes()),
            RedisParameter::Binary(message),
        ],
    )?;
    Ok(())
}

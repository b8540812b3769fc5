//! An exchange-rate provider over ExchangeRate-API's open access endpoint
//! (`GET {rates_url}/v6/latest/{BASE}`, no key; <https://www.exchangerate-api.com/docs/free>),
//! which publishes every rate against a base once a day.
//!
//! Variables (inherited from the consumer): `rates_url` (the server, e.g.
//! `https://open.er-api.com`); the consumer's `allowed_outbound_hosts` must list it. Rates are
//! not cached here: the provider's answer says when it publishes next, for the caller to keep.
//!
//! - [`config`]: the variable, read into one checked struct, and the host it names (the
//!   `source` of the rates).
//! - [`latest`]: the base parsed from the call, the request's URL, and the answer read into
//!   the WIT's `rates` with exact integer rates.

#![expect(
    unsafe_code,
    reason = "wit-bindgen's export! generates the unsafe export glue of the component"
)]

spin_sdk::wit_bindgen::generate!({
    world: "exchange-provider",
    path: "../../../wit/rates",
    runtime_path: "::spin_sdk::wit_bindgen::rt",
});

pub mod config;
pub mod latest;

pub use exports::souk::rates::exchange::{Error, Quote, Rates};

use std::time::{SystemTime, UNIX_EPOCH};

use config::Config;
use exports::souk::rates::exchange::Guest;
use latest::Base;

struct Provider;

/// Now, in Unix milliseconds.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Guest for Provider {
    fn latest(base: String) -> Result<Rates, Error> {
        let base = Base::parse(&base)?;
        let config = Config::from_spin()?;
        let call = outbound::Call::get(latest::url(&config, &base));
        let answer = call.send().map_err(|e| latest::failure(&e))?;
        latest::read(&answer, &base, &config, now_ms())
    }
}

export!(Provider);

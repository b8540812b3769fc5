//! Souk's shipping provider for GHTK (Giao Hàng Tiết Kiệm): it exports
//! `souk:shipping/carrier` (world `carrier-provider`) over GHTK's shipment API — fees, orders,
//! status, cancellation — and checks GHTK's status webhook.
//!
//! Spin variables (inherited from the consumer, which declares them and lists the API's host
//! in its `allowed_outbound_hosts`):
//! - `ghtk_api_url`: the API's base, e.g. GHTK's staging `https://services-staging.ghtklab.com`
//!   (production `https://services.giaohangtietkiem.vn`, or the local sandbox);
//! - `ghtk_token` (secret): the API token, sent as `Token`;
//! - `ghtk_client_source`: the partner code, sent as `X-Client-Source`;
//! - `ghtk_webhook_secret` (secret): the `hash` in the callback URL Souk registers with GHTK
//!   (`…?hash=<secret>`), since GHTK signs nothing.
//!
//! Any of them unset is `misconfigured`. Modules:
//! - [`config`]: the variables, read into one struct;
//! - [`request`]: Souk's requests as GHTK's fee query, order body and paths;
//! - [`answer`]: GHTK's envelopes and answers as quotes, bookings and tracking;
//! - [`status`]: GHTK's `status_id` table as Souk's states;
//! - [`time`]: GHTK's ways of writing times (Vietnam time, GMT+7);
//! - [`webhook`]: the status webhook's authentication, reading and replies;
//! - [`api`]: the calls themselves, through `outbound`.

#![expect(
    unsafe_code,
    reason = "wit-bindgen's export! generates the unsafe export glue of the component"
)]

spin_sdk::wit_bindgen::generate!({
    world: "carrier-provider",
    path: "../../../wit/shipping",
    runtime_path: "::spin_sdk::wit_bindgen::rt",
});

pub mod answer;
pub mod api;
pub mod config;
pub mod request;
pub mod status;
pub mod time;
pub mod webhook;

use config::Config;
use exports::souk::shipping::carrier::Guest;
use souk::shipping::types::{
    Booked, Error, FeeQuote, Inbound, QuoteRequest, Refusal, Reply, ShipmentRequest, Tracking,
};

struct Provider;

impl Guest for Provider {
    fn id() -> String {
        "ghtk".to_string()
    }

    fn quote(request: QuoteRequest) -> Result<FeeQuote, Error> {
        api::quote(&Config::load().map_err(Error::Misconfigured)?, &request)
    }

    fn create(request: ShipmentRequest) -> Result<Booked, Error> {
        let config = Config::load().map_err(Error::Misconfigured)?;
        api::create(&config, &request, chrono::Utc::now().timestamp_millis())
    }

    fn cancel(tracking_code: String) -> Result<Tracking, Error> {
        api::cancel(
            &Config::load().map_err(Error::Misconfigured)?,
            &tracking_code,
        )
    }

    fn status(tracking_code: String) -> Result<Tracking, Error> {
        api::status(
            &Config::load().map_err(Error::Misconfigured)?,
            &tracking_code,
        )
    }

    fn verify(request: Inbound) -> Result<Tracking, Refusal> {
        let config = Config::load().map_err(webhook::unconfigured)?;
        webhook::verify(&config.webhook_secret, &request)
    }

    fn acknowledge() -> Reply {
        webhook::acknowledge()
    }
}

export!(Provider);

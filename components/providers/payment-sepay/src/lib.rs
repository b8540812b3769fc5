//! The SePay payment gateway as a `souk:payment/gateway` provider. The buyer's browser posts a
//! signed checkout form to SePay ([`start`]); SePay posts an IPN back, believed only with the
//! IPN secret and answered so that SePay stops or keeps retrying ([`ipn`]); reconciliation
//! reads the order detail of SePay's REST API ([`query`]). The wire format is
//! `protocols::sepay`'s, which the local sandbox speaks too. Refunds are not offered: SePay's
//! gateway API has none (money goes back from the merchant's bank account).
//!
//! Variables (inherited from the consumer), read once per call into [`config::Config`]:
//! `sepay_merchant_id`, `sepay_secret_key` (secret; signs the form and, with the merchant id,
//! authenticates API calls), `sepay_checkout_url` (the form's action, e.g.
//! `https://pay-sandbox.sepay.vn/v1/checkout/init`; production `https://pay.sepay.vn/…`),
//! `sepay_api_url` (the REST API base, e.g. `https://pgapi-sandbox.sepay.vn`; production
//! `https://pgapi.sepay.vn`) and `sepay_ipn_secret` (secret; what SePay sends as
//! `X-Secret-Key`). The consumer's `allowed_outbound_hosts` must include the API's host.
//!
//! - [`config`]: the variables.
//! - [`start`]: the checkout form and its return URLs.
//! - [`ipn`]: verifying an IPN and answering it.
//! - [`query`]: the order detail, read into a status.

#![expect(
    unsafe_code,
    reason = "wit-bindgen's export! generates the unsafe export glue of the component"
)]

spin_sdk::wit_bindgen::generate!({
    world: "gateway-provider",
    path: "../../../wit/payment",
    runtime_path: "::spin_sdk::wit_bindgen::rt",
});

pub mod config;
pub mod ipn;
pub mod query;
pub mod start;

use exports::souk::payment::gateway::Guest;
use souk::payment::types::{
    Error, Inbound, Method, Notice, RefundReceipt, RefundRequest, Refusal, Reply, StartRequest,
    Started, Status, StatusRequest, Verdict,
};

use config::Config;

/// The gateway's name in routes and records.
pub const ID: &str = "sepay";

/// Why refunds are refused, said once.
pub const NO_REFUNDS: &str = "SePay refunds are made from the merchant's bank account: SePay's \
     payment gateway API has no refund call (only one that voids a whole transaction), so \
     Souk cannot give a payment back through it";

struct Provider;

impl Guest for Provider {
    fn id() -> String {
        ID.to_string()
    }

    fn methods() -> Vec<Method> {
        vec![Method::Any, Method::Qr, Method::Bank, Method::Card]
    }

    fn start(request: StartRequest) -> Result<Started, Error> {
        start::start(&Config::load()?, &request)
    }

    fn verify(request: Inbound) -> Result<Notice, Refusal> {
        let config = Config::load().map_err(|e| ipn::unconfigured(&e))?;
        ipn::verify(&config, &request)
    }

    fn answer(verdict: Verdict) -> Reply {
        ipn::answer(verdict)
    }

    fn query(request: StatusRequest) -> Result<Status, Error> {
        query::query(&Config::load()?, &request)
    }

    fn refund(_request: RefundRequest) -> Result<RefundReceipt, Error> {
        Err(Error::Unsupported(NO_REFUNDS.to_string()))
    }
}

export!(Provider);

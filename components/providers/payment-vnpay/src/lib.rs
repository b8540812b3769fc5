//! The VNPay payment gateway (API 2.1.0), as a provider of `souk:payment/gateway`. It sends
//! the buyer to VNPay's payment page with a signed URL, verifies VNPay's IPN and answers it as
//! VNPay expects, and asks VNPay's merchant API what became of an attempt (`querydr`) or to give
//! money back (`refund`). Signing, amounts and dates are `protocols::vnpay`'s; calls go out
//! through `outbound`.
//!
//! Spin variables (the consumer's, inherited): `vnpay_tmn_code` (the terminal code),
//! `vnpay_hash_secret` (secret: the terminal's hash secret), `vnpay_pay_url` (the payment page,
//! e.g. `https://sandbox.vnpayment.vn/paymentv2/vpcpay.html`) and `vnpay_api_url` (the merchant
//! API, e.g. `https://sandbox.vnpayment.vn/merchant_webapi/api/transaction`, whose host the
//! consumer's `allowed_outbound_hosts` must include). Without the terminal or the secret every
//! call is misconfigured.
//!
//! - [`config`]: the variables, read into one struct.
//! - [`fold`]: free text folded to the plain ASCII VNPay signs safely.
//! - [`pay`]: `start`, the signed payment page URL.
//! - [`ipn`]: `verify` and `answer`, VNPay's IPN and its JSON replies.
//! - [`api`]: `query` and `refund`, the merchant API's signed JSON calls.

#![expect(
    unsafe_code,
    reason = "wit-bindgen's export! generates the unsafe export glue of the component"
)]

spin_sdk::wit_bindgen::generate!({
    world: "gateway-provider",
    path: "../../../wit/payment",
    runtime_path: "::spin_sdk::wit_bindgen::rt",
});

pub mod api;
pub mod config;
pub mod fold;
pub mod ipn;
pub mod pay;

use chrono::Utc;
use exports::souk::payment::gateway::{
    Error, Guest, Inbound, Method, Notice, RefundReceipt, RefundRequest, Refusal, Reply,
    StartRequest, Started, Status, StatusRequest, Verdict,
};

pub use config::Config;

struct Gateway;

impl Guest for Gateway {
    fn id() -> String {
        "vnpay".to_string()
    }

    fn methods() -> Vec<Method> {
        vec![Method::Any, Method::Qr, Method::Bank, Method::Card]
    }

    fn start(request: StartRequest) -> Result<Started, Error> {
        let config = Config::load().map_err(Error::Misconfigured)?;
        pay::start(&config, &request)
    }

    fn verify(request: Inbound) -> Result<Notice, Refusal> {
        let config = Config::load().map_err(|why| ipn::misconfigured(&why))?;
        ipn::verify(&config, &request)
    }

    fn answer(verdict: Verdict) -> Reply {
        ipn::answer(verdict)
    }

    fn query(request: StatusRequest) -> Result<Status, Error> {
        let config = Config::load().map_err(Error::Misconfigured)?;
        api::query(&config, &request, Utc::now())
    }

    fn refund(request: RefundRequest) -> Result<RefundReceipt, Error> {
        let config = Config::load().map_err(Error::Misconfigured)?;
        api::refund(&config, &request, Utc::now())
    }
}

export!(Gateway);

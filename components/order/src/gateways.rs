//! The payment gateways in order's four slots (`payment-a` … `payment-d` in
//! `wit/payment/payment.wit`), found by the id each reports: spin.toml fills a slot with a
//! provider's `souk:payment/gateway` export, or with `payment-none`, whose empty id leaves the
//! slot out. Adding a gateway is a component and a spin.toml line; this file does not change.

use kit::{ApiError, ApiResult};

mod bindings {
    spin_sdk::wit_bindgen::generate!({
        world: "gateway-slots",
        path: "../../wit/payment",
        runtime_path: "::spin_sdk::wit_bindgen::rt",
    });
}

pub use bindings::souk::payment::types::{
    Error, Inbound, Method, Money, NextStep, Notice, Outcome, RefundReceipt, RefundRequest,
    Refusal, Reply, StartRequest, Started, Status, StatusRequest, Verdict,
};

/// One slot's functions.
struct Slot {
    id: fn() -> String,
    methods: fn() -> Vec<Method>,
    start: fn(&StartRequest) -> Result<Started, Error>,
    verify: fn(&Inbound) -> Result<Notice, Refusal>,
    answer: fn(Verdict) -> Reply,
    query: fn(&StatusRequest) -> Result<Status, Error>,
    refund: fn(&RefundRequest) -> Result<RefundReceipt, Error>,
}

macro_rules! slot {
    ($name:ident) => {
        Slot {
            id: bindings::$name::id,
            methods: bindings::$name::methods,
            start: bindings::$name::start,
            verify: bindings::$name::verify,
            answer: bindings::$name::answer,
            query: bindings::$name::query,
            refund: bindings::$name::refund,
        }
    };
}

static SLOTS: [Slot; 4] = [
    slot!(payment_a),
    slot!(payment_b),
    slot!(payment_c),
    slot!(payment_d),
];

/// A gateway filling a slot.
pub struct Gateway {
    slot: &'static Slot,
    id: String,
}

impl Gateway {
    /// Every gateway in a slot, in slot order (a slot without one is skipped).
    pub fn all() -> Vec<Gateway> {
        SLOTS
            .iter()
            .map(|slot| Gateway {
                slot,
                id: (slot.id)(),
            })
            .filter(|g| !g.id.is_empty())
            .collect()
    }

    /// The gateway with `id`; 404 `gateway_not_found` when no slot holds it.
    pub fn find(id: &str) -> ApiResult<Gateway> {
        Gateway::all()
            .into_iter()
            .find(|g| g.id == id)
            .ok_or_else(|| {
                ApiError::not_found(
                    "gateway_not_found",
                    format!("no payment gateway `{id}` is configured"),
                )
            })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn methods(&self) -> Vec<Method> {
        (self.slot.methods)()
    }

    pub fn start(&self, request: &StartRequest) -> ApiResult<Started> {
        (self.slot.start)(request).map_err(|e| self.error("starting a payment", e))
    }

    pub fn verify(&self, request: &Inbound) -> Result<Notice, Refusal> {
        (self.slot.verify)(request)
    }

    pub fn answer(&self, verdict: Verdict) -> Reply {
        (self.slot.answer)(verdict)
    }

    pub fn query(&self, request: &StatusRequest) -> ApiResult<Status> {
        (self.slot.query)(request).map_err(|e| self.error("asking for a payment's status", e))
    }

    pub fn refund(&self, request: &RefundRequest) -> Result<RefundReceipt, Error> {
        (self.slot.refund)(request)
    }

    /// The API error a gateway's error means: its refusals are the caller's problem (422),
    /// its outages and a missing configuration are 503.
    pub fn error(&self, doing: &str, e: Error) -> ApiError {
        let id = &self.id;
        match e {
            Error::Declined(m) => {
                ApiError::unprocessable("payment_declined", format!("{id} declined: {m}"))
            }
            Error::Invalid(m) => ApiError::unprocessable(
                "payment_invalid",
                format!("{id} cannot take this request: {m}"),
            ),
            Error::Unsupported(m) => ApiError::unprocessable(
                "payment_unsupported",
                format!("{id} does not support this: {m}"),
            ),
            Error::Unavailable(m) => ApiError::unavailable(
                "gateway_unavailable",
                format!("{id} could not be reached {doing}: {m}"),
            ),
            Error::Misconfigured(m) => ApiError::unavailable(
                "gateway_not_configured",
                format!("{id} is not configured: {m}"),
            ),
        }
    }
}

/// The stored and public spelling of a method.
pub fn method_name(m: Method) -> &'static str {
    match m {
        Method::Any => "any",
        Method::Qr => "qr",
        Method::Bank => "bank",
        Method::Card => "card",
    }
}

/// The method `name` spells; 422 for another word.
pub fn parse_method(name: &str) -> ApiResult<Method> {
    [Method::Any, Method::Qr, Method::Bank, Method::Card]
        .into_iter()
        .find(|m| method_name(*m) == name)
        .ok_or_else(|| ApiError::validation("method: one of any, qr, bank, card"))
}

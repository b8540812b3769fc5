//! The shipping carrier in order's `souk:shipping/carrier` dependency (spin.toml names the
//! provider: GHTK by default), and what its errors mean to order's callers.

use kit::{ApiError, ApiResult};

mod bindings {
    spin_sdk::wit_bindgen::generate!({
        world: "carrier-consumer",
        path: "../../wit/shipping",
        runtime_path: "::spin_sdk::wit_bindgen::rt",
    });
}

pub use bindings::souk::shipping::carrier;
pub use bindings::souk::shipping::types::{
    Address, Error, Inbound, Item, Money, Parcel, Party, QuoteRequest, Service, ShipmentRequest,
    State, Tracking,
};

/// The API error a carrier's error means: its refusals are the caller's (422), an unknown
/// shipment 404, its outages and a missing configuration 503.
pub fn error(doing: &str, e: Error) -> ApiError {
    let id = carrier::id();
    match e {
        Error::Declined(m) => {
            ApiError::unprocessable("shipping_declined", format!("{id} declined: {m}"))
        }
        Error::Invalid(m) => ApiError::unprocessable(
            "shipping_invalid",
            format!("{id} cannot take this request: {m}"),
        ),
        Error::NotFound(m) => ApiError::not_found(
            "shipment_not_found_at_carrier",
            format!("{id} knows no such shipment: {m}"),
        ),
        Error::Unavailable(m) => ApiError::unavailable(
            "carrier_unavailable",
            format!("{id} could not be reached {doing}: {m}"),
        ),
        Error::Misconfigured(m) => ApiError::unavailable(
            "carrier_not_configured",
            format!("{id} is not configured: {m}"),
        ),
    }
}

/// The service `name` spells; 422 for another word.
pub fn parse_service(name: &str) -> ApiResult<Service> {
    match name {
        "express" => Ok(Service::Express),
        "standard" => Ok(Service::Standard),
        "economy" => Ok(Service::Economy),
        _ => Err(ApiError::validation(
            "service: express, standard or economy",
        )),
    }
}

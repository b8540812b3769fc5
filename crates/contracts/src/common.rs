//! Bodies of common's internal routes.
//!
//! - `POST /internal/geocode/forward`: [`GeocodeRequest`] → [`GeocodeAnswer`], the best match of
//!   an address through common's geocoder (account checks contacts' countries with it).
//! - `POST /internal/rates/convert`: [`ConvertRequest`] → [`ConvertAnswer`], an amount in
//!   another currency by an exchange-rate snapshot (checkout's, kept with it).
//!
//! Requests refuse unknown fields; answers accept them.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeocodeRequest {
    /// A postal address, 1 to 500 characters.
    pub address: String,
}

/// Where an address is, as far as the geocoder resolved it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Place {
    pub display_name: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country_code: String,
    pub latitude: f64,
    pub longitude: f64,
}

/// `place` is `None` when the geocoder knows no such address.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeocodeAnswer {
    pub place: Option<Place>,
}

/// An amount to convert, in minor units of `from`, by snapshot `snapshot_id` (a checkout's),
/// or by the latest fresh snapshot when it is left out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvertRequest {
    /// At most 10¹⁵ either way.
    pub amount_minor: i64,
    /// ISO 4217.
    pub from: String,
    /// ISO 4217.
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<Uuid>,
}

/// A converted amount and the snapshot it was converted by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvertAnswer {
    /// Minor units of `currency`.
    pub amount_minor: i64,
    pub currency: String,
    /// What was converted.
    pub from: Amount,
    pub snapshot_id: Uuid,
}

/// An amount: minor units of an ISO 4217 currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amount {
    pub amount_minor: i64,
    pub currency: String,
}

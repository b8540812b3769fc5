//! Bodies of common's internal routes.
//!
//! - `POST /internal/geocode/forward`: [`GeocodeRequest`] → [`GeocodeAnswer`], the best match of
//!   an address through common's geocoder (account checks contacts' countries with it).
//!
//! Requests refuse unknown fields; answers accept them.

use serde::{Deserialize, Serialize};

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

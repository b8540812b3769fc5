//! Nominatim (OpenStreetMap's geocoder) as both sides speak it: the search and reverse
//! queries, the places they answer, and the usage policy a client must keep.
//!
//! The policy of the public server: at most one request per second for the whole
//! application, a `User-Agent` that names the application (a library's default is refused),
//! results cached, and always a `format` (without one the server answers its web page).
//! Coordinates come as strings; `/search` answers an array (empty when nothing is found),
//! `/reverse` one place or `{"error": "Unable to geocode"}` with HTTP 200.

use std::collections::BTreeMap;

use crate::form;

/// Most results one search returns.
pub const MAX_LIMIT: u8 = 40;

/// The `User-Agent` prefixes of HTTP libraries, which the public server refuses: a client must
/// name the application.
const LIBRARY_AGENTS: [&str; 9] = [
    "reqwest",
    "python-requests",
    "python-urllib",
    "curl/",
    "wget/",
    "go-http-client",
    "okhttp",
    "java/",
    "node-fetch",
];

/// Whether `agent` identifies an application, as the usage policy asks.
pub fn identifies_application(agent: Option<&str>) -> bool {
    let Some(agent) = agent.map(str::trim).filter(|a| a.len() >= 3) else {
        return false;
    };
    let lower = agent.to_ascii_lowercase();
    !LIBRARY_AGENTS
        .iter()
        .any(|library| lower.starts_with(library))
}

fn query(pairs: &[(&str, String)]) -> String {
    form::encode_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
}

/// The query of a free-form search for `text`, in `countries` (ISO 3166-1 alpha-2; empty:
/// anywhere), at most `limit` results (1 to [`MAX_LIMIT`]), addresses in `language`.
pub fn search_query(text: &str, countries: &[&str], limit: u8, language: &str) -> String {
    let mut pairs = vec![
        ("q", text.to_string()),
        ("format", "jsonv2".to_string()),
        ("addressdetails", "1".to_string()),
        ("limit", limit.clamp(1, MAX_LIMIT).to_string()),
        ("accept-language", language.to_string()),
    ];
    if !countries.is_empty() {
        let codes: Vec<String> = countries.iter().map(|c| c.to_ascii_lowercase()).collect();
        pairs.push(("countrycodes", codes.join(",")));
    }
    query(&pairs)
}

/// The query of a reverse lookup at `lat`, `lon`, at `zoom` (0 country … 18 building).
pub fn reverse_query(lat: f64, lon: f64, zoom: u8, language: &str) -> String {
    query(&[
        ("lat", format!("{lat:.7}")),
        ("lon", format!("{lon:.7}")),
        ("format", "jsonv2".to_string()),
        ("addressdetails", "1".to_string()),
        ("zoom", zoom.min(18).to_string()),
        ("accept-language", language.to_string()),
    ])
}

/// A place Nominatim answered.
#[derive(Clone, Debug, PartialEq)]
pub struct Place {
    /// The full address, as Nominatim writes it.
    pub display_name: String,
    /// Latitude, WGS84.
    pub lat: f64,
    /// Longitude, WGS84.
    pub lon: f64,
    /// ISO 3166-1 alpha-2, upper case, when the address names one.
    pub country_code: Option<String>,
    /// The address parts (`road`, `city`, `state`, `postcode`, …).
    pub address: BTreeMap<String, String>,
}

/// One place of an answer; `Err` names what is missing or malformed.
pub fn read_place(v: &serde_json::Value) -> Result<Place, &'static str> {
    let coordinate = |name: &'static str, range: f64| {
        v[name]
            .as_str()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|x| x.is_finite() && x.abs() <= range)
            .ok_or(name)
    };
    let address: BTreeMap<String, String> = v["address"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
        .collect();
    Ok(Place {
        display_name: v["display_name"]
            .as_str()
            .ok_or("display_name")?
            .to_string(),
        lat: coordinate("lat", 90.0)?,
        lon: coordinate("lon", 180.0)?,
        country_code: address.get("country_code").map(|c| c.to_ascii_uppercase()),
        address,
    })
}

/// The places of a `/search` answer.
pub fn read_search(v: &serde_json::Value) -> Result<Vec<Place>, &'static str> {
    v.as_array()
        .ok_or("an array")?
        .iter()
        .map(read_place)
        .collect()
}

/// The place of a `/reverse` answer; `None` for `{"error": "Unable to geocode"}`.
pub fn read_reverse(v: &serde_json::Value) -> Result<Option<Place>, &'static str> {
    if v.get("error").is_some() {
        return Ok(None);
    }
    read_place(v).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_always_name_a_format_and_keep_the_limit() {
        let q = search_query("Nồi cơm điện, Hà Nội", &["VN"], 90, "vi");
        assert_eq!(
            q,
            "q=N%E1%BB%93i+c%C6%A1m+%C4%91i%E1%BB%87n%2C+H%C3%A0+N%E1%BB%99i&format=jsonv2\
             &addressdetails=1&limit=40&accept-language=vi&countrycodes=vn"
        );
        assert!(search_query("x", &[], 0, "en").contains("limit=1&"));
        assert_eq!(
            reverse_query(21.0285, 105.8542, 30, "en"),
            "lat=21.0285000&lon=105.8542000&format=jsonv2&addressdetails=1&zoom=18\
             &accept-language=en"
        );
    }

    #[test]
    fn places_are_read_with_numeric_coordinates_and_an_upper_case_country() {
        let answer = serde_json::json!([{
            "place_id": 1, "lat": "21.0285", "lon": "105.8542",
            "display_name": "Hà Nội, Việt Nam",
            "address": { "city": "Hà Nội", "country": "Việt Nam", "country_code": "vn" },
        }]);
        let places = read_search(&answer).unwrap();
        assert_eq!(places[0].lat, 21.0285);
        assert_eq!(places[0].country_code.as_deref(), Some("VN"));
        assert_eq!(places[0].address["city"], "Hà Nội");
        assert_eq!(read_search(&serde_json::json!([])).unwrap(), vec![]);
        let unable = serde_json::json!({ "error": "Unable to geocode" });
        assert_eq!(read_reverse(&unable), Ok(None));
        let wrong = serde_json::json!({ "lat": "91", "lon": "0", "display_name": "x" });
        assert_eq!(read_reverse(&wrong), Err("lat"));
    }

    #[test]
    fn a_client_must_name_the_application() {
        assert!(identifies_application(Some(
            "Souk/0.1 (+https://souk.example)"
        )));
        for bad in [
            None,
            Some(""),
            Some("reqwest/0.12"),
            Some("curl/8.0"),
            Some("Go-http-client/1.1"),
        ] {
            assert!(!identifies_application(bad), "{bad:?}");
        }
    }
}

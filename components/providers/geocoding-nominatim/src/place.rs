//! Nominatim's address parts as the WIT's `place`.
//!
//! Nominatim names an address part after the OSM object it comes from, so one level of
//! government goes by several keys; each field takes the first key present, in the order
//! below. In Vietnam, for instance, a ward (phường) appears as `quarter` and a commune (xã) as
//! `village`; an urban district (quận) as `suburb`, a rural one (huyện) as `county`; a
//! province as `state`. A city governed as a province (Hà Nội, Đà Nẵng) has no `state`: when
//! the answer places it in a first-level subdivision (`ISO3166-2-lvl4`) but names none, the
//! city is the province. A `town` is the city, or the district when a `city` is named too (a
//! thị xã such as Sơn Tây, within Hà Nội).

use std::collections::BTreeMap;

use protocols::nominatim;

use crate::Place;

const WARD: &[&str] = &["quarter", "village"];
const DISTRICT: &[&str] = &["city_district", "suburb", "county", "district"];
const CITY: &[&str] = &["city", "town"];
const PROVINCE: &[&str] = &["state", "province"];
const STREET: &[&str] = &["road", "pedestrian"];

fn first(address: &BTreeMap<String, String>, keys: &[&str]) -> Option<String> {
    keys.iter()
        .filter_map(|k| address.get(*k))
        .map(|v| v.trim())
        .find(|v| !v.is_empty())
        .map(str::to_string)
}

/// The place `p` as the WIT describes it.
pub fn from_nominatim(p: &nominatim::Place) -> Place {
    let a = &p.address;
    let street = first(a, STREET).map(|road| match first(a, &["house_number"]) {
        Some(number) => format!("{number} {road}"),
        None => road,
    });
    let city = first(a, CITY);
    let district = first(a, DISTRICT).or_else(|| {
        a.contains_key("city")
            .then(|| first(a, &["town"]))
            .flatten()
    });
    let province = first(a, PROVINCE).or_else(|| {
        a.contains_key("ISO3166-2-lvl4")
            .then(|| city.clone())
            .flatten()
    });
    Place {
        display_name: p.display_name.clone(),
        street,
        ward: first(a, WARD),
        district,
        city,
        province,
        postcode: first(a, &["postcode"]),
        // The WIT's country is always a string; a place outside every country (at sea) has "".
        country_code: p.country_code.as_deref().unwrap_or("").to_ascii_lowercase(),
        latitude: p.lat,
        longitude: p.lon,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(v: serde_json::Value) -> Place {
        from_nominatim(&nominatim::read_place(&v).unwrap())
    }

    #[test]
    fn a_hanoi_address_fills_every_level_and_the_city_is_the_province() {
        let place = read(serde_json::json!({
            "lat": "21.0245", "lon": "105.8571",
            "display_name": "12, Phố Tràng Tiền, Phường Tràng Tiền, Quận Hoàn Kiếm, Hà Nội, \
                             11000, Việt Nam",
            "address": {
                "house_number": "12", "road": "Phố Tràng Tiền", "quarter": "Phường Tràng Tiền",
                "suburb": "Quận Hoàn Kiếm", "city": "Hà Nội", "ISO3166-2-lvl4": "VN-HN",
                "postcode": "11000", "country": "Việt Nam", "country_code": "vn",
            },
        }));
        assert_eq!(place.street.as_deref(), Some("12 Phố Tràng Tiền"));
        assert_eq!(place.ward.as_deref(), Some("Phường Tràng Tiền"));
        assert_eq!(place.district.as_deref(), Some("Quận Hoàn Kiếm"));
        assert_eq!(place.city.as_deref(), Some("Hà Nội"));
        assert_eq!(place.province.as_deref(), Some("Hà Nội"));
        assert_eq!(place.postcode.as_deref(), Some("11000"));
        assert_eq!(place.country_code, "vn");
        assert_eq!((place.latitude, place.longitude), (21.0245, 105.8571));
    }

    #[test]
    fn a_rural_address_takes_its_commune_district_and_province() {
        let place = read(serde_json::json!({
            "lat": "20.25", "lon": "105.97", "display_name": "Xã Ninh Hải, Ninh Bình",
            "address": {
                "village": "Xã Ninh Hải", "county": "Huyện Hoa Lư", "state": "Tỉnh Ninh Bình",
                "ISO3166-2-lvl4": "VN-18", "country_code": "vn",
            },
        }));
        assert_eq!(place.ward.as_deref(), Some("Xã Ninh Hải"));
        assert_eq!(place.district.as_deref(), Some("Huyện Hoa Lư"));
        assert_eq!(place.city, None);
        assert_eq!(place.province.as_deref(), Some("Tỉnh Ninh Bình"));
        assert_eq!(place.street, None);
    }

    #[test]
    fn a_town_is_the_district_within_a_city_and_the_city_on_its_own() {
        let within = read(serde_json::json!({
            "lat": "21.14", "lon": "105.50", "display_name": "Sơn Tây, Hà Nội",
            "address": { "town": "Thị xã Sơn Tây", "city": "Hà Nội", "country_code": "vn" },
        }));
        assert_eq!(within.district.as_deref(), Some("Thị xã Sơn Tây"));
        assert_eq!(within.city.as_deref(), Some("Hà Nội"));
        let alone = read(serde_json::json!({
            "lat": "21.14", "lon": "105.50", "display_name": "Sa Pa",
            "address": { "town": "Sa Pa", "state": "Lào Cai", "country_code": "vn" },
        }));
        assert_eq!(alone.district, None);
        assert_eq!(alone.city.as_deref(), Some("Sa Pa"));
    }

    #[test]
    fn missing_parts_stay_empty_and_no_country_is_an_empty_code() {
        let place = read(serde_json::json!({
            "lat": "1.29", "lon": "103.85", "display_name": "Singapore",
            "address": { "city": "Singapore", "road": " " },
        }));
        assert_eq!(place.city.as_deref(), Some("Singapore"));
        assert_eq!(place.province, None, "no first-level subdivision named");
        assert_eq!(place.street, None, "a blank part is no part");
        assert_eq!(place.country_code, "");
    }
}

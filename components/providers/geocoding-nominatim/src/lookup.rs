//! A request to Nominatim, parsed from the call's arguments before any I/O: the query it
//! sends, the cache key it is kept under, and how its answer is read.
//!
//! Text is sent with its whitespace collapsed; the cache key also ignores case (Nominatim
//! does), so `Hà Nội` and ` hà  nội ` share one cached answer. Country codes are lower-cased,
//! de-duplicated and sorted; coordinates are rounded to 5 decimal places (about a metre), finer
//! than any address and the same in the query as in the key.

use protocols::nominatim::{self, MAX_LIMIT, read_reverse, read_search, reverse_query};
use sha2::{Digest, Sha256};

use crate::{Error, Place, keys, place};

/// The longest text accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 500;

/// The longest `language` accepted (an `Accept-Language` value such as `vi,en;q=0.8`).
const MAX_LANGUAGE_CHARS: usize = 64;

/// The zoom of a reverse lookup: the building, for a postal address.
const REVERSE_ZOOM: u8 = 18;

/// Decimal places coordinates are rounded to.
const COORDINATE_DECIMALS: i32 = 5;

/// One request, valid.
#[derive(Clone, Debug, PartialEq)]
pub struct Lookup {
    kind: Kind,
    /// Lower case; may be empty (Nominatim's default: local names).
    language: String,
}

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    /// The best match of an address: `/search` with limit 1.
    Forward {
        address: String,
        country: Option<String>,
    },
    /// The address at a point: `/reverse`.
    Reverse { lat: f64, lon: f64 },
    /// Places matching free text: `/search`.
    Search {
        text: String,
        countries: Vec<String>,
        limit: u8,
    },
}

fn invalid(message: impl Into<String>) -> Error {
    Error::Invalid(message.into())
}

/// `text` with runs of whitespace made one space, or why it cannot be searched.
fn text(field: &str, text: &str) -> Result<String, Error> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return Err(invalid(format!("`{field}` is empty")));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(invalid(format!(
            "`{field}` is longer than {MAX_TEXT_CHARS} characters"
        )));
    }
    Ok(text)
}

/// An ISO 3166-1 alpha-2 code, lower case.
fn country(code: &str) -> Result<String, Error> {
    let code = code.trim();
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(code.to_ascii_lowercase())
    } else {
        Err(invalid(format!(
            "`{code}` is not an ISO 3166-1 alpha-2 country code"
        )))
    }
}

fn language(language: &str) -> Result<String, Error> {
    let language = language.trim().to_ascii_lowercase();
    let allowed =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ',' | ';' | '=' | '.' | '*');
    if language.len() > MAX_LANGUAGE_CHARS || !language.chars().all(allowed) {
        return Err(invalid(format!(
            "`{language}` is not a language list such as `vi` or `vi,en;q=0.8`"
        )));
    }
    Ok(language)
}

fn coordinate(name: &str, x: f64, range: f64) -> Result<f64, Error> {
    if !x.is_finite() || x.abs() > range {
        return Err(invalid(format!(
            "the {name} must be a number of degrees from -{range} to {range}"
        )));
    }
    let scale = 10_f64.powi(COORDINATE_DECIMALS);
    // `+ 0.0` turns -0 into 0, so both share a cache key.
    Ok((x * scale).round() / scale + 0.0)
}

impl Lookup {
    /// The best match of `address`, within `country` when given.
    pub fn forward(address: &str, within: Option<&str>, lang: &str) -> Result<Lookup, Error> {
        Ok(Lookup {
            kind: Kind::Forward {
                address: text("address", address)?,
                country: within.map(country).transpose()?,
            },
            language: language(lang)?,
        })
    }

    /// The address at (`lat`, `lon`).
    pub fn reverse(lat: f64, lon: f64, lang: &str) -> Result<Lookup, Error> {
        Ok(Lookup {
            kind: Kind::Reverse {
                lat: coordinate("latitude", lat, 90.0)?,
                lon: coordinate("longitude", lon, 180.0)?,
            },
            language: language(lang)?,
        })
    }

    /// At most `limit` (1 to 40, as Nominatim allows) places matching `text`, within
    /// `countries` (none: anywhere).
    pub fn search(query: &str, within: &[String], limit: u8, lang: &str) -> Result<Lookup, Error> {
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(invalid(format!("the limit must be from 1 to {MAX_LIMIT}")));
        }
        let mut countries = within
            .iter()
            .map(|c| country(c))
            .collect::<Result<Vec<_>, _>>()?;
        countries.sort();
        countries.dedup();
        Ok(Lookup {
            kind: Kind::Search {
                text: text("text", query)?,
                countries,
                limit,
            },
            language: language(lang)?,
        })
    }

    /// The path and query of the request, appended to `nominatim_url`.
    pub fn path_and_query(&self) -> String {
        let lang = &self.language;
        match &self.kind {
            Kind::Forward { address, country } => {
                let countries: Vec<&str> = country.iter().map(String::as_str).collect();
                format!(
                    "/search?{}",
                    nominatim::search_query(address, &countries, 1, lang)
                )
            }
            Kind::Reverse { lat, lon } => {
                format!("/reverse?{}", reverse_query(*lat, *lon, REVERSE_ZOOM, lang))
            }
            Kind::Search {
                text,
                countries,
                limit,
            } => {
                let countries: Vec<&str> = countries.iter().map(String::as_str).collect();
                format!(
                    "/search?{}",
                    nominatim::search_query(text, &countries, *limit, lang)
                )
            }
        }
    }

    /// Everything the answer depends on, one field a line (no field holds a line break).
    fn canonical(&self) -> String {
        let lang = &self.language;
        match &self.kind {
            Kind::Forward { address, country } => format!(
                "forward\n{}\n{}\n{lang}",
                address.to_lowercase(),
                country.as_deref().unwrap_or("")
            ),
            Kind::Reverse { lat, lon } => format!("reverse\n{lat:.5},{lon:.5}\n{lang}"),
            Kind::Search {
                text,
                countries,
                limit,
            } => format!(
                "search\n{}\n{}\n{limit}\n{lang}",
                text.to_lowercase(),
                countries.join(",")
            ),
        }
    }

    /// The Redis key of this request's cached answer.
    pub fn cache_key(&self) -> String {
        keys::answer(&hex::encode(Sha256::digest(self.canonical().as_bytes())))
    }

    /// The places of a 200 answer, best first; `Err` says what is malformed.
    pub fn read(&self, answer: &serde_json::Value) -> Result<Vec<Place>, String> {
        let malformed = |what: &str| format!("Nominatim answered a place without a valid {what}");
        let places = match &self.kind {
            Kind::Reverse { .. } => read_reverse(answer)
                .map_err(malformed)?
                .into_iter()
                .collect(),
            Kind::Forward { .. } => read_search(answer)
                .map_err(malformed)?
                .into_iter()
                .take(1)
                .collect(),
            Kind::Search { limit, .. } => {
                let mut places = read_search(answer).map_err(malformed)?;
                places.truncate(usize::from(*limit));
                places
            }
        };
        Ok(places.iter().map(place::from_nominatim).collect::<Vec<_>>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(text: &str, countries: &[&str], limit: u8, lang: &str) -> Result<Lookup, Error> {
        let countries: Vec<String> = countries.iter().map(|c| c.to_string()).collect();
        Lookup::search(text, &countries, limit, lang)
    }

    fn is_invalid(r: Result<Lookup, Error>) -> bool {
        matches!(r, Err(Error::Invalid(_)))
    }

    #[test]
    fn a_search_limit_outside_one_to_forty_is_invalid() {
        assert!(is_invalid(search("Hà Nội", &[], 0, "vi")));
        assert!(is_invalid(search("Hà Nội", &[], 41, "vi")));
        let forty = search("Hà Nội", &[], 40, "vi").unwrap();
        assert!(forty.path_and_query().contains("&limit=40&"));
    }

    #[test]
    fn empty_text_bad_countries_languages_and_coordinates_are_invalid() {
        assert!(is_invalid(Lookup::forward(" \n\t ", None, "vi")));
        assert!(is_invalid(Lookup::forward(&"x".repeat(501), None, "vi")));
        assert!(is_invalid(Lookup::forward("Hà Nội", Some("VNM"), "vi")));
        assert!(is_invalid(Lookup::forward("Hà Nội", Some("v1"), "vi")));
        assert!(is_invalid(search("Hà Nội", &["vn", ""], 5, "vi")));
        assert!(is_invalid(Lookup::forward("Hà Nội", None, "vi&x=1")));
        assert!(is_invalid(Lookup::reverse(90.5, 0.0, "vi")));
        assert!(is_invalid(Lookup::reverse(0.0, -180.5, "vi")));
        assert!(is_invalid(Lookup::reverse(f64::NAN, 0.0, "vi")));
        assert!(Lookup::reverse(-90.0, 180.0, "").is_ok());
        assert!(Lookup::forward("Hà Nội", None, "vi,en;q=0.8").is_ok());
    }

    #[test]
    fn a_forward_lookup_asks_for_one_place_in_the_country() {
        let q = Lookup::forward("  Chợ   Bến Thành ", Some("VN"), "VI")
            .unwrap()
            .path_and_query();
        assert_eq!(
            q,
            "/search?q=Ch%E1%BB%A3+B%E1%BA%BFn+Th%C3%A0nh&format=jsonv2&addressdetails=1\
             &limit=1&accept-language=vi&countrycodes=vn"
        );
        let anywhere = Lookup::forward("Berlin", None, "en")
            .unwrap()
            .path_and_query();
        assert!(!anywhere.contains("countrycodes"), "{anywhere}");
    }

    #[test]
    fn a_reverse_lookup_asks_for_the_building_at_the_rounded_point() {
        let q = Lookup::reverse(21.028_512_34, 105.854_2, "vi")
            .unwrap()
            .path_and_query();
        assert_eq!(
            q,
            "/reverse?lat=21.0285100&lon=105.8542000&format=jsonv2&addressdetails=1&zoom=18\
             &accept-language=vi"
        );
    }

    #[test]
    fn a_search_sends_its_countries_sorted_and_once() {
        let q = search("Hà Nội", &["VN", "th", "vn"], 5, "vi")
            .unwrap()
            .path_and_query();
        assert!(q.ends_with("&countrycodes=th%2Cvn"), "{q}");
    }

    #[test]
    fn cache_keys_ignore_case_spacing_and_country_order_but_nothing_else() {
        let key = |l: Result<Lookup, Error>| l.unwrap().cache_key();
        let a = key(search("Hà Nội", &["vn", "th"], 5, "vi"));
        assert_eq!(a, key(search("  hà   NỘI ", &["TH", "VN", "vn"], 5, "VI")));
        assert!(a.starts_with("souk:geocoding:nominatim:answer:v1:"));
        for other in [
            search("Hà Nội", &["vn"], 5, "vi"),
            search("Hà Nội", &["vn", "th"], 6, "vi"),
            search("Hà Nội", &["vn", "th"], 5, "en"),
            search("Hải Phòng", &["vn", "th"], 5, "vi"),
        ] {
            assert_ne!(a, key(other));
        }
        let forward = key(Lookup::forward("Hà Nội", None, "vi"));
        assert_ne!(
            forward,
            key(search("Hà Nội", &[], 1, "vi")),
            "operations differ"
        );
        assert_ne!(forward, key(Lookup::forward("Hà Nội", Some("vn"), "vi")));
        assert_eq!(
            key(Lookup::reverse(21.028_501, 105.85, "vi")),
            key(Lookup::reverse(21.028_504, 105.850_001, "vi"))
        );
        assert_eq!(
            key(Lookup::reverse(-0.000_001, 0.0, "vi")),
            key(Lookup::reverse(0.0, 0.0, "vi"))
        );
        assert_ne!(
            key(Lookup::reverse(21.0285, 105.85, "vi")),
            key(Lookup::reverse(21.0286, 105.85, "vi"))
        );
    }

    #[test]
    fn answers_are_read_as_at_most_the_places_asked_for() {
        let place = |name: &str| {
            serde_json::json!({
                "lat": "21.0285", "lon": "105.8542", "display_name": name,
                "address": { "city": "Hà Nội", "country_code": "vn" },
            })
        };
        let two = serde_json::json!([place("a"), place("b")]);
        let forward = Lookup::forward("x", None, "vi").unwrap();
        assert_eq!(forward.read(&two).unwrap().len(), 1);
        assert_eq!(
            search("x", &[], 1, "vi").unwrap().read(&two).unwrap().len(),
            1
        );
        assert_eq!(
            search("x", &[], 5, "vi").unwrap().read(&two).unwrap().len(),
            2
        );
        assert_eq!(forward.read(&serde_json::json!([])).unwrap(), vec![]);
        let reverse = Lookup::reverse(0.0, 0.0, "vi").unwrap();
        let unable = serde_json::json!({ "error": "Unable to geocode" });
        assert_eq!(reverse.read(&unable).unwrap(), vec![]);
        assert_eq!(reverse.read(&place("a")).unwrap()[0].display_name, "a");
        let err = forward
            .read(&serde_json::json!([{ "lat": "x" }]))
            .unwrap_err();
        assert!(err.contains("display_name"), "{err}");
        assert!(forward.read(&serde_json::json!({})).is_err());
    }
}

//! Nominatim, played locally over a small built-in gazetteer (Vietnamese cities, streets and
//! landmarks, and a few places abroad).
//!
//! The public server's policy is enforced, so a client that would be blocked there fails
//! here: a request without an application's `User-Agent` is 403; one without `format` is 400
//! (the public server would answer its web page); a request less than a second after the
//! previous one accepted is 429 — one per second for the whole application.
//! - `GET /search?q=…` (or structured `street`, `city`, `state`, `country`, never both) —
//!   places whose name holds every word of the query, accents and case aside; `countrycodes`
//!   and `limit` (at most 40) apply. An array, empty when nothing matches.
//! - `GET /reverse?lat=…&lon=…` — the nearest place within 50 km, or
//!   `{"error": "Unable to geocode"}`.
//! - `GET /sandbox/nominatim/stats` — requests answered and refused, for tests.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use hyper::{Method, StatusCode};
use protocols::form;
use protocols::nominatim::{MAX_LIMIT, identifies_application};
use serde_json::{Value, json};

use crate::{Call, Reply};

/// The least time between two requests the server accepts.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);

/// A place of the gazetteer: name, display name, latitude, longitude, country code, address
/// parts (road, city, state).
type Entry = (
    &'static str,
    &'static str,
    f64,
    f64,
    &'static str,
    [&'static str; 3],
);

const GAZETTEER: &[Entry] = &[
    (
        "Hà Nội",
        "Hà Nội, Việt Nam",
        21.0285,
        105.8542,
        "vn",
        ["", "Hà Nội", "Hà Nội"],
    ),
    (
        "Hồ Hoàn Kiếm",
        "Hồ Hoàn Kiếm, Phường Hàng Trống, Quận Hoàn Kiếm, Hà Nội, Việt Nam",
        21.0288,
        105.8525,
        "vn",
        ["Đinh Tiên Hoàng", "Hà Nội", "Hà Nội"],
    ),
    (
        "Kim Mã",
        "Phố Kim Mã, Quận Ba Đình, Hà Nội, Việt Nam",
        21.0319,
        105.8183,
        "vn",
        ["Phố Kim Mã", "Hà Nội", "Hà Nội"],
    ),
    (
        "Thành phố Hồ Chí Minh",
        "Thành phố Hồ Chí Minh, Việt Nam",
        10.7769,
        106.7009,
        "vn",
        ["", "Thành phố Hồ Chí Minh", "Thành phố Hồ Chí Minh"],
    ),
    (
        "Chợ Bến Thành",
        "Chợ Bến Thành, Lê Lợi, Phường Bến Thành, Quận 1, Thành phố Hồ Chí Minh, \
     Việt Nam",
        10.7725,
        106.6980,
        "vn",
        ["Lê Lợi", "Thành phố Hồ Chí Minh", "Thành phố Hồ Chí Minh"],
    ),
    (
        "Nguyễn Huệ",
        "Đường Nguyễn Huệ, Quận 1, Thành phố Hồ Chí Minh, Việt Nam",
        10.7740,
        106.7038,
        "vn",
        [
            "Đường Nguyễn Huệ",
            "Thành phố Hồ Chí Minh",
            "Thành phố Hồ Chí Minh",
        ],
    ),
    (
        "Đà Nẵng",
        "Đà Nẵng, Việt Nam",
        16.0544,
        108.2022,
        "vn",
        ["", "Đà Nẵng", "Đà Nẵng"],
    ),
    (
        "Hải Phòng",
        "Hải Phòng, Việt Nam",
        20.8449,
        106.6881,
        "vn",
        ["", "Hải Phòng", "Hải Phòng"],
    ),
    (
        "Cần Thơ",
        "Cần Thơ, Việt Nam",
        10.0452,
        105.7469,
        "vn",
        ["", "Cần Thơ", "Cần Thơ"],
    ),
    (
        "Huế",
        "Huế, Thừa Thiên Huế, Việt Nam",
        16.4637,
        107.5909,
        "vn",
        ["", "Huế", "Thừa Thiên Huế"],
    ),
    (
        "Nha Trang",
        "Nha Trang, Khánh Hòa, Việt Nam",
        12.2388,
        109.1967,
        "vn",
        ["", "Nha Trang", "Khánh Hòa"],
    ),
    (
        "Singapore",
        "Singapore",
        1.2903,
        103.8520,
        "sg",
        ["", "Singapore", ""],
    ),
    (
        "Bangkok",
        "Bangkok, Thailand",
        13.7563,
        100.5018,
        "th",
        ["", "Bangkok", "Bangkok"],
    ),
    (
        "Berlin",
        "Berlin, Deutschland",
        52.5170,
        13.3889,
        "de",
        ["", "Berlin", "Berlin"],
    ),
];

/// Requests answered and refused, and when the last one was accepted.
#[derive(Default)]
pub struct State {
    inner: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    answered: u64,
    too_fast: u64,
    no_agent: u64,
    last: Option<Instant>,
}

impl State {
    /// A fresh server.
    pub fn new() -> State {
        State::default()
    }
}

fn error(status: StatusCode, message: &str) -> Reply {
    crate::json(
        status,
        &json!({ "error": { "code": status.as_u16(), "message": message } }),
    )
}

/// Answers the Nominatim routes; `None` for any other.
pub async fn handle(state: &State, call: &Call) -> Option<Reply> {
    let path = call.path.as_str();
    if call.method != Method::GET {
        return None;
    }
    if path == "/sandbox/nominatim/stats" {
        let c = state.inner.lock().expect("counts lock");
        return Some(crate::json(
            StatusCode::OK,
            &json!({ "answered": c.answered, "too_fast": c.too_fast, "no_agent": c.no_agent }),
        ));
    }
    if path != "/search" && path != "/reverse" {
        return None;
    }
    let agent = call.headers.get("user-agent").and_then(|v| v.to_str().ok());
    {
        let mut c = state.inner.lock().expect("counts lock");
        if !identifies_application(agent) {
            c.no_agent += 1;
            return Some(error(
                StatusCode::FORBIDDEN,
                "identify your application in the User-Agent (usage policy)",
            ));
        }
        let now = Instant::now();
        if c.last
            .is_some_and(|last| now.duration_since(last) < MIN_INTERVAL)
        {
            c.too_fast += 1;
            return Some(error(
                StatusCode::TOO_MANY_REQUESTS,
                "at most one request per second (usage policy)",
            ));
        }
        c.last = Some(now);
        c.answered += 1;
    }
    let Some(q) = form::parse(&call.query) else {
        return Some(error(StatusCode::BAD_REQUEST, "malformed query"));
    };
    if !matches!(q.get("format").map(String::as_str), Some("json" | "jsonv2")) {
        return Some(error(
            StatusCode::BAD_REQUEST,
            "format: json or jsonv2 (this sandbox)",
        ));
    }
    Some(if path == "/search" {
        search(&q)
    } else {
        reverse(&q)
    })
}

fn place(id: usize, e: &Entry) -> Value {
    let (name, display, lat, lon, country, [road, city, state]) = *e;
    let mut address = json!({ "country_code": country });
    for (key, value) in [("road", road), ("city", city), ("state", state)] {
        if !value.is_empty() {
            address[key] = value.into();
        }
    }
    json!({
        "place_id": 100_000 + id,
        "licence": "Data © OpenStreetMap contributors, ODbL 1.0. https://osm.org/copyright",
        "lat": format!("{lat:.7}"), "lon": format!("{lon:.7}"),
        "name": name, "display_name": display, "category": "place", "type": "city",
        "address": address,
    })
}

/// `s` in lower case without accents, as words.
fn words(s: &str) -> Vec<String> {
    kit::validate::fold_to_ascii(s)
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn search(q: &std::collections::BTreeMap<String, String>) -> Reply {
    let structured: Vec<&str> = ["street", "city", "county", "state", "country", "postalcode"]
        .iter()
        .filter_map(|k| q.get(*k).map(String::as_str))
        .collect();
    let text = match (q.get("q"), structured.is_empty()) {
        (Some(_), false) => {
            return error(
                StatusCode::BAD_REQUEST,
                "q cannot be combined with structured fields",
            );
        }
        (Some(text), true) => text.clone(),
        (None, false) => structured.join(" "),
        (None, true) => return error(StatusCode::BAD_REQUEST, "q or a structured field"),
    };
    let wanted = words(&text);
    let countries: Vec<String> = q
        .get("countrycodes")
        .map(|c| {
            c.split(',')
                .map(|c| c.trim().to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default();
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(10)
        .clamp(1, usize::from(MAX_LIMIT));
    let found: Vec<Value> = GAZETTEER
        .iter()
        .enumerate()
        .filter(|(_, e)| countries.is_empty() || countries.iter().any(|c| c == e.4))
        .filter(|(_, e)| {
            let have = words(e.1);
            !wanted.is_empty() && wanted.iter().all(|w| have.contains(w))
        })
        .take(limit)
        .map(|(id, e)| place(id, e))
        .collect();
    crate::json(StatusCode::OK, &Value::Array(found))
}

/// Great-circle distance in kilometres.
fn km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lon1, lat2, lon2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

fn reverse(q: &std::collections::BTreeMap<String, String>) -> Reply {
    let coordinate = |name: &str, range: f64| {
        q.get(name)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|x| x.abs() <= range)
    };
    let (Some(lat), Some(lon)) = (coordinate("lat", 90.0), coordinate("lon", 180.0)) else {
        return error(StatusCode::BAD_REQUEST, "lat and lon: WGS84 degrees");
    };
    let nearest = GAZETTEER
        .iter()
        .enumerate()
        .map(|(id, e)| (km((lat, lon), (e.2, e.3)), id, e))
        .filter(|(d, _, _)| *d <= 50.0)
        .min_by(|a, b| a.0.total_cmp(&b.0));
    match nearest {
        Some((_, id, e)) => crate::json(StatusCode::OK, &place(id, e)),
        None => crate::json(StatusCode::OK, &json!({ "error": "Unable to geocode" })),
    }
}

//! `/api/v1/common/geocode/forward|reverse|search`: addresses and places through the
//! geocoder, for signed-in accounts (the geocoder's one request a second is the whole
//! application's, so anonymous callers do not get to spend it). The geocoder provider keeps
//! Nominatim's policy — an identifying User-Agent, one request a second across every
//! instance — and caches answers (`geocoding_cache_hours`, 30 days by default).

use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde_json::{Value, json};

use crate::providers::geocoder::{self, Error, Place};

/// Longest address or search text.
const MAX_TEXT_CHARS: usize = 500;

/// Most places one search answers (Nominatim's own limit).
const MAX_LIMIT: u8 = 40;

fn place(p: &Place) -> Value {
    json!({
        "display_name": p.display_name, "street": p.street, "ward": p.ward,
        "district": p.district, "city": p.city, "province": p.province,
        "postcode": p.postcode, "country_code": p.country_code.to_uppercase(),
        "latitude": p.latitude, "longitude": p.longitude,
    })
}

fn error(e: Error) -> ApiError {
    match e {
        Error::Invalid(m) => ApiError::validation(m),
        Error::RateLimited(ms) => ApiError::too_many_requests(u64::from(ms).div_ceil(1000).max(1))
            .with_code("geocoder_busy"),
        Error::Unavailable(m) => {
            ApiError::unavailable("geocoder_unavailable", format!("the geocoder failed: {m}"))
        }
        Error::Misconfigured(m) => ApiError::unavailable(
            "geocoder_not_configured",
            format!("the geocoder is not configured: {m}"),
        ),
    }
}

/// `lang`: `vi` (default) or `en`.
fn language(ctx: &Ctx) -> ApiResult<String> {
    let lang = ctx.query("lang").unwrap_or_else(|| "vi".into());
    match lang.as_str() {
        "vi" | "en" => Ok(lang),
        _ => Err(ApiError::validation("lang: vi or en")),
    }
}

fn text(ctx: &Ctx, name: &str) -> ApiResult<String> {
    let value = ctx
        .query(name)
        .ok_or_else(|| ApiError::validation(format!("{name} is required")))?;
    kit::validate::line(name, &value, 1, MAX_TEXT_CHARS)
}

fn country(s: &str) -> ApiResult<String> {
    Ok(kit::validate::CountryCode::parse("country", s)?
        .as_str()
        .to_ascii_lowercase())
}

fn coordinate(ctx: &Ctx, name: &str, bound: f64) -> ApiResult<f64> {
    ctx.query(name)
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| v.is_finite() && v.abs() <= bound)
        .ok_or_else(|| ApiError::validation(format!("{name}: a number from -{bound} to {bound}")))
}

/// `GET /api/v1/common/geocode/forward?address=…&country=VN` — the best match of an address,
/// or `{"place": null}`.
pub async fn forward(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    ctx.user()?;
    let address = text(&ctx, "address")?;
    let country = ctx.query("country").map(|c| country(&c)).transpose()?;
    let lang = language(&ctx)?;
    let found = geocoder::forward(&address, country.as_deref(), &lang).map_err(error)?;
    json::ok(&json!({ "place": found.as_ref().map(place) }))
}

/// `POST /internal/geocode/forward` — [`contracts::common::GeocodeRequest`] → the best match
/// anywhere, for other modules (account checks a contact's country with it).
pub async fn internal_forward(_ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: contracts::common::GeocodeRequest = json::read(&req)?;
    let address = kit::validate::line("address", &body.address, 1, MAX_TEXT_CHARS)?;
    let found = geocoder::forward(&address, None, "vi").map_err(error)?;
    json::ok(&contracts::common::GeocodeAnswer {
        place: found.map(|p| contracts::common::Place {
            display_name: p.display_name,
            country_code: p.country_code.to_uppercase(),
            latitude: p.latitude,
            longitude: p.longitude,
        }),
    })
}

/// `GET /api/v1/common/geocode/reverse?lat=…&lon=…` — the address at a point, or
/// `{"place": null}`.
pub async fn reverse(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    ctx.user()?;
    let lat = coordinate(&ctx, "lat", 90.0)?;
    let lon = coordinate(&ctx, "lon", 180.0)?;
    let lang = language(&ctx)?;
    let found = geocoder::reverse(lat, lon, &lang).map_err(error)?;
    json::ok(&json!({ "place": found.as_ref().map(place) }))
}

/// `GET /api/v1/common/geocode/search?q=…&countries=VN,SG&limit=5` — places matching free
/// text, best first.
pub async fn search(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    ctx.user()?;
    let q = text(&ctx, "q")?;
    let countries = ctx
        .query("countries")
        .map(|list| {
            list.split(',')
                .filter(|c| !c.trim().is_empty())
                .map(|c| country(c.trim()))
                .collect::<ApiResult<Vec<_>>>()
        })
        .transpose()?
        .unwrap_or_default();
    let limit = match ctx.query("limit") {
        None => 5,
        Some(l) => l
            .parse::<u8>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| ApiError::validation(format!("limit: 1 to {MAX_LIMIT}")))?,
    };
    let lang = language(&ctx)?;
    let found = geocoder::search(&q, &countries, limit, &lang).map_err(error)?;
    json::ok(&json!({ "items": found.iter().map(place).collect::<Vec<_>>() }))
}

//! A geocoder over Nominatim (OpenStreetMap's geocoder) that keeps the public server's usage
//! policy for the whole application, not per instance: an identifying `User-Agent`, at most
//! one request a second across every instance and replica (a slot in Redis), answers cached.
//!
//! Variables (inherited from the consumer): `nominatim_url` (the server, e.g.
//! `https://nominatim.openstreetmap.org`), `nominatim_user_agent` (names Souk and a contact,
//! e.g. `Souk/0.1 (ops@example.com)`; empty or an HTTP library's default is `misconfigured`),
//! `redis_url` (the app's Redis, for the slot and the cache) and `geocoding_cache_hours` (how
//! long answers, empty ones included, are kept, e.g. 720). The consumer's
//! `allowed_outbound_hosts` must list the Nominatim URL and the Redis address.
//!
//! - [`config`]: the variables, read into one checked struct.
//! - [`lookup`]: a forward, reverse or search request parsed from the call's arguments — its
//!   query, its cache key and how its answer is read.
//! - [`place`]: Nominatim's address parts as the WIT's `place`.
//! - [`keys`]: the Redis keys and their lifetimes.
//! - [`limiter`]: whether to wait for the slot or give up, from how long it stays taken.
//! - [`geocode`]: the steps of one lookup (cache, slot, call, answer) over [`geocode::Io`].
//! - [`platform`]: [`geocode::Io`] on Spin — Redis through `spin_sdk::redis`, HTTP through
//!   `outbound`.

#![expect(
    unsafe_code,
    reason = "wit-bindgen's export! generates the unsafe export glue of the component"
)]

spin_sdk::wit_bindgen::generate!({
    world: "geocoder-provider",
    path: "../../../wit/geocoding",
    runtime_path: "::spin_sdk::wit_bindgen::rt",
    // Places are cached in Redis as JSON.
    additional_derives: [serde::Serialize, serde::Deserialize, PartialEq],
});

pub mod config;
pub mod geocode;
pub mod keys;
pub mod limiter;
pub mod lookup;
pub mod place;
pub mod platform;

pub use exports::souk::geocoding::geocoder::{Error, Place};

use config::Config;
use exports::souk::geocoding::geocoder::Guest;
use lookup::Lookup;

struct Provider;

/// Reads the configuration, then runs `lookup` on Spin.
fn run(lookup: Result<Lookup, Error>) -> Result<Vec<Place>, Error> {
    let lookup = lookup?;
    let config = Config::from_spin()?;
    let mut io = platform::Spin::open(&config)?;
    geocode::run(&config, &lookup, &mut io)
}

impl Guest for Provider {
    fn forward(
        address: String,
        country: Option<String>,
        language: String,
    ) -> Result<Option<Place>, Error> {
        let places = run(Lookup::forward(&address, country.as_deref(), &language))?;
        Ok(places.into_iter().next())
    }

    fn reverse(latitude: f64, longitude: f64, language: String) -> Result<Option<Place>, Error> {
        let places = run(Lookup::reverse(latitude, longitude, &language))?;
        Ok(places.into_iter().next())
    }

    fn search(
        text: String,
        countries: Vec<String>,
        limit: u8,
        language: String,
    ) -> Result<Vec<Place>, Error> {
        run(Lookup::search(&text, &countries, limit, &language))
    }
}

export!(Provider);

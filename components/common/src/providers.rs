//! The providers in common's dependencies (spin.toml names them): the geocoder
//! (`souk:geocoding/geocoder`, Nominatim by default) and the exchange-rate source
//! (`souk:rates/exchange`, ExchangeRate-API's open rates by default).

use chrono::Utc;
use kit::{ApiError, ApiResult, Ctx};

use crate::model::rates::Snapshot;

mod geocoding {
    spin_sdk::wit_bindgen::generate!({
        world: "geocoder-consumer",
        path: "../../wit/geocoding",
        runtime_path: "::spin_sdk::wit_bindgen::rt",
    });
}

mod rates {
    spin_sdk::wit_bindgen::generate!({
        world: "exchange-consumer",
        path: "../../wit/rates",
        runtime_path: "::spin_sdk::wit_bindgen::rt",
    });
}

pub use geocoding::souk::geocoding::geocoder;
pub use rates::souk::rates::exchange;

/// The base the provider is asked for (`rates_base`, USD by default).
fn base(ctx: &Ctx) -> String {
    ctx.settings()
        .optional("rates_base")
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| "USD".into())
}

/// The provider's latest rates, as a snapshot not yet stored.
pub fn latest_rates(ctx: &Ctx) -> ApiResult<Snapshot> {
    let latest = exchange::latest(&base(ctx)).map_err(|e| match e {
        exchange::Error::UnsupportedCurrency(m) | exchange::Error::Misconfigured(m) => {
            ApiError::unavailable(
                "rates_not_configured",
                format!("the rates source refused: {m}"),
            )
        }
        exchange::Error::Unavailable(m) => ApiError::unavailable(
            "rates_unavailable",
            format!("no fresh exchange rates: the rates source failed ({m})"),
        ),
    })?;
    Ok(Snapshot {
        id: kit::ids::new_id(),
        base: latest.base,
        source: latest.source,
        published_at: kit::time::from_epoch_millis(latest.published_at_ms).unwrap_or_else(Utc::now),
        next_at: latest.next_at_ms.and_then(kit::time::from_epoch_millis),
        fetched_at: kit::time::from_epoch_millis(latest.fetched_at_ms).unwrap_or_else(Utc::now),
        rates: latest
            .quotes
            .into_iter()
            .map(|q| (q.currency, q.rate))
            .collect(),
    })
}

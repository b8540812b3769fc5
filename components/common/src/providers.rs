//! The providers in common's dependencies (spin.toml names them): the geocoder
//! (`souk:geocoding/geocoder`, Nominatim by default) and the exchange-rate source
//! (`souk:rates/exchange`, ExchangeRate-API's open rates by default).

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

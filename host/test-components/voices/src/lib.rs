//! A provider component for souk-host's slot tests: exports `souk:test/shouter` and
//! `souk:test/whisperer`, two interfaces of one shape that answer differently, so a test can
//! tell which export filled which slot.

#![expect(
    unsafe_code,
    reason = "wit-bindgen's export! generates the unsafe export glue of the component"
)]

spin_sdk::wit_bindgen::generate!({
    world: "voices",
    path: "../wit",
    runtime_path: "::spin_sdk::wit_bindgen::rt",
    generate_all,
});

use exports::souk::test::{shouter, whisperer};
use souk::test::tones::Tone;

struct Voices;

impl shouter::Guest for Voices {
    fn call(name: String, tone: Tone) -> String {
        match tone {
            Tone::Plain => format!("HEY {}", name.to_uppercase()),
            Tone::Loud => format!("HEY {}!!", name.to_uppercase()),
        }
    }
}

impl whisperer::Guest for Voices {
    fn call(name: String, tone: Tone) -> String {
        match tone {
            Tone::Plain => format!("psst {name}"),
            Tone::Loud => format!("PSST {name}"),
        }
    }
}

export!(Voices);

//! A consumer component for souk-host's slot tests: `/<name>` answers with what slot `a`
//! and slot `b` say for the name, one line each.

#![expect(
    unsafe_code,
    reason = "#[http_component] generates the unsafe export glue of the component"
)]

mod bindings {
    spin_sdk::wit_bindgen::generate!({
        world: "slots",
        path: "../wit",
        runtime_path: "::spin_sdk::wit_bindgen::rt",
    });
}

use bindings::souk::test::tones::Tone;
use bindings::{slot_a, slot_b};
use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(req: Request) -> Response {
    let name = req.path().trim_start_matches('/');
    let body = format!(
        "{}\n{}",
        slot_a::call(name, Tone::Plain),
        slot_b::call(name, Tone::Loud)
    );
    Response::new(200, body)
}

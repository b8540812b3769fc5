//! A consumer component for souk-host's dependency tests: answers every request with the
//! greeting its `souk:test/greeter` dependency makes for the path.

#![expect(
    unsafe_code,
    reason = "#[http_component] generates the unsafe export glue of the component"
)]

mod bindings {
    spin_sdk::wit_bindgen::generate!({
        world: "consumer",
        path: "../wit",
        runtime_path: "::spin_sdk::wit_bindgen::rt",
    });
}

use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(req: Request) -> Response {
    let name = req.path().trim_start_matches('/').to_string();
    Response::new(200, bindings::souk::test::greeter::greet(&name))
}

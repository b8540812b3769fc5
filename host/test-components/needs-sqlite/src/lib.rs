//! A test component for souk-host: it imports Spin's SQLite interface, which the host does not
//! provide, so start-up must refuse it and name it.

#![expect(
    unsafe_code,
    reason = "#[http_component] generates the unsafe export glue of the component"
)]

use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(_req: Request) -> Response {
    let opened = spin_sdk::sqlite::Connection::open_default().is_ok();
    Response::new(200, format!("{opened}"))
}

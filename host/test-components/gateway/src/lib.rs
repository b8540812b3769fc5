//! Test-only component, added to the end-to-end stack's manifest and never to Souk's:
//! `/__internal/<module>/<path>` is forwarded, method, headers and body unchanged, to
//! `http://<module>.spin.internal/<path>` — the way modules call each other — and the answer
//! comes back unchanged.

#![expect(
    unsafe_code,
    reason = "#[http_component] generates the unsafe export glue of the component"
)]

use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;

#[http_component]
async fn handle(req: Request) -> Response {
    let path = req.path_and_query().unwrap_or(req.path()).to_string();
    let Some(rest) = path.strip_prefix("/__internal/") else {
        return Response::new(404, "not a gateway path");
    };
    let (module, target) = rest.split_once('/').unwrap_or((rest, ""));
    let mut builder = Request::builder();
    builder
        .method(req.method().clone())
        .uri(format!("http://{module}.spin.internal/{target}"));
    for (name, value) in req.headers() {
        if !name.starts_with("spin-") && name != "host" {
            builder.header(name, value.as_str().unwrap_or_default());
        }
    }
    builder.body(req.body().to_vec());
    match spin_sdk::http::send::<_, Response>(builder.build()).await {
        Ok(response) => response,
        Err(e) => Response::new(502, format!("gateway: {e}")),
    }
}

//! Souk's `analytic` module: interactions, popularity and seller dashboards.
//!
//! Public routes live under `/api/v1/analytic/`; other modules call its `/internal/...` routes
//! through service chaining. It owns the `analytic` schema and no other.

#![expect(
    unsafe_code,
    reason = "#[http_component] generates the unsafe export glue of the component"
)]

use kit::{Request, Response, Router};
use spin_sdk::http_component;

/// The module's routes.
pub fn router() -> Router {
    Router::new("analytic")
}

#[http_component]
async fn handle(req: Request) -> Response {
    router().handle(req).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_public_route_is_in_the_openapi_document_and_back() {
        let problems =
            kit::openapi::mismatches(&super::router(), include_str!("../../../docs/openapi.json"));
        assert!(problems.is_empty(), "{problems:#?}");
    }
}

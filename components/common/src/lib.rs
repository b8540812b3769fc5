//! Souk's `common` module: uploaded resources, geocoding, exchange rates and the OpenAPI document.
//!
//! Public routes live under `/api/v1/common/`; other modules call its `/internal/...` routes
//! through service chaining. It owns the `common` schema and no other.

#![expect(
    unsafe_code,
    reason = "#[http_component] generates the unsafe export glue of the component"
)]

use kit::{ApiResult, Ctx, Request, Response, Router};
use spin_sdk::http_component;

/// The API's OpenAPI 3.1 document, kept in step with every module's routes by their tests.
const OPENAPI: &str = include_str!("../../../docs/openapi.json");

/// The module's routes.
pub fn router() -> Router {
    Router::new("common").get("/api/v1/openapi.json", openapi)
}

/// `GET /api/v1/openapi.json`.
async fn openapi(_ctx: Ctx, _req: Request) -> ApiResult<Response> {
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .header("cache-control", "public, max-age=300")
        .body(OPENAPI)
        .build())
}

#[http_component]
async fn handle(req: Request) -> Response {
    router().handle(req).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_public_route_is_in_the_openapi_document_and_back() {
        let problems = kit::openapi::mismatches(&super::router(), super::OPENAPI);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}

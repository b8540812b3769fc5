//! Souk's `common` module: uploaded resources, geocoding, exchange rates and the OpenAPI document.
//!
//! Public routes live under `/api/v1/common/`; other modules call its `/internal/...` routes
//! through service chaining. It owns the `common` schema and no other.

use kit::{ApiResult, Ctx, Request, Response, Router};

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

kit::component!(router);

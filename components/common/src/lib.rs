//! Souk's `common` module: uploaded resources, geocoding, exchange rates and the OpenAPI document.
//!
//! Public routes live under `/api/v1/common/`; other modules call its `/internal/...` routes
//! through service chaining. It owns the `common` schema and no other.
//!
//! - [`geocode`]: addresses and places through the geocoder.
//! - [`options`]: the payment and shipping options checkouts offer, secrets sealed.
//! - [`currencies`]: exchange-rate snapshots and conversions in integer minor units.
//! - [`secrets`]: AES-256-GCM sealing of options' credentials.
//! - [`timers`]: the durable timer that fetches exchange rates every slot.
//! - [`providers`]: the geocoder and the rates source in common's dependencies.
//! - [`model`]: the tables and every SQL statement.

mod currencies;
mod geocode;
mod model;
mod options;
mod providers;
mod secrets;
mod timers;

use kit::{ApiResult, Ctx, Request, Response, Router};

/// The API's OpenAPI 3.1 document, kept in step with every module's routes by their tests.
const OPENAPI: &str = include_str!("../../../docs/openapi.json");

/// The module's routes.
pub fn router() -> Router {
    Router::new("common")
        .with_workflows(timers::ENGINE)
        .get("/api/v1/openapi.json", openapi)
        .get("/api/v1/common/geocode/forward", geocode::forward)
        .get("/api/v1/common/geocode/reverse", geocode::reverse)
        .get("/api/v1/common/geocode/search", geocode::search)
        .get("/api/v1/common/currencies/rates", currencies::list)
        .get("/api/v1/common/options", options::list)
        .post("/api/v1/common/options", options::create)
        .get("/api/v1/common/options/:id", options::get)
        .patch("/api/v1/common/options/:id", options::update)
        .delete("/api/v1/common/options/:id", options::delete)
        .get("/internal/options/:id/secrets", options::secrets)
        .post("/internal/rates/convert", currencies::convert_route)
        .unkeyed()
        .post("/internal/geocode/forward", geocode::internal_forward)
        .unkeyed()
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

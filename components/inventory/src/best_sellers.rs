//! `/internal/best-sellers`: the SKUs with the most units sold, for recommendations.

use contracts::inventory::{Availability, AvailabilityAnswer};
use kit::{ApiResult, Ctx, Request, Response, json};
use uuid::Uuid;

use crate::model::stock;

/// `GET /internal/best-sellers?limit=` — most sold first; SKUs never sold are left out.
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    // The list has no cursor: `limit` is read as a page's, with its default and bounds.
    let limit = kit::page::parse::<Uuid>(ctx.query("limit").as_deref(), None)?.limit;
    let levels = stock::best_sellers(ctx.db()?, limit)?;
    json::ok(&AvailabilityAnswer {
        items: levels.into_iter().map(Availability::from).collect(),
    })
}

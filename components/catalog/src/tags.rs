//! Tags: every tag products use, by slug, for filters and suggestions.

use kit::page::{self, PageRequest};
use kit::{ApiResult, Ctx, Request, Response, json};

use crate::model::tag;
use crate::rules;

/// `GET /api/v1/catalog/tags?q=&limit=&cursor=` — tags by slug; `q` keeps those containing it
/// (as a tag's slug: `USB C` finds `usb-c`, `Bàn` finds `bàn-gỗ` but not `ban-go`).
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let page: PageRequest<String> = page::request(&ctx)?;
    let contains = ctx
        .query("q")
        .map(|q| rules::product::tag_slug(&q))
        .filter(|q| !q.is_empty());
    let found = tag::page(
        ctx.db()?,
        page.after.as_deref(),
        contains.as_deref(),
        page.fetch(),
    )?;
    json::ok(&page.page(found, |t| t.slug.clone()))
}

//! `GET /api/v1/inventory/stock/:sku_id/history`: every change of a SKU's counts, newest
//! first, for its owner.

use chrono::{DateTime, Utc};
use kit::db::{FromRow, Row, optional_uuid, uuid};
use kit::page::{self, PageRequest};
use kit::{ApiResult, Ctx, Request, Response, json};
use serde::Serialize;
use uuid::Uuid;

use crate::stock;

/// One change.
#[derive(Serialize)]
struct Entry {
    id: Uuid,
    kind: String,
    available_delta: i64,
    reserved_delta: i64,
    sold_delta: i64,
    reason: Option<String>,
    reference: Option<String>,
    actor: String,
    created_at: DateTime<Utc>,
}

impl FromRow for Entry {
    fn from_row(row: &Row<'_>) -> ApiResult<Entry> {
        Ok(Entry {
            id: row.get("id")?,
            kind: row.get("kind")?,
            available_delta: row.get("available_delta")?,
            reserved_delta: row.get("reserved_delta")?,
            sold_delta: row.get("sold_delta")?,
            reason: row.get("reason")?,
            reference: row.get("reference")?,
            actor: row.get("actor")?,
            created_at: row.time("created_at")?,
        })
    }
}

/// Lists the history; ids are UUIDv7, so ordering by id is ordering by time.
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let sku = ctx.param_id("sku_id", "stock")?;
    let page: PageRequest<Uuid> = page::request(&ctx)?;
    let db = ctx.db()?;
    stock::load_owned(db, sku, user.sub)?;
    let entries: Vec<Entry> = db.fetch_all(
        "SELECT id, kind, available_delta, reserved_delta, sold_delta, reason, reference, actor, \
         created_at AT TIME ZONE 'UTC' AS created_at FROM inventory.history \
         WHERE sku_id = $1 AND ($2::uuid IS NULL OR id < $2::uuid) ORDER BY id DESC LIMIT $3",
        &[uuid(sku), optional_uuid(page.after), page.fetch().into()],
    )?;
    json::ok(&page.page(entries, |e| e.id))
}

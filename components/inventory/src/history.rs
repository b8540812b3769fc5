//! `/api/v1/inventory/stock/:sku_id/history`: every change of a SKU's counts, newest first,
//! for its owner.

use chrono::{DateTime, Utc};
use kit::page::{self, PageRequest};
use kit::{ApiResult, Ctx, Request, Response, json};
use serde::Serialize;
use uuid::Uuid;

use crate::model::history::{self, Entry};
use crate::model::{Lock, stock};
use crate::rules;

/// One change, as the history lists it.
#[derive(Serialize)]
struct EntryAnswer {
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

impl From<Entry> for EntryAnswer {
    fn from(e: Entry) -> EntryAnswer {
        EntryAnswer {
            id: e.id,
            kind: e.kind,
            available_delta: e.available_delta,
            reserved_delta: e.reserved_delta,
            sold_delta: e.sold_delta,
            reason: e.reason,
            reference: e.reference,
            actor: e.actor,
            created_at: e.created_at,
        }
    }
}

/// `GET /api/v1/inventory/stock/:sku_id/history?limit=&cursor=` — ids are UUIDv7, so the
/// cursor is the last id. The stock is locked like every owner check, so a listing waits for
/// a change in flight and shows it.
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let sku = ctx.param_id("sku_id", "stock")?;
    let page: PageRequest<Uuid> = page::request(&ctx)?;
    let db = ctx.db()?;
    let stock = stock::load(db, sku, Lock::ForUpdate)?;
    rules::ensure_owner(stock.seller_id, user.sub)?;
    let entries = history::page(db, sku, &page)?;
    let answers = entries.into_iter().map(EntryAnswer::from).collect();
    json::ok(&page.page(answers, |e: &EntryAnswer| e.id))
}

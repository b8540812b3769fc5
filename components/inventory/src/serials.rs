//! A SKU's serial numbers: list them (filtered by status) and change their status along the
//! allowed transitions, keeping the SKU's available count equal to its active serials.

use kit::db::{Db, FromRow, Row, optional_text, text, uuid};
use kit::idempotency::{self, KeyPolicy};
use kit::page::{self, PageRequest};
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::rules::{self, SerialStatus};
use crate::stock::{self, Change};

/// One serial number.
#[derive(Serialize)]
struct Serial {
    serial: String,
    status: String,
    reservation_id: Option<Uuid>,
}

impl FromRow for Serial {
    fn from_row(row: &Row<'_>) -> ApiResult<Serial> {
        Ok(Serial {
            serial: row.get("serial")?,
            status: row.get("status")?,
            reservation_id: row.get("reservation_id")?,
        })
    }
}

/// `GET /api/v1/inventory/stock/:sku_id/serials?status=&limit=&cursor=` — for the owner,
/// ordered by serial number.
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let sku = ctx.param_id("sku_id", "stock")?;
    let status = ctx
        .query("status")
        .map(|s| SerialStatus::parse(&s))
        .transpose()?;
    let page: PageRequest<String> = page::request(&ctx)?;
    let db = ctx.db()?;
    stock::load_owned(db, sku, user.sub)?;
    let serials: Vec<Serial> = db.fetch_all(
        "SELECT serial, status, reservation_id FROM inventory.serial \
         WHERE sku_id = $1 AND ($2::text IS NULL OR status = $2::text) AND ($3::text IS NULL OR serial > $3::text) \
         ORDER BY serial LIMIT $4",
        &[uuid(sku), optional_text(status.map(SerialStatus::as_str)), optional_text(page.after.as_deref()), page.fetch().into()],
    )?;
    json::ok(&page.page(serials, |s| s.serial.clone()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    status: String,
}

/// `PATCH /api/v1/inventory/stock/:sku_id/serials/:serial` — the owner activates, withholds
/// or writes off one serial.
pub async fn update(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let sku = ctx.param_id("sku_id", "stock")?;
    let serial = ctx.param("serial").to_string();
    let body: UpdateBody = json::read(&req)?;
    let to = SerialStatus::parse(&body.status)?;
    let actor = user.sub.to_string();
    idempotency::run(&ctx, &req, "inventory", &actor, KeyPolicy::Optional, async |db: &Db| {
        stock::load_owned(db, sku, user.sub)?;
        let set = db.query(
            "SELECT status FROM inventory.serial WHERE sku_id = $1 AND serial = $2 FOR UPDATE",
            &[uuid(sku), text(&serial)],
        )?;
        let current: Option<String> = kit::db::rows(&set).next().map(|r| r.get("status")).transpose()?;
        let from = SerialStatus::parse(&current.ok_or_else(|| {
            ApiError::not_found("serial_not_found", format!("SKU {sku} has no serial {serial}"))
        })?)?;
        let delta = rules::serial_transition(from, to)?;
        db.execute(
            "UPDATE inventory.serial SET status = $3, updated_at = now() WHERE sku_id = $1 AND serial = $2",
            &[uuid(sku), text(&serial), text(to.as_str())],
        )?;
        if delta != 0 {
            stock::apply(db, sku, delta, 0, 0)?;
        }
        if from != to {
            let reason = format!("serial {serial}: {} -> {}", from.as_str(), to.as_str());
            stock::record(db, &Change { sku, kind: "serial", available: delta, reserved: 0, sold: 0, reason: Some(&reason), reference: None, actor: &actor })?;
        }
        json::ok(&Serial { serial: serial.clone(), status: to.as_str().to_string(), reservation_id: None })
    })
    .await
    .inspect(|_| kit::outbox::wake(&ctx, "inventory"))
}

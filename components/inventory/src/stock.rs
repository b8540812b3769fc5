//! `/api/v1/inventory/stock/:sku_id` and `/internal/stock`: a SKU's counts. Anyone may read
//! them; catalog creates them with the SKU; the owning seller restocks (`/import`), corrects
//! the count (`/adjust`) and turns serial tracking on or off.

use contracts::inventory::{CreateStockRequest, StockAnswer};
use kit::db::Db;
use kit::{ApiResult, Ctx, Request, Response, json};
use serde::Deserialize;
use uuid::Uuid;

use crate::model::history::{self, Actor, Change, ChangeKind};
use crate::model::stock::{self, Inserted};
use crate::model::{Lock, SCHEMA, serial};
use crate::rules::{self, Adjustment, Deltas, MAX_REASON_CHARS};

/// Largest import body: room for the most serial numbers an import may carry, at full length.
const IMPORT_BODY_LIMIT: usize = 1024 * 1024;

fn sku_param(ctx: &Ctx) -> ApiResult<Uuid> {
    ctx.param_id("sku_id", "stock")
}

/// `GET /api/v1/inventory/stock/:sku_id` — public.
pub async fn get(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let sku = sku_param(&ctx)?;
    let stock = stock::load(ctx.db()?, sku, Lock::None)?;
    json::ok(&StockAnswer::from(stock))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateRequest {
    /// Required rather than a `kit::patch::Field`: tracking is the one thing this PATCH
    /// changes, so a body without it is refused, as the OpenAPI document says.
    serial_required: bool,
}

/// `PATCH /api/v1/inventory/stock/:sku_id` — the owner turns serial tracking on or off.
pub async fn update(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let sku = sku_param(&ctx)?;
    let body: UpdateRequest = json::read(&req)?;
    ctx.db()?
        .transaction(async |db: &Db| {
            let stock = stock::load(db, sku, Lock::ForUpdate)?;
            rules::ensure_owner(stock.seller_id, user.sub)?;
            if body.serial_required && !stock.serial_required {
                let serials = serial::counts(db, sku)?;
                rules::ensure_reservations_tracked(stock.reserved, serials.reserved)?;
                rules::ensure_serials_cover(stock.available, serials.active)?;
            }
            let stock = stock::set_serial_required(db, sku, body.serial_required)?;
            json::ok(&StockAnswer::from(stock))
        })
        .await
        .inspect(|_| kit::outbox::wake(&ctx, SCHEMA))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportRequest {
    quantity: i64,
    #[serde(default)]
    serials: Option<Vec<String>>,
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /api/v1/inventory/stock/:sku_id/import` — the owner restocks; a SKU that tracks
/// serials brings one new serial number per unit. All or nothing.
pub async fn import(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let sku = sku_param(&ctx)?;
    let body: ImportRequest = json::read_limited(&req, IMPORT_BODY_LIMIT)?;
    let quantity = i64::from(kit::validate::quantity("quantity", body.quantity)?);
    let reason = body
        .reason
        .as_deref()
        .map(|r| kit::validate::line("reason", r, 1, MAX_REASON_CHARS))
        .transpose()?;
    ctx.db()?
        .transaction(async |db: &Db| {
            let stock = stock::load(db, sku, Lock::ForUpdate)?;
            rules::ensure_owner(stock.seller_id, user.sub)?;
            let serials =
                rules::import_serials(stock.serial_required, quantity, body.serials.as_deref())?;
            serial::insert_all(db, sku, &serials)?;
            let deltas = Deltas::available(quantity);
            let stock = stock::apply(db, sku, deltas)?;
            history::record(
                db,
                &Change {
                    sku,
                    kind: ChangeKind::Import,
                    deltas,
                    reason: reason.as_deref(),
                    reference: None,
                    actor: Actor::Seller(user.sub),
                },
            )?;
            json::ok(&StockAnswer::from(stock))
        })
        .await
        .inspect(|_| kit::outbox::wake(&ctx, SCHEMA))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdjustRequest {
    delta: i64,
    reason: String,
    #[serde(default)]
    serials: Option<Vec<String>>,
}

/// `POST /api/v1/inventory/stock/:sku_id/adjust` — the owner corrects the count with a reason:
/// a negative `delta` writes units off (naming the damaged serials of a SKU that tracks them),
/// a positive one adds found units to a SKU that does not (tracked SKUs restock by import).
pub async fn adjust(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let sku = sku_param(&ctx)?;
    let body: AdjustRequest = json::read(&req)?;
    let delta = rules::adjustment_delta(body.delta)?;
    let reason = kit::validate::line("reason", &body.reason, 1, MAX_REASON_CHARS)?;
    ctx.db()?
        .transaction(async |db: &Db| {
            let stock = stock::load(db, sku, Lock::ForUpdate)?;
            rules::ensure_owner(stock.seller_id, user.sub)?;
            let serials = body.serials.as_deref();
            if let Adjustment::WriteOff(serials) =
                rules::adjustment(stock.serial_required, delta, serials)?
            {
                serial::write_off(db, sku, &serials)?;
            }
            // After a write-off this always holds (a tracked SKU's available count equals its
            // active serials); it is the check that matters for SKUs without serials.
            rules::ensure_write_off_fits(stock.available, delta)?;
            let deltas = Deltas::available(delta);
            let stock = stock::apply(db, sku, deltas)?;
            history::record(
                db,
                &Change {
                    sku,
                    kind: ChangeKind::Adjust,
                    deltas,
                    reason: Some(&reason),
                    reference: None,
                    actor: Actor::Seller(user.sub),
                },
            )?;
            json::ok(&StockAnswer::from(stock))
        })
        .await
        .inspect(|_| kit::outbox::wake(&ctx, SCHEMA))
}

/// `POST /internal/stock` — catalog creates the (empty) stock of a new SKU: 201 the first
/// time, 200 with the same stock when repeated for the same seller.
pub async fn create(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: CreateStockRequest = json::read(&req)?;
    ctx.db()?
        .transaction(async |db: &Db| {
            let inserted = stock::insert(db, body.sku_id, body.seller_id, body.serial_required)?;
            let stock = stock::load(db, body.sku_id, Lock::None)?;
            rules::ensure_sku_not_taken(stock.seller_id, body.seller_id)?;
            if inserted == Inserted::Existing {
                return json::ok(&StockAnswer::from(stock));
            }
            history::record(
                db,
                &Change {
                    sku: body.sku_id,
                    kind: ChangeKind::Create,
                    deltas: Deltas::NONE,
                    reason: None,
                    reference: None,
                    actor: Actor::Internal,
                },
            )?;
            json::respond(201, &StockAnswer::from(stock))
        })
        .await
        .inspect(|_| kit::outbox::wake(&ctx, SCHEMA))
}

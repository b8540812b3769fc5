//! A SKU's stock: read it, create it (for catalog), restock it, write units off, and choose
//! whether it tracks serial numbers.

use chrono::{DateTime, Utc};
use kit::db::{Db, FromRow, Row, rows, text, uuid};
use kit::idempotency::{self, KeyPolicy};
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::rules;

/// A SKU's counts, as every stock endpoint returns them.
#[derive(Debug, Serialize)]
pub struct Stock {
    /// The catalog SKU.
    pub sku_id: Uuid,
    /// The account that owns it.
    pub seller_id: Uuid,
    /// Units that can be reserved now.
    pub available: i64,
    /// Units held by open reservations.
    pub reserved: i64,
    /// Units sold (committed reservations).
    pub sold: i64,
    /// Whether every unit carries a serial number.
    pub serial_required: bool,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Columns that [`Stock::from_row`] reads.
pub const COLUMNS: &str = "sku_id, seller_id, available, reserved, sold, serial_required, updated_at AT TIME ZONE 'UTC' AS updated_at";

impl FromRow for Stock {
    fn from_row(row: &Row<'_>) -> ApiResult<Stock> {
        Ok(Stock {
            sku_id: row.get("sku_id")?,
            seller_id: row.get("seller_id")?,
            available: row.get("available")?,
            reserved: row.get("reserved")?,
            sold: row.get("sold")?,
            serial_required: row.get("serial_required")?,
            updated_at: row.time("updated_at")?,
        })
    }
}

fn not_found(sku: Uuid) -> ApiError {
    ApiError::not_found("stock_not_found", format!("no stock for SKU {sku}"))
}

/// The stock of `sku`, locked for the rest of the transaction when `lock` is set.
pub fn load(db: &Db, sku: Uuid, lock: bool) -> ApiResult<Stock> {
    let sql = format!(
        "SELECT {COLUMNS} FROM inventory.stock WHERE sku_id = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    db.fetch_optional(&sql, &[uuid(sku)])?
        .ok_or_else(|| not_found(sku))
}

/// The stock of `sku` if `account` owns it: 404 when there is none, 403 when it is another's.
pub fn load_owned(db: &Db, sku: Uuid, account: Uuid) -> ApiResult<Stock> {
    let stock = load(db, sku, true)?;
    if stock.seller_id != account {
        return Err(ApiError::forbidden(
            "only the seller who owns this SKU may change or inspect its stock",
        ));
    }
    Ok(stock)
}

/// One history entry; every change of counts writes one in the same transaction.
pub struct Change<'a> {
    /// SKU.
    pub sku: Uuid,
    /// `create`, `import`, `adjust`, `serial`, `reserve`, `release`, `commit`.
    pub kind: &'static str,
    /// Change of `available`.
    pub available: i64,
    /// Change of `reserved`.
    pub reserved: i64,
    /// Change of `sold`.
    pub sold: i64,
    /// Why.
    pub reason: Option<&'a str>,
    /// What it belongs to (a reservation id…).
    pub reference: Option<&'a str>,
    /// Who: an account id or `internal`.
    pub actor: &'a str,
}

/// Appends a history entry, and tells catalog the SKU's new levels (through the outbox, in the
/// same transaction), each with the next version of the SKU's stock.
pub fn record(db: &Db, c: &Change<'_>) -> ApiResult<()> {
    announce(db, c.sku)?;
    db.execute(
        "INSERT INTO inventory.history (id, sku_id, kind, available_delta, reserved_delta, sold_delta, reason, reference, actor) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            uuid(kit::ids::new_id()),
            uuid(c.sku),
            text(c.kind),
            c.available.into(),
            c.reserved.into(),
            c.sold.into(),
            kit::db::optional_text(c.reason),
            kit::db::optional_text(c.reference),
            text(c.actor),
        ],
    )?;
    Ok(())
}

/// Bumps the SKU's stock version and writes its levels into the outbox for catalog.
fn announce(db: &Db, sku: Uuid) -> ApiResult<()> {
    let set = db.query(
        "UPDATE inventory.stock SET version = version + 1 WHERE sku_id = $1 RETURNING available, sold, version",
        &[uuid(sku)],
    )?;
    let Some(row) = rows(&set).next() else {
        return Ok(());
    };
    let (available, sold, version): (i64, i64, i64) =
        (row.get("available")?, row.get("sold")?, row.get("version")?);
    kit::outbox::enqueue(
        db,
        "inventory",
        &kit::outbox::Message {
            target: "catalog",
            path: "/internal/stock-levels",
            body: serde_json::json!({ "sku_id": sku, "available": available, "sold": sold, "version": version }),
            key: format!("inventory:stock:{sku}:{version}"),
        },
    )
}

/// Applies count deltas; the CHECK constraints refuse any that would go negative.
pub fn apply(db: &Db, sku: Uuid, available: i64, reserved: i64, sold: i64) -> ApiResult<Stock> {
    let sql = format!(
        "UPDATE inventory.stock SET available = available + $2, reserved = reserved + $3, sold = sold + $4, \
         updated_at = now() WHERE sku_id = $1 RETURNING {COLUMNS}"
    );
    let params = [uuid(sku), available.into(), reserved.into(), sold.into()];
    let set = db.query(&sql, &params).map_err(|e| {
        let short = || {
            ApiError::conflict(
                "insufficient_stock",
                "not enough units in stock for that change",
            )
        };
        e.to_api(&[
            ("stock_available_not_negative", short()),
            ("stock_reserved_not_negative", short()),
        ])
    })?;
    rows(&set)
        .next()
        .map(|r| Stock::from_row(&r))
        .ok_or_else(|| not_found(sku))?
}

fn sku_param(ctx: &Ctx) -> ApiResult<Uuid> {
    ctx.param_id("sku_id", "stock")
}

/// `GET /api/v1/inventory/stock/:sku_id` — public.
pub async fn get(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let sku = sku_param(&ctx)?;
    json::ok(&load(ctx.db()?, sku, false)?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    serial_required: bool,
}

/// `PATCH /api/v1/inventory/stock/:sku_id` — the owner turns serial tracking on or off.
/// Tracking can only start when every available unit already has an active serial.
pub async fn update(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let sku = sku_param(&ctx)?;
    let body: UpdateBody = json::read(&req)?;
    idempotency::run(&ctx, &req, "inventory", &user.sub.to_string(), KeyPolicy::Optional, async |db: &Db| {
        let stock = load_owned(db, sku, user.sub)?;
        if body.serial_required && !stock.serial_required {
            let active: i64 = db.scalar(
                "SELECT count(*) FROM inventory.serial WHERE sku_id = $1 AND status = 'active'",
                &[uuid(sku)],
            )?;
            if active != stock.available {
                return Err(ApiError::conflict(
                    "serials_missing",
                    format!("{} units are available but {active} have active serial numbers; import serials first", stock.available),
                ));
            }
        }
        let sql = format!("UPDATE inventory.stock SET serial_required = $2, updated_at = now() WHERE sku_id = $1 RETURNING {COLUMNS}");
        let stock: Stock = db.fetch_optional(&sql, &[uuid(sku), body.serial_required.into()])?.ok_or_else(|| not_found(sku))?;
        json::ok(&stock)
    })
    .await
    .inspect(|_| kit::outbox::wake(&ctx, "inventory"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportBody {
    quantity: i64,
    #[serde(default)]
    serials: Option<Vec<String>>,
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /api/v1/inventory/stock/:sku_id/import` — the owner restocks; serialized SKUs bring
/// one new serial number per unit. All or nothing.
pub async fn import(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let sku = sku_param(&ctx)?;
    let body: ImportBody = json::read_limited(&req, 1024 * 1024)?;
    let quantity = i64::from(kit::validate::quantity("quantity", body.quantity)?);
    let reason = body
        .reason
        .as_deref()
        .map(|r| kit::validate::text("reason", r, 1, 500))
        .transpose()?;
    let actor = user.sub.to_string();
    idempotency::run(&ctx, &req, "inventory", &actor, KeyPolicy::Optional, async |db: &Db| {
        let stock = load_owned(db, sku, user.sub)?;
        let serials = rules::import_serials(stock.serial_required, quantity, body.serials.as_deref())?;
        if !serials.is_empty() {
            db.execute(
                "INSERT INTO inventory.serial (sku_id, serial) SELECT $1, s FROM unnest($2::text[]) AS s",
                &[uuid(sku), kit::db::strings(&serials)],
            )
            .map_err(|e| {
                e.to_api(&[(
                    "serial_pkey",
                    ApiError::conflict("serial_exists", "one of these serial numbers is already recorded for this SKU"),
                )])
            })?;
        }
        let stock = apply(db, sku, quantity, 0, 0)?;
        record(db, &Change { sku, kind: "import", available: quantity, reserved: 0, sold: 0, reason: reason.as_deref(), reference: None, actor: &actor })?;
        json::ok(&stock)
    })
    .await
    .inspect(|_| kit::outbox::wake(&ctx, "inventory"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdjustBody {
    delta: i64,
    reason: String,
    #[serde(default)]
    serials: Option<Vec<String>>,
}

/// `POST /api/v1/inventory/stock/:sku_id/adjust` — the owner corrects the count with a reason:
/// a negative `delta` writes units off (naming the damaged serials for serialized SKUs), a
/// positive one adds found units to an untracked SKU (tracked SKUs restock by import).
pub async fn adjust(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let sku = sku_param(&ctx)?;
    let body: AdjustBody = json::read(&req)?;
    if body.delta == 0 || body.delta.abs() > 1_000_000 {
        return Err(ApiError::validation(
            "delta: must be a non-zero whole number between -1000000 and 1000000",
        ));
    }
    let reason = kit::validate::text("reason", &body.reason, 1, 500)?;
    let actor = user.sub.to_string();
    idempotency::run(
        &ctx,
        &req,
        "inventory",
        &actor,
        KeyPolicy::Optional,
        async |db: &Db| {
            let stock = load_owned(db, sku, user.sub)?;
            if stock.serial_required {
                if body.delta > 0 {
                    return Err(ApiError::unprocessable(
                        "use_import",
                        "this SKU tracks serial numbers: add units with an import",
                    ));
                }
                let serials = rules::checked_serials(
                    body.serials.as_deref().unwrap_or_default(),
                    -body.delta,
                )?;
                let damaged = db.execute(
                    "UPDATE inventory.serial SET status = 'damaged', updated_at = now() \
                 WHERE sku_id = $1 AND serial = ANY($2::text[]) AND status = 'active'",
                    &[uuid(sku), kit::db::strings(&serials)],
                )?;
                if i64::try_from(damaged).ok() != Some(-body.delta) {
                    return Err(ApiError::conflict(
                        "serial_not_active",
                        "every serial written off must be an active serial of this SKU",
                    ));
                }
            } else if body.serials.as_ref().is_some_and(|s| !s.is_empty()) {
                return Err(ApiError::unprocessable(
                    "serials_not_tracked",
                    "this SKU does not track serial numbers",
                ));
            }
            if stock.available + body.delta < 0 {
                return Err(ApiError::conflict(
                    "insufficient_stock",
                    format!("only {} units are available to write off", stock.available),
                ));
            }
            let stock = apply(db, sku, body.delta, 0, 0)?;
            record(
                db,
                &Change {
                    sku,
                    kind: "adjust",
                    available: body.delta,
                    reserved: 0,
                    sold: 0,
                    reason: Some(&reason),
                    reference: None,
                    actor: &actor,
                },
            )?;
            json::ok(&stock)
        },
    )
    .await
    .inspect(|_| kit::outbox::wake(&ctx, "inventory"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    sku_id: Uuid,
    seller_id: Uuid,
    #[serde(default)]
    serial_required: bool,
}

/// `POST /internal/stock` — catalog creates the stock of a new SKU (empty). Repeating it for
/// the same seller is harmless; another seller's SKU id is a conflict.
pub async fn create(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: CreateBody = json::read(&req)?;
    idempotency::run(&ctx, &req, "inventory", "internal", KeyPolicy::Required, async |db: &Db| {
        let inserted = db.execute(
            "INSERT INTO inventory.stock (sku_id, seller_id, serial_required) VALUES ($1, $2, $3) ON CONFLICT (sku_id) DO NOTHING",
            &[uuid(body.sku_id), uuid(body.seller_id), body.serial_required.into()],
        )?;
        let stock = load(db, body.sku_id, false)?;
        if stock.seller_id != body.seller_id {
            return Err(ApiError::conflict("sku_taken", "this SKU id already has stock owned by another seller"));
        }
        if inserted == 1 {
            record(db, &Change { sku: body.sku_id, kind: "create", available: 0, reserved: 0, sold: 0, reason: None, reference: None, actor: "internal" })?;
        }
        json::respond(if inserted == 1 { 201 } else { 200 }, &stock)
    })
    .await
    .inspect(|_| kit::outbox::wake(&ctx, "inventory"))
}

//! `inventory.stock`: one row per SKU with its three counts. Every change of counts updates
//! this row first, so its row lock orders concurrent changes of one SKU, and the table's CHECKs
//! (`stock_*_not_negative`) refuse any change that would take a count below zero, whatever the
//! code above them does.

use chrono::{DateTime, Utc};
use contracts::inventory::{Availability, StockAnswer};
use kit::db::{Db, FromRow, Row, uuid, uuids};
use kit::{ApiError, ApiResult};
use uuid::Uuid;

use super::Lock;
use crate::rules::Deltas;

/// A SKU's stock.
#[derive(Debug)]
pub struct Stock {
    /// Catalog's SKU id.
    pub sku_id: Uuid,
    /// The account that owns the SKU.
    pub seller_id: Uuid,
    /// Units that can be reserved now.
    pub available: i64,
    /// Units held by open reservations.
    pub reserved: i64,
    /// Units sold.
    pub sold: i64,
    /// Whether every unit carries a serial number; then `available` equals the active serials.
    pub serial_required: bool,
    /// The last change of counts or tracking.
    pub updated_at: DateTime<Utc>,
}

/// Columns that [`Stock::from_row`] reads.
const COLUMNS: &str = "sku_id, seller_id, available, reserved, sold, serial_required, \
                       updated_at AT TIME ZONE 'UTC' AS updated_at";

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

impl From<Stock> for StockAnswer {
    fn from(s: Stock) -> StockAnswer {
        StockAnswer {
            sku_id: s.sku_id,
            seller_id: s.seller_id,
            available: s.available,
            reserved: s.reserved,
            sold: s.sold,
            serial_required: s.serial_required,
            updated_at: s.updated_at,
        }
    }
}

fn not_found(sku: Uuid) -> ApiError {
    ApiError::not_found("stock_not_found", format!("no stock for SKU {sku}"))
}

/// The stock of `sku`, if it has any.
pub fn find(db: &Db, sku: Uuid, lock: Lock) -> ApiResult<Option<Stock>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM inventory.stock WHERE sku_id = $1{}",
        lock.clause()
    );
    db.fetch_optional(&sql, &[uuid(sku)])
}

/// The stock of `sku`; 404 `stock_not_found` when it has none.
pub fn load(db: &Db, sku: Uuid, lock: Lock) -> ApiResult<Stock> {
    find(db, sku, lock)?.ok_or_else(|| not_found(sku))
}

/// Whether [`insert`] created the stock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inserted {
    /// The SKU had no stock: it has now, empty.
    New,
    /// The SKU had stock already (perhaps another seller's); nothing changed.
    Existing,
}

const INSERT: &str = "INSERT INTO inventory.stock (sku_id, seller_id, serial_required) \
                      VALUES ($1, $2, $3) ON CONFLICT (sku_id) DO NOTHING";

/// Creates the empty stock of `sku` for `seller`, unless the SKU has stock already.
pub fn insert(db: &Db, sku: Uuid, seller: Uuid, serial_required: bool) -> ApiResult<Inserted> {
    let inserted = db.execute(INSERT, &[uuid(sku), uuid(seller), serial_required.into()])?;
    Ok(if inserted == 1 {
        Inserted::New
    } else {
        Inserted::Existing
    })
}

/// Applies `deltas` to the counts of `sku` and returns the stock after them; 409
/// `insufficient_stock` when a count would go below zero, 404 when the SKU has no stock.
pub fn apply(db: &Db, sku: Uuid, deltas: Deltas) -> ApiResult<Stock> {
    let sql = format!(
        "UPDATE inventory.stock \
         SET available = available + $2, reserved = reserved + $3, sold = sold + $4, \
             updated_at = now() \
         WHERE sku_id = $1 RETURNING {COLUMNS}"
    );
    let params = [
        uuid(sku),
        deltas.available.into(),
        deltas.reserved.into(),
        deltas.sold.into(),
    ];
    let short = || {
        ApiError::conflict(
            "insufficient_stock",
            "not enough units in stock for that change",
        )
    };
    // A concurrent change can pass the handler's own checks and still lose the race for the
    // row; these CHECKs are what refuses it.
    let set = db.query(&sql, &params).map_err(|e| {
        e.to_api(&[
            ("stock_available_not_negative", short()),
            ("stock_reserved_not_negative", short()),
        ])
    })?;
    kit::db::rows(&set)
        .next()
        .map(|r| Stock::from_row(&r))
        .ok_or_else(|| not_found(sku))?
}

/// Turns serial tracking of `sku` on or off and returns the stock after it.
pub fn set_serial_required(db: &Db, sku: Uuid, serial_required: bool) -> ApiResult<Stock> {
    let sql = format!(
        "UPDATE inventory.stock SET serial_required = $2, updated_at = now() \
         WHERE sku_id = $1 RETURNING {COLUMNS}"
    );
    db.fetch_optional(&sql, &[uuid(sku), serial_required.into()])?
        .ok_or_else(|| not_found(sku))
}

/// What [`take`] left on the stock it took units from.
#[derive(Debug)]
pub struct Taken {
    /// Whether the units taken must be matched with serials.
    pub serial_required: bool,
    /// Units still available: 0 means the SKU just sold out.
    pub available: i64,
    /// The SKU's owner, to be told when it sells out.
    pub seller_id: Uuid,
}

impl FromRow for Taken {
    fn from_row(row: &Row<'_>) -> ApiResult<Taken> {
        Ok(Taken {
            serial_required: row.get("serial_required")?,
            available: row.get("available")?,
            seller_id: row.get("seller_id")?,
        })
    }
}

const TAKE: &str = "UPDATE inventory.stock \
                    SET available = available - $2, reserved = reserved + $2, updated_at = now() \
                    WHERE sku_id = $1 AND available >= $2 \
                    RETURNING serial_required, available, seller_id";

/// Moves `quantity` units of `sku` from available to reserved, if that many are available;
/// 404 `sku_not_found` when the SKU has no stock, 409 `out_of_stock` when fewer are available.
///
/// This one conditional update is what makes racing reservations safe: the row lock queues
/// them, and PostgreSQL re-checks `available >= quantity` for each after the one before it
/// committed, so the last unit goes to exactly one of them.
pub fn take(db: &Db, sku: Uuid, quantity: i64) -> ApiResult<Taken> {
    if let Some(taken) = db.fetch_optional(TAKE, &[uuid(sku), quantity.into()])? {
        return Ok(taken);
    }
    let stock = find(db, sku, Lock::None)?.ok_or_else(|| no_sku(sku))?;
    Err(out_of_stock(sku, quantity, stock.available))
}

/// Refuses `lines` (`(sku, quantity)`) at once when the last committed counts cannot serve
/// them: 404 `sku_not_found` or 409 `out_of_stock`, as [`take`] would, but read without
/// locking. A sold-out SKU then answers without queueing on its row behind the reservations
/// that hold it, so the queue on a busy SKU holds only requests that may still succeed; what
/// passes is decided by [`take`], under the row lock.
pub fn ensure_available(db: &Db, lines: &[(Uuid, i64)]) -> ApiResult<()> {
    let skus: Vec<Uuid> = lines.iter().map(|&(sku, _)| sku).collect();
    let levels = levels(db, &skus)?;
    for &(sku, quantity) in lines {
        match levels.iter().find(|l| l.sku_id == sku) {
            None => return Err(no_sku(sku)),
            Some(l) if l.available < quantity => {
                return Err(out_of_stock(sku, quantity, l.available));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

fn no_sku(sku: Uuid) -> ApiError {
    ApiError::not_found("sku_not_found", format!("SKU {sku} has no stock"))
}

fn out_of_stock(sku: Uuid, quantity: i64, available: i64) -> ApiError {
    ApiError::conflict(
        "out_of_stock",
        format!("SKU {sku}: {quantity} wanted, {available} available"),
    )
}

/// A SKU's levels as other modules see them, with the version of its stock.
#[derive(Debug)]
pub struct Levels {
    /// The SKU.
    pub sku_id: Uuid,
    /// Units that can be reserved now.
    pub available: i64,
    /// Units sold.
    pub sold: i64,
    /// Bumped by every change of counts, so a receiver can tell newer levels from older ones.
    pub version: i64,
}

impl FromRow for Levels {
    fn from_row(row: &Row<'_>) -> ApiResult<Levels> {
        Ok(Levels {
            sku_id: row.get("sku_id")?,
            available: row.get("available")?,
            sold: row.get("sold")?,
            version: row.get("version")?,
        })
    }
}

impl From<Levels> for Availability {
    fn from(l: Levels) -> Availability {
        Availability {
            sku_id: l.sku_id,
            available: l.available,
            sold: l.sold,
            in_stock: l.available > 0,
        }
    }
}

const NEXT_VERSION: &str = "UPDATE inventory.stock SET version = version + 1 WHERE sku_id = $1 \
                            RETURNING sku_id, available, sold, version";

/// Bumps the version of `sku`'s stock and returns its levels; `None` when it has no stock.
pub fn next_version(db: &Db, sku: Uuid) -> ApiResult<Option<Levels>> {
    db.fetch_optional(NEXT_VERSION, &[uuid(sku)])
}

const LEVELS: &str = "SELECT sku_id, available, sold, version FROM inventory.stock \
                      WHERE sku_id = ANY($1::text[]::uuid[]) ORDER BY sku_id";

/// The levels of those of `skus` that have stock, by SKU, in one query.
pub fn levels(db: &Db, skus: &[Uuid]) -> ApiResult<Vec<Levels>> {
    db.fetch_all(LEVELS, &[uuids(skus)])
}

const BEST_SELLERS: &str = "SELECT sku_id, available, sold, version FROM inventory.stock \
                            WHERE sold > 0 ORDER BY sold DESC, sku_id LIMIT $1";

/// The `limit` SKUs with the most units sold, most first (`stock_sold_idx` serves the order).
pub fn best_sellers(db: &Db, limit: u32) -> ApiResult<Vec<Levels>> {
    db.fetch_all(BEST_SELLERS, &[i64::from(limit).into()])
}

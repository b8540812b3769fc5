//! `inventory.serial`: a SKU's serial numbers. While a SKU tracks serials its available count
//! equals its active serials, so every statement here that moves a serial into or out of
//! `active` runs in the transaction of the matching change of counts.

use kit::db::{Db, FromRow, Row, optional_text, rows, strings, text, uuid};
use kit::page::PageRequest;
use kit::{ApiError, ApiResult};
use uuid::Uuid;

use crate::rules::{Ending, SerialStatus};

/// One serial number of a SKU.
#[derive(Debug)]
pub struct Serial {
    /// The number, unique within its SKU.
    pub serial: String,
    /// Where it stands.
    pub status: SerialStatus,
    /// The reservation holding it, exactly when it is reserved or sold
    /// (`serial_reservation_matches_status`).
    pub reservation_id: Option<Uuid>,
}

impl FromRow for Serial {
    fn from_row(row: &Row<'_>) -> ApiResult<Serial> {
        Ok(Serial {
            serial: row.get("serial")?,
            status: SerialStatus::parse(&row.get::<String>("status")?)?,
            reservation_id: row.get("reservation_id")?,
        })
    }
}

const PAGE: &str = "SELECT serial, status, reservation_id FROM inventory.serial \
                    WHERE sku_id = $1 AND ($2::text IS NULL OR status = $2::text) \
                      AND ($3::text IS NULL OR serial > $3::text) \
                    ORDER BY serial LIMIT $4";

/// A page of the serials of `sku`, by serial number, with `status` only when given.
pub fn page(
    db: &Db,
    sku: Uuid,
    status: Option<SerialStatus>,
    page: &PageRequest<String>,
) -> ApiResult<Vec<Serial>> {
    let params = [
        uuid(sku),
        optional_text(status.map(SerialStatus::as_str)),
        optional_text(page.after.as_deref()),
        page.fetch().into(),
    ];
    db.fetch_all(PAGE, &params)
}

const LOAD_LOCKED: &str = "SELECT serial, status, reservation_id FROM inventory.serial \
                           WHERE sku_id = $1 AND serial = $2 FOR UPDATE";

/// Serial `serial` of `sku`, locked until the transaction ends; 404 `serial_not_found`.
pub fn load_locked(db: &Db, sku: Uuid, serial: &str) -> ApiResult<Serial> {
    db.fetch_optional(LOAD_LOCKED, &[uuid(sku), text(serial)])?
        .ok_or_else(|| {
            ApiError::not_found(
                "serial_not_found",
                format!("SKU {sku} has no serial {serial}"),
            )
        })
}

/// How many serials of a SKU are on sale and how many are held by reservations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Serials in `active`: while the SKU tracks serials, its available count.
    pub active: i64,
    /// Serials in `reserved`: the units of open reservations that carry a serial.
    pub reserved: i64,
}

impl FromRow for Counts {
    fn from_row(row: &Row<'_>) -> ApiResult<Counts> {
        Ok(Counts {
            active: row.get("active")?,
            reserved: row.get("reserved")?,
        })
    }
}

const COUNTS: &str = "SELECT count(*) FILTER (WHERE status = 'active') AS active, \
                             count(*) FILTER (WHERE status = 'reserved') AS reserved \
                      FROM inventory.serial WHERE sku_id = $1";

/// How many serials of `sku` are active and how many reserved, in one query.
pub fn counts(db: &Db, sku: Uuid) -> ApiResult<Counts> {
    db.fetch_optional(COUNTS, &[uuid(sku)])?
        .ok_or_else(|| ApiError::internal("an aggregate returned no row"))
}

const INSERT_ALL: &str = "INSERT INTO inventory.serial (sku_id, serial) \
                          SELECT $1, s FROM unnest($2::text[]) AS s";

/// Records `serials` as new active serials of `sku`, all or none; 409 `serial_exists` when
/// the SKU already has one of them. An empty list writes nothing.
pub fn insert_all(db: &Db, sku: Uuid, serials: &[String]) -> ApiResult<()> {
    if serials.is_empty() {
        return Ok(());
    }
    db.execute(INSERT_ALL, &[uuid(sku), strings(serials)])
        .map_err(|e| {
            e.to_api(&[(
                "serial_pkey",
                ApiError::conflict(
                    "serial_exists",
                    "one of these serial numbers is already recorded for this SKU",
                ),
            )])
        })?;
    Ok(())
}

const SET_STATUS: &str = "UPDATE inventory.serial SET status = $3, updated_at = now() \
                          WHERE sku_id = $1 AND serial = $2";

/// Sets the status of serial `serial` of `sku`.
pub fn set_status(db: &Db, sku: Uuid, serial: &str, status: SerialStatus) -> ApiResult<()> {
    db.execute(
        SET_STATUS,
        &[uuid(sku), text(serial), text(status.as_str())],
    )?;
    Ok(())
}

const WRITE_OFF: &str = "UPDATE inventory.serial SET status = 'damaged', updated_at = now() \
                         WHERE sku_id = $1 AND serial = ANY($2::text[]) AND status = 'active'";

/// Marks `serials` of `sku` damaged; 409 `serial_not_active` unless every one of them was an
/// active serial of the SKU (then the transaction rolls the others back).
pub fn write_off(db: &Db, sku: Uuid, serials: &[String]) -> ApiResult<()> {
    let damaged = db.execute(WRITE_OFF, &[uuid(sku), strings(serials)])?;
    if usize::try_from(damaged).ok() != Some(serials.len()) {
        return Err(ApiError::conflict(
            "serial_not_active",
            "every serial written off must be an active serial of this SKU",
        ));
    }
    Ok(())
}

const RESERVE: &str = "UPDATE inventory.serial \
                       SET status = 'reserved', reservation_id = $3, updated_at = now() \
                       WHERE (sku_id, serial) IN ( \
                         SELECT sku_id, serial FROM inventory.serial \
                         WHERE sku_id = $1 AND status = 'active' \
                         ORDER BY created_at, serial LIMIT $2 FOR UPDATE SKIP LOCKED) \
                       RETURNING serial";

/// Holds the `quantity` oldest active serials of `sku` for `reservation` and returns them;
/// 409 `serial_shortage` when fewer are free.
///
/// `SKIP LOCKED` lets concurrent reservations of one SKU pass each other's serials instead of
/// queueing on them, and never hands one serial to two reservations.
pub fn reserve(db: &Db, sku: Uuid, quantity: i64, reservation: Uuid) -> ApiResult<Vec<String>> {
    let set = db.query(RESERVE, &[uuid(sku), quantity.into(), uuid(reservation)])?;
    let serials: Vec<String> = rows(&set)
        .map(|r| r.get("serial"))
        .collect::<ApiResult<_>>()?;
    if i64::try_from(serials.len()).ok() != Some(quantity) {
        return Err(ApiError::conflict(
            "serial_shortage",
            format!(
                "SKU {sku}: {quantity} units counted available but only {} serials are free",
                serials.len()
            ),
        ));
    }
    Ok(serials)
}

const RELEASE: &str = "UPDATE inventory.serial \
                       SET status = 'active', reservation_id = NULL, updated_at = now() \
                       WHERE reservation_id = $1 AND sku_id = ANY($2::text[]::uuid[]) \
                       RETURNING sku_id, serial";

const SELL: &str = "UPDATE inventory.serial SET status = 'sold', updated_at = now() \
                    WHERE reservation_id = $1 AND sku_id = ANY($2::text[]::uuid[]) \
                    RETURNING sku_id, serial";

/// Ends the hold of `reservation` on its serials of `skus`: released ones are active again (and
/// free of the reservation), committed ones are sold (and keep it, as the record of the sale).
/// Returns `(sku, serial)` pairs sorted, so each SKU's serials come together and in order.
pub fn end_hold(
    db: &Db,
    reservation: Uuid,
    skus: &[Uuid],
    ending: Ending,
) -> ApiResult<Vec<(Uuid, String)>> {
    let sql = match ending {
        Ending::Release => RELEASE,
        Ending::Commit => SELL,
    };
    let set = db.query(sql, &[uuid(reservation), kit::db::uuids(skus)])?;
    let mut serials: Vec<(Uuid, String)> = rows(&set)
        .map(|r| Ok((r.get("sku_id")?, r.get("serial")?)))
        .collect::<ApiResult<_>>()?;
    serials.sort();
    Ok(serials)
}

//! `inventory.reservation` and `inventory.reservation_line`: a checkout's hold on units of
//! several SKUs, one line per SKU, and the state it is in.

use kit::db::{Db, FromRow, Row, text, uuid};
use kit::{ApiError, ApiResult};
use uuid::Uuid;

use crate::rules::ReservationState;

/// A stored reservation.
#[derive(Debug)]
pub struct Reservation {
    /// What it is for (a checkout id…).
    pub reference: String,
    /// Where it stands.
    pub state: ReservationState,
    /// `(sku, quantity)` per SKU still held (lines released one by one are left out), in SKU
    /// order: the order every change locks stock rows in.
    pub lines: Vec<(Uuid, i64)>,
}

/// A reservation's own row, before its lines are read.
struct Head {
    reference: String,
    state: ReservationState,
}

impl FromRow for Head {
    fn from_row(row: &Row<'_>) -> ApiResult<Head> {
        Ok(Head {
            reference: row.get("reference")?,
            state: ReservationState::parse(&row.get::<String>("status")?)?,
        })
    }
}

/// A reservation line's `(sku, quantity)`.
struct Line(Uuid, i64);

impl FromRow for Line {
    fn from_row(row: &Row<'_>) -> ApiResult<Line> {
        Ok(Line(row.get("sku_id")?, row.get("quantity")?))
    }
}

const INSERT: &str =
    "INSERT INTO inventory.reservation (id, reference, status) VALUES ($1, $2, 'held')";

/// Creates a held reservation for `reference` and returns its id (UUIDv7); 409
/// `reservation_exists` when a reservation already has that reference, whatever its state.
///
/// This is the backstop of exactly once: a reserve retried after its idempotency record
/// expired is refused here instead of holding the units twice.
pub fn insert(db: &Db, reference: &str) -> ApiResult<Uuid> {
    let id = kit::ids::new_id();
    db.execute(INSERT, &[uuid(id), text(reference)])
        .map_err(|e| {
            e.to_api(&[(
                "reservation_reference_key",
                ApiError::conflict(
                    "reservation_exists",
                    format!("a reservation with reference {reference} exists already"),
                ),
            )])
        })?;
    Ok(id)
}

const INSERT_LINE: &str = "INSERT INTO inventory.reservation_line \
                           (reservation_id, sku_id, quantity) VALUES ($1, $2, $3)";

/// Adds the line of `sku` to `reservation`.
pub fn insert_line(db: &Db, reservation: Uuid, sku: Uuid, quantity: i64) -> ApiResult<()> {
    db.execute(
        INSERT_LINE,
        &[uuid(reservation), uuid(sku), quantity.into()],
    )?;
    Ok(())
}

const LOAD_LOCKED: &str =
    "SELECT reference, status FROM inventory.reservation WHERE id = $1 FOR UPDATE";

const LINES: &str = "SELECT sku_id, quantity FROM inventory.reservation_line \
                     WHERE reservation_id = $1 AND NOT released ORDER BY sku_id";

/// Reservation `id` with its lines, locked until the transaction ends, so that a release and
/// a commit racing for it are decided one after the other; 404 `reservation_not_found`.
pub fn load_locked(db: &Db, id: Uuid) -> ApiResult<Reservation> {
    let head: Head = db
        .fetch_optional(LOAD_LOCKED, &[uuid(id)])?
        .ok_or_else(|| {
            ApiError::not_found("reservation_not_found", format!("no reservation {id}"))
        })?;
    let lines: Vec<Line> = db.fetch_all(LINES, &[uuid(id)])?;
    Ok(Reservation {
        reference: head.reference,
        state: head.state,
        lines: lines.into_iter().map(|Line(sku, q)| (sku, q)).collect(),
    })
}

const SET_STATE: &str =
    "UPDATE inventory.reservation SET status = $2, updated_at = now() WHERE id = $1";

/// Moves reservation `id` into `state`.
pub fn set_state(db: &Db, id: Uuid, state: ReservationState) -> ApiResult<()> {
    db.execute(SET_STATE, &[uuid(id), text(state.as_str())])?;
    Ok(())
}

/// Marks the lines of `skus` of reservation `id` released.
pub fn release_lines(db: &Db, id: Uuid, skus: &[Uuid]) -> ApiResult<()> {
    db.execute(
        "UPDATE inventory.reservation_line SET released = true \
         WHERE reservation_id = $1 AND sku_id = ANY($2::text[]::uuid[])",
        &[uuid(id), kit::db::uuids(skus)],
    )?;
    Ok(())
}

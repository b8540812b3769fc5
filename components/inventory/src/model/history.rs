//! `inventory.history`: every change of a SKU's counts, append-only, with its reason, what it
//! belongs to and who made it. [`record`] is the only way to write it, and it also announces
//! the SKU's new levels, so no change can be recorded without catalog hearing of it.

use chrono::{DateTime, Utc};
use kit::ApiResult;
use kit::db::{Db, FromRow, Row, optional_text, optional_uuid, text, uuid};
use kit::page::PageRequest;
use uuid::Uuid;

use super::{outbox, stock};
use crate::rules::Deltas;

/// What kind of change an entry records; the stored names are those `history_kind_valid`
/// allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// The SKU's stock was created (empty).
    Create,
    /// The owner restocked.
    Import,
    /// The owner corrected the count.
    Adjust,
    /// The owner changed a serial's status.
    Serial,
    /// A reservation took units.
    Reserve,
    /// A reservation gave its units back.
    Release,
    /// A reservation's units were sold.
    Commit,
}

impl ChangeKind {
    fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Create => "create",
            ChangeKind::Import => "import",
            ChangeKind::Adjust => "adjust",
            ChangeKind::Serial => "serial",
            ChangeKind::Reserve => "reserve",
            ChangeKind::Release => "release",
            ChangeKind::Commit => "commit",
        }
    }
}

/// Who made a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    /// The owning seller, through the public API.
    Seller(Uuid),
    /// Another module, through an internal route (catalog, a checkout).
    Internal,
}

impl Actor {
    /// The stored form: the account id, or `internal`.
    fn stored(self) -> String {
        match self {
            Actor::Seller(id) => id.to_string(),
            Actor::Internal => "internal".to_string(),
        }
    }
}

/// One change to record.
#[derive(Debug)]
pub struct Change<'a> {
    /// The SKU.
    pub sku: Uuid,
    /// What happened.
    pub kind: ChangeKind,
    /// How the counts moved.
    pub deltas: Deltas,
    /// Why, in the seller's words or as a serial's old and new status.
    pub reason: Option<&'a str>,
    /// What the change belongs to: a reservation id.
    pub reference: Option<&'a str>,
    /// Who made it.
    pub actor: Actor,
}

const INSERT: &str = "INSERT INTO inventory.history \
                      (id, sku_id, kind, available_delta, reserved_delta, sold_delta, \
                       reason, reference, actor) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// Records `change`, in the transaction that made it: bumps the version of the SKU's stock,
/// writes its new levels into the outbox for catalog, and appends the entry.
pub fn record(db: &Db, change: &Change<'_>) -> ApiResult<()> {
    if let Some(levels) = stock::next_version(db, change.sku)? {
        outbox::stock_levels(db, &levels)?;
    }
    db.execute(
        INSERT,
        &[
            uuid(kit::ids::new_id()),
            uuid(change.sku),
            text(change.kind.as_str()),
            change.deltas.available.into(),
            change.deltas.reserved.into(),
            change.deltas.sold.into(),
            optional_text(change.reason),
            optional_text(change.reference),
            text(change.actor.stored()),
        ],
    )?;
    Ok(())
}

/// One recorded change, as stored.
#[derive(Debug)]
pub struct Entry {
    /// UUIDv7: ordering by id is ordering by time.
    pub id: Uuid,
    /// The stored [`ChangeKind`] name.
    pub kind: String,
    /// Change of available units.
    pub available_delta: i64,
    /// Change of reserved units.
    pub reserved_delta: i64,
    /// Change of sold units.
    pub sold_delta: i64,
    /// Why.
    pub reason: Option<String>,
    /// What it belongs to.
    pub reference: Option<String>,
    /// An account id, or `internal`.
    pub actor: String,
    /// When.
    pub created_at: DateTime<Utc>,
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

const PAGE: &str = "SELECT id, kind, available_delta, reserved_delta, sold_delta, reason, \
                           reference, actor, created_at AT TIME ZONE 'UTC' AS created_at \
                    FROM inventory.history \
                    WHERE sku_id = $1 AND ($2::uuid IS NULL OR id < $2::uuid) \
                    ORDER BY id DESC LIMIT $3";

/// A page of the history of `sku`, newest first (`history_sku_idx` serves the order).
pub fn page(db: &Db, sku: Uuid, page: &PageRequest<Uuid>) -> ApiResult<Vec<Entry>> {
    db.fetch_all(
        PAGE,
        &[uuid(sku), optional_uuid(page.after), page.fetch().into()],
    )
}

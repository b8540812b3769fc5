//! `"order".shipment` and `"order".shipment_event`: shipments booked with the carrier, where
//! each stands, and every status the carrier reported — with the rule ([`advances`]) that
//! decides whether a report moves a shipment.

use chrono::{DateTime, Utc};
use kit::db::{Db, FromRow, Row, optional_uuid, text, uuid};
use kit::{ApiError, ApiResult};
use uuid::Uuid;

/// Where a shipment stands (the carrier's `state`, as stored).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Booked,
    PickingUp,
    PickupFailed,
    PickedUp,
    OutForDelivery,
    DeliveryFailed,
    Delivered,
    Returning,
    Returned,
    Cancelled,
    Lost,
}

const STAGES: [(Stage, &str); 11] = [
    (Stage::Booked, "booked"),
    (Stage::PickingUp, "picking_up"),
    (Stage::PickupFailed, "pickup_failed"),
    (Stage::PickedUp, "picked_up"),
    (Stage::OutForDelivery, "out_for_delivery"),
    (Stage::DeliveryFailed, "delivery_failed"),
    (Stage::Delivered, "delivered"),
    (Stage::Returning, "returning"),
    (Stage::Returned, "returned"),
    (Stage::Cancelled, "cancelled"),
    (Stage::Lost, "lost"),
];

impl Stage {
    pub fn as_str(self) -> &'static str {
        STAGES
            .iter()
            .find(|(s, _)| *s == self)
            .map(|(_, name)| *name)
            .expect("every stage is in the table")
    }

    fn parse(s: &str) -> ApiResult<Stage> {
        STAGES
            .iter()
            .find(|(_, name)| *name == s)
            .map(|(stage, _)| *stage)
            .ok_or_else(|| ApiError::internal(format_args!("unknown shipment state `{s}`")))
    }

    /// How far along the way to the buyer (and back) a stage is. A failed try sits beside its
    /// try, so a courier may fail and try again.
    fn step(self) -> u8 {
        match self {
            Stage::Booked => 0,
            Stage::PickingUp | Stage::PickupFailed => 1,
            Stage::PickedUp => 2,
            Stage::OutForDelivery | Stage::DeliveryFailed => 3,
            Stage::Delivered => 4,
            Stage::Returning => 5,
            Stage::Returned => 6,
            Stage::Cancelled | Stage::Lost => 7,
        }
    }
}

/// Whether a report of `next` moves a shipment at `current` (final when `final_`):
///
/// - nothing moves a final shipment (cancelled, lost, or as the carrier said: reconciled);
/// - a cancellation only before the parcel was collected;
/// - a loss at any time;
/// - otherwise only forward, or sideways between a try and its failure (a courier failing
///   and trying again): a report that arrives after a later one changes nothing.
pub fn advances(current: Stage, final_: bool, next: Stage) -> bool {
    if final_ {
        return false;
    }
    match next {
        Stage::Cancelled => current.step() <= Stage::PickupFailed.step(),
        Stage::Lost => current != Stage::Lost,
        _ => next != current && next.step() >= current.step(),
    }
}

/// A stored shipment.
#[derive(Clone, Debug)]
pub struct Shipment {
    pub id: Uuid,
    pub reference: String,
    pub owner: String,
    pub carrier: String,
    pub tracking_code: String,
    pub label: String,
    pub service: String,
    pub stage: Stage,
    pub final_: bool,
    pub currency: String,
    pub fee_minor: i64,
    pub cod_minor: i64,
}

impl FromRow for Shipment {
    fn from_row(row: &Row<'_>) -> ApiResult<Shipment> {
        Ok(Shipment {
            id: row.get("id")?,
            reference: row.get("reference")?,
            owner: row.get("owner")?,
            carrier: row.get("carrier")?,
            tracking_code: row.get("tracking_code")?,
            label: row.get("label")?,
            service: row.get("service")?,
            stage: Stage::parse(&row.get::<String>("state")?)?,
            final_: row.get("final")?,
            currency: row.get("currency")?,
            fee_minor: row.get("fee_minor")?,
            cod_minor: row.get("cod_minor")?,
        })
    }
}

/// The reference a carrier knows shipment `id` by.
pub fn reference_of(id: Uuid) -> String {
    id.simple().to_string()
}

/// A booked shipment, before it is stored.
pub struct New<'a> {
    pub id: Uuid,
    pub owner: &'a str,
    pub carrier: &'a str,
    pub tracking_code: &'a str,
    pub label: &'a str,
    pub service: &'a str,
    pub currency: &'a str,
    pub fee_minor: i64,
    pub cod_minor: i64,
}

const INSERT: &str = "INSERT INTO \"order\".shipment (id, reference, owner, carrier, tracking_code, \
                      label, service, state, currency, fee_minor, cod_minor) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, 'booked', $8, $9, $10)";

pub fn insert(db: &Db, s: &New<'_>) -> ApiResult<()> {
    db.execute(
        INSERT,
        &[
            uuid(s.id),
            text(reference_of(s.id)),
            text(s.owner),
            text(s.carrier),
            text(s.tracking_code),
            text(s.label),
            text(s.service),
            text(s.currency),
            s.fee_minor.into(),
            s.cod_minor.into(),
        ],
    )?;
    Ok(())
}

const COLUMNS: &str = "SELECT id, reference, owner, carrier, tracking_code, label, service, state, \
                       final, currency, fee_minor, cod_minor FROM \"order\".shipment";

/// Shipment `id`, locked for the rest of the transaction when `lock`; 404 when there is none.
/// Shipments `ids` (those that exist).
pub fn load_all(db: &Db, ids: &[Uuid]) -> ApiResult<Vec<Shipment>> {
    let sql = format!("{COLUMNS} WHERE id = ANY($1::text[]::uuid[])");
    db.fetch_all(&sql, &[kit::db::uuids(ids)])
}

pub fn load(db: &Db, id: Uuid, lock: bool) -> ApiResult<Shipment> {
    let sql = format!(
        "{COLUMNS} WHERE id = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    db.fetch_optional(&sql, &[uuid(id)])?
        .ok_or_else(|| ApiError::not_found("shipment_not_found", "no such shipment"))
}

/// Whether shipment `id` was stored (a retried booking finds its first one).
pub fn exists(db: &Db, id: Uuid) -> ApiResult<bool> {
    db.scalar(
        "SELECT EXISTS (SELECT 1 FROM \"order\".shipment WHERE id = $1)",
        &[uuid(id)],
    )
}

/// The shipment `carrier` tracks as `code`, locked for the rest of the transaction.
pub fn find_locked(db: &Db, carrier: &str, code: &str) -> ApiResult<Option<Shipment>> {
    let sql = format!("{COLUMNS} WHERE carrier = $1 AND tracking_code = $2 FOR UPDATE");
    db.fetch_optional(&sql, &[text(carrier), text(code)])
}

/// Moves shipment `id` to `stage`.
pub fn set_stage(db: &Db, id: Uuid, stage: Stage, final_: bool) -> ApiResult<()> {
    db.execute(
        "UPDATE \"order\".shipment SET state = $2, final = $3, updated_at = now() WHERE id = $1",
        &[uuid(id), text(stage.as_str()), final_.into()],
    )?;
    Ok(())
}

/// One report of the carrier's, as recorded.
pub struct Event<'a> {
    pub shipment_id: Option<Uuid>,
    pub carrier: &'a str,
    pub tracking_code: &'a str,
    pub stage: Stage,
    pub carrier_status: &'a str,
    pub detail: &'a str,
    pub delayed: bool,
    pub applied: bool,
    /// `booking`, `webhook` or `poll`.
    pub source: &'a str,
    pub reported_at: Option<DateTime<Utc>>,
}

const INSERT_EVENT: &str = "INSERT INTO \"order\".shipment_event (id, shipment_id, carrier, \
                            tracking_code, state, carrier_status, detail, delayed, applied, \
                            source, reported_at) \
                            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
                            $11::text::timestamptz)";

pub fn record(db: &Db, e: &Event<'_>) -> ApiResult<()> {
    db.execute(
        INSERT_EVENT,
        &[
            uuid(kit::ids::new_id()),
            optional_uuid(e.shipment_id),
            text(e.carrier),
            text(e.tracking_code),
            text(e.stage.as_str()),
            text(e.carrier_status),
            text(e.detail),
            e.delayed.into(),
            e.applied.into(),
            text(e.source),
            e.reported_at.map(|t| t.to_rfc3339()).into(),
        ],
    )?;
    Ok(())
}

/// A recorded report.
pub struct Recorded {
    pub stage: String,
    pub carrier_status: String,
    pub detail: String,
    pub delayed: bool,
    pub applied: bool,
    pub source: String,
    pub reported_at: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
}

impl FromRow for Recorded {
    fn from_row(row: &Row<'_>) -> ApiResult<Recorded> {
        Ok(Recorded {
            stage: row.get("state")?,
            carrier_status: row.get("carrier_status")?,
            detail: row.get("detail")?,
            delayed: row.get("delayed")?,
            applied: row.get("applied")?,
            source: row.get("source")?,
            reported_at: row.optional_time("reported_at")?,
            received_at: row.time("received_at")?,
        })
    }
}

/// Every report of shipment `id`, oldest first.
pub fn history(db: &Db, id: Uuid) -> ApiResult<Vec<Recorded>> {
    db.fetch_all(
        "SELECT state, carrier_status, detail, delayed, applied, source, \
         reported_at AT TIME ZONE 'UTC' AS reported_at, \
         received_at AT TIME ZONE 'UTC' AS received_at \
         FROM \"order\".shipment_event WHERE shipment_id = $1 ORDER BY received_at, id",
        &[uuid(id)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shipment_moves_forward_and_between_a_try_and_its_failure() {
        use Stage::*;
        let moves = [
            (Booked, PickingUp, true),
            (PickingUp, PickupFailed, true),
            (PickupFailed, PickingUp, true),
            (PickingUp, PickedUp, true),
            (PickedUp, OutForDelivery, true),
            (OutForDelivery, DeliveryFailed, true),
            (DeliveryFailed, OutForDelivery, true),
            (OutForDelivery, Delivered, true),
            (DeliveryFailed, Returning, true),
            (Returning, Returned, true),
            (Booked, Delivered, true),
            (Delivered, PickedUp, false),
            (OutForDelivery, PickingUp, false),
            (Returned, Returning, false),
            (PickedUp, PickedUp, false),
        ];
        for (from, to, moves) in moves {
            assert_eq!(advances(from, false, to), moves, "{from:?} → {to:?}");
        }
    }

    #[test]
    fn a_cancellation_counts_only_before_collection_and_a_loss_always() {
        use Stage::*;
        for from in [Booked, PickingUp, PickupFailed] {
            assert!(advances(from, false, Cancelled), "{from:?}");
        }
        for from in [PickedUp, OutForDelivery, Delivered, Returning] {
            assert!(!advances(from, false, Cancelled), "{from:?}");
            assert!(advances(from, false, Lost), "{from:?}");
        }
    }

    #[test]
    fn nothing_moves_a_final_shipment() {
        for next in STAGES.map(|(s, _)| s) {
            assert!(!advances(Stage::Delivered, true, next), "{next:?}");
        }
    }
}

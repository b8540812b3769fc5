//! Inventory's rules as pure functions: what a request may do and how it moves a SKU's counts,
//! decided without I/O and tested natively below. Nothing here imports from the module, so a
//! rule can be read and tested without a database.

use std::collections::{BTreeMap, BTreeSet};

use kit::{ApiError, ApiResult};
use uuid::Uuid;

/// Most units one request may move: `kit::validate::quantity`'s bound, applied to adjustments
/// and to a reservation's total per SKU as well.
pub const MAX_UNITS: i64 = 1_000_000;

/// Most lines one reservation may hold.
pub const MAX_RESERVATION_LINES: usize = 100;

/// Most SKUs one internal availability request may name: a page of catalog's cards.
pub const MAX_AVAILABILITY_SKUS: usize = 500;

/// Most SKUs one public availability request may name.
pub const MAX_PUBLIC_SKUS: usize = 100;

/// Most serial numbers one import may carry.
pub const MAX_SERIALS_PER_IMPORT: usize = 10_000;

/// Longest reason a seller may give for an import or an adjustment.
pub const MAX_REASON_CHARS: usize = 500;

/// Longest reference a reservation may carry (a checkout id…).
pub const MAX_REFERENCE_CHARS: usize = 200;

/// Only the seller who owns a SKU may change its stock or read its history and serials; its
/// counts are public.
pub fn ensure_owner(seller: Uuid, account: Uuid) -> ApiResult<()> {
    if seller != account {
        return Err(ApiError::forbidden(
            "only the seller who owns this SKU may change or inspect its stock",
        ));
    }
    Ok(())
}

/// Catalog creates a SKU's stock once; asking again for the same seller is a repeat, but a SKU
/// id whose stock another seller owns is a conflict, never a change of owner.
pub fn ensure_sku_not_taken(owner: Uuid, seller: Uuid) -> ApiResult<()> {
    if owner != seller {
        return Err(ApiError::conflict(
            "sku_taken",
            "this SKU id already has stock owned by another seller",
        ));
    }
    Ok(())
}

/// How one change moves a SKU's three counts. The database refuses a change that would take a
/// count below zero, so these are requests, not promises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deltas {
    /// Change of the units that can be reserved.
    pub available: i64,
    /// Change of the units held by reservations.
    pub reserved: i64,
    /// Change of the units sold.
    pub sold: i64,
}

impl Deltas {
    /// No change of counts (a SKU's stock being created).
    pub const NONE: Deltas = Deltas {
        available: 0,
        reserved: 0,
        sold: 0,
    };

    /// Units put on sale (positive) or taken off sale (negative): imports, adjustments and
    /// serial status changes.
    pub fn available(units: i64) -> Deltas {
        Deltas {
            available: units,
            ..Deltas::NONE
        }
    }

    /// `quantity` units held by a new reservation.
    pub fn reserve(quantity: i64) -> Deltas {
        Deltas {
            available: -quantity,
            reserved: quantity,
            sold: 0,
        }
    }
}

/// A serial number's lifecycle state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SerialStatus {
    /// In stock and sellable.
    Active,
    /// In stock, withheld from sale by the seller.
    Inactive,
    /// Held by a reservation.
    Reserved,
    /// Sold: its reservation was committed.
    Sold,
    /// Written off.
    Damaged,
}

impl SerialStatus {
    /// Parses the stored or requested name.
    pub fn parse(s: &str) -> ApiResult<SerialStatus> {
        Ok(match s {
            "active" => SerialStatus::Active,
            "inactive" => SerialStatus::Inactive,
            "reserved" => SerialStatus::Reserved,
            "sold" => SerialStatus::Sold,
            "damaged" => SerialStatus::Damaged,
            other => {
                return Err(ApiError::validation(format!(
                    "status: `{other}` is not one of active, inactive, reserved, sold, damaged"
                )));
            }
        })
    }

    /// The stored name, the one `serial_status_valid` allows.
    pub fn as_str(self) -> &'static str {
        match self {
            SerialStatus::Active => "active",
            SerialStatus::Inactive => "inactive",
            SerialStatus::Reserved => "reserved",
            SerialStatus::Sold => "sold",
            SerialStatus::Damaged => "damaged",
        }
    }
}

/// Checks a status change a seller asks for and returns how it moves the SKU's available
/// count, which always equals its active serials. Reserved and sold are only ever set by
/// reservations, and damaged is final.
pub fn serial_transition(from: SerialStatus, to: SerialStatus) -> ApiResult<i64> {
    use SerialStatus::*;
    match (from, to) {
        (Active, Inactive) | (Active, Damaged) => Ok(-1),
        (Inactive, Active) => Ok(1),
        (Inactive, Damaged) => Ok(0),
        (a, b) if a == b => Ok(0),
        (a, b) => Err(ApiError::conflict(
            "invalid_transition",
            format!("a serial cannot go from {} to {}", a.as_str(), b.as_str()),
        )),
    }
}

/// Serial tracking can start only when every available unit already has an active serial:
/// from then on a SKU's available count equals its active serials, and reservations rely on it.
pub fn ensure_serials_cover(available: i64, active: i64) -> ApiResult<()> {
    if active != available {
        return Err(ApiError::conflict(
            "serials_missing",
            format!(
                "{available} units are available but {active} have active serial numbers; \
                 import serials first"
            ),
        ));
    }
    Ok(())
}

/// Serial tracking cannot start while reservations hold units without serials: released,
/// those units would be available with no serial to match them, and a reservation counting on
/// them would find none (`serial_shortage`). `reserved` is the SKU's reserved count,
/// `reserved_serials` its serials held by reservations.
pub fn ensure_reservations_tracked(reserved: i64, reserved_serials: i64) -> ApiResult<()> {
    let untracked = reserved - reserved_serials;
    if untracked > 0 {
        return Err(ApiError::conflict(
            "untracked_units_reserved",
            format!(
                "{untracked} reserved units have no serial number; turn serial tracking on \
                 once their reservations are committed or released"
            ),
        ));
    }
    Ok(())
}

/// Validates the serial numbers of an import: required exactly when the SKU tracks serials,
/// one per unit, each 1–100 visible characters, no repeats.
pub fn import_serials(
    serial_required: bool,
    quantity: i64,
    serials: Option<&[String]>,
) -> ApiResult<Vec<String>> {
    match (serial_required, serials) {
        (false, None) => Ok(Vec::new()),
        (false, Some([])) => Ok(Vec::new()),
        (false, Some(_)) => Err(not_tracked()),
        (true, None) => Err(ApiError::unprocessable(
            "serial_count_mismatch",
            format!("this SKU tracks serial numbers: send {quantity} of them"),
        )),
        (true, Some(s)) => checked_serials(s, quantity),
    }
}

/// Validates a list of serial numbers that must hold exactly `count` distinct entries, and
/// returns them trimmed.
pub fn checked_serials(serials: &[String], count: i64) -> ApiResult<Vec<String>> {
    if serials.len() > MAX_SERIALS_PER_IMPORT || i64::try_from(serials.len()).ok() != Some(count) {
        return Err(ApiError::unprocessable(
            "serial_count_mismatch",
            format!("{} serial numbers given for {count} units", serials.len()),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(serials.len());
    for s in serials {
        let s = s.trim();
        if s.is_empty() || s.len() > 100 || !s.chars().all(|c| c.is_ascii_graphic()) {
            return Err(ApiError::validation(
                "serials: each must be 1-100 visible ASCII characters",
            ));
        }
        if !seen.insert(s) {
            return Err(ApiError::unprocessable(
                "duplicate_serial",
                format!("serial {s} is listed twice"),
            ));
        }
        out.push(s.to_string());
    }
    Ok(out)
}

fn not_tracked() -> ApiError {
    ApiError::unprocessable(
        "serials_not_tracked",
        "this SKU does not track serial numbers",
    )
}

/// An adjustment's `delta`: a non-zero number of units, at most [`MAX_UNITS`] either way.
pub fn adjustment_delta(delta: i64) -> ApiResult<i64> {
    if delta == 0 || delta.abs() > MAX_UNITS {
        return Err(ApiError::validation(format!(
            "delta: must be a non-zero whole number between -{MAX_UNITS} and {MAX_UNITS}"
        )));
    }
    Ok(delta)
}

/// What an adjustment writes besides the count.
#[derive(Debug, PartialEq, Eq)]
pub enum Adjustment {
    /// A SKU without serials: only the count changes.
    CountOnly,
    /// A SKU with serials: these serials are written off, one per unit.
    WriteOff(Vec<String>),
}

/// Decides an adjustment from the SKU's tracking: a tracked SKU only writes units off, naming
/// one active serial per unit (it restocks by import, which brings the new serials); an
/// untracked SKU takes no serials.
pub fn adjustment(
    serial_required: bool,
    delta: i64,
    serials: Option<&[String]>,
) -> ApiResult<Adjustment> {
    if !serial_required {
        return match serials {
            Some([_, ..]) => Err(not_tracked()),
            _ => Ok(Adjustment::CountOnly),
        };
    }
    if delta > 0 {
        return Err(ApiError::unprocessable(
            "use_import",
            "this SKU tracks serial numbers: add units with an import",
        ));
    }
    checked_serials(serials.unwrap_or_default(), -delta).map(Adjustment::WriteOff)
}

/// A write-off takes no more units than are available.
pub fn ensure_write_off_fits(available: i64, delta: i64) -> ApiResult<()> {
    if available + delta < 0 {
        return Err(ApiError::conflict(
            "insufficient_stock",
            format!("only {available} units are available to write off"),
        ));
    }
    Ok(())
}

/// Validates reservation lines `(sku, quantity)` and merges repeated SKUs; the result is
/// sorted by SKU so that concurrent reservations lock stock rows in the same order and cannot
/// deadlock.
pub fn merge_lines(lines: &[(Uuid, i64)]) -> ApiResult<Vec<(Uuid, i64)>> {
    if lines.is_empty() {
        return Err(ApiError::validation(
            "lines: a reservation needs at least one line",
        ));
    }
    if lines.len() > MAX_RESERVATION_LINES {
        return Err(ApiError::validation(format!(
            "lines: at most {MAX_RESERVATION_LINES} lines per reservation"
        )));
    }
    let mut merged: BTreeMap<Uuid, i64> = BTreeMap::new();
    for (i, &(sku, quantity)) in lines.iter().enumerate() {
        let q = kit::validate::quantity(&format!("lines[{i}].quantity"), quantity)?;
        let total = merged.entry(sku).or_default();
        *total += i64::from(q);
        if *total > MAX_UNITS {
            return Err(ApiError::validation(format!(
                "lines: too many units of {sku}"
            )));
        }
    }
    Ok(merged.into_iter().collect())
}

/// A reservation's state: held until it is released or committed, both final.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReservationState {
    /// Its units are held.
    Held,
    /// Its units went back on sale.
    Released,
    /// Its units were sold.
    Committed,
}

impl ReservationState {
    /// Parses the stored name; `reservation_status_valid` allows no other, so an unknown one
    /// is a bug, not a client error.
    pub fn parse(stored: &str) -> ApiResult<ReservationState> {
        match stored {
            "held" => Ok(ReservationState::Held),
            "released" => Ok(ReservationState::Released),
            "committed" => Ok(ReservationState::Committed),
            other => Err(ApiError::internal(format_args!(
                "unknown reservation status {other}"
            ))),
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationState::Held => "held",
            ReservationState::Released => "released",
            ReservationState::Committed => "committed",
        }
    }
}

/// How a held reservation ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Cancelled, timed out or refused: units and serials go back on sale.
    Release,
    /// Paid: the units are sold.
    Commit,
}

impl Ending {
    /// The state a reservation is left in.
    pub fn state(self) -> ReservationState {
        match self {
            Ending::Release => ReservationState::Released,
            Ending::Commit => ReservationState::Committed,
        }
    }

    /// How ending a line of `quantity` units moves its SKU's counts.
    pub fn deltas(self, quantity: i64) -> Deltas {
        match self {
            Ending::Release => Deltas {
                available: quantity,
                reserved: -quantity,
                sold: 0,
            },
            Ending::Commit => Deltas {
                available: 0,
                reserved: -quantity,
                sold: quantity,
            },
        }
    }
}

/// A reservation ends once, from held; ending it again is a conflict named after the state it
/// is in (`reservation_released`, `reservation_committed`), whichever ending is asked for.
pub fn ensure_held(id: Uuid, state: ReservationState) -> ApiResult<()> {
    if state != ReservationState::Held {
        return Err(ApiError::conflict(
            format!("reservation_{}", state.as_str()),
            format!("reservation {id} is already {}", state.as_str()),
        ));
    }
    Ok(())
}

/// Refuses to end lines a reservation does not hold: 404 `reservation_line_not_found` for a
/// SKU that is not among `held`'s, 422 for an empty or repeated list.
pub fn ensure_lines_held(id: Uuid, held: &[(Uuid, i64)], only: &[Uuid]) -> ApiResult<()> {
    let unique: std::collections::BTreeSet<&Uuid> = only.iter().collect();
    if only.is_empty() || unique.len() != only.len() {
        return Err(ApiError::validation("sku_ids: at least one, each once"));
    }
    match only.iter().find(|sku| !held.iter().any(|(h, _)| h == *sku)) {
        Some(sku) => Err(ApiError::not_found(
            "reservation_line_not_found",
            format!("reservation {id} holds no line of SKU {sku}"),
        )),
        None => Ok(()),
    }
}

/// Checks the SKU count of an internal availability request.
pub fn ensure_sku_batch(count: usize) -> ApiResult<()> {
    if count == 0 || count > MAX_AVAILABILITY_SKUS {
        return Err(ApiError::validation(format!(
            "sku_ids: name 1 to {MAX_AVAILABILITY_SKUS} SKUs"
        )));
    }
    Ok(())
}

/// Parses a comma-separated list of SKU ids (`?sku_ids=a,b`), at most `max`.
pub fn sku_list(values: &[String], max: usize) -> ApiResult<Vec<Uuid>> {
    if values.is_empty() {
        return Err(ApiError::bad_request(
            "invalid_query",
            "sku_ids: name at least one SKU",
        ));
    }
    if values.len() > max {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("sku_ids: at most {max} SKUs"),
        ));
    }
    values
        .iter()
        .map(|v| {
            v.parse().map_err(|_| {
                ApiError::bad_request("invalid_query", format!("sku_ids: `{v}` is not a SKU id"))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use SerialStatus::*;

    #[test]
    fn sellers_move_serials_only_along_allowed_transitions() {
        assert_eq!(serial_transition(Active, Inactive).unwrap(), -1);
        assert_eq!(serial_transition(Inactive, Active).unwrap(), 1);
        assert_eq!(serial_transition(Active, Damaged).unwrap(), -1);
        assert_eq!(serial_transition(Inactive, Damaged).unwrap(), 0);
        assert_eq!(serial_transition(Active, Active).unwrap(), 0);
        for (from, to) in [
            (Active, Reserved),
            (Active, Sold),
            (Reserved, Active),
            (Sold, Active),
            (Damaged, Active),
            (Inactive, Sold),
        ] {
            assert_eq!(
                serial_transition(from, to).unwrap_err().code,
                "invalid_transition",
                "{from:?} -> {to:?}"
            );
        }
    }

    #[test]
    fn serial_statuses_parse_back_from_their_names() {
        for status in [Active, Inactive, Reserved, Sold, Damaged] {
            assert_eq!(SerialStatus::parse(status.as_str()).unwrap(), status);
        }
        assert_eq!(SerialStatus::parse("lost").unwrap_err().status, 422);
    }

    #[test]
    fn tracking_starts_only_when_every_available_unit_has_a_serial() {
        assert!(ensure_serials_cover(3, 3).is_ok());
        assert_eq!(
            ensure_serials_cover(3, 2).unwrap_err().code,
            "serials_missing"
        );
    }

    #[test]
    fn tracking_waits_for_reservations_of_units_without_serials() {
        assert!(ensure_reservations_tracked(0, 0).is_ok());
        assert!(
            ensure_reservations_tracked(2, 2).is_ok(),
            "held with their serials"
        );
        assert_eq!(
            ensure_reservations_tracked(3, 2).unwrap_err().code,
            "untracked_units_reserved"
        );
    }

    #[test]
    fn only_the_owner_passes_the_owner_check() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert!(ensure_owner(a, a).is_ok());
        assert_eq!(ensure_owner(a, b).unwrap_err().status, 403);
        assert!(ensure_sku_not_taken(a, a).is_ok());
        assert_eq!(ensure_sku_not_taken(a, b).unwrap_err().code, "sku_taken");
    }

    #[test]
    fn reservation_lines_merge_by_sku_in_sku_order() {
        let (a, b) = (Uuid::from_u128(2), Uuid::from_u128(1));
        let lines = [(a, 2), (b, 1), (a, 3)];
        assert_eq!(merge_lines(&lines).unwrap(), vec![(b, 1), (a, 5)]);
    }

    #[test]
    fn reservation_lines_need_positive_quantities() {
        for q in [0, -1, 1_000_001] {
            let lines = [(Uuid::from_u128(1), q)];
            assert_eq!(merge_lines(&lines).unwrap_err().status, 422, "{q}");
        }
        assert!(merge_lines(&[]).is_err());
        let sku = Uuid::from_u128(1);
        let too_many = [(sku, MAX_UNITS), (sku, 1)];
        assert_eq!(merge_lines(&too_many).unwrap_err().status, 422);
    }

    #[test]
    fn imports_carry_serials_exactly_when_tracked() {
        let two = vec!["A1".to_string(), "A2".to_string()];
        assert_eq!(import_serials(true, 2, Some(&two)).unwrap(), two);
        assert_eq!(
            import_serials(true, 3, Some(&two)).unwrap_err().code,
            "serial_count_mismatch"
        );
        assert_eq!(
            import_serials(true, 2, None).unwrap_err().code,
            "serial_count_mismatch"
        );
        assert_eq!(
            import_serials(false, 2, Some(&two)).unwrap_err().code,
            "serials_not_tracked"
        );
        let dup = vec!["A1".to_string(), " A1 ".to_string()];
        assert_eq!(
            import_serials(true, 2, Some(&dup)).unwrap_err().code,
            "duplicate_serial"
        );
        assert!(import_serials(false, 5, None).unwrap().is_empty());
    }

    #[test]
    fn adjustments_write_off_serials_only_on_tracked_skus() {
        let one = vec!["A1".to_string()];
        assert_eq!(
            adjustment(true, -1, Some(&one)).unwrap(),
            Adjustment::WriteOff(one.clone())
        );
        assert_eq!(adjustment(true, 1, None).unwrap_err().code, "use_import");
        assert_eq!(
            adjustment(true, -2, Some(&one)).unwrap_err().code,
            "serial_count_mismatch"
        );
        assert_eq!(adjustment(false, 4, None).unwrap(), Adjustment::CountOnly);
        assert_eq!(
            adjustment(false, 4, Some(&[])).unwrap(),
            Adjustment::CountOnly
        );
        assert_eq!(
            adjustment(false, -1, Some(&one)).unwrap_err().code,
            "serials_not_tracked"
        );
    }

    #[test]
    fn adjustment_deltas_are_non_zero_and_bounded() {
        assert_eq!(adjustment_delta(-3).unwrap(), -3);
        for delta in [0, MAX_UNITS + 1, -MAX_UNITS - 1] {
            assert_eq!(adjustment_delta(delta).unwrap_err().status, 422, "{delta}");
        }
        assert!(ensure_write_off_fits(3, -3).is_ok());
        assert_eq!(
            ensure_write_off_fits(2, -3).unwrap_err().code,
            "insufficient_stock"
        );
    }

    #[test]
    fn a_reservation_ends_once_and_moves_its_units_where_it_ends() {
        let id = Uuid::from_u128(9);
        assert!(ensure_held(id, ReservationState::Held).is_ok());
        assert_eq!(
            ensure_held(id, ReservationState::Released)
                .unwrap_err()
                .code,
            "reservation_released"
        );
        assert_eq!(
            ensure_held(id, ReservationState::Committed)
                .unwrap_err()
                .code,
            "reservation_committed"
        );
        let moves = |available, reserved, sold| Deltas {
            available,
            reserved,
            sold,
        };
        assert_eq!(Deltas::reserve(2), moves(-2, 2, 0));
        assert_eq!(Ending::Release.deltas(2), moves(2, -2, 0));
        assert_eq!(Ending::Commit.deltas(2), moves(0, -2, 2));
    }

    #[test]
    fn reservation_states_parse_back_from_their_names() {
        for ending in [Ending::Release, Ending::Commit] {
            let state = ending.state();
            assert_eq!(ReservationState::parse(state.as_str()).unwrap(), state);
        }
        assert_eq!(
            ReservationState::parse("held").unwrap(),
            ReservationState::Held
        );
        assert_eq!(ReservationState::parse("lost").unwrap_err().status, 500);
    }

    #[test]
    fn sku_batches_and_lists_are_bounded() {
        assert!(ensure_sku_batch(1).is_ok());
        assert!(ensure_sku_batch(0).is_err());
        assert!(ensure_sku_batch(MAX_AVAILABILITY_SKUS + 1).is_err());
        let id = Uuid::from_u128(7).to_string();
        assert_eq!(sku_list(std::slice::from_ref(&id), 5).unwrap().len(), 1);
        assert!(sku_list(&[], 5).is_err());
        assert!(sku_list(&["nope".into()], 5).is_err());
        assert!(sku_list(&vec![id; 6], 5).is_err());
    }
}

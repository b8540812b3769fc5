//! Inventory's rules as plain functions: what a request may do, decided before any I/O.

use std::collections::BTreeMap;

use kit::{ApiError, ApiResult};
use uuid::Uuid;

/// Most lines one reservation may hold.
pub const MAX_RESERVATION_LINES: usize = 100;

/// Most SKUs one availability request may name.
pub const MAX_AVAILABILITY_SKUS: usize = 500;

/// Most serial numbers one import may carry.
pub const MAX_SERIALS_PER_IMPORT: usize = 10_000;

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

    /// The stored name.
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
/// count. Reserved and sold are only ever set by reservations, and damaged is final.
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

/// One requested line of a reservation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineRequest {
    /// The SKU.
    pub sku_id: Uuid,
    /// Units wanted.
    pub quantity: i64,
}

/// Validates reservation lines and merges repeated SKUs; the result is sorted by SKU so that
/// concurrent reservations lock stock rows in the same order and cannot deadlock.
pub fn merge_lines(lines: &[LineRequest]) -> ApiResult<Vec<(Uuid, i64)>> {
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
    for (i, line) in lines.iter().enumerate() {
        let q = kit::validate::quantity(&format!("lines[{i}].quantity"), line.quantity)?;
        let total = merged.entry(line.sku_id).or_default();
        *total += i64::from(q);
        if *total > 1_000_000 {
            return Err(ApiError::validation(format!(
                "lines: too many units of {}",
                line.sku_id
            )));
        }
    }
    Ok(merged.into_iter().collect())
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
        (false, Some(_)) => Err(ApiError::unprocessable(
            "serials_not_tracked",
            "this SKU does not track serial numbers",
        )),
        (true, None) => Err(ApiError::unprocessable(
            "serial_count_mismatch",
            format!("this SKU tracks serial numbers: send {quantity} of them"),
        )),
        (true, Some(s)) => checked_serials(s, quantity),
    }
}

/// Validates a list of serial numbers that must hold exactly `count` distinct entries.
pub fn checked_serials(serials: &[String], count: i64) -> ApiResult<Vec<String>> {
    if serials.len() > MAX_SERIALS_PER_IMPORT || i64::try_from(serials.len()).ok() != Some(count) {
        return Err(ApiError::unprocessable(
            "serial_count_mismatch",
            format!("{} serial numbers given for {count} units", serials.len()),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::with_capacity(serials.len());
    for s in serials {
        let s = s.trim();
        if s.is_empty() || s.len() > 100 || !s.chars().all(|c| c.is_ascii_graphic()) {
            return Err(ApiError::validation(
                "serials: each must be 1-100 visible ASCII characters",
            ));
        }
        if !seen.insert(s.to_string()) {
            return Err(ApiError::unprocessable(
                "duplicate_serial",
                format!("serial {s} is listed twice"),
            ));
        }
        out.push(s.to_string());
    }
    Ok(out)
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
    fn reservation_lines_merge_by_sku_in_sku_order() {
        let (a, b) = (Uuid::from_u128(2), Uuid::from_u128(1));
        let lines = [
            LineRequest {
                sku_id: a,
                quantity: 2,
            },
            LineRequest {
                sku_id: b,
                quantity: 1,
            },
            LineRequest {
                sku_id: a,
                quantity: 3,
            },
        ];
        assert_eq!(merge_lines(&lines).unwrap(), vec![(b, 1), (a, 5)]);
    }

    #[test]
    fn reservation_lines_need_positive_quantities() {
        for q in [0, -1, 1_000_001] {
            let lines = [LineRequest {
                sku_id: Uuid::from_u128(1),
                quantity: q,
            }];
            assert_eq!(merge_lines(&lines).unwrap_err().status, 422, "{q}");
        }
        assert!(merge_lines(&[]).is_err());
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
        let dup = vec!["A1".to_string(), "A1".to_string()];
        assert_eq!(
            import_serials(true, 2, Some(&dup)).unwrap_err().code,
            "duplicate_serial"
        );
        assert!(import_serials(false, 5, None).unwrap().is_empty());
    }

    #[test]
    fn sku_lists_are_bounded_ids() {
        let id = Uuid::from_u128(7).to_string();
        assert_eq!(sku_list(std::slice::from_ref(&id), 5).unwrap().len(), 1);
        assert!(sku_list(&[], 5).is_err());
        assert!(sku_list(&["nope".into()], 5).is_err());
        assert!(sku_list(&vec![id; 6], 5).is_err());
    }
}

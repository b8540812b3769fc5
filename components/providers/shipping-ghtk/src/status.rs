//! GHTK's order statuses in Souk's terms: each `status_id` GHTK documents (the table is
//! `protocols::ghtk`'s, shared with the sandbox) as a WIT `state`, and whether GHTK postponed.

use protocols::ghtk::Status;

use crate::souk::shipping::types::{State, Tracking};

/// What `status` means to Souk: its state, and whether GHTK postponed (it tries again later).
/// The match is exhaustive, so a status added to the shared table must be given a meaning
/// here before this compiles.
pub fn meaning(status: Status) -> (State, bool) {
    match status {
        Status::Cancelled => (State::Cancelled, false),
        Status::Created | Status::Received => (State::Booked, false),
        Status::PickingUp => (State::PickingUp, false),
        // 8, "pickup postponed": not a cancellation; a courier comes again.
        Status::PickupDelayed => (State::PickingUp, true),
        Status::PickupFailed => (State::PickupFailed, false),
        Status::PickedUp => (State::PickedUp, false),
        Status::Delivering => (State::OutForDelivery, false),
        // 10, "delivery delayed": the attempt is postponed, the parcel still on its way.
        Status::DeliveryDelayed => (State::OutForDelivery, true),
        Status::DeliveryFailed => (State::DeliveryFailed, false),
        Status::Delivered | Status::Reconciled => (State::Delivered, false),
        Status::Returning => (State::Returning, false),
        Status::Returned | Status::ReturnReconciled => (State::Returned, false),
        Status::Compensated => (State::Lost, false),
    }
}

/// Where a shipment stands, as GHTK reported it.
pub struct Report {
    /// GHTK's tracking code (its label).
    pub label: String,
    /// Souk's reference, when GHTK echoed it.
    pub reference: Option<String>,
    pub status: Status,
    /// GHTK's words for the status, when it gave them.
    pub words: Option<String>,
    pub detail: String,
    pub at_ms: Option<i64>,
}

impl Report {
    /// The WIT `tracking` of the report: `carrier-status` is the `status_id`, then GHTK's
    /// words when it gave them.
    pub fn tracking(self) -> Tracking {
        let (state, delayed) = meaning(self.status);
        let id = self.status.id();
        Tracking {
            tracking_code: self.label,
            reference: self.reference,
            state,
            carrier_status: match self.words {
                Some(words) => format!("{id} {words}"),
                None => id.to_string(),
            },
            detail: self.detail,
            delayed,
            final_: self.status.is_final(),
            at_ms: self.at_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use protocols::ghtk::{SHIPPER_REPORTS, STATUSES};

    use super::*;

    /// Every documented `status_id`: Souk's state, delayed, final.
    const TABLE: [(i64, State, bool, bool); 16] = [
        (-1, State::Cancelled, false, true),
        (1, State::Booked, false, false),
        (2, State::Booked, false, false),
        (12, State::PickingUp, false, false),
        (8, State::PickingUp, true, false),
        (7, State::PickupFailed, false, false),
        (3, State::PickedUp, false, false),
        (4, State::OutForDelivery, false, false),
        (10, State::OutForDelivery, true, false),
        (9, State::DeliveryFailed, false, false),
        (5, State::Delivered, false, false),
        (6, State::Delivered, false, true),
        (20, State::Returning, false, false),
        (21, State::Returned, false, false),
        (11, State::Returned, false, true),
        (13, State::Lost, false, true),
    ];

    #[test]
    fn every_documented_status_id_has_its_state_delay_and_finality() {
        for (id, state, delayed, last) in TABLE {
            let status = Status::from_id(id).expect("a documented status");
            let tracking = Report {
                label: "S1.A.2".into(),
                reference: None,
                status,
                words: None,
                detail: String::new(),
                at_ms: None,
            }
            .tracking();
            assert_eq!(
                (tracking.state, tracking.delayed, tracking.final_),
                (state, delayed, last),
                "status_id {id}"
            );
            assert_eq!(tracking.carrier_status, id.to_string());
        }
        let mut ids: Vec<i64> = TABLE.iter().map(|row| row.0).collect();
        let mut documented: Vec<i64> = STATUSES.iter().map(|row| row.0).collect();
        ids.sort();
        documented.sort();
        assert_eq!(
            ids, documented,
            "the table covers exactly GHTK's order statuses"
        );
    }

    #[test]
    fn shipper_reports_are_not_order_statuses() {
        for id in SHIPPER_REPORTS {
            assert_eq!(Status::from_id(id), None, "{id}");
        }
    }

    #[test]
    fn the_carrier_status_carries_ghtk_s_words_when_it_gave_them() {
        let tracking = Report {
            label: "S1.A.2".into(),
            reference: Some("shp_1".into()),
            status: Status::DeliveryDelayed,
            words: Some("Delay giao hàng".into()),
            detail: "Khách hẹn".into(),
            at_ms: Some(5),
        }
        .tracking();
        assert_eq!(tracking.carrier_status, "10 Delay giao hàng");
        assert_eq!(
            (tracking.reference.as_deref(), tracking.detail.as_str()),
            (Some("shp_1"), "Khách hẹn")
        );
        assert_eq!(
            (tracking.tracking_code.as_str(), tracking.at_ms),
            ("S1.A.2", Some(5))
        );
    }
}

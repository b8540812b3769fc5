//! GHTK (Giao Hàng Tiết Kiệm) as both sides speak it: what its `status_id` codes mean, and
//! how its status webhook is read and authenticated.
//!
//! GHTK signs nothing. Its webhook is authenticated by a secret Souk puts in the callback URL
//! it registers with GHTK (`…?hash=<secret>`; [`crate::secret_matches`]). The body is a
//! form (`application/x-www-form-urlencoded`), though GHTK's docs also show it as JSON; both
//! are read. GHTK resends a webhook that is not answered with HTTP 200.

use std::collections::BTreeMap;

/// Where a shipment stands, from GHTK's `status_id`: every order status GHTK documents, each
/// mapped to what it means for the buyer and the seller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// `-1`: cancelled.
    Cancelled,
    /// `1`: created, not yet received by GHTK.
    Created,
    /// `2`: received by GHTK, waiting for pickup.
    Received,
    /// `12`: a courier is on the way to pick it up.
    PickingUp,
    /// `8`: pickup postponed (it will be tried again; not a cancellation).
    PickupDelayed,
    /// `7`: could not be picked up.
    PickupFailed,
    /// `3`: picked up, in GHTK's warehouse.
    PickedUp,
    /// `4`: out for delivery.
    Delivering,
    /// `10`: delivery postponed (it will be tried again).
    DeliveryDelayed,
    /// `9`: could not be delivered.
    DeliveryFailed,
    /// `5`: delivered, the cash not yet reconciled.
    Delivered,
    /// `6`: delivered and reconciled: final.
    Reconciled,
    /// `20`: on its way back to the sender.
    Returning,
    /// `21`: returned to the sender.
    Returned,
    /// `11`: returned, and the return's costs reconciled: final.
    ReturnReconciled,
    /// `13`: lost or damaged; GHTK compensates.
    Compensated,
}

impl Status {
    /// The status a `status_id` names; `None` for the shipper-reported codes (`123`, `127`,
    /// `128`, `45`, `49`, `410`), which report a courier's attempt rather than change the
    /// order's status, and for codes GHTK does not document.
    pub fn from_id(id: i64) -> Option<Status> {
        STATUSES.iter().find(|(i, _)| *i == id).map(|(_, s)| *s)
    }

    /// Its `status_id`.
    pub fn id(self) -> i64 {
        STATUSES
            .iter()
            .find(|(_, s)| *s == self)
            .map(|(i, _)| *i)
            .expect("every status is in the table")
    }

    /// Whether no later status can follow.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Status::Cancelled | Status::Reconciled | Status::ReturnReconciled | Status::Compensated
        )
    }

    /// Whether GHTK still lets the sender cancel (before pickup: `1`, `2` and `12`).
    pub fn can_cancel(self) -> bool {
        matches!(self, Status::Created | Status::Received | Status::PickingUp)
    }
}

/// Every order status GHTK documents, by `status_id`.
pub const STATUSES: [(i64, Status); 16] = [
    (-1, Status::Cancelled),
    (1, Status::Created),
    (2, Status::Received),
    (3, Status::PickedUp),
    (4, Status::Delivering),
    (5, Status::Delivered),
    (6, Status::Reconciled),
    (7, Status::PickupFailed),
    (8, Status::PickupDelayed),
    (9, Status::DeliveryFailed),
    (10, Status::DeliveryDelayed),
    (11, Status::ReturnReconciled),
    (12, Status::PickingUp),
    (13, Status::Compensated),
    (20, Status::Returning),
    (21, Status::Returned),
];

/// The codes couriers report along the way, which GHTK sends beside order statuses.
pub const SHIPPER_REPORTS: [i64; 6] = [123, 127, 128, 45, 49, 410];

/// A read status webhook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Webhook {
    /// GHTK's tracking code (`label_id`).
    pub label: String,
    /// Souk's own id for the shipment, when GHTK echoes it (`partner_id`).
    pub partner_id: Option<String>,
    /// The raw `status_id`.
    pub status_id: i64,
    /// What it means, when it is an order status (see [`Status::from_id`]).
    pub status: Option<Status>,
    /// When it happened, as GHTK wrote it (ISO 8601, `+07:00`).
    pub action_time: Option<String>,
    /// GHTK's reason text, when it gave one.
    pub reason: Option<String>,
}

/// Reads a webhook's fields (decoded form fields or a JSON object's values); `Err` names the
/// field missing or malformed.
pub fn read_webhook(fields: &BTreeMap<String, String>) -> Result<Webhook, &'static str> {
    let get = |name: &str| fields.get(name).filter(|v| !v.is_empty()).cloned();
    let label = get("label_id").ok_or("label_id")?;
    let status_id: i64 = get("status_id")
        .and_then(|s| s.trim().parse().ok())
        .ok_or("status_id")?;
    Ok(Webhook {
        label,
        partner_id: get("partner_id"),
        status_id,
        status: Status::from_id(status_id),
        action_time: get("action_time"),
        reason: get("reason"),
    })
}

/// A JSON webhook body's fields as text, for [`read_webhook`].
pub fn json_fields(body: &serde_json::Value) -> BTreeMap<String, String> {
    body.as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                _ => return None,
            };
            Some((k.clone(), text))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_status_id_is_mapped_and_the_seed_s_mistakes_are_not_repeated() {
        // The codes the system we re-create got wrong, by GHTK's own table.
        let contested = [
            (8, Status::PickupDelayed),
            (11, Status::ReturnReconciled),
            (9, Status::DeliveryFailed),
            (12, Status::PickingUp),
            (13, Status::Compensated),
            (-1, Status::Cancelled),
            (20, Status::Returning),
            (21, Status::Returned),
        ];
        for (id, want) in contested {
            assert_eq!(Status::from_id(id), Some(want), "{id}");
        }
        for (id, status) in STATUSES {
            assert_eq!((Status::from_id(id), status.id()), (Some(status), id));
        }
        assert!(!Status::PickupDelayed.is_final());
        assert!(Status::PickingUp.can_cancel());
        assert!(!Status::PickedUp.can_cancel());
        for id in SHIPPER_REPORTS {
            assert_eq!(
                Status::from_id(id),
                None,
                "{id} reports a courier's attempt"
            );
        }
        assert_eq!(Status::from_id(14), None);
        let finals: Vec<i64> = STATUSES
            .iter()
            .filter(|(_, s)| s.is_final())
            .map(|(id, _)| *id)
            .collect();
        assert_eq!(finals, [-1, 6, 11, 13]);
    }

    #[test]
    fn a_webhook_is_read_from_a_form_or_json() {
        let form: BTreeMap<String, String> = [
            ("label_id", "S22749126.SGP39-J31.1375835526"),
            ("partner_id", "shp_1"),
            ("status_id", "5"),
            ("action_time", "2026-11-27T14:05:00+07:00"),
            ("reason_code", ""),
            ("weight", "0.4"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let read = read_webhook(&form).unwrap();
        assert_eq!(read.status, Some(Status::Delivered));
        assert_eq!(read.partner_id.as_deref(), Some("shp_1"));
        assert_eq!(read.reason, None);
        let json = serde_json::json!({ "label_id": "S1.A.2", "status_id": 123, "weight": 0.4 });
        let shipper = read_webhook(&json_fields(&json)).unwrap();
        assert_eq!((shipper.status_id, shipper.status), (123, None));
        let mut broken = form.clone();
        broken.insert("status_id".into(), "five".into());
        assert_eq!(read_webhook(&broken), Err("status_id"));
        broken.remove("label_id");
        assert_eq!(read_webhook(&broken), Err("label_id"));
    }
}

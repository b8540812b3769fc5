//! Bodies of inventory's internal routes and of the messages inventory receives.
//!
//! - `POST /internal/stock`: [`CreateStockRequest`] → [`StockAnswer`], sent by catalog when it
//!   creates a SKU.
//! - `POST /internal/availability`: [`AvailabilityRequest`] → [`AvailabilityAnswer`], catalog's
//!   one call per page of cards.
//! - `GET /internal/best-sellers?limit=`: no body → [`AvailabilityAnswer`], by units sold.
//! - `POST /internal/reservations`: [`ReserveRequest`] → [`ReservationAnswer`], all or nothing.
//! - `POST /internal/reservations/:id/release` and `…/commit`: no body → [`ReservationAnswer`].
//!
//! Requests refuse unknown fields, so a caller's typo is a 422 rather than a field silently
//! ignored; answers accept them, so inventory can add a field without breaking a caller built
//! before it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The empty stock of a new SKU. Repeating it for the same seller changes nothing (200); the
/// same SKU id for another seller is 409 `sku_taken`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateStockRequest {
    /// Catalog's SKU id; inventory keeps no foreign key to it.
    pub sku_id: Uuid,
    /// The account that owns the SKU, the only one that may change its stock.
    pub seller_id: Uuid,
    /// Whether every unit will carry a serial number. Left out when false, as callers that
    /// never track serials have always sent it: the body is part of the idempotency hash.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub serial_required: bool,
}

/// A SKU's counts: the answer to a [`CreateStockRequest`], and the body of inventory's public
/// stock routes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockAnswer {
    /// The SKU.
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
    /// The last change of any of the above.
    pub updated_at: DateTime<Utc>,
}

/// The availability of 1 to 500 SKUs, read in one query; callers with more send several.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityRequest {
    /// The SKUs.
    pub sku_ids: Vec<Uuid>,
}

/// The answer to an [`AvailabilityRequest`] (ordered by SKU) and of the best sellers (by units
/// sold, most first). SKUs without stock are absent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailabilityAnswer {
    /// One entry per SKU that has stock.
    pub items: Vec<Availability>,
}

/// How many units of a SKU can be bought, and how many were sold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Availability {
    /// The SKU.
    pub sku_id: Uuid,
    /// Units that can be reserved now.
    pub available: i64,
    /// Units sold so far.
    pub sold: i64,
    /// `available > 0`, spelled out for callers that only filter.
    pub in_stock: bool,
}

/// Units of several SKUs for one checkout, reserved all or nothing: 409 `out_of_stock` (naming
/// the SKU), 404 `sku_not_found` or 409 `serial_shortage` leave every count as it was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReserveRequest {
    /// What the reservation is for (a checkout id…), 1–200 characters.
    pub reference: String,
    /// 1 to 100 lines; lines naming the same SKU are added up.
    pub lines: Vec<ReserveLine>,
}

/// One line of a [`ReserveRequest`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReserveLine {
    /// The SKU.
    pub sku_id: Uuid,
    /// Units wanted, 1 to 1,000,000.
    pub quantity: i64,
}

/// `POST /internal/reservations/:id/release` and `…/commit` (body optional): the lines of
/// `sku_ids` only, when given — the reservation holds its other lines and ends once none is
/// held — or every line still held.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinesRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku_ids: Option<Vec<Uuid>>,
}

/// A reservation, as every reservation route answers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReservationAnswer {
    /// The reservation, named in the release and commit paths.
    pub reservation_id: Uuid,
    /// The request's reference.
    pub reference: String,
    /// Where it stands.
    pub status: ReservationStatus,
    /// One line per SKU, in SKU order.
    pub lines: Vec<ReservedLine>,
}

/// A reservation's status: held until it is released or committed, both final.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReservationStatus {
    /// The units are held for the checkout.
    Held,
    /// The units and serials went back on sale.
    Released,
    /// The units were sold.
    Committed,
}

/// One SKU of a [`ReservationAnswer`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReservedLine {
    /// The SKU.
    pub sku_id: Uuid,
    /// Units reserved.
    pub quantity: i64,
    /// The serial numbers held (or returned, or sold); empty for SKUs without serials.
    pub serials: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stock_request_without_serials_is_the_body_catalog_always_sent() {
        let request = CreateStockRequest {
            sku_id: Uuid::nil(),
            seller_id: Uuid::nil(),
            serial_required: false,
        };
        let body = serde_json::to_value(&request).unwrap();
        assert_eq!(body.as_object().map(|o| o.len()), Some(2), "{body}");
        let parsed: CreateStockRequest = serde_json::from_value(body).unwrap();
        assert_eq!(parsed, request);
    }

    #[test]
    fn reservation_statuses_are_lower_case_words() {
        let statuses = [
            ReservationStatus::Held,
            ReservationStatus::Released,
            ReservationStatus::Committed,
        ];
        let words: Vec<String> = statuses
            .iter()
            .map(|s| serde_json::to_string(s).unwrap())
            .collect();
        assert_eq!(words, [r#""held""#, r#""released""#, r#""committed""#]);
    }

    #[test]
    fn a_reservation_line_with_an_unknown_field_is_refused() {
        let line = r#"{"sku_id": "00000000-0000-0000-0000-000000000000", "quantity": 1,
            "price": 5}"#;
        assert!(serde_json::from_str::<ReserveLine>(line).is_err());
    }
}

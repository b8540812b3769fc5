//! Bodies of account's internal routes and of the messages account receives.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `GET /internal/accounts/:id/currency`: the account's country and the currency it implies,
/// the one its wallet holds and its products are priced in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrencyAnswer {
    /// The account.
    pub account_id: Uuid,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// ISO 4217 currency code.
    pub currency: String,
}

/// `POST /internal/favorites/check`: which of these products (at most 500) the account
/// favours.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FavoritesCheckRequest {
    /// The account.
    pub account_id: Uuid,
    /// The products (SPUs) to check.
    pub spu_ids: Vec<Uuid>,
}

/// The answer to a [`FavoritesCheckRequest`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FavoritesCheckAnswer {
    /// The ones among the checked products that the account favours.
    pub favorites: Vec<Uuid>,
}

/// `POST /internal/notifications`: a notification for an account, sent by any module through
/// its outbox (so it may arrive twice; the message's idempotency key makes it count once).
/// Answered 201 with the notification; the answer is read by no one, as outbox relays only
/// look at the status.
///
/// `metadata` is the sender's own, stored and shown as given: account reads it as any JSON
/// (the default `M`), and a sender may name its own type for it, e.g. inventory's sold-out
/// notification with `{sku_id, reservation_id}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationRequest<M = serde_json::Value> {
    /// Whom it is for.
    pub account_id: Uuid,
    /// What it is about, lower_snake_case, up to 50 characters (`stock_sold_out`,
    /// `new_review`…): clients choose an icon or a link by it.
    #[serde(rename = "type")]
    pub kind: String,
    /// One line, 1–200 characters.
    pub title: String,
    /// The body, up to 5,000 characters; empty when left out.
    #[serde(default)]
    pub content: String,
    /// Whatever the sender wants the client to link to.
    #[serde(default)]
    pub metadata: Option<M>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notification_sent_with_typed_metadata_is_read_with_any_json() {
        #[derive(Serialize)]
        struct Link {
            sku_id: Uuid,
        }
        let sent = NotificationRequest {
            account_id: Uuid::nil(),
            kind: "stock_sold_out".into(),
            title: "A product sold out".into(),
            content: String::new(),
            metadata: Some(Link {
                sku_id: Uuid::nil(),
            }),
        };
        let read: NotificationRequest =
            serde_json::from_value(serde_json::to_value(&sent).unwrap()).unwrap();
        assert_eq!(read.kind, "stock_sold_out");
        assert_eq!(read.metadata.unwrap()["sku_id"], Uuid::nil().to_string());
    }
}

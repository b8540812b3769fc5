//! Bodies of account's internal routes and of the messages account receives.
//!
//! - `POST /internal/accounts/batch`: [`AccountsBatchRequest`] → [`AccountsBatchAnswer`].
//! - `GET /internal/accounts/:id/currency`: no body → [`CurrencyAnswer`].
//! - `GET /internal/accounts/:id/wallet`: no body → [`WalletBalanceAnswer`].
//! - `POST /internal/contacts/default`: [`DefaultContactsRequest`] → [`DefaultContactsAnswer`].
//! - `GET /internal/contacts/:id?account_id=`: no body → [`Contact`], when it is that account's.
//! - `POST /internal/favorites/check`: [`FavoritesCheckRequest`] → [`FavoritesCheckAnswer`].
//! - `POST /internal/notifications`: [`NotificationRequest`] → [`NotificationAnswer`], sent
//!   through an outbox.
//! - `POST /internal/wallet/credit` and `…/debit`: [`WalletMovementRequest`] →
//!   [`WalletMovementAnswer`], exactly once per `Idempotency-Key`.
//!
//! Requests refuse unknown fields, so a caller's typo is a 422 rather than a field silently
//! ignored; answers accept them, so account can add a field without breaking a caller built
//! before it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `POST /internal/accounts/batch`: 1 to 500 accounts by id, read in one query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountsBatchRequest {
    /// The accounts.
    pub account_ids: Vec<Uuid>,
}

/// The answer to an [`AccountsBatchRequest`], ordered by id; unknown ids are absent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountsBatchAnswer {
    /// One entry per account found.
    pub items: Vec<AccountSummary>,
}

/// An account as other modules see it: its public profile (no e-mail, phone or birth date),
/// the currency it trades in, and whether it is suspended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSummary {
    /// The account.
    pub id: Uuid,
    /// Its username, when it chose one.
    pub username: Option<String>,
    /// Its display name; may be empty.
    pub name: String,
    /// The avatar image, a resource of the common module.
    pub avatar_resource_id: Option<Uuid>,
    /// What the account says about itself.
    pub description: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// When the account was registered.
    pub created_at: DateTime<Utc>,
    /// ISO 4217 code of the currency its country implies: its wallet's and its prices'.
    pub currency: String,
    /// Whether it may sign in.
    pub status: AccountStatus,
}

/// Whether an account may sign in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Normal.
    Active,
    /// Blocked by an operator: no sign-in, no refresh.
    Suspended,
}

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

/// `GET /internal/accounts/:id/wallet`: the balance of the account's wallet, read without its
/// lock. It is a snapshot, not a promise: a caller about to spend it debits through
/// `/internal/wallet/debit`, which checks the balance again under the lock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletBalanceAnswer {
    /// The account.
    pub account_id: Uuid,
    /// Minor units of `currency`, 0 or above.
    pub balance: i64,
    /// ISO 4217 code of the wallet's currency, the one its account's country implies.
    pub currency: String,
}

/// `POST /internal/contacts/default`: the default contacts of 1 to 500 accounts, read in one
/// query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultContactsRequest {
    /// The accounts.
    pub account_ids: Vec<Uuid>,
}

/// The answer to a [`DefaultContactsRequest`]; accounts without a contact are absent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DefaultContactsAnswer {
    /// One entry per account that has a contact.
    pub items: Vec<DefaultContact>,
}

/// An account's default contact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DefaultContact {
    /// The account.
    pub account_id: Uuid,
    /// Its default contact.
    pub contact: Contact,
}

/// A contact: a delivery address with the name and phone to deliver to. The answer of
/// `GET /internal/contacts/:id`, and also the body of account's public contact routes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    /// The contact.
    pub id: Uuid,
    /// Whom to deliver to, 1–100 characters.
    pub full_name: String,
    /// Their phone number, E.164.
    pub phone: String,
    /// The address, 1–255 characters.
    pub address: String,
    /// Home or work.
    pub address_type: AddressType,
    /// Whether it is the account's default contact (an account has exactly one).
    pub is_default: bool,
    /// Where the address is, as geocoded when it was written; `None` when the geocoder did
    /// not know it.
    #[serde(default)]
    pub location: Option<Location>,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

/// A geocoded address's point and country.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

/// What kind of place a contact's address is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressType {
    /// A home address.
    Home,
    /// A work address.
    Work,
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

/// Longest `type` of a [`NotificationRequest`], in bytes (lower_snake_case ASCII).
pub const NOTIFICATION_KIND_MAX: usize = 50;
/// Longest `title` of a [`NotificationRequest`], in characters, after trimming.
pub const NOTIFICATION_TITLE_MAX: usize = 200;
/// Longest `content` of a [`NotificationRequest`], in characters, after trimming.
pub const NOTIFICATION_CONTENT_MAX: usize = 5000;

/// `POST /internal/notifications`: a notification for an account, sent by any module through
/// its outbox (so it may arrive twice; the message's idempotency key makes it count once).
/// Answered 201 with the notification; the answer is read by no one, as outbox relays only
/// look at the status.
///
/// `metadata` is the sender's own, stored and shown as given: account reads it as any JSON
/// (the default `M`), and a sender may name its own type for it, e.g. inventory's sold-out
/// notification with `{sku_id, reservation_id}`.
///
/// Account validates `title` and `content` with `kit::validate::text` and the limits above; a
/// message it refuses is dead-lettered, never retried. So a sender builds them with
/// `kit::validate::fit_line(…, NOTIFICATION_TITLE_MAX)` and `fit_text(…, NOTIFICATION_CONTENT_MAX)`
/// when they quote anything it did not write itself (a product's name, a review).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationRequest<M = serde_json::Value> {
    /// Whom it is for.
    pub account_id: Uuid,
    /// What it is about, lower_snake_case, up to [`NOTIFICATION_KIND_MAX`] (`stock_sold_out`,
    /// `new_review`…): clients choose an icon or a link by it.
    #[serde(rename = "type")]
    pub kind: String,
    /// One line, 1 to [`NOTIFICATION_TITLE_MAX`] characters.
    pub title: String,
    /// The body, up to [`NOTIFICATION_CONTENT_MAX`] characters; empty when left out.
    #[serde(default)]
    pub content: String,
    /// Whatever the sender wants the client to link to.
    #[serde(default)]
    pub metadata: Option<M>,
}

/// The answer to a [`NotificationRequest`]: the notification as stored. Also the body of the
/// account's own notification list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotificationAnswer {
    /// The notification.
    pub id: Uuid,
    /// What it is about, as sent.
    #[serde(rename = "type")]
    pub kind: String,
    /// Where it is shown: `in_app` for now.
    pub channel: String,
    /// One line.
    pub title: String,
    /// The body; may be empty.
    pub content: String,
    /// The sender's own data, as sent.
    pub metadata: Option<serde_json::Value>,
    /// Whether its account has read it.
    pub is_read: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// `POST /internal/wallet/credit` or `/internal/wallet/debit`: money into or out of an
/// account's wallet, exactly once per `Idempotency-Key` (required). A debit never takes less
/// than asked: with too little in the wallet it is 409 `insufficient_funds`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalletMovementRequest {
    /// Whose wallet.
    pub account_id: Uuid,
    /// Minor units, above 0.
    pub amount: i64,
    /// Must be the wallet's currency (422 `currency_mismatch` otherwise): a caller holding
    /// another currency converts first.
    pub currency: String,
    /// Why, 1–200 characters, shown in the ledger.
    pub reason: String,
    /// What it is for (an order id…), up to 200 characters. Left out when absent: the body is
    /// part of the idempotency hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// The answer to a [`WalletMovementRequest`]: its ledger entry and the balance it left.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletMovementAnswer {
    /// The ledger entry written.
    pub entry: WalletEntry,
    /// The balance after it, in minor units.
    pub balance: i64,
    /// The wallet's currency.
    pub currency: String,
}

/// One entry of a wallet's append-only ledger. Also the body of the account's own ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletEntry {
    /// The entry; entries sort by it in the order they were written.
    pub id: Uuid,
    /// Money in or out.
    pub kind: WalletEntryKind,
    /// Minor units, above 0.
    pub amount: i64,
    /// The wallet's currency at the time.
    pub currency: String,
    /// The balance the entry left.
    pub balance_after: i64,
    /// Why, as the caller said.
    pub reason: String,
    /// What it was for, as the caller said.
    pub reference: Option<String>,
    /// The caller's `Idempotency-Key`.
    pub idempotency_key: Option<String>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

/// Whether a ledger entry put money in or took it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WalletEntryKind {
    /// Money in.
    Credit,
    /// Money out.
    Debit,
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

    #[test]
    fn a_movement_without_a_reference_leaves_the_field_out() {
        let movement = WalletMovementRequest {
            account_id: Uuid::nil(),
            amount: 100,
            currency: "VND".into(),
            reason: "refund".into(),
            reference: None,
        };
        let body = serde_json::to_value(&movement).unwrap();
        assert!(body.get("reference").is_none(), "{body}");
        let read: WalletMovementRequest = serde_json::from_value(body).unwrap();
        assert_eq!(read, movement);
    }

    #[test]
    fn named_states_travel_as_lower_case_words() {
        let wire = serde_json::to_value((
            AccountStatus::Suspended,
            AddressType::Home,
            WalletEntryKind::Debit,
        ))
        .unwrap();
        assert_eq!(wire, serde_json::json!(["suspended", "home", "debit"]));
    }
}

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

//! Reads of other modules that several of order's resources make, one function each, through
//! their internal routes: catalog's SKUs, inventory's stock, account's buyers, contacts and
//! wallets, and common's exchange rates. Each takes the client to call with (a request's, or a
//! workflow step's), and answers in the callee's contract types.

use std::collections::HashMap;

use contracts::account::{
    AccountSummary, AccountsBatchAnswer, AccountsBatchRequest, Contact, DefaultContactsAnswer,
    DefaultContactsRequest, WalletBalanceAnswer,
};
use contracts::catalog::{SkuSummary, SkusBatchAnswer, SkusBatchRequest};
use contracts::common::{ConvertAnswer, ConvertRequest};
use contracts::inventory::{Availability, AvailabilityAnswer, AvailabilityRequest};
use kit::client::Internal;
use kit::{ApiError, ApiResult};
use uuid::Uuid;

/// Catalog's SKUs by id; unknown ones are absent.
pub async fn skus(catalog: &Internal, ids: Vec<Uuid>) -> ApiResult<HashMap<Uuid, SkuSummary>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let answer: SkusBatchAnswer = catalog
        .post(
            "/internal/skus/batch",
            &SkusBatchRequest { sku_ids: ids },
            None,
        )
        .await?;
    Ok(answer.items.into_iter().map(|s| (s.sku_id, s)).collect())
}

/// Inventory's stock of these SKUs; SKUs without stock are absent.
pub async fn stock(inventory: &Internal, ids: Vec<Uuid>) -> ApiResult<HashMap<Uuid, Availability>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let answer: AvailabilityAnswer = inventory
        .post(
            "/internal/availability",
            &AvailabilityRequest { sku_ids: ids },
            None,
        )
        .await?;
    Ok(answer.items.into_iter().map(|a| (a.sku_id, a)).collect())
}

/// The account `id` as other modules see it; 404 `account_not_found` when there is none.
pub async fn account(account: &Internal, id: Uuid) -> ApiResult<AccountSummary> {
    let answer: AccountsBatchAnswer = account
        .post(
            "/internal/accounts/batch",
            &AccountsBatchRequest {
                account_ids: vec![id],
            },
            None,
        )
        .await?;
    answer
        .items
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found("account_not_found", "no such account"))
}

/// Contact `id` of `owner`; 404 `contact_not_found` when it is not theirs.
pub async fn contact(account: &Internal, owner: Uuid, id: Uuid) -> ApiResult<Contact> {
    account
        .get(&format!("/internal/contacts/{id}?account_id={owner}"))
        .await
}

/// The default contacts of these accounts; those without one are absent.
pub async fn default_contacts(
    account: &Internal,
    ids: Vec<Uuid>,
) -> ApiResult<HashMap<Uuid, Contact>> {
    let answer: DefaultContactsAnswer = account
        .post(
            "/internal/contacts/default",
            &DefaultContactsRequest { account_ids: ids },
            None,
        )
        .await?;
    Ok(answer
        .items
        .into_iter()
        .map(|d| (d.account_id, d.contact))
        .collect())
}

/// What `owner`'s wallet holds.
pub async fn wallet(account: &Internal, owner: Uuid) -> ApiResult<WalletBalanceAnswer> {
    account
        .get(&format!("/internal/accounts/{owner}/wallet"))
        .await
}

/// `amount_minor` of `from` in `to`, by `snapshot` (the latest fresh one when `None`).
pub async fn convert(
    common: &Internal,
    amount_minor: i64,
    from: &str,
    to: &str,
    snapshot: Option<Uuid>,
) -> ApiResult<ConvertAnswer> {
    common
        .post(
            "/internal/rates/convert",
            &ConvertRequest {
                amount_minor,
                from: from.to_string(),
                to: to.to_string(),
                snapshot_id: snapshot,
            },
            None,
        )
        .await
}

//! The data layer, below every handler: one file per table, each with its row type, its column
//! list, its decoding and its named queries. Every SQL statement of the module is here, written
//! out in full or from constant pieces, never from input; a statement's failures that mean
//! something to the client (a violated constraint, a conditional update that matched nothing)
//! become client errors here, where the statement runs.
//!
//! - [`account`]: the account row, its profile, and the owner's view of it.
//! - [`contact`]: an account's delivery addresses and its default one.
//! - [`favorite`]: the products an account favours.
//! - [`notification`]: what other modules tell an account, and whether it read it.
//! - [`payment_method`]: the payment methods an account saved.
//! - [`refresh_token`]: sessions' refresh tokens, stored as digests.
//! - [`wallet`]: an account's balance; debits that never overdraw it.
//! - [`wallet_entry`]: the wallet's append-only ledger.
//! - [`login_failure`]: failed sign-ins, counted in Redis (`kit::limit`).
//! - [`registration`]: registrations per client address, counted in Redis.

pub mod account;
pub mod contact;
pub mod favorite;
pub mod login_failure;
pub mod notification;
pub mod payment_method;
pub mod refresh_token;
pub mod registration;
pub mod wallet;
pub mod wallet_entry;

pub use kit::db::Lock;

use kit::ApiResult;
use kit::db::{Db, FromRow, optional_uuid, uuid};
use kit::page::PageRequest;
use uuid::Uuid;

/// A page of `account`'s rows of `table` (a constant, with UUIDv7 ids), newest first: one more
/// than the page, as `PageRequest::page` expects. The favourites, notifications and ledger
/// pages are this query.
fn newest_first<T: FromRow>(
    db: &Db,
    table: &str,
    columns: &str,
    account: Uuid,
    page: &PageRequest<Uuid>,
) -> ApiResult<Vec<T>> {
    let sql = format!(
        "SELECT {columns} FROM account.{table} \
         WHERE account_id = $1 AND ($2::uuid IS NULL OR id < $2::uuid) \
         ORDER BY id DESC LIMIT $3"
    );
    db.fetch_all(
        &sql,
        &[
            uuid(account),
            optional_uuid(page.after),
            page.fetch().into(),
        ],
    )
}

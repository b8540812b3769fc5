//! `account.wallet`: one balance per account, in minor units of the currency its country
//! implies. `wallet_balance_not_negative` holds the balance at zero or above, and a debit that
//! would take it below is refused here as 409 `insufficient_funds`. Every change has its entry
//! in the ledger ([`super::wallet_entry`]), written in the same transaction.

use kit::db::{Db, uuid};
use kit::validate::Money;
use kit::{ApiError, ApiResult};
use uuid::Uuid;

use super::Lock;

/// Creates the empty wallet of a new account.
pub fn create(db: &Db, account: Uuid) -> ApiResult<()> {
    db.execute(
        "INSERT INTO account.wallet (account_id) VALUES ($1)",
        &[uuid(account)],
    )?;
    Ok(())
}

/// The balance of `account`'s wallet.
pub fn balance(db: &Db, account: Uuid, lock: Lock) -> ApiResult<i64> {
    let sql = format!(
        "SELECT balance FROM account.wallet WHERE account_id = $1{}",
        lock.clause()
    );
    db.scalar(&sql, &[uuid(account)])
}

fn no_wallet(account: Uuid) -> ApiError {
    ApiError::internal(format_args!("account {account} has no wallet"))
}

const CREDIT: &str = "UPDATE account.wallet SET balance = balance + $2, updated_at = now() \
                      WHERE account_id = $1 RETURNING balance";

/// Adds `amount` minor units to `account`'s wallet; returns the balance after it.
pub fn credit(db: &Db, account: Uuid, amount: i64) -> ApiResult<i64> {
    let set = db.query(CREDIT, &[uuid(account), amount.into()])?;
    let row = kit::db::rows(&set)
        .next()
        .ok_or_else(|| no_wallet(account))?;
    row.get("balance")
}

const DEBIT: &str = "UPDATE account.wallet SET balance = balance - $2, updated_at = now() \
                     WHERE account_id = $1 AND balance >= $2 RETURNING balance";

/// Takes `amount` from `account`'s wallet, all of it or nothing: 409 `insufficient_funds` when
/// the wallet holds less. Returns the balance after it.
///
/// The condition is re-checked after waiting for a concurrent debit's row lock, so racing
/// debits can never take the balance below zero.
pub fn debit(db: &Db, account: Uuid, amount: Money) -> ApiResult<i64> {
    let set = db.query(DEBIT, &[uuid(account), amount.amount.into()])?;
    match kit::db::rows(&set).next() {
        Some(row) => row.get("balance"),
        None => Err(ApiError::conflict(
            "insufficient_funds",
            format!(
                "the wallet holds less than {} {}",
                amount.amount,
                amount.currency.as_str()
            ),
        )),
    }
}

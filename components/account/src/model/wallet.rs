//! `account.wallet`: one balance per account, in minor units of the wallet's own currency
//! (that of the account's country, changed with it, only while the balance is zero:
//! `wallet_currency_needs_empty`). `wallet_balance_not_negative` holds the balance at zero or
//! above, and a debit that would take it below is refused here as 409 `insufficient_funds`.
//! Every change has its entry in the ledger ([`super::wallet_entry`]), written in the same
//! transaction and in the wallet's currency (`wallet_entry_currency_matches`).
//!
//! A movement and a change of currency serialise on the wallet's row lock: a movement loads the
//! wallet [`Lock::ForUpdate`] and checks its currency before it moves anything.

use kit::db::{Db, FromRow, Row, text, uuid};
use kit::validate::{Currency, Money};
use kit::{ApiError, ApiResult};
use uuid::Uuid;

use super::Lock;

/// A wallet as stored.
pub struct Wallet {
    /// Minor units of `currency`.
    pub balance: i64,
    /// The wallet's currency.
    pub currency: Currency,
}

impl FromRow for Wallet {
    fn from_row(row: &Row<'_>) -> ApiResult<Wallet> {
        let currency: String = row.get("currency")?;
        Ok(Wallet {
            balance: row.get("balance")?,
            currency: Currency::parse("currency", &currency).map_err(|_| {
                ApiError::internal(format_args!(
                    "a wallet holds an unknown currency `{currency}`"
                ))
            })?,
        })
    }
}

/// Creates the empty wallet of a new account, in `currency`.
pub fn create(db: &Db, account: Uuid, currency: Currency) -> ApiResult<()> {
    db.execute(
        "INSERT INTO account.wallet (account_id, currency) VALUES ($1, $2)",
        &[uuid(account), text(currency.as_str())],
    )?;
    Ok(())
}

/// `account`'s wallet; 404 `account_not_found` when there is none (every account has one).
pub fn load(db: &Db, account: Uuid, lock: Lock) -> ApiResult<Wallet> {
    let sql = format!(
        "SELECT balance, currency FROM account.wallet WHERE account_id = $1{}",
        lock.clause()
    );
    db.fetch_optional(&sql, &[uuid(account)])?
        .ok_or_else(|| ApiError::not_found("account_not_found", format!("no account {account}")))
}

/// Changes the currency of `account`'s wallet, which must be empty (the caller checked, under
/// the wallet's lock; `wallet_currency_needs_empty` holds it in the database too).
pub fn set_currency(db: &Db, account: Uuid, currency: Currency) -> ApiResult<()> {
    db.execute(
        "UPDATE account.wallet SET currency = $2, updated_at = now() WHERE account_id = $1",
        &[uuid(account), text(currency.as_str())],
    )?;
    Ok(())
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

//! `account.wallet_entry`: the wallet's append-only ledger, one entry per movement with the
//! balance it left, listed by UUIDv7 id, newest first.

use chrono::{DateTime, Utc};
use contracts::account::{WalletEntry, WalletEntryKind};
use kit::db::{Db, FromRow, Row, constraint, optional_text, rows, text, uuid};
use kit::page::PageRequest;
use kit::validate::Money;
use kit::{ApiError, ApiResult};
use uuid::Uuid;

/// A ledger entry as stored.
#[derive(Debug)]
pub struct Entry {
    /// The entry.
    pub id: Uuid,
    /// Money in or out.
    pub kind: WalletEntryKind,
    /// Minor units.
    pub amount: i64,
    /// The wallet's currency then.
    pub currency: String,
    /// The balance the entry left.
    pub balance_after: i64,
    /// Why.
    pub reason: String,
    /// What it was for.
    pub reference: Option<String>,
    /// The caller's `Idempotency-Key`.
    pub idempotency_key: Option<String>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

/// Columns [`Entry::from_row`] reads.
const COLUMNS: &str = "id, kind, amount, currency, balance_after, reason, reference, \
                       idempotency_key, created_at AT TIME ZONE 'UTC' AS created_at";

/// The stored name of a kind, one `wallet_entry_kind_valid` allows.
fn kind_name(kind: WalletEntryKind) -> &'static str {
    match kind {
        WalletEntryKind::Credit => "credit",
        WalletEntryKind::Debit => "debit",
    }
}

impl FromRow for Entry {
    fn from_row(row: &Row<'_>) -> ApiResult<Entry> {
        let kind: String = row.get("kind")?;
        Ok(Entry {
            id: row.get("id")?,
            kind: match kind.as_str() {
                "credit" => WalletEntryKind::Credit,
                "debit" => WalletEntryKind::Debit,
                other => {
                    return Err(ApiError::internal(format_args!(
                        "a ledger entry has an unknown kind `{other}`"
                    )));
                }
            },
            amount: row.get("amount")?,
            currency: row.get("currency")?,
            balance_after: row.get("balance_after")?,
            reason: row.get("reason")?,
            reference: row.get("reference")?,
            idempotency_key: row.get("idempotency_key")?,
            created_at: row.time("created_at")?,
        })
    }
}

impl From<Entry> for WalletEntry {
    fn from(e: Entry) -> WalletEntry {
        WalletEntry {
            id: e.id,
            kind: e.kind,
            amount: e.amount,
            currency: e.currency,
            balance_after: e.balance_after,
            reason: e.reason,
            reference: e.reference,
            idempotency_key: e.idempotency_key,
            created_at: e.created_at,
        }
    }
}

/// A movement to record, validated.
pub struct NewEntry<'a> {
    /// Whose wallet.
    pub account_id: Uuid,
    /// Money in or out.
    pub kind: WalletEntryKind,
    /// How much, in the wallet's currency.
    pub amount: Money,
    /// The balance the movement left.
    pub balance_after: i64,
    /// Why.
    pub reason: &'a str,
    /// What it was for.
    pub reference: Option<&'a str>,
    /// The caller's `Idempotency-Key`.
    pub idempotency_key: Option<&'a str>,
}

/// Appends an entry to the ledger and returns it.
pub fn insert(db: &Db, new: &NewEntry<'_>) -> ApiResult<Entry> {
    let sql = format!(
        "INSERT INTO account.wallet_entry \
         (id, account_id, kind, amount, currency, balance_after, reason, reference, \
          idempotency_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {COLUMNS}"
    );
    let params = [
        uuid(kit::ids::new_id()),
        uuid(new.account_id),
        text(kind_name(new.kind)),
        new.amount.amount.into(),
        text(new.amount.currency.as_str()),
        new.balance_after.into(),
        text(new.reason),
        optional_text(new.reference),
        optional_text(new.idempotency_key),
    ];
    let set = db.query(&sql, &params).map_err(|e| {
        e.to_api(&[constraint(
            "wallet_entry_key_unique",
            ApiError::conflict(
                "wallet_entry_exists",
                "a wallet movement with this Idempotency-Key was already made",
            ),
        )])
    })?;
    rows(&set)
        .next()
        .map(|r| Entry::from_row(&r))
        .transpose()?
        .ok_or_else(|| ApiError::internal("the ledger insert returned nothing"))
}

/// A page of the ledger of `account`, newest first (one more than the page, as
/// `PageRequest::page` expects).
pub fn page(db: &Db, account: Uuid, page: &PageRequest<Uuid>) -> ApiResult<Vec<Entry>> {
    super::newest_first(db, "wallet_entry", COLUMNS, account, page)
}

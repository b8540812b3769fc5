//! The wallet: a balance in the account's currency and its append-only ledger. Other modules
//! debit and credit it through internal routes, exactly once per `Idempotency-Key`; a debit
//! never takes less than asked and never leaves the balance negative, however many race.

use chrono::{DateTime, Utc};
use kit::db::{Db, FromRow, Row, optional_text, optional_uuid, rows, text, uuid};
use kit::page::{self, PageRequest};
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::Lock;
use crate::model::account;

/// One ledger entry.
#[derive(Serialize)]
struct Entry {
    id: Uuid,
    kind: String,
    amount: i64,
    currency: String,
    balance_after: i64,
    reason: String,
    reference: Option<String>,
    idempotency_key: Option<String>,
    created_at: DateTime<Utc>,
}

impl FromRow for Entry {
    fn from_row(row: &Row<'_>) -> ApiResult<Entry> {
        Ok(Entry {
            id: row.get("id")?,
            kind: row.get("kind")?,
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

const ENTRY_COLUMNS: &str = "id, kind, amount, currency, balance_after, reason, reference, idempotency_key, \
created_at AT TIME ZONE 'UTC' AS created_at";

/// `GET /api/v1/account/wallet` — balance and currency.
pub async fn get(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let db = ctx.db()?;
    let account = account::load(db, user.sub, Lock::None)?;
    let balance: i64 = db.scalar(
        "SELECT balance FROM account.wallet WHERE account_id = $1",
        &[uuid(user.sub)],
    )?;
    json::ok(&serde_json::json!({ "balance": balance, "currency": account.currency().as_str() }))
}

/// `GET /api/v1/account/wallet/entries` — the ledger, newest first.
pub async fn entries(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let page: PageRequest<Uuid> = page::request(&ctx)?;
    let entries: Vec<Entry> = ctx.db()?.fetch_all(
        &format!(
            "SELECT {ENTRY_COLUMNS} FROM account.wallet_entry WHERE account_id = $1 AND ($2::uuid IS NULL OR id < $2::uuid) \
             ORDER BY id DESC LIMIT $3"
        ),
        &[uuid(user.sub), optional_uuid(page.after), page.fetch().into()],
    )?;
    json::ok(&page.page(entries, |e| e.id))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MovementBody {
    account_id: Uuid,
    amount: i64,
    /// Must be the account's currency: a caller holding another currency converts first.
    currency: String,
    reason: String,
    #[serde(default)]
    reference: Option<String>,
}

/// Whether money goes in or out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Credit,
    Debit,
}

async fn movement(ctx: Ctx, req: Request, kind: Kind) -> ApiResult<Response> {
    let body: MovementBody = json::read(&req)?;
    let amount = kit::validate::positive_amount("amount", body.amount)?;
    let reason = kit::validate::text("reason", &body.reason, 1, 200)?;
    let reference = body
        .reference
        .as_deref()
        .map(|r| kit::validate::text("reference", r, 1, 200))
        .transpose()?;
    ctx.db()?.transaction(async |db: &Db| {
        let account = account::load(db, body.account_id, Lock::None)?;
        let currency = account.currency().as_str().to_string();
        if body.currency != currency {
            return Err(ApiError::unprocessable(
                "currency_mismatch",
                format!("the wallet holds {currency}, not {}", body.currency),
            ));
        }
        let sql = match kind {
            Kind::Credit => "UPDATE account.wallet SET balance = balance + $2, updated_at = now() WHERE account_id = $1 RETURNING balance",
            // The condition is re-checked after waiting for a concurrent debit's row lock, so
            // racing debits can never take the balance below zero.
            Kind::Debit => "UPDATE account.wallet SET balance = balance - $2, updated_at = now() WHERE account_id = $1 AND balance >= $2 RETURNING balance",
        };
        let set = db.query(sql, &[uuid(body.account_id), amount.into()])?;
        let Some(row) = rows(&set).next() else {
            return Err(ApiError::conflict("insufficient_funds", format!("the wallet holds less than {amount} {currency}")));
        };
        let balance: i64 = row.get("balance")?;
        let entry: Entry = db
            .fetch_optional(
                &format!(
                    "INSERT INTO account.wallet_entry (id, account_id, kind, amount, currency, balance_after, reason, reference, idempotency_key) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {ENTRY_COLUMNS}"
                ),
                &[
                    uuid(kit::ids::new_id()),
                    uuid(body.account_id),
                    text(if kind == Kind::Credit { "credit" } else { "debit" }),
                    amount.into(),
                    text(&currency),
                    balance.into(),
                    text(&reason),
                    optional_text(reference.as_deref()),
                    optional_text(ctx.idempotency_key()),
                ],
            )?
            .ok_or_else(|| ApiError::internal("the ledger insert returned nothing"))?;
        json::ok(&serde_json::json!({ "entry": entry, "balance": balance, "currency": currency }))
    })
    .await
}

/// `POST /internal/wallet/credit`.
pub async fn credit(ctx: Ctx, req: Request) -> ApiResult<Response> {
    movement(ctx, req, Kind::Credit).await
}

/// `POST /internal/wallet/debit` — 409 `insufficient_funds` rather than a partial debit.
pub async fn debit(ctx: Ctx, req: Request) -> ApiResult<Response> {
    movement(ctx, req, Kind::Debit).await
}

//! `/api/v1/account/wallet…`, `/internal/accounts/:id/wallet` and `/internal/wallet/…`: the
//! wallet, a balance in the account's currency and its append-only ledger. Other modules read
//! the balance and credit and debit it through the internal routes, the movements exactly once
//! per `Idempotency-Key` (the router keeps the key); a debit never takes less than asked and
//! never leaves the balance negative, however many race; and it is in the wallet's currency,
//! checked under the wallet's lock, which a change of country takes too.

use contracts::account::{
    WalletBalanceAnswer, WalletEntry, WalletEntryKind, WalletMovementAnswer, WalletMovementRequest,
};
use kit::db::Db;
use kit::page::{self, PageRequest};
use kit::validate::{Currency, Money};
use kit::{ApiResult, Ctx, Request, Response, json};
use serde::Serialize;
use uuid::Uuid;

use crate::model::wallet_entry::{self, NewEntry};
use crate::model::{Lock, wallet};
use crate::rules;
use crate::rules::wallet::{MAX_REASON_CHARS, MAX_REFERENCE_CHARS};

/// A wallet's balance.
#[derive(Serialize)]
struct WalletAnswer {
    balance: i64,
    currency: String,
}

/// `GET /api/v1/account/wallet` — balance and currency.
pub async fn get(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let wallet = wallet::load(ctx.db()?, user.sub, Lock::None)?;
    json::ok(&WalletAnswer {
        balance: wallet.balance,
        currency: wallet.currency.as_str().to_string(),
    })
}

/// `GET /api/v1/account/wallet/entries` — the ledger, newest first.
pub async fn entries(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let request: PageRequest<Uuid> = page::request(&ctx)?;
    let rows = wallet_entry::page(ctx.db()?, user.sub, &request)?;
    let items: Vec<WalletEntry> = rows.into_iter().map(WalletEntry::from).collect();
    json::ok(&request.page(items, |e| e.id))
}

/// `GET /internal/accounts/:id/wallet` — another module's view of the balance; 404
/// `account_not_found` for an unknown account.
pub async fn balance(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let id = ctx.param_id("id", "account")?;
    let wallet = wallet::load(ctx.db()?, id, Lock::None)?;
    json::ok(&WalletBalanceAnswer {
        account_id: id,
        balance: wallet.balance,
        currency: wallet.currency.as_str().to_string(),
    })
}

/// A movement, validated.
struct Movement {
    account_id: Uuid,
    amount: Money,
    reason: String,
    reference: Option<String>,
}

impl Movement {
    fn parse(body: WalletMovementRequest) -> ApiResult<Movement> {
        Ok(Movement {
            account_id: body.account_id,
            amount: Money {
                amount: kit::validate::positive_amount("amount", body.amount)?,
                currency: Currency::parse("currency", &body.currency)?,
            },
            reason: kit::validate::line("reason", &body.reason, 1, MAX_REASON_CHARS)?,
            reference: body
                .reference
                .as_deref()
                .map(|r| kit::validate::line("reference", r, 1, MAX_REFERENCE_CHARS))
                .transpose()?,
        })
    }
}

async fn movement(ctx: Ctx, req: Request, kind: WalletEntryKind) -> ApiResult<Response> {
    let movement = Movement::parse(json::read(&req)?)?;
    let id = movement.account_id;
    let answer = ctx
        .db()?
        .transaction(async |db: &Db| {
            // The wallet's lock, held to the end: a change of country waits for this movement,
            // or this movement for it, and sees the currency it left.
            let currency = wallet::load(db, id, Lock::ForUpdate)?.currency;
            rules::wallet::ensure_currency(currency, movement.amount.currency)?;
            let balance = match kind {
                WalletEntryKind::Credit => wallet::credit(db, id, movement.amount.amount)?,
                WalletEntryKind::Debit => wallet::debit(db, id, movement.amount)?,
            };
            let entry = wallet_entry::insert(
                db,
                &NewEntry {
                    account_id: id,
                    kind,
                    amount: movement.amount,
                    balance_after: balance,
                    reason: &movement.reason,
                    reference: movement.reference.as_deref(),
                    idempotency_key: ctx.idempotency_key(),
                },
            )?;
            Ok(WalletMovementAnswer {
                entry: WalletEntry::from(entry),
                balance,
                currency: currency.as_str().to_string(),
            })
        })
        .await?;
    json::ok(&answer)
}

/// `POST /internal/wallet/credit`.
pub async fn credit(ctx: Ctx, req: Request) -> ApiResult<Response> {
    movement(ctx, req, WalletEntryKind::Credit).await
}

/// `POST /internal/wallet/debit` — 409 `insufficient_funds` rather than a partial debit.
pub async fn debit(ctx: Ctx, req: Request) -> ApiResult<Response> {
    movement(ctx, req, WalletEntryKind::Debit).await
}

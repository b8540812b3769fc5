//! Internal routes other modules call: accounts by ids, default contacts, account currency.
//! (Wallet movements, notifications and favourite checks live beside their resources.)

use kit::db::uuids;
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::Deserialize;
use uuid::Uuid;

use crate::accounts::{self, Account};

/// Most accounts one batch may name.
const MAX_BATCH: usize = 500;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch {
    account_ids: Vec<Uuid>,
}

fn batch(req: &Request) -> ApiResult<Vec<Uuid>> {
    let body: Batch = json::read(req)?;
    if body.account_ids.is_empty() || body.account_ids.len() > MAX_BATCH {
        return Err(ApiError::validation(format!(
            "account_ids: name 1 to {MAX_BATCH} accounts"
        )));
    }
    Ok(body.account_ids)
}

/// `POST /internal/accounts/batch` `{account_ids}` → public profiles with currency and status
/// (other modules need to know who is suspended); unknown ids are absent.
pub async fn accounts_batch(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let ids = batch(&req)?;
    let found: Vec<Account> = ctx.db()?.fetch_all(
        &format!(
            "SELECT {} FROM account.account WHERE id = ANY($1::text[]::uuid[]) ORDER BY id",
            accounts::COLUMNS
        ),
        &[uuids(&ids)],
    )?;
    let items = found
        .into_iter()
        .map(|a| {
            let currency = a.currency()?;
            let status = a.status.clone();
            let mut public = serde_json::to_value(a.public()).map_err(ApiError::internal)?;
            public["currency"] = currency.into();
            public["status"] = status.into();
            Ok(public)
        })
        .collect::<ApiResult<Vec<_>>>()?;
    json::ok(&serde_json::json!({ "items": items }))
}

/// `POST /internal/contacts/default` `{account_ids}` → each account's default contact;
/// accounts without one are absent.
pub async fn default_contacts(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let ids = batch(&req)?;
    let items: Vec<serde_json::Value> = crate::contacts::defaults(ctx.db()?, &ids)?
        .into_iter()
        .map(|(account, contact)| serde_json::json!({ "account_id": account, "contact": contact }))
        .collect();
    json::ok(&serde_json::json!({ "items": items }))
}

/// `GET /internal/accounts/:id/currency`.
pub async fn currency(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let id = ctx.param_id("id", "account")?;
    let account = accounts::load(ctx.db()?, id, false)?;
    json::ok(
        &serde_json::json!({ "account_id": id, "country": account.country, "currency": account.currency()? }),
    )
}

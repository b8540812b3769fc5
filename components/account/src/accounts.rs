//! `/api/v1/account/accounts/:id` and `/internal/accounts/…`: accounts as others see them — the
//! public, and other modules (which also learn the currency and who is suspended). Never an
//! e-mail address, a phone number or a birth date.

use chrono::{DateTime, Utc};
use contracts::account::{
    AccountSummary, AccountsBatchAnswer, AccountsBatchRequest, CurrencyAnswer,
};
use kit::{ApiResult, Ctx, Request, Response, json};
use serde::Serialize;
use uuid::Uuid;

use crate::model::Lock;
use crate::model::account::{self, Account};
use crate::rules;

/// An account as anyone sees it.
#[derive(Serialize)]
struct PublicProfile {
    id: Uuid,
    username: Option<String>,
    name: String,
    avatar_resource_id: Option<Uuid>,
    description: Option<String>,
    country: String,
    created_at: DateTime<Utc>,
}

impl From<Account> for PublicProfile {
    fn from(a: Account) -> PublicProfile {
        PublicProfile {
            id: a.id,
            username: a.username,
            name: a.name,
            avatar_resource_id: a.avatar_resource_id,
            description: a.description,
            country: a.country.as_str().to_string(),
            created_at: a.created_at,
        }
    }
}

/// `GET /api/v1/account/accounts/:id` — public.
pub async fn public(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let id = ctx.param_id("id", "account")?;
    let account = account::load(ctx.db()?, id, Lock::None)?;
    json::ok(&PublicProfile::from(account))
}

/// `POST /internal/accounts/batch` — the summaries of up to 500 accounts; unknown ids are
/// absent.
pub async fn batch(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: AccountsBatchRequest = json::read(&req)?;
    rules::ensure_batch("account_ids", "accounts", body.account_ids.len())?;
    let found = account::batch(ctx.db()?, &body.account_ids)?;
    json::ok(&AccountsBatchAnswer {
        items: found.into_iter().map(AccountSummary::from).collect(),
    })
}

/// `GET /internal/accounts/:id/currency` — the account's country and the currency it implies.
pub async fn currency(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let id = ctx.param_id("id", "account")?;
    let account = account::load(ctx.db()?, id, Lock::None)?;
    json::ok(&CurrencyAnswer {
        account_id: id,
        country: account.country.as_str().to_string(),
        currency: account.currency().as_str().to_string(),
    })
}

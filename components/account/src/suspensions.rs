//! `/api/v1/account/accounts/:id/suspend` and `…/reinstate` (admin token): an operator blocks
//! an account and lets it back in.
//!
//! A suspension is one transaction under the account's row lock: the status, every session's
//! refresh tokens revoked, and the account's "not before" second set in Redis
//! (`kit::auth::end_account_tokens`), which every module reads with each access token — so the
//! account's live tokens stop working at its next request, not at their expiry. Sign-in takes
//! the same lock and reads the status again, so no token issued during a suspension survives
//! it. Without Redis nothing changes (503, try again). Reinstating lets the account sign in
//! again; the tokens the suspension ended stay ended.

use kit::db::Db;
use kit::{ApiResult, Ctx, Request, Response, json};
use serde::Deserialize;

use crate::auth::end_access_tokens;
use crate::config::Config;
use crate::model::account::{self, Standing};
use crate::model::{Lock, refresh_token};
use crate::rules::account::{MAX_DESCRIPTION_CHARS, Status};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SuspendRequest {
    /// The operator's note: why.
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /api/v1/account/accounts/:id/suspend` (admin token) — the account's standing;
/// 404 `account_not_found`. Suspending a suspended account again ends its tokens again and
/// keeps its first suspension's time.
pub async fn suspend(ctx: Ctx, req: Request) -> ApiResult<Response> {
    kit::auth::require_admin(&req)?;
    let id = ctx.param_id("id", "account")?;
    let body: SuspendRequest = if req.body().is_empty() {
        SuspendRequest { reason: None }
    } else {
        json::read(&req)?
    };
    let reason = body
        .reason
        .as_deref()
        .map(|r| kit::validate::text("reason", r, 0, MAX_DESCRIPTION_CHARS))
        .transpose()?
        .filter(|r| !r.is_empty());
    let config = Config::read(ctx.settings())?;
    let standing = ctx
        .db()?
        .transaction(async |db: &Db| {
            account::load(db, id, Lock::ForUpdate)?;
            let standing = account::set_standing(db, id, Status::Suspended, reason.as_deref())?;
            refresh_token::revoke_account(db, id)?;
            end_access_tokens(
                &ctx,
                &kit::auth::end_account_tokens(id, kit::time::now(), config.access_token_ttl_secs),
            )?;
            Ok(standing)
        })
        .await?;
    json::ok(&standing)
}

/// `POST /api/v1/account/accounts/:id/reinstate` (admin token) — the account may sign in
/// again; its standing. 404 `account_not_found`.
pub async fn reinstate(ctx: Ctx, req: Request) -> ApiResult<Response> {
    kit::auth::require_admin(&req)?;
    let id = ctx.param_id("id", "account")?;
    let standing: Standing = ctx
        .db()?
        .transaction(async |db: &Db| {
            account::load(db, id, Lock::ForUpdate)?;
            account::set_standing(db, id, Status::Active, None)
        })
        .await?;
    json::ok(&standing)
}

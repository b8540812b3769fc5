//! Internal routes other modules call: default contacts.
//! (Accounts, wallet movements, notifications and favourite checks live beside their
//! resources.)

use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::Deserialize;
use uuid::Uuid;

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

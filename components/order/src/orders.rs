//! `/internal/orders`: what other modules ask about buyers' orders.
//!
//! - `POST /internal/orders/reviewable` `{account_id, order_id, sku_ids}` → `{reviewable}`:
//!   whether the account bought one of these SKUs in that order — a paid checkout of theirs
//!   with a line of one of them that was not cancelled. Catalog asks it before it takes a
//!   review.

use contracts::order::{ReviewableAnswer, ReviewableRequest};
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};

use crate::model::checkout;

/// Most SKUs one question names (a product's).
const MAX_SKUS: usize = 500;

/// `POST /internal/orders/reviewable`.
pub async fn reviewable(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: ReviewableRequest = json::read(&req)?;
    if body.sku_ids.is_empty() || body.sku_ids.len() > MAX_SKUS {
        return Err(ApiError::validation(format!("sku_ids: 1 to {MAX_SKUS}")));
    }
    let reviewable = checkout::bought(ctx.db()?, body.account_id, body.order_id, &body.sku_ids)?;
    json::ok(&ReviewableAnswer { reviewable })
}

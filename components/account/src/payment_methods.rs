//! Saved payment methods: references a payment provider issued (a token), with display hints
//! — never card numbers. One may be the default.

use chrono::{DateTime, Utc};
use kit::db::{Db, FromRow, Row, optional_text, text, uuid};
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Most methods one account may save.
const MAX_METHODS: i64 = 20;

#[derive(Serialize)]
struct Method {
    id: Uuid,
    provider: String,
    provider_reference: String,
    label: String,
    brand: Option<String>,
    last4: Option<String>,
    is_default: bool,
    created_at: DateTime<Utc>,
}

impl FromRow for Method {
    fn from_row(row: &Row<'_>) -> ApiResult<Method> {
        Ok(Method {
            id: row.get("id")?,
            provider: row.get("provider")?,
            provider_reference: row.get("provider_reference")?,
            label: row.get("label")?,
            brand: row.get("brand")?,
            last4: row.get("last4")?,
            is_default: row.get("is_default")?,
            created_at: row.time("created_at")?,
        })
    }
}

const COLUMNS: &str = "id, provider, provider_reference, label, brand, last4, is_default, created_at AT TIME ZONE 'UTC' AS created_at";

/// Whether `s` holds a run of 12–19 digits (ignoring spaces and dashes): what a card number
/// looks like, which must never be stored.
pub fn looks_like_card_number(s: &str) -> bool {
    let mut run = 0;
    for c in s.chars() {
        match c {
            '0'..='9' => {
                run += 1;
                if run >= 12 {
                    return true;
                }
            }
            ' ' | '-' => {}
            _ => run = 0,
        }
    }
    false
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddBody {
    provider: String,
    provider_reference: String,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    brand: Option<String>,
    #[serde(default)]
    last4: Option<String>,
    #[serde(default)]
    make_default: bool,
}

/// `GET /api/v1/account/payment-methods`.
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let items: Vec<Method> = ctx.db()?.fetch_all(
        &format!("SELECT {COLUMNS} FROM account.payment_method WHERE account_id = $1 ORDER BY is_default DESC, created_at, id"),
        &[uuid(user.sub)],
    )?;
    json::ok(&serde_json::json!({ "items": items }))
}

/// `POST /api/v1/account/payment-methods` — the first one is the default.
pub async fn add(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let body: AddBody = json::read(&req)?;
    let provider_ok = (2..=32).contains(&body.provider.len())
        && body.provider.starts_with(|c: char| c.is_ascii_lowercase())
        && body
            .provider
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !provider_ok {
        return Err(ApiError::validation(
            "provider: lower-case letters, digits, '_' or '-', 2-32 characters",
        ));
    }
    let reference = kit::validate::text("provider_reference", &body.provider_reference, 1, 255)?;
    let label = kit::validate::text("label", body.label.as_deref().unwrap_or(""), 0, 100)?;
    if [
        Some(reference.as_str()),
        Some(label.as_str()),
        body.brand.as_deref(),
    ]
    .into_iter()
    .flatten()
    .any(looks_like_card_number)
    {
        return Err(ApiError::unprocessable(
            "raw_card_data",
            "send the provider's token for the card, never the card number",
        ));
    }
    if let Some(l4) = &body.last4
        && !(l4.len() == 4 && l4.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(ApiError::validation("last4: exactly four digits"));
    }
    let brand = body
        .brand
        .as_deref()
        .map(|b| kit::validate::text("brand", b, 1, 30))
        .transpose()?;
    let id = kit::ids::new_id();
    let method = ctx
        .db()?
        .transaction(async |db: &Db| {
            crate::model::account::load(db, user.sub, crate::model::Lock::ForUpdate)?;
            let count: i64 = db.scalar("SELECT count(*) FROM account.payment_method WHERE account_id = $1", &[uuid(user.sub)])?;
            if count >= MAX_METHODS {
                return Err(ApiError::conflict("too_many_payment_methods", format!("an account saves at most {MAX_METHODS} payment methods")));
            }
            let is_default = count == 0 || body.make_default;
            if is_default {
                db.execute("UPDATE account.payment_method SET is_default = false WHERE account_id = $1 AND is_default", &[uuid(user.sub)])?;
            }
            db.query(
                &format!(
                    "INSERT INTO account.payment_method (id, account_id, provider, provider_reference, label, brand, last4, is_default) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
                ),
                &[uuid(id), uuid(user.sub), text(&body.provider), text(&reference), text(&label), optional_text(brand.as_deref()), optional_text(body.last4.as_deref()), is_default.into()],
            )
            .map_err(|e| e.to_api(&[("payment_method_reference_key", ApiError::conflict("payment_method_exists", "this payment method is already saved"))]))
            .and_then(|set| kit::db::rows(&set).next().map(|r| Method::from_row(&r)).transpose()?.ok_or_else(|| ApiError::internal("insert returned nothing")))
        })
        .await?;
    json::created(&format!("/api/v1/account/payment-methods/{id}"), &method)
}

/// `DELETE /api/v1/account/payment-methods/:id` — a deleted default passes to the oldest one.
pub async fn remove(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let id = ctx.param_id("id", "payment_method")?;
    ctx.db()?
        .transaction(async |db: &Db| {
            let set = db.query("DELETE FROM account.payment_method WHERE id = $1 AND account_id = $2 RETURNING is_default", &[uuid(id), uuid(user.sub)])?;
            let was_default: bool = kit::db::rows(&set)
                .next()
                .ok_or_else(|| ApiError::not_found("payment_method_not_found", format!("no payment method {id}")))?
                .get("is_default")?;
            if was_default {
                db.execute(
                    "UPDATE account.payment_method SET is_default = true WHERE id = (SELECT id FROM account.payment_method WHERE account_id = $1 ORDER BY created_at, id LIMIT 1)",
                    &[uuid(user.sub)],
                )?;
            }
            Ok(())
        })
        .await?;
    json::no_content()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_are_recognised_in_any_spacing() {
        assert!(looks_like_card_number("4111 1111 1111 1111"));
        assert!(looks_like_card_number("4111-1111-1111-1111"));
        assert!(looks_like_card_number("pm_4111111111111111"));
        assert!(!looks_like_card_number("pm_1NzR2k2eZvKYlo2C"));
        assert!(!looks_like_card_number("tok_12345678901"));
    }
}

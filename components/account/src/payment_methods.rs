//! `/api/v1/account/payment-methods…`: saved payment methods — references a payment provider
//! issued (a token), with display hints, never card numbers. One may be the default, and the
//! account chooses it. Adding and deleting one notifies the account, in the same transaction.

use chrono::{DateTime, Utc};
use kit::db::Db;
use kit::{ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::notification::{self, NewNotification};
use crate::model::payment_method::{self, Method, NewMethod};
use crate::model::{Lock, account};
use crate::rules;
use crate::rules::payment_method::{MAX_BRAND_CHARS, MAX_LABEL_CHARS, MAX_REFERENCE_CHARS};

/// A saved payment method.
#[derive(Serialize)]
struct MethodAnswer {
    id: Uuid,
    provider: String,
    provider_reference: String,
    label: String,
    brand: Option<String>,
    last4: Option<String>,
    is_default: bool,
    created_at: DateTime<Utc>,
}

impl From<Method> for MethodAnswer {
    fn from(m: Method) -> MethodAnswer {
        MethodAnswer {
            id: m.id,
            provider: m.provider,
            provider_reference: m.provider_reference,
            label: m.label,
            brand: m.brand,
            last4: m.last4,
            is_default: m.is_default,
            created_at: m.created_at,
        }
    }
}

/// The account's saved methods.
#[derive(Serialize)]
struct MethodList {
    items: Vec<MethodAnswer>,
}

/// `GET /api/v1/account/payment-methods` — the default first.
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let methods = payment_method::list(ctx.db()?, user.sub)?;
    json::ok(&MethodList {
        items: methods.into_iter().map(MethodAnswer::from).collect(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddRequest {
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

impl AddRequest {
    fn parse(self, id: Uuid, account_id: Uuid) -> ApiResult<NewMethod> {
        rules::payment_method::ensure_provider(&self.provider)?;
        let reference = kit::validate::line(
            "provider_reference",
            &self.provider_reference,
            1,
            MAX_REFERENCE_CHARS,
        )?;
        let label = kit::validate::line(
            "label",
            self.label.as_deref().unwrap_or(""),
            0,
            MAX_LABEL_CHARS,
        )?;
        rules::payment_method::ensure_no_card_number(
            [
                Some(reference.as_str()),
                Some(label.as_str()),
                self.brand.as_deref(),
            ]
            .into_iter()
            .flatten(),
        )?;
        if let Some(last4) = &self.last4 {
            rules::payment_method::ensure_last4(last4)?;
        }
        Ok(NewMethod {
            id,
            account_id,
            provider: self.provider,
            provider_reference: reference,
            label,
            brand: self
                .brand
                .as_deref()
                .map(|b| kit::validate::line("brand", b, 1, MAX_BRAND_CHARS))
                .transpose()?,
            last4: self.last4,
        })
    }
}

/// `POST /api/v1/account/payment-methods` — the first one is the default, and so is one added
/// with `make_default`.
pub async fn add(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let body: AddRequest = json::read(&req)?;
    let make_default = body.make_default;
    let id = kit::ids::new_id();
    let new = body.parse(id, user.sub)?;
    let saved = ctx
        .db()?
        .transaction(async |db: &Db| {
            // The account's lock orders its concurrent additions, so the count holds.
            account::load(db, user.sub, Lock::ForUpdate)?;
            let count = payment_method::count(db, user.sub)?;
            rules::payment_method::ensure_room(count)?;
            let is_default = rules::payment_method::is_default(count, make_default);
            if is_default {
                payment_method::clear_default(db, user.sub)?;
            }
            let saved = payment_method::insert(db, &new, is_default)?;
            notify(
                db,
                user.sub,
                &saved,
                rules::payment_method::ADDED_KIND,
                "added",
            )?;
            Ok(saved)
        })
        .await?;
    json::created(
        &format!("/api/v1/account/payment-methods/{id}"),
        &MethodAnswer::from(saved),
    )
}

/// `DELETE /api/v1/account/payment-methods/:id` — a deleted default passes to the oldest one.
pub async fn remove(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let id = ctx.param_id("id", "payment_method")?;
    ctx.db()?
        .transaction(async |db: &Db| {
            // The account's lock orders this with additions and choices of the default.
            account::load(db, user.sub, Lock::ForUpdate)?;
            let deleted = payment_method::delete(db, user.sub, id)?;
            if deleted.is_default {
                payment_method::promote_oldest(db, user.sub)?;
            }
            notify(
                db,
                user.sub,
                &deleted,
                rules::payment_method::DELETED_KIND,
                "removed",
            )
        })
        .await?;
    json::no_content()
}

/// `POST /api/v1/account/payment-methods/:id/default` — makes the method the default; the
/// former default stays saved.
pub async fn make_default(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let id = ctx.param_id("id", "payment_method")?;
    let chosen = ctx
        .db()?
        .transaction(async |db: &Db| {
            account::load(db, user.sub, Lock::ForUpdate)?;
            payment_method::make_default(db, user.sub, id)
        })
        .await?;
    json::ok(&MethodAnswer::from(chosen))
}

/// Tells `owner` its method was `done` (`added`, `removed`): the notification `kind`, with
/// the method's id and provider as its metadata.
fn notify(db: &Db, owner: Uuid, method: &Method, kind: &str, done: &str) -> ApiResult<()> {
    let name = rules::payment_method::describe(
        &method.label,
        method.brand.as_deref(),
        &method.provider,
        method.last4.as_deref(),
    );
    let metadata = serde_json::json!({
        "payment_method_id": method.id,
        "provider": method.provider,
    });
    notification::insert(
        db,
        &NewNotification {
            account_id: owner,
            kind,
            title: &format!("Payment method {done}"),
            content: &format!("{name} was {done}."),
            metadata: Some(&metadata),
        },
    )?;
    Ok(())
}

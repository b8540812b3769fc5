//! `/api/v1/common/options`: the registry of payment and shipping options a checkout offers —
//! the platform's (written with the admin token) and each seller's own (written by the
//! seller). Reading is public and never shows secrets: an option says only whether it has
//! some. Secrets are sealed at rest ([`crate::secrets`]) and written, never read back, through
//! this API.

use kit::db::Db;
use kit::patch::Field;
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::model::options::{self, ServiceOption};
use crate::secrets::{self, Key};

/// Largest public configuration or secrets document, as JSON.
const MAX_CONFIG_BYTES: usize = 8 * 1024;

fn answer(o: &ServiceOption) -> Value {
    json!({
        "id": o.id, "kind": o.kind, "provider": o.provider, "method": o.method,
        "owner_id": o.owner_id, "display_name": o.display_name, "enabled": o.enabled,
        "priority": o.priority, "config": o.config, "has_secrets": o.secrets.is_some(),
    })
}

fn method_fits(kind: &str, method: &str) -> bool {
    match kind {
        "payment" => matches!(method, "any" | "qr" | "bank" | "card"),
        "shipping" => matches!(method, "express" | "standard" | "economy"),
        _ => false,
    }
}

fn provider(s: &str) -> ApiResult<String> {
    let ok = (1..=32).contains(&s.len())
        && s.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(s.to_string())
    } else {
        Err(ApiError::validation(
            "provider: 1 to 32 lower-case letters, digits and -",
        ))
    }
}

/// A JSON object of at most [`MAX_CONFIG_BYTES`].
fn document(field: &str, v: Value) -> ApiResult<Value> {
    if !v.is_object() {
        return Err(ApiError::validation(format!("{field}: a JSON object")));
    }
    if v.to_string().len() > MAX_CONFIG_BYTES {
        return Err(ApiError::validation(format!(
            "{field}: at most {MAX_CONFIG_BYTES} bytes"
        )));
    }
    Ok(v)
}

fn display_name(s: &str) -> ApiResult<String> {
    kit::validate::line("display_name", s, 1, 100)
}

/// The sealing key; 503 when `options_encryption_key` is not set or malformed.
fn key(ctx: &Ctx) -> ApiResult<Key> {
    ctx.settings()
        .optional("options_encryption_key")
        .and_then(|k| Key::parse(&k))
        .ok_or_else(|| {
            ApiError::unavailable(
                "options_encryption_not_configured",
                "options cannot keep secrets: options_encryption_key is not 64 hex characters",
            )
        })
}

fn seal(ctx: &Ctx, id: Uuid, secrets: Value) -> ApiResult<Vec<u8>> {
    let plain = document("secrets", secrets)?.to_string();
    Ok(key(ctx)?.seal(id.as_bytes(), secrets::nonce(), plain.as_bytes()))
}

/// `GET /api/v1/common/options?kind=&seller_id=` — the enabled options of the platform and of
/// `seller_id`, highest priority first.
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let kind = ctx.query("kind");
    if let Some(k) = &kind
        && !matches!(k.as_str(), "payment" | "shipping")
    {
        return Err(ApiError::validation("kind: payment or shipping"));
    }
    let seller = ctx
        .query("seller_id")
        .map(|s| Uuid::parse_str(&s).map_err(|_| ApiError::validation("seller_id: a UUID")))
        .transpose()?;
    let found = options::offered(ctx.db()?, kind.as_deref(), seller)?;
    json::ok(&json!({ "items": found.iter().map(answer).collect::<Vec<_>>() }))
}

fn not_found() -> ApiError {
    ApiError::not_found("option_not_found", "no such service option")
}

/// Whether `actor` (`None`: the platform) may see a disabled option or change `o`.
fn owns(actor: Option<Uuid>, o: &ServiceOption) -> bool {
    actor.is_none() || actor == o.owner_id
}

/// `GET /api/v1/common/options/:id` — public while enabled; a disabled one only to its owner
/// (404 to anyone else).
pub async fn get(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let id = ctx.param_id("id", "option")?;
    let o = options::load(ctx.db()?, id, false)?;
    if !o.enabled {
        let actor = if kit::auth::require_admin(&req).is_ok() {
            None
        } else {
            Some(ctx.optional_user()?.ok_or_else(not_found)?.sub)
        };
        if !owns(actor, &o) {
            return Err(not_found());
        }
    }
    json::ok(&answer(&o))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRequest {
    kind: String,
    provider: String,
    method: String,
    display_name: String,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    priority: i32,
    #[serde(default)]
    config: Option<Value>,
    #[serde(default)]
    secrets: Option<Value>,
}

fn yes() -> bool {
    true
}

/// `POST /api/v1/common/options` — the admin token writes a platform option, a signed-in
/// seller its own. 409 `option_exists` for a second option of one kind, provider and method.
pub async fn create(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let owner = ctx.acting_account(&req)?;
    let body: CreateRequest = json::read(&req)?;
    if !method_fits(&body.kind, &body.method) {
        return Err(ApiError::validation(
            "kind and method: payment with any, qr, bank or card; shipping with express, \
             standard or economy",
        ));
    }
    let id = kit::ids::new_id();
    let option = ServiceOption {
        id,
        kind: body.kind,
        provider: provider(&body.provider)?,
        method: body.method,
        owner_id: owner,
        display_name: display_name(&body.display_name)?,
        enabled: body.enabled,
        priority: body.priority,
        config: document("config", body.config.unwrap_or_else(|| json!({})))?,
        secrets: body.secrets.map(|s| seal(&ctx, id, s)).transpose()?,
    };
    ctx.db()?
        .transaction(async |db: &Db| {
            options::insert(db, &option)?;
            json::created(&format!("/api/v1/common/options/{id}"), &answer(&option))
        })
        .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateRequest {
    #[serde(default)]
    display_name: Field<String>,
    #[serde(default)]
    enabled: Field<bool>,
    #[serde(default)]
    priority: Field<i32>,
    #[serde(default)]
    config: Field<Value>,
    /// New secrets replace the old; `null` removes them.
    #[serde(default)]
    secrets: Field<Value>,
}

/// `PATCH /api/v1/common/options/:id` — its owner only (the platform's: the admin token);
/// anyone else gets 404.
pub async fn update(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let actor = ctx.acting_account(&req)?;
    let id = ctx.param_id("id", "option")?;
    let body: UpdateRequest = json::read(&req)?;
    let name = body
        .display_name
        .required("display_name")?
        .map(|n| display_name(&n))
        .transpose()?;
    let enabled = body.enabled.required("enabled")?;
    let priority = body.priority.required("priority")?;
    let config = body
        .config
        .required("config")?
        .map(|c| document("config", c))
        .transpose()?;
    let secrets = match body.secrets {
        Field::Absent => None,
        Field::Null => Some(None),
        Field::Value(v) => Some(Some(seal(&ctx, id, v)?)),
    };
    ctx.db()?
        .transaction(async |db: &Db| {
            let mut o = options::load(db, id, true)?;
            if !owns(actor, &o) {
                return Err(not_found());
            }
            if let Some(n) = name.clone() {
                o.display_name = n;
            }
            o.enabled = enabled.unwrap_or(o.enabled);
            o.priority = priority.unwrap_or(o.priority);
            if let Some(c) = config.clone() {
                o.config = c;
            }
            if let Some(s) = secrets.clone() {
                o.secrets = s;
            }
            options::update(db, &o)?;
            json::ok(&answer(&o))
        })
        .await
}

/// `DELETE /api/v1/common/options/:id` — its owner only; 404 to anyone else.
pub async fn delete(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let actor = ctx.acting_account(&req)?;
    let id = ctx.param_id("id", "option")?;
    ctx.db()?
        .transaction(async |db: &Db| {
            let o = options::load(db, id, true)?;
            if !owns(actor, &o) {
                return Err(not_found());
            }
            options::delete(db, id)
        })
        .await?;
    json::no_content()
}

/// `GET /internal/options/:id/secrets` — an option's secrets opened, for the module that
/// uses the option (order, for a seller's own gateway credentials); `{"secrets": null}` when
/// it has none. 503 `options_encryption_not_configured` without the key, 500 when a sealed
/// value does not open (another key, or tampering: logged).
pub async fn secrets(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let id = ctx.param_id("id", "option")?;
    let o = options::load(ctx.db()?, id, false)?;
    let Some(sealed) = &o.secrets else {
        return json::ok(&json!({ "secrets": null }));
    };
    let plain = key(&ctx)?
        .open(id.as_bytes(), sealed)
        .ok_or_else(|| ApiError::internal(format_args!("option {id}'s secrets do not open")))?;
    let secrets: Value = serde_json::from_slice(&plain).map_err(ApiError::internal)?;
    json::ok(&json!({ "secrets": secrets }))
}

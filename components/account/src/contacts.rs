//! Contacts (delivery addresses): only their owner sees or changes them. The first contact
//! becomes the default; deleting the default moves it to the oldest remaining one; the last
//! contact cannot be deleted.
//!
//! Checking that an address lies in the account's country needs geocoding, which the common
//! module provides: [`address_in_country`] is where that call goes.

use chrono::{DateTime, Utc};
use kit::db::{Db, FromRow, Row, text, uuid};
use kit::validate::Phone;
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Most contacts one account may keep.
const MAX_CONTACTS: i64 = 50;

/// A contact.
#[derive(Serialize)]
pub struct Contact {
    id: Uuid,
    full_name: String,
    phone: String,
    address: String,
    address_type: String,
    is_default: bool,
    created_at: DateTime<Utc>,
}

impl FromRow for Contact {
    fn from_row(row: &Row<'_>) -> ApiResult<Contact> {
        Ok(Contact {
            id: row.get("id")?,
            full_name: row.get("full_name")?,
            phone: row.get("phone")?,
            address: row.get("address")?,
            address_type: row.get("address_type")?,
            is_default: row.get("is_default")?,
            created_at: row.time("created_at")?,
        })
    }
}

/// Columns [`Contact::from_row`] reads.
pub const COLUMNS: &str = "id, account_id, full_name, phone, address, address_type, is_default, created_at AT TIME ZONE 'UTC' AS created_at";

fn not_found(id: Uuid) -> ApiError {
    ApiError::not_found("contact_not_found", format!("no contact {id}"))
}

/// The owner's contact `id` (404 for anyone else's: its existence is not theirs to learn).
fn load(db: &Db, owner: Uuid, id: Uuid, lock: bool) -> ApiResult<Contact> {
    let sql = format!(
        "SELECT {COLUMNS} FROM account.contact WHERE id = $1 AND account_id = $2{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    db.fetch_optional(&sql, &[uuid(id), uuid(owner)])?
        .ok_or_else(|| not_found(id))
}

/// The seam for the common module's geocoding: the address must resolve to `country`.
/// Until common lands, every address is accepted.
fn address_in_country(_address: &str, _country: &str) -> ApiResult<()> {
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactBody {
    full_name: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    address_type: Option<String>,
}

/// Validated fields; `None` where a PATCH leaves a field alone.
struct Fields {
    full_name: Option<String>,
    phone: Option<Phone>,
    address: Option<String>,
    address_type: Option<String>,
}

impl ContactBody {
    fn parse(self) -> ApiResult<Fields> {
        if let Some(t) = &self.address_type
            && t != "home"
            && t != "work"
        {
            return Err(ApiError::validation("address_type: must be home or work"));
        }
        Ok(Fields {
            full_name: self
                .full_name
                .map(|n| kit::validate::text("full_name", &n, 1, 100))
                .transpose()?,
            phone: self.phone.map(|p| Phone::parse("phone", &p)).transpose()?,
            address: self
                .address
                .map(|a| kit::validate::text("address", &a, 1, 255))
                .transpose()?,
            address_type: self.address_type,
        })
    }
}

/// `GET /api/v1/account/contacts` — default first, then oldest first.
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let items: Vec<Contact> = ctx.db()?.fetch_all(
        &format!("SELECT {COLUMNS} FROM account.contact WHERE account_id = $1 ORDER BY is_default DESC, id"),
        &[uuid(user.sub)],
    )?;
    json::ok(&serde_json::json!({ "items": items }))
}

/// `GET /api/v1/account/contacts/:id`.
pub async fn get(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let id = ctx.param_id("id", "contact")?;
    json::ok(&load(ctx.db()?, user.sub, id, false)?)
}

/// `POST /api/v1/account/contacts` — the first one becomes the default.
pub async fn create(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let f = json::read::<ContactBody>(&req)?.parse()?;
    let (Some(full_name), Some(phone), Some(address), Some(address_type)) =
        (f.full_name, f.phone, f.address, f.address_type)
    else {
        return Err(ApiError::validation(
            "full_name, phone, address and address_type are required",
        ));
    };
    let id = kit::ids::new_id();
    let contact = ctx
        .db()?
        .transaction(async |db: &Db| {
            let country = crate::model::account::load(db, user.sub, crate::model::Lock::ForUpdate)?.country;
            address_in_country(&address, country.as_str())?;
            let count: i64 = db.scalar("SELECT count(*) FROM account.contact WHERE account_id = $1", &[uuid(user.sub)])?;
            if count >= MAX_CONTACTS {
                return Err(ApiError::conflict("too_many_contacts", format!("an account keeps at most {MAX_CONTACTS} contacts")));
            }
            db.fetch_optional::<Contact>(
                &format!(
                    "INSERT INTO account.contact (id, account_id, full_name, phone, address, address_type, is_default) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
                ),
                &[uuid(id), uuid(user.sub), text(&full_name), text(phone.as_str()), text(&address), text(&address_type), (count == 0).into()],
            )?
            .ok_or_else(|| not_found(id))
        })
        .await?;
    json::created(&format!("/api/v1/account/contacts/{id}"), &contact)
}

/// `PATCH /api/v1/account/contacts/:id`.
pub async fn update(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let id = ctx.param_id("id", "contact")?;
    let f = json::read::<ContactBody>(&req)?.parse()?;
    let contact = ctx
        .db()?
        .transaction(async |db: &Db| {
            let current = load(db, user.sub, id, true)?;
            if let Some(address) = &f.address {
                address_in_country(address, crate::model::account::load(db, user.sub, crate::model::Lock::None)?.country.as_str())?;
            }
            db.fetch_optional::<Contact>(
                &format!(
                    "UPDATE account.contact SET full_name = $3, phone = $4, address = $5, address_type = $6, updated_at = now() \
                     WHERE id = $1 AND account_id = $2 RETURNING {COLUMNS}"
                ),
                &[
                    uuid(id),
                    uuid(user.sub),
                    text(f.full_name.unwrap_or(current.full_name)),
                    text(f.phone.map_or(current.phone, |p| p.as_str().to_string())),
                    text(f.address.unwrap_or(current.address)),
                    text(f.address_type.unwrap_or(current.address_type)),
                ],
            )?
            .ok_or_else(|| not_found(id))
        })
        .await?;
    json::ok(&contact)
}

/// `DELETE /api/v1/account/contacts/:id` — never the last one; a deleted default passes to
/// the oldest remaining contact.
pub async fn delete(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let id = ctx.param_id("id", "contact")?;
    ctx.db()?
        .transaction(async |db: &Db| {
            // Lock the account so concurrent deletes of its last two contacts serialise.
            crate::model::account::load(db, user.sub, crate::model::Lock::ForUpdate)?;
            let contact = load(db, user.sub, id, true)?;
            let count: i64 = db.scalar("SELECT count(*) FROM account.contact WHERE account_id = $1", &[uuid(user.sub)])?;
            if count <= 1 {
                return Err(ApiError::conflict("cannot_delete_last_contact", "an account keeps at least one contact"));
            }
            db.execute("DELETE FROM account.contact WHERE id = $1", &[uuid(id)])?;
            if contact.is_default {
                db.execute(
                    "UPDATE account.contact SET is_default = true WHERE id = (SELECT id FROM account.contact WHERE account_id = $1 ORDER BY id LIMIT 1)",
                    &[uuid(user.sub)],
                )?;
            }
            Ok(())
        })
        .await?;
    json::no_content()
}

/// `POST /api/v1/account/contacts/:id/default`.
pub async fn make_default(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let id = ctx.param_id("id", "contact")?;
    let contact = ctx
        .db()?
        .transaction(async |db: &Db| {
            load(db, user.sub, id, true)?;
            db.execute("UPDATE account.contact SET is_default = false WHERE account_id = $1 AND is_default", &[uuid(user.sub)])?;
            db.execute("UPDATE account.contact SET is_default = true WHERE id = $1", &[uuid(id)])?;
            load(db, user.sub, id, false)
        })
        .await?;
    json::ok(&contact)
}

/// The default contact of each account, for `POST /internal/contacts/default`.
pub fn defaults(db: &Db, accounts: &[Uuid]) -> ApiResult<Vec<(Uuid, Contact)>> {
    let set = db.query(
        &format!("SELECT {COLUMNS} FROM account.contact WHERE account_id = ANY($1::text[]::uuid[]) AND is_default"),
        &[kit::db::uuids(accounts)],
    )?;
    kit::db::rows(&set)
        .map(|r| Ok((r.get("account_id")?, Contact::from_row(&r)?)))
        .collect()
}

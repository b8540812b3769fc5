//! `account.contact`: an account's delivery addresses. `contact_one_default` (a partial unique
//! index) lets an account have at most one default; the handlers keep it at exactly one.

use chrono::{DateTime, Utc};
use contracts::account::{self, AddressType};
use kit::db::{Db, FromRow, Param, Row, optional_text, text, uuid, uuids};
use kit::validate::Phone;
use kit::{ApiError, ApiResult};
use uuid::Uuid;

use super::Lock;

/// A contact as stored.
#[derive(Debug)]
pub struct Contact {
    /// The contact.
    pub id: Uuid,
    /// Whose it is.
    pub account_id: Uuid,
    /// Whom to deliver to.
    pub full_name: String,
    /// Their phone number, E.164.
    pub phone: String,
    /// The address.
    pub address: String,
    /// Home or work.
    pub address_type: AddressType,
    /// Whether it is the account's default.
    pub is_default: bool,
    /// Where the address is, when it was geocoded.
    pub location: Option<account::Location>,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

/// Columns [`Contact::from_row`] reads.
const COLUMNS: &str = "id, account_id, full_name, phone, address, address_type, is_default, \
                       latitude, longitude, resolved_country, \
                       created_at AT TIME ZONE 'UTC' AS created_at";

/// The stored name of an address type, one `contact_address_type_valid` allows.
fn address_type_name(t: AddressType) -> &'static str {
    match t {
        AddressType::Home => "home",
        AddressType::Work => "work",
    }
}

impl FromRow for Contact {
    fn from_row(row: &Row<'_>) -> ApiResult<Contact> {
        let address_type: String = row.get("address_type")?;
        Ok(Contact {
            id: row.get("id")?,
            account_id: row.get("account_id")?,
            full_name: row.get("full_name")?,
            phone: row.get("phone")?,
            address: row.get("address")?,
            address_type: match address_type.as_str() {
                "home" => AddressType::Home,
                "work" => AddressType::Work,
                other => {
                    return Err(ApiError::internal(format_args!(
                        "a contact has an unknown address type `{other}`"
                    )));
                }
            },
            is_default: row.get("is_default")?,
            location: match (
                row.get::<Option<f64>>("latitude")?,
                row.get::<Option<f64>>("longitude")?,
                row.get::<Option<String>>("resolved_country")?,
            ) {
                (Some(latitude), Some(longitude), Some(country)) => Some(account::Location {
                    latitude,
                    longitude,
                    country,
                }),
                _ => None,
            },
            created_at: row.time("created_at")?,
        })
    }
}

impl From<Contact> for account::Contact {
    fn from(c: Contact) -> account::Contact {
        account::Contact {
            id: c.id,
            full_name: c.full_name,
            phone: c.phone,
            address: c.address,
            address_type: c.address_type,
            is_default: c.is_default,
            location: c.location,
            created_at: c.created_at,
        }
    }
}

fn not_found(id: Uuid) -> ApiError {
    ApiError::not_found("contact_not_found", format!("no contact {id}"))
}

/// The contacts of `owner`, its default first, then oldest first.
pub fn list(db: &Db, owner: Uuid) -> ApiResult<Vec<Contact>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM account.contact WHERE account_id = $1 ORDER BY is_default DESC, id"
    );
    db.fetch_all(&sql, &[uuid(owner)])
}

/// The contact `id` of `owner`; 404 `contact_not_found` when it has none such — also when the
/// contact is someone else's, whose existence is not the caller's to learn.
pub fn load(db: &Db, owner: Uuid, id: Uuid, lock: Lock) -> ApiResult<Contact> {
    let sql = format!(
        "SELECT {COLUMNS} FROM account.contact WHERE id = $1 AND account_id = $2{}",
        lock.clause()
    );
    db.fetch_optional(&sql, &[uuid(id), uuid(owner)])?
        .ok_or_else(|| not_found(id))
}

/// How many contacts `owner` keeps.
pub fn count(db: &Db, owner: Uuid) -> ApiResult<i64> {
    db.scalar(
        "SELECT count(*) FROM account.contact WHERE account_id = $1",
        &[uuid(owner)],
    )
}

/// A new contact, validated.
pub struct NewContact {
    /// Its id.
    pub id: Uuid,
    /// Whose it is.
    pub account_id: Uuid,
    /// Whom to deliver to.
    pub full_name: String,
    /// Their phone number.
    pub phone: Phone,
    /// The address.
    pub address: String,
    /// Home or work.
    pub address_type: AddressType,
    /// Where the address is, when the geocoder knew it.
    pub location: Option<account::Location>,
}

/// The parameters of a location: latitude, longitude, country, NULL when unknown.
fn location_params(l: Option<&account::Location>) -> [Param; 3] {
    [
        l.map(|l| l.latitude).into(),
        l.map(|l| l.longitude).into(),
        optional_text(l.map(|l| l.country.as_str())),
    ]
}

/// Adds a contact, the account's default when `is_default`, and returns it.
pub fn insert(db: &Db, new: &NewContact, is_default: bool) -> ApiResult<Contact> {
    let sql = format!(
        "INSERT INTO account.contact \
         (id, account_id, full_name, phone, address, address_type, is_default, latitude, \
          longitude, resolved_country) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {COLUMNS}"
    );
    let [latitude, longitude, country] = location_params(new.location.as_ref());
    let params = [
        uuid(new.id),
        uuid(new.account_id),
        text(&new.full_name),
        text(new.phone.as_str()),
        text(&new.address),
        text(address_type_name(new.address_type)),
        is_default.into(),
        latitude,
        longitude,
        country,
    ];
    db.fetch_optional(&sql, &params)?
        .ok_or_else(|| ApiError::internal("the contact insert returned nothing"))
}

/// The validated changes of a contact; `None` keeps a field.
pub struct ContactChanges {
    /// Whom to deliver to.
    pub full_name: Option<String>,
    /// Their phone number.
    pub phone: Option<Phone>,
    /// The address.
    pub address: Option<String>,
    /// Home or work.
    pub address_type: Option<AddressType>,
    /// Where a new address is (`Some(None)`: not known); `None` when the address is kept.
    pub location: Option<Option<account::Location>>,
}

/// Applies `changes` to the contact `id` of `owner` and returns it after them; 404 when
/// `owner` has no such contact.
pub fn update(db: &Db, owner: Uuid, id: Uuid, changes: &ContactChanges) -> ApiResult<Contact> {
    let sql = format!(
        "UPDATE account.contact \
         SET full_name = COALESCE($3, full_name), phone = COALESCE($4, phone), \
             address = COALESCE($5, address), address_type = COALESCE($6, address_type), \
             latitude = CASE WHEN $7 THEN $8 ELSE latitude END, \
             longitude = CASE WHEN $7 THEN $9 ELSE longitude END, \
             resolved_country = CASE WHEN $7 THEN $10 ELSE resolved_country END, \
             updated_at = now() \
         WHERE id = $1 AND account_id = $2 RETURNING {COLUMNS}"
    );
    let [latitude, longitude, country] =
        location_params(changes.location.as_ref().and_then(Option::as_ref));
    let params = [
        uuid(id),
        uuid(owner),
        optional_text(changes.full_name.as_deref()),
        optional_text(changes.phone.as_ref().map(Phone::as_str)),
        optional_text(changes.address.as_deref()),
        optional_text(changes.address_type.map(address_type_name)),
        changes.location.is_some().into(),
        latitude,
        longitude,
        country,
    ];
    db.fetch_optional(&sql, &params)?
        .ok_or_else(|| not_found(id))
}

/// Deletes the contact `id` of `owner`.
pub fn delete(db: &Db, owner: Uuid, id: Uuid) -> ApiResult<()> {
    db.execute(
        "DELETE FROM account.contact WHERE id = $1 AND account_id = $2",
        &[uuid(id), uuid(owner)],
    )?;
    Ok(())
}

const PROMOTE_OLDEST: &str = "UPDATE account.contact SET is_default = true WHERE id = \
                              (SELECT id FROM account.contact WHERE account_id = $1 \
                               ORDER BY id LIMIT 1)";

/// Makes the oldest contact of `owner` its default (after its default was deleted).
pub fn promote_oldest(db: &Db, owner: Uuid) -> ApiResult<()> {
    db.execute(PROMOTE_OLDEST, &[uuid(owner)])?;
    Ok(())
}

/// Makes the contact `id` the default of `owner`, and the former default an ordinary contact.
pub fn make_default(db: &Db, owner: Uuid, id: Uuid) -> ApiResult<()> {
    // The former default goes first: `contact_one_default` never allows two at once.
    db.execute(
        "UPDATE account.contact SET is_default = false WHERE account_id = $1 AND is_default",
        &[uuid(owner)],
    )?;
    db.execute(
        "UPDATE account.contact SET is_default = true WHERE id = $1 AND account_id = $2",
        &[uuid(id), uuid(owner)],
    )?;
    Ok(())
}

/// The default contact of each of `accounts` that has one, by account, in one query.
pub fn defaults(db: &Db, accounts: &[Uuid]) -> ApiResult<Vec<Contact>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM account.contact \
         WHERE account_id = ANY($1::text[]::uuid[]) AND is_default ORDER BY account_id"
    );
    db.fetch_all(&sql, &[uuids(accounts)])
}

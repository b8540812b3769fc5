//! `account.account`: one row per account with its profile, the country its currency follows,
//! its status and its password hash. Its unique keys and CHECKs become client errors here: a
//! taken username, e-mail address or phone number is 409, and a change that would leave an
//! account with none of the three is 422 `identifier_required`.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use contracts::account::{AccountStatus, AccountSummary};
use kit::db::{Db, FromRow, Param, Row, optional_text, text, uuid, uuids};
use kit::patch::Field;
use kit::validate::{CountryCode, Currency, Email, Phone, Username};
use kit::{ApiError, ApiResult};
use serde::Serialize;
use uuid::Uuid;

use super::Lock;
use crate::rules::account::{Gender, Status};
use crate::rules::session::Identifier;

/// An account as stored.
pub struct Account {
    /// The account.
    pub id: Uuid,
    /// Lower-case, when it chose one.
    pub username: Option<String>,
    /// Lower-case, when it gave one.
    pub email: Option<String>,
    /// E.164, when it gave one.
    pub phone: Option<String>,
    /// argon2id, in PHC form.
    pub password_hash: String,
    /// Whether it may sign in.
    pub status: Status,
    /// The country its currency follows.
    pub country: CountryCode,
    /// Display name; may be empty.
    pub name: String,
    /// `male`, `female` or `other`, when it said.
    pub gender: Option<String>,
    /// When it said.
    pub date_of_birth: Option<NaiveDate>,
    /// The avatar image, a resource of the common module.
    pub avatar_resource_id: Option<Uuid>,
    /// What it says about itself.
    pub description: Option<String>,
    /// When it registered.
    pub created_at: DateTime<Utc>,
}

/// Columns [`Account::from_row`] reads.
const COLUMNS: &str = "id, username, email, phone, password_hash, status, country, name, \
                       gender, date_of_birth, avatar_resource_id, description, \
                       created_at AT TIME ZONE 'UTC' AS created_at";

impl FromRow for Account {
    fn from_row(row: &Row<'_>) -> ApiResult<Account> {
        let id: Uuid = row.get("id")?;
        let status: String = row.get("status")?;
        let country: String = row.get("country")?;
        Ok(Account {
            id,
            username: row.get("username")?,
            email: row.get("email")?,
            phone: row.get("phone")?,
            password_hash: row.get("password_hash")?,
            status: Status::parse(&status).ok_or_else(|| {
                ApiError::internal(format_args!(
                    "account {id} has an unknown status `{status}`"
                ))
            })?,
            country: CountryCode::parse("country", &country).map_err(|_| {
                ApiError::internal(format_args!(
                    "account {id} has an unknown country `{country}`"
                ))
            })?,
            name: row.get("name")?,
            gender: row.get("gender")?,
            date_of_birth: row.get("date_of_birth")?,
            avatar_resource_id: row.get("avatar_resource_id")?,
            description: row.get("description")?,
            created_at: row.time("created_at")?,
        })
    }
}

impl Account {
    /// The currency the account's country uses: its wallet's and its prices'. It is never
    /// stored, so it cannot disagree with the country.
    pub fn currency(&self) -> Currency {
        self.country.currency()
    }
}

/// The account as its owner sees it: everything but the password hash. It is the body of
/// `/me` and part of the answer of registration and sign-in, so it lives here, beside the row
/// it shows, rather than in one of those two resources.
#[derive(Serialize)]
pub struct OwnerView {
    id: Uuid,
    username: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    name: String,
    gender: Option<String>,
    date_of_birth: Option<NaiveDate>,
    avatar_resource_id: Option<Uuid>,
    description: Option<String>,
    country: String,
    currency: String,
    status: &'static str,
    created_at: DateTime<Utc>,
}

impl From<Account> for OwnerView {
    fn from(a: Account) -> OwnerView {
        OwnerView {
            currency: a.currency().as_str().to_string(),
            id: a.id,
            username: a.username,
            email: a.email,
            phone: a.phone,
            name: a.name,
            gender: a.gender,
            date_of_birth: a.date_of_birth,
            avatar_resource_id: a.avatar_resource_id,
            description: a.description,
            country: a.country.as_str().to_string(),
            status: a.status.as_str(),
            created_at: a.created_at,
        }
    }
}

impl From<Account> for AccountSummary {
    fn from(a: Account) -> AccountSummary {
        AccountSummary {
            currency: a.currency().as_str().to_string(),
            id: a.id,
            username: a.username,
            name: a.name,
            avatar_resource_id: a.avatar_resource_id,
            description: a.description,
            country: a.country.as_str().to_string(),
            created_at: a.created_at,
            status: match a.status {
                Status::Active => AccountStatus::Active,
                Status::Suspended => AccountStatus::Suspended,
            },
        }
    }
}

/// The client errors the table's constraints stand for.
fn constraint_errors() -> [(&'static str, ApiError); 4] {
    [
        (
            "account_username_key",
            ApiError::conflict("username_taken", "that username is taken"),
        ),
        (
            "account_email_key",
            ApiError::conflict("email_taken", "that e-mail address is already registered"),
        ),
        (
            "account_phone_key",
            ApiError::conflict("phone_taken", "that phone number is already registered"),
        ),
        (
            "account_has_identifier",
            ApiError::unprocessable(
                "identifier_required",
                "an account needs a username, an e-mail address or a phone number",
            ),
        ),
    ]
}

fn not_found(id: Uuid) -> ApiError {
    ApiError::not_found("account_not_found", format!("no account {id}"))
}

/// The account `id`, if there is one.
pub fn find(db: &Db, id: Uuid, lock: Lock) -> ApiResult<Option<Account>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM account.account WHERE id = $1{}",
        lock.clause()
    );
    db.fetch_optional(&sql, &[uuid(id)])
}

/// The account `id`; 404 `account_not_found` when there is none.
pub fn load(db: &Db, id: Uuid, lock: Lock) -> ApiResult<Account> {
    find(db, id, lock)?.ok_or_else(|| not_found(id))
}

/// The account a sign-in identifier names, looked up in the one column of its kind.
pub fn by_identifier(db: &Db, identifier: &Identifier) -> ApiResult<Option<Account>> {
    let column = match identifier {
        Identifier::Username(_) => "username",
        Identifier::Email(_) => "email",
        Identifier::Phone(_) => "phone",
        Identifier::Unusable(_) => return Ok(None),
    };
    let sql = format!("SELECT {COLUMNS} FROM account.account WHERE {column} = $1");
    db.fetch_optional(&sql, &[text(identifier.as_str())])
}

/// Those of `ids` that are accounts, by id, in one query.
pub fn batch(db: &Db, ids: &[Uuid]) -> ApiResult<Vec<Account>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM account.account \
         WHERE id = ANY($1::text[]::uuid[]) ORDER BY id"
    );
    db.fetch_all(&sql, &[uuids(ids)])
}

/// A new account, validated; its password already hashed.
pub struct NewAccount {
    /// Its id.
    pub id: Uuid,
    /// At least one of username, e-mail and phone.
    pub username: Option<Username>,
    /// See `username`.
    pub email: Option<Email>,
    /// See `username`.
    pub phone: Option<Phone>,
    /// argon2id, in PHC form.
    pub password_hash: String,
    /// The country its currency follows.
    pub country: CountryCode,
    /// Display name; may be empty.
    pub name: String,
}

const INSERT: &str = "INSERT INTO account.account \
                      (id, username, email, phone, password_hash, country, name) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// Creates an account; 409 when its username, e-mail or phone is taken.
pub fn insert(db: &Db, new: &NewAccount) -> ApiResult<()> {
    db.execute(
        INSERT,
        &[
            uuid(new.id),
            optional_text(new.username.as_ref().map(Username::as_str)),
            optional_text(new.email.as_ref().map(Email::as_str)),
            optional_text(new.phone.as_ref().map(Phone::as_str)),
            text(&new.password_hash),
            text(new.country.as_str()),
            text(&new.name),
        ],
    )
    .map_err(|e| e.to_api(&constraint_errors()))?;
    Ok(())
}

/// The validated changes of a profile: an absent field keeps its column, a null one clears it.
pub struct ProfileChanges {
    /// The username.
    pub username: Field<Username>,
    /// The e-mail address.
    pub email: Field<Email>,
    /// The phone number.
    pub phone: Field<Phone>,
    /// The display name, which cannot be cleared.
    pub name: Option<String>,
    /// The gender.
    pub gender: Field<Gender>,
    /// The birth date.
    pub date_of_birth: Field<NaiveDate>,
    /// The avatar image.
    pub avatar_resource_id: Field<Uuid>,
    /// The description.
    pub description: Field<String>,
}

impl ProfileChanges {
    /// The columns to set and their values; the names are constants, never input.
    fn assignments(&self) -> Vec<(&'static str, Param)> {
        fn push<T>(
            out: &mut Vec<(&'static str, Param)>,
            column: &'static str,
            field: &Field<T>,
            param: impl Fn(&T) -> Param,
        ) {
            match field {
                Field::Absent => {}
                Field::Null => out.push((column, Param::DbNull)),
                Field::Value(v) => out.push((column, param(v))),
            }
        }
        let mut out = Vec::new();
        push(&mut out, "username", &self.username, |u| text(u.as_str()));
        push(&mut out, "email", &self.email, |e| text(e.as_str()));
        push(&mut out, "phone", &self.phone, |p| text(p.as_str()));
        if let Some(name) = &self.name {
            out.push(("name", text(name)));
        }
        push(&mut out, "gender", &self.gender, |g| text(g.as_str()));
        push(&mut out, "date_of_birth", &self.date_of_birth, |d| {
            // A month is at most 12 and a day at most 31: both fit a u8.
            Param::Date((d.year(), d.month() as u8, d.day() as u8))
        });
        push(
            &mut out,
            "avatar_resource_id",
            &self.avatar_resource_id,
            |a| uuid(*a),
        );
        push(&mut out, "description", &self.description, |d| {
            text(d.as_str())
        });
        out
    }
}

/// Applies `changes` to the profile of `id` and returns the account after them; a change of
/// nothing changes nothing (not even `updated_at`). 409 when a new username, e-mail or phone is
/// taken, 422 `identifier_required` when the account would be left without any.
pub fn update_profile(db: &Db, id: Uuid, changes: &ProfileChanges) -> ApiResult<Account> {
    let assignments = changes.assignments();
    if assignments.is_empty() {
        return load(db, id, Lock::None);
    }
    let set: Vec<String> = assignments
        .iter()
        .enumerate()
        .map(|(i, (column, _))| format!("{column} = ${}", i + 2))
        .collect();
    let sql = format!(
        "UPDATE account.account SET {}, updated_at = now() WHERE id = $1 RETURNING {COLUMNS}",
        set.join(", ")
    );
    let mut params = vec![uuid(id)];
    params.extend(assignments.into_iter().map(|(_, param)| param));
    let rows = db
        .query(&sql, &params)
        .map_err(|e| e.to_api(&constraint_errors()))?;
    kit::db::rows(&rows)
        .next()
        .map(|r| Account::from_row(&r))
        .transpose()?
        .ok_or_else(|| not_found(id))
}

/// Moves the account `id` to `country` (and so to its currency).
pub fn set_country(db: &Db, id: Uuid, country: CountryCode) -> ApiResult<()> {
    db.execute(
        "UPDATE account.account SET country = $2, updated_at = now() WHERE id = $1",
        &[uuid(id), text(country.as_str())],
    )?;
    Ok(())
}

/// An account's standing as an operator sees it: what suspension and reinstatement answer.
#[derive(Debug, Serialize)]
pub struct Standing {
    /// The account.
    pub id: Uuid,
    /// `active` or `suspended`.
    pub status: &'static str,
    /// Since when it is suspended (`None` while active).
    pub suspended_at: Option<DateTime<Utc>>,
    /// The operator's note (`None` while active or when none was given).
    pub suspension_reason: Option<String>,
}

impl FromRow for Standing {
    fn from_row(row: &Row<'_>) -> ApiResult<Standing> {
        let status: String = row.get("status")?;
        Ok(Standing {
            id: row.get("id")?,
            status: Status::parse(&status)
                .ok_or_else(|| {
                    ApiError::internal(format_args!("an account has an unknown status `{status}`"))
                })?
                .as_str(),
            suspended_at: row.optional_time("suspended_at")?,
            suspension_reason: row.get("suspension_reason")?,
        })
    }
}

const SET_STANDING: &str = "UPDATE account.account \
     SET status = $2, suspension_reason = $3, updated_at = now(), \
         suspended_at = CASE WHEN $2 = 'active' THEN NULL ELSE coalesce(suspended_at, now()) END \
     WHERE id = $1 \
     RETURNING id, status, suspended_at AT TIME ZONE 'UTC' AS suspended_at, suspension_reason";

/// Gives the account `id` the status `status` (with `reason` while suspended; a second
/// suspension keeps the first one's time); 404 `account_not_found` when there is none.
pub fn set_standing(
    db: &Db,
    id: Uuid,
    status: Status,
    reason: Option<&str>,
) -> ApiResult<Standing> {
    db.fetch_optional(
        SET_STANDING,
        &[uuid(id), text(status.as_str()), optional_text(reason)],
    )?
    .ok_or_else(|| not_found(id))
}

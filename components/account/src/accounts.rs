//! The account row and the two ways it is shown: to its owner (everything) and to others (no
//! e-mail, phone, birth date or status).

use chrono::{DateTime, NaiveDate, Utc};
use kit::db::{Db, FromRow, Row, uuid};
use kit::validate::CountryCode;
use kit::{ApiError, ApiResult};
use serde::Serialize;
use uuid::Uuid;

/// An account as stored.
pub struct Account {
    pub id: Uuid,
    pub username: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password_hash: String,
    pub status: String,
    pub country: String,
    pub name: String,
    pub gender: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub avatar_resource_id: Option<Uuid>,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Columns [`Account::from_row`] reads.
pub const COLUMNS: &str = "id, username, email, phone, password_hash, status, country, name, gender, date_of_birth, \
avatar_resource_id, description, created_at AT TIME ZONE 'UTC' AS created_at";

impl FromRow for Account {
    fn from_row(row: &Row<'_>) -> ApiResult<Account> {
        Ok(Account {
            id: row.get("id")?,
            username: row.get("username")?,
            email: row.get("email")?,
            phone: row.get("phone")?,
            password_hash: row.get("password_hash")?,
            status: row.get("status")?,
            country: row.get("country")?,
            name: row.get("name")?,
            gender: row.get("gender")?,
            date_of_birth: row.get("date_of_birth")?,
            avatar_resource_id: row.get("avatar_resource_id")?,
            description: row.get("description")?,
            created_at: row.time("created_at")?,
        })
    }
}

/// Whether sign-in and refresh are allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Normal.
    Active,
    /// Blocked by an operator: no sign-in, no refresh.
    Suspended,
}

impl Account {
    /// The account's status.
    pub fn status(&self) -> Status {
        if self.status == "suspended" {
            Status::Suspended
        } else {
            Status::Active
        }
    }

    /// The currency inferred from the country.
    pub fn currency(&self) -> ApiResult<String> {
        Ok(CountryCode::parse("country", &self.country)?
            .currency()
            .as_str()
            .to_string())
    }
}

/// Loads an account, locked for the transaction when `lock` is set; 404 when absent.
pub fn load(db: &Db, id: Uuid, lock: bool) -> ApiResult<Account> {
    let sql = format!(
        "SELECT {COLUMNS} FROM account.account WHERE id = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    db.fetch_optional(&sql, &[uuid(id)])?
        .ok_or_else(|| ApiError::not_found("account_not_found", format!("no account {id}")))
}

/// The owner's view.
#[derive(Serialize)]
pub struct Private {
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
    status: String,
    created_at: DateTime<Utc>,
}

/// Everyone else's view.
#[derive(Serialize)]
pub struct Public {
    id: Uuid,
    username: Option<String>,
    name: String,
    avatar_resource_id: Option<Uuid>,
    description: Option<String>,
    country: String,
    created_at: DateTime<Utc>,
}

impl Account {
    /// The owner's view.
    pub fn private(self) -> ApiResult<Private> {
        Ok(Private {
            currency: self.currency()?,
            id: self.id,
            username: self.username,
            email: self.email,
            phone: self.phone,
            name: self.name,
            gender: self.gender,
            date_of_birth: self.date_of_birth,
            avatar_resource_id: self.avatar_resource_id,
            description: self.description,
            country: self.country,
            status: self.status,
            created_at: self.created_at,
        })
    }

    /// Everyone else's view.
    pub fn public(self) -> Public {
        Public {
            id: self.id,
            username: self.username,
            name: self.name,
            avatar_resource_id: self.avatar_resource_id,
            description: self.description,
            country: self.country,
            created_at: self.created_at,
        }
    }
}

/// The client errors the account table's constraints stand for.
pub fn constraint_errors() -> [(&'static str, ApiError); 4] {
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

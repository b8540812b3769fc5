//! `account.payment_method`: the payment methods an account saved — provider references with
//! display hints, never card numbers. `payment_method_reference_key` keeps a reference saved
//! once per account and provider (409 `payment_method_exists` here), and
//! `payment_method_one_default` allows at most one default.

use chrono::{DateTime, Utc};
use kit::db::{Db, FromRow, Row, optional_text, text, uuid};
use kit::{ApiError, ApiResult};
use uuid::Uuid;

/// A saved payment method as stored.
#[derive(Debug)]
pub struct Method {
    /// The method.
    pub id: Uuid,
    /// Who issued the reference.
    pub provider: String,
    /// The provider's token for it.
    pub provider_reference: String,
    /// The account's name for it; may be empty.
    pub label: String,
    /// The card brand, when it is a card.
    pub brand: Option<String>,
    /// The card's last four digits, when it is a card.
    pub last4: Option<String>,
    /// Whether it is the account's default.
    pub is_default: bool,
    /// When it was saved.
    pub created_at: DateTime<Utc>,
}

/// Columns [`Method::from_row`] reads.
const COLUMNS: &str = "id, provider, provider_reference, label, brand, last4, is_default, \
                       created_at AT TIME ZONE 'UTC' AS created_at";

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

/// The methods of `owner`, its default first, then in the order they were saved.
pub fn list(db: &Db, owner: Uuid) -> ApiResult<Vec<Method>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM account.payment_method WHERE account_id = $1 \
         ORDER BY is_default DESC, created_at, id"
    );
    db.fetch_all(&sql, &[uuid(owner)])
}

/// How many methods `owner` saved.
pub fn count(db: &Db, owner: Uuid) -> ApiResult<i64> {
    db.scalar(
        "SELECT count(*) FROM account.payment_method WHERE account_id = $1",
        &[uuid(owner)],
    )
}

/// Makes the default method of `owner`, if any, an ordinary one.
pub fn clear_default(db: &Db, owner: Uuid) -> ApiResult<()> {
    db.execute(
        "UPDATE account.payment_method SET is_default = false \
         WHERE account_id = $1 AND is_default",
        &[uuid(owner)],
    )?;
    Ok(())
}

/// A method to save, validated.
pub struct NewMethod {
    /// Its id.
    pub id: Uuid,
    /// Whose it is.
    pub account_id: Uuid,
    /// Who issued the reference.
    pub provider: String,
    /// The provider's token.
    pub provider_reference: String,
    /// The account's name for it.
    pub label: String,
    /// The card brand.
    pub brand: Option<String>,
    /// The card's last four digits.
    pub last4: Option<String>,
}

/// Saves a method, the account's default when `is_default` (clear the former one first), and
/// returns it; 409 `payment_method_exists` when the account saved this reference already.
pub fn insert(db: &Db, new: &NewMethod, is_default: bool) -> ApiResult<Method> {
    let sql = format!(
        "INSERT INTO account.payment_method \
         (id, account_id, provider, provider_reference, label, brand, last4, is_default) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
    );
    let params = [
        uuid(new.id),
        uuid(new.account_id),
        text(&new.provider),
        text(&new.provider_reference),
        text(&new.label),
        optional_text(new.brand.as_deref()),
        optional_text(new.last4.as_deref()),
        is_default.into(),
    ];
    let exists = ApiError::conflict(
        "payment_method_exists",
        "this payment method is already saved",
    );
    let set = db
        .query(&sql, &params)
        .map_err(|e| e.to_api(&[("payment_method_reference_key", exists)]))?;
    kit::db::rows(&set)
        .next()
        .map(|r| Method::from_row(&r))
        .transpose()?
        .ok_or_else(|| ApiError::internal("the payment method insert returned nothing"))
}

fn not_found(id: Uuid) -> ApiError {
    ApiError::not_found(
        "payment_method_not_found",
        format!("no payment method {id}"),
    )
}

/// Deletes the method `id` of `owner` and answers it as it was; 404 `payment_method_not_found`
/// when `owner` has no such method.
pub fn delete(db: &Db, owner: Uuid, id: Uuid) -> ApiResult<Method> {
    let sql = format!(
        "DELETE FROM account.payment_method WHERE id = $1 AND account_id = $2 RETURNING {COLUMNS}"
    );
    db.fetch_optional(&sql, &[uuid(id), uuid(owner)])?
        .ok_or_else(|| not_found(id))
}

/// Makes the method `id` the default of `owner`, and the former default an ordinary method;
/// 404 `payment_method_not_found` when `owner` has no such method. The caller holds the
/// account's lock, so two choices at once do not both clear and set.
pub fn make_default(db: &Db, owner: Uuid, id: Uuid) -> ApiResult<Method> {
    // The former default goes first: the one-default index never allows two at once.
    clear_default(db, owner)?;
    let sql = format!(
        "UPDATE account.payment_method SET is_default = true \
         WHERE id = $1 AND account_id = $2 RETURNING {COLUMNS}"
    );
    db.fetch_optional(&sql, &[uuid(id), uuid(owner)])?
        .ok_or_else(|| not_found(id))
}

const PROMOTE_OLDEST: &str = "UPDATE account.payment_method SET is_default = true WHERE id = \
                              (SELECT id FROM account.payment_method WHERE account_id = $1 \
                               ORDER BY created_at, id LIMIT 1)";

/// Makes the oldest method of `owner` its default (after its default was deleted).
pub fn promote_oldest(db: &Db, owner: Uuid) -> ApiResult<()> {
    db.execute(PROMOTE_OLDEST, &[uuid(owner)])?;
    Ok(())
}

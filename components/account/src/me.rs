//! The signed-in account's own profile, its country, and other accounts' public profiles.

use chrono::NaiveDate;
use kit::db::{Db, Param, optional_text, optional_uuid, text, uuid};
use kit::patch::Field;
use kit::validate::{CountryCode, Email, Phone, Username};
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::Deserialize;
use uuid::Uuid;

use crate::accounts::{self, Account};

/// `GET /api/v1/account/me`.
pub async fn get(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    json::ok(&accounts::load(ctx.db()?, user.sub, false)?.private()?)
}

/// `GET /api/v1/account/accounts/:id` — public: no e-mail, phone, birth date or status.
pub async fn public(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let id = ctx.param_id("id", "account")?;
    json::ok(&accounts::load(ctx.db()?, id, false)?.public())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    #[serde(default)]
    username: Field<String>,
    #[serde(default)]
    email: Field<String>,
    #[serde(default)]
    phone: Field<String>,
    /// Cannot be cleared: an empty name is `""`.
    #[serde(default)]
    name: Field<String>,
    #[serde(default)]
    gender: Field<String>,
    #[serde(default)]
    date_of_birth: Field<String>,
    #[serde(default)]
    avatar_resource_id: Field<Uuid>,
    #[serde(default)]
    description: Field<String>,
}

fn date_of_birth(s: &str) -> ApiResult<NaiveDate> {
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| ApiError::validation("date_of_birth: must be a date like 1990-05-31"))?;
    let today = kit::time::now().date_naive();
    if date > today || date < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(date) {
        return Err(ApiError::validation(
            "date_of_birth: must be between 1900-01-01 and today",
        ));
    }
    Ok(date)
}

impl UpdateBody {
    /// The validated column changes (column names are constants, never input).
    fn changes(self) -> ApiResult<Vec<(&'static str, Param)>> {
        let mut out = Vec::new();
        if let Some(v) = self.username.into_change() {
            let v = v.map(|u| Username::parse("username", &u)).transpose()?;
            out.push(("username", optional_text(v.as_ref().map(Username::as_str))));
        }
        if let Some(v) = self.email.into_change() {
            let v = v.map(|e| Email::parse("email", &e)).transpose()?;
            out.push(("email", optional_text(v.as_ref().map(Email::as_str))));
        }
        if let Some(v) = self.phone.into_change() {
            let v = v.map(|p| Phone::parse("phone", &p)).transpose()?;
            out.push(("phone", optional_text(v.as_ref().map(Phone::as_str))));
        }
        if let Some(v) = self.name.required("name")? {
            out.push(("name", text(kit::validate::text("name", &v, 0, 100)?)));
        }
        if let Some(v) = self.gender.into_change() {
            if let Some(g) = &v
                && !["male", "female", "other"].contains(&g.as_str())
            {
                return Err(ApiError::validation(
                    "gender: must be male, female or other",
                ));
            }
            out.push(("gender", optional_text(v.as_deref())));
        }
        if let Some(v) = self.date_of_birth.into_change() {
            let param = match v {
                Some(s) => {
                    use chrono::Datelike;
                    let d = date_of_birth(&s)?;
                    Param::Date((d.year(), d.month() as u8, d.day() as u8))
                }
                None => Param::DbNull,
            };
            out.push(("date_of_birth", param));
        }
        if let Some(v) = self.avatar_resource_id.into_change() {
            out.push(("avatar_resource_id", optional_uuid(v)));
        }
        if let Some(v) = self.description.into_change() {
            let v = v
                .map(|d| kit::validate::text("description", &d, 0, 500))
                .transpose()?;
            out.push(("description", optional_text(v.as_deref())));
        }
        Ok(out)
    }
}

/// `PATCH /api/v1/account/me` — any profile field; the account's status is not one of them.
pub async fn update(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let changes = json::read::<UpdateBody>(&req)?.changes()?;
    let db = ctx.db()?;
    if changes.is_empty() {
        return json::ok(&accounts::load(db, user.sub, false)?.private()?);
    }
    let sets: Vec<String> = changes
        .iter()
        .enumerate()
        .map(|(i, (col, _))| format!("{col} = ${}", i + 2))
        .collect();
    let sql = format!(
        "UPDATE account.account SET {}, updated_at = now() WHERE id = $1 RETURNING {}",
        sets.join(", "),
        accounts::COLUMNS
    );
    let mut params = vec![uuid(user.sub)];
    params.extend(changes.into_iter().map(|(_, p)| p));
    let set = db
        .query(&sql, &params)
        .map_err(|e| e.to_api(&accounts::constraint_errors()))?;
    let account = kit::db::rows(&set)
        .next()
        .map(|r| <Account as kit::db::FromRow>::from_row(&r))
        .transpose()?
        .ok_or_else(|| ApiError::not_found("account_not_found", "the account no longer exists"))?;
    json::ok(&account.private()?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CountryBody {
    country: String,
}

/// `PUT /api/v1/account/me/country` — refused while the wallet holds money, since the
/// wallet's currency follows the country.
pub async fn country(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let country = CountryCode::parse("country", &json::read::<CountryBody>(&req)?.country)?;
    ctx.db()?
        .transaction(async |db: &Db| {
            let balance: i64 = db.scalar(
                "SELECT balance FROM account.wallet WHERE account_id = $1 FOR UPDATE",
                &[uuid(user.sub)],
            )?;
            if balance != 0 {
                return Err(ApiError::conflict(
                    "wallet_not_empty",
                    format!("the wallet holds {balance} minor units; empty it before changing country"),
                ));
            }
            db.execute(
                "UPDATE account.account SET country = $2, updated_at = now() WHERE id = $1",
                &[uuid(user.sub), text(country.as_str())],
            )?;
            json::ok(&serde_json::json!({ "country": country.as_str(), "currency": country.currency().as_str() }))
        })
        .await
}

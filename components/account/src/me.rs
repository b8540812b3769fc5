//! `/api/v1/account/me`: the signed-in account's own profile, and its country.

use kit::db::Db;
use kit::patch::Field;
use kit::validate::{CountryCode, Email, Phone, Username};
use kit::{ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::account::{self, OwnerView, ProfileChanges};
use crate::model::{Lock, wallet};
use crate::rules;
use crate::rules::account::{Gender, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS};

/// `GET /api/v1/account/me`.
pub async fn get(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let account = account::load(ctx.db()?, user.sub, Lock::None)?;
    json::ok(&OwnerView::from(account))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateRequest {
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
    gender: Field<Gender>,
    #[serde(default)]
    date_of_birth: Field<String>,
    #[serde(default)]
    avatar_resource_id: Field<Uuid>,
    #[serde(default)]
    description: Field<String>,
}

impl UpdateRequest {
    fn parse(self) -> ApiResult<ProfileChanges> {
        let today = kit::time::now().date_naive();
        Ok(ProfileChanges {
            username: self.username.try_map(|u| Username::parse("username", &u))?,
            email: self.email.try_map(|e| Email::parse("email", &e))?,
            phone: self.phone.try_map(|p| Phone::parse("phone", &p))?,
            name: self
                .name
                .required("name")?
                .map(|n| kit::validate::line("name", &n, 0, MAX_NAME_CHARS))
                .transpose()?,
            gender: self.gender,
            date_of_birth: self
                .date_of_birth
                .try_map(|d| rules::account::date_of_birth(&d, today))?,
            avatar_resource_id: self.avatar_resource_id,
            description: self
                .description
                .try_map(|d| kit::validate::text("description", &d, 0, MAX_DESCRIPTION_CHARS))?,
        })
    }
}

/// `PATCH /api/v1/account/me` — any profile field; the account's status is not one of them.
pub async fn update(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let changes = json::read::<UpdateRequest>(&req)?.parse()?;
    let account = account::update_profile(ctx.db()?, user.sub, &changes)?;
    json::ok(&OwnerView::from(account))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CountryRequest {
    country: String,
}

/// The answer to a change of country.
#[derive(Serialize)]
struct CountryAnswer {
    country: String,
    currency: String,
}

/// `PUT /api/v1/account/me/country` — refused (409 `wallet_not_empty`) while the wallet holds
/// money, since the wallet's currency follows the country and money is never converted; the
/// wallet's lock makes a credit or debit sent at the same time come wholly before the change
/// (which is then refused) or wholly after it (in the new currency).
pub async fn country(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let country = CountryCode::parse("country", &json::read::<CountryRequest>(&req)?.country)?;
    ctx.db()?
        .transaction(async |db: &Db| {
            rules::wallet::ensure_empty(wallet::load(db, user.sub, Lock::ForUpdate)?.balance)?;
            wallet::set_currency(db, user.sub, country.currency())?;
            account::set_country(db, user.sub, country)
        })
        .await?;
    json::ok(&CountryAnswer {
        country: country.as_str().to_string(),
        currency: country.currency().as_str().to_string(),
    })
}

//! Registration, sign-in, refresh and sign-out.

use kit::db::{Db, text, uuid};
use kit::validate::{CountryCode, Email, Phone, Username};
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::model::Lock;
use crate::model::account::{self, NewAccount, OwnerView};
use crate::password;
use crate::rate_limit::Throttle;
use crate::rules::account::{self as rules, MAX_NAME_CHARS};
use crate::tokens::{self, Presented, Tokens};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterBody {
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    password: String,
    country: String,
    #[serde(default)]
    name: Option<String>,
}

/// A registration, validated.
struct Registration {
    username: Option<Username>,
    email: Option<Email>,
    phone: Option<Phone>,
    password: String,
    country: CountryCode,
    name: String,
}

impl RegisterBody {
    fn parse(self) -> ApiResult<Registration> {
        let new = Registration {
            username: self
                .username
                .as_deref()
                .map(|u| Username::parse("username", u))
                .transpose()?,
            email: self
                .email
                .as_deref()
                .map(|e| Email::parse("email", e))
                .transpose()?,
            phone: self
                .phone
                .as_deref()
                .map(|p| Phone::parse("phone", p))
                .transpose()?,
            country: CountryCode::parse("country", &self.country)?,
            name: kit::validate::text(
                "name",
                self.name.as_deref().unwrap_or(""),
                0,
                MAX_NAME_CHARS,
            )?,
            password: self.password,
        };
        rules::ensure_identifier(
            new.username.as_ref(),
            new.email.as_ref(),
            new.phone.as_ref(),
        )?;
        password::check(&new.password)?;
        Ok(new)
    }
}

/// What registration and sign-in answer.
#[derive(Serialize)]
struct Session {
    account: OwnerView,
    #[serde(flatten)]
    tokens: Tokens,
}

/// `POST /api/v1/account/auth/register`.
pub async fn register(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let config = Config::read(ctx.settings());
    let new = json::read::<RegisterBody>(&req)?.parse()?;
    let hash = password::hash(&new.password)?;
    let db = ctx.db()?;
    let id = kit::ids::new_id();
    let session = db
        .transaction(async |db: &Db| {
            account::insert(
                db,
                &NewAccount {
                    id,
                    username: new.username,
                    email: new.email,
                    phone: new.phone,
                    password_hash: hash,
                    country: new.country,
                    name: new.name,
                },
            )?;
            db.execute("INSERT INTO account.wallet (account_id) VALUES ($1)", &[uuid(id)])?;
            // The welcome notification is account's own row, so it commits with the account.
            db.execute(
                "INSERT INTO account.notification (id, account_id, type, title, content) VALUES ($1, $2, 'welcome', $3, $4)",
                &[
                    uuid(kit::ids::new_id()),
                    uuid(id),
                    text("Welcome to Souk"),
                    text("Your account is ready: you can buy, and you can sell."),
                ],
            )?;
            let tokens = tokens::issue(&ctx, &config, db, id, kit::ids::random_id())?;
            let account = account::load(db, id, Lock::None)?;
            Ok(Session {
                account: OwnerView::from(account),
                tokens,
            })
        })
        .await?;
    json::created(&format!("/api/v1/account/accounts/{id}"), &session)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    identifier: String,
    password: String,
}

/// The client's address without its port (`spin-client-addr` is `ip:port`).
fn client_address(req: &Request) -> Option<String> {
    let addr = req.header("spin-client-addr")?.as_str()?;
    let ip = addr.rsplit_once(':').map_or(addr, |(ip, _)| ip);
    (!ip.is_empty() && ip != "0.0.0.0").then(|| ip.trim_matches(['[', ']']).to_string())
}

/// The account an identifier names: username, e-mail or phone.
fn find(db: &Db, identifier: &str) -> ApiResult<Option<account::Account>> {
    let phone = Phone::parse("identifier", identifier).ok();
    account::by_identifier(db, &identifier.trim().to_lowercase(), phone.as_ref())
}

fn invalid_credentials() -> ApiError {
    ApiError::unauthorized("the identifier or the password is wrong")
        .with_code("invalid_credentials")
}

/// `POST /api/v1/account/auth/login` — the same answer whether the identifier is unknown or
/// the password wrong; failures are throttled per identifier and per client address.
pub async fn login(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let config = Config::read(ctx.settings());
    let body: LoginBody = json::read(&req)?;
    if body.identifier.trim().is_empty()
        || body.identifier.len() > 254
        || body.password.len() > 4 * password::MAX_LEN
    {
        return Err(invalid_credentials());
    }
    let throttle = Throttle::new(
        ctx.settings().redis_url()?.expose(),
        &body.identifier,
        client_address(&req).as_deref(),
    )?;
    throttle.check()?;
    let db = ctx.db()?;
    let account = find(db, &body.identifier)?;
    if !password::verify(
        &body.password,
        account.as_ref().map(|a| a.password_hash.as_str()),
    ) {
        throttle.failed()?;
        return Err(invalid_credentials());
    }
    let account = account.ok_or_else(invalid_credentials)?;
    rules::ensure_active(account.status)?;
    throttle.succeeded()?;
    let session = db
        .transaction(async |db: &Db| {
            let tokens = tokens::issue(&ctx, &config, db, account.id, kit::ids::random_id())?;
            Ok(Session {
                account: OwnerView::from(account::load(db, account.id, Lock::None)?),
                tokens,
            })
        })
        .await?;
    json::ok(&session)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshBody {
    refresh_token: String,
}

/// The outcome of a refresh, decided inside its transaction.
enum Refreshed {
    Issued(Tokens),
    Refused(ApiError),
}

/// `POST /api/v1/account/auth/refresh` — rotates the refresh token; presenting one that was
/// already rotated revokes its whole session.
pub async fn refresh(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let config = Config::read(ctx.settings());
    let body: RefreshBody = json::read(&req)?;
    let outcome = ctx
        .db()?
        .transaction(async |db: &Db| {
            // Revocations commit even though the request is refused.
            Ok(match tokens::rotate(db, &body.refresh_token)? {
                Presented::Invalid => Refreshed::Refused(tokens::invalid()),
                Presented::Reused => Refreshed::Refused(tokens::reused()),
                Presented::Valid { account, family } => {
                    let status = account::load(db, account, Lock::None)?.status;
                    if let Err(refused) = rules::ensure_active(status) {
                        tokens::revoke_family(db, family)?;
                        Refreshed::Refused(refused)
                    } else {
                        Refreshed::Issued(tokens::issue(&ctx, &config, db, account, family)?)
                    }
                }
            })
        })
        .await?;
    match outcome {
        Refreshed::Issued(tokens) => json::ok(&tokens),
        Refreshed::Refused(e) => Err(e),
    }
}

/// `POST /api/v1/account/auth/logout` — ends this device's session (its refresh tokens).
/// Access tokens already issued stay valid until they expire (minutes).
pub async fn logout(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    tokens::revoke_family(ctx.db()?, user.sid)?;
    json::no_content()
}

/// `POST /api/v1/account/auth/logout-all` — ends every session of the account.
pub async fn logout_all(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    tokens::revoke_account(ctx.db()?, user.sub)?;
    json::no_content()
}

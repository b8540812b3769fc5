//! `/api/v1/account/auth/…`: registration, sign-in (throttled), refresh (rotating), sign-out of
//! one session or of all of them.

use kit::db::Db;
use kit::validate::{CountryCode, Email, Phone, Username};
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::Config;
use crate::model::account::{self, NewAccount, OwnerView};
use crate::model::login_failure::LoginFailures;
use crate::model::notification::{self, NewNotification};
use crate::model::{Lock, refresh_token, registration, wallet};
use crate::rules;
use crate::rules::account::MAX_NAME_CHARS;
use crate::rules::password::{self, Password};
use crate::rules::session::{self, Identifier, Presented};

/// The notification every new account starts with.
const WELCOME_KIND: &str = "welcome";
const WELCOME_TITLE: &str = "Welcome to Souk";
const WELCOME_CONTENT: &str = "Your account is ready: you can buy, and you can sell.";

/// A token pair: what registration, sign-in and refresh give.
#[derive(Serialize)]
struct Tokens {
    /// The bearer token for API calls.
    access_token: String,
    /// Always `Bearer`.
    token_type: &'static str,
    /// Seconds until the access token expires.
    expires_in: i64,
    /// Exchange it at `/auth/refresh` for a new pair; it works once.
    refresh_token: String,
}

/// Issues a token pair for `account` in session `family`, storing the refresh token's digest.
/// The access token is dated no earlier than the account's "not before" second, so one issued
/// just after a sign-out everywhere works (see `kit::auth::issued_at`).
fn issue(ctx: &Ctx, config: &Config, db: &Db, account: Uuid, family: Uuid) -> ApiResult<Tokens> {
    let secret = session::new_refresh_token();
    refresh_token::insert(db, family, account, &session::digest(&secret))?;
    let ttl = config.access_token_ttl_secs;
    let issued_at = kit::auth::issued_at(kit::time::now(), not_before(ctx, account));
    let claims = kit::auth::claims(account, family, issued_at, ttl);
    let key = kit::auth::SigningKey::from_hex(
        "jwt_signing_key",
        ctx.settings().jwt_signing_key()?.expose(),
    )?;
    Ok(Tokens {
        access_token: kit::auth::sign(&claims, &key),
        token_type: "Bearer",
        expires_in: ttl,
        refresh_token: secret,
    })
}

/// The account's "not before" second, if it has one. Without an answer from Redis the token is
/// dated now: that can only make it refused sooner, never accepted when it should not be.
fn not_before(ctx: &Ctx, account: Uuid) -> Option<i64> {
    match ctx.redis_get(&[kit::auth::not_before_key(account)]) {
        Ok(values) => values.first().cloned().flatten()?.parse().ok(),
        Err(e) => {
            kit::log::warn(format_args!("the account's not-before was not read ({e})"));
            None
        }
    }
}

/// Ends the live access tokens `command` names (`kit::auth::end_account_tokens` or
/// `end_session_tokens`); 503 `revocation_unavailable` when Redis does not take it, so that
/// the caller's transaction rolls back and the request can be repeated whole.
pub fn end_access_tokens(ctx: &Ctx, command: &kit::platform::RedisCommand) -> ApiResult<()> {
    ctx.redis(command).map(drop).map_err(|e| {
        kit::log::warn(format_args!("a token revocation was not stored ({e})"));
        ApiError::unavailable(
            "revocation_unavailable",
            "the access tokens could not be ended now; nothing was changed, try again",
        )
    })
}

/// What registration and sign-in answer.
#[derive(Serialize)]
struct Session {
    account: OwnerView,
    #[serde(flatten)]
    tokens: Tokens,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterRequest {
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
    password: Password,
    country: CountryCode,
    name: String,
}

impl RegisterRequest {
    fn parse(self) -> ApiResult<Registration> {
        let registration = Registration {
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
            name: kit::validate::line(
                "name",
                self.name.as_deref().unwrap_or(""),
                0,
                MAX_NAME_CHARS,
            )?,
            password: Password::parse(self.password)?,
        };
        rules::account::ensure_identifier(
            registration.username.as_ref(),
            registration.email.as_ref(),
            registration.phone.as_ref(),
        )?;
        Ok(registration)
    }
}

/// `POST /api/v1/account/auth/register` — the account, its empty wallet and a welcome
/// notification, in one transaction, and a first session.
pub async fn register(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let config = Config::read(ctx.settings())?;
    let registration = json::read::<RegisterRequest>(&req)?.parse()?;
    // Counted before the password is hashed: the hash is what a flood of registrations costs.
    if let Some(address) = client_address(&req, &config) {
        registration::admit(
            ctx.settings().redis_url()?.expose(),
            &address,
            config.registrations_per_address,
        )?;
    }
    let password_hash = password::hash(&registration.password)?;
    let id = kit::ids::new_id();
    let new = NewAccount {
        id,
        username: registration.username,
        email: registration.email,
        phone: registration.phone,
        password_hash,
        country: registration.country,
        name: registration.name,
    };
    let session = ctx
        .db()?
        .transaction(async |db: &Db| {
            account::insert(db, &new)?;
            wallet::create(db, id, new.country.currency())?;
            // The welcome notification is account's own row, so it commits with the account.
            notification::insert(
                db,
                &NewNotification {
                    account_id: id,
                    kind: WELCOME_KIND,
                    title: WELCOME_TITLE,
                    content: WELCOME_CONTENT,
                    metadata: None,
                },
            )?;
            let tokens = issue(&ctx, &config, db, id, kit::ids::random_id())?;
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
struct LoginRequest {
    identifier: String,
    password: String,
}

/// The client's address bucket, as the per-address limits count it: the peer Spin reports, or
/// the client a trusted proxy forwarded for (see `rules::address`). spin-sdk keeps the last line
/// of a repeated header, which holds the hops nearest to us.
fn client_address(req: &Request, config: &Config) -> Option<String> {
    let header = |name| req.header(name).and_then(|v| v.as_str());
    let forwarded: Vec<&str> = header("x-forwarded-for").into_iter().collect();
    rules::address::client(
        header("spin-client-addr"),
        &forwarded,
        &config.trusted_proxies,
    )
    .map(rules::address::bucket)
}

/// `POST /api/v1/account/auth/login` — the same answer whether the identifier is unknown or
/// the password wrong; failures are throttled per account (whichever identifier names it,
/// however written) and per client address.
pub async fn login(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let config = Config::read(ctx.settings())?;
    let body: LoginRequest = json::read(&req)?;
    session::ensure_plausible_login(&body.identifier, &body.password)?;
    let identifier = Identifier::parse(&body.identifier);
    let db = ctx.db()?;
    let found = account::by_identifier(db, &identifier)?;
    let failures = LoginFailures::open(
        ctx.settings().redis_url()?.expose(),
        &session::failure_subject(&identifier, found.as_ref().map(|a| a.id)),
        client_address(&req, &config).as_deref(),
    )?;
    // Counted before the check, decided on the count: see model::login_failure.
    if let Some(counter) = session::throttled(failures.begin()?) {
        failures.take_back()?;
        return Err(ApiError::too_many_requests(failures.retry_after(counter)));
    }
    let stored_hash = found.as_ref().map(|a| a.password_hash.as_str());
    if !password::verify(&body.password, stored_hash) {
        // The count stays: it was this failure's.
        return Err(session::invalid_credentials());
    }
    let account = found.ok_or_else(session::invalid_credentials)?;
    if let Err(suspended) = rules::account::ensure_active(account.status) {
        // The right password: not a guess to count against the identifier.
        failures.take_back()?;
        return Err(suspended);
    }
    failures.succeeded()?;
    let id = account.id;
    let account = OwnerView::from(account);
    // Issued under the account's row lock, its status read again: a suspension (which takes
    // the same lock) either comes first and is seen, or waits and then refuses this token.
    let tokens = db
        .transaction(async |db: &Db| {
            let status = crate::model::account::load(db, id, Lock::ForUpdate)?.status;
            rules::account::ensure_active(status)?;
            issue(&ctx, &config, db, id, kit::ids::random_id())
        })
        .await?;
    json::ok(&Session { account, tokens })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshRequest {
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
    let config = Config::read(ctx.settings())?;
    let body: RefreshRequest = json::read(&req)?;
    let digest = session::digest(&body.refresh_token);
    let outcome = ctx
        .db()?
        .transaction(async |db: &Db| {
            // Refusals are answers of this transaction, not errors, so that the revocations
            // they bring commit (the route is `unkeyed()`, so no outer transaction of the
            // router's could roll them back).
            // The account first, then its token (see `refresh_token::find_locked`).
            let Some(owner) = refresh_token::owner(db, &digest)? else {
                return Ok(Refreshed::Refused(session::invalid_refresh_token()));
            };
            let status = account::load(db, owner, Lock::ForUpdate)?.status;
            let Some(token) = refresh_token::find_locked(db, &digest)? else {
                return Ok(Refreshed::Refused(session::invalid_refresh_token()));
            };
            Ok(match session::presented(token.state, token.expired) {
                Presented::Invalid => Refreshed::Refused(session::invalid_refresh_token()),
                Presented::Reused => {
                    refresh_token::revoke_family(db, token.family_id)?;
                    Refreshed::Refused(session::refresh_token_reused())
                }
                Presented::Valid => {
                    refresh_token::mark_rotated(db, &digest)?;
                    match rules::account::ensure_active(status) {
                        Err(suspended) => {
                            refresh_token::revoke_family(db, token.family_id)?;
                            Refreshed::Refused(suspended)
                        }
                        Ok(()) => Refreshed::Issued(issue(
                            &ctx,
                            &config,
                            db,
                            token.account_id,
                            token.family_id,
                        )?),
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

/// `POST /api/v1/account/auth/logout` — ends this device's session: its refresh tokens, and
/// its access tokens within a request (every module reads the session's end with the token).
pub async fn logout(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let config = Config::read(ctx.settings())?;
    ctx.db()?
        .transaction(async |db: &Db| {
            // The account first, then its tokens (see `refresh_token::find_locked`).
            account::load(db, user.sub, Lock::ForUpdate)?;
            refresh_token::revoke_family(db, user.sid)?;
            end_access_tokens(
                &ctx,
                &kit::auth::end_session_tokens(user.sid, config.access_token_ttl_secs),
            )
        })
        .await?;
    json::no_content()
}

/// `POST /api/v1/account/auth/logout-all` — ends every session of the account, and every
/// access token issued to it so far (its "not before" second, `kit::auth`).
pub async fn logout_all(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let config = Config::read(ctx.settings())?;
    ctx.db()?
        .transaction(async |db: &Db| {
            account::load(db, user.sub, Lock::ForUpdate)?;
            refresh_token::revoke_account(db, user.sub)?;
            end_access_tokens(
                &ctx,
                &kit::auth::end_account_tokens(
                    user.sub,
                    kit::time::now(),
                    config.access_token_ttl_secs,
                ),
            )
        })
        .await?;
    json::no_content()
}

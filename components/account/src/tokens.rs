//! Sessions: a short-lived access token (verified locally by every module) and an opaque
//! refresh token, stored hashed and rotated on every use within its family.
//!
//! A refresh token presented after it was rotated means two parties hold it — the family is
//! revoked, and every device of that session must sign in again.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use kit::db::{Db, rows, text, uuid};
use kit::{ApiError, ApiResult, Ctx};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::Config;

/// How long a refresh token lives.
pub const REFRESH_TTL_DAYS: i32 = 30;

/// What sign-in, registration and refresh return.
#[derive(Serialize)]
pub struct Tokens {
    /// The bearer token for API calls.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Exchange it at `/auth/refresh` for a new pair; it works once.
    pub refresh_token: String,
}

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_secret() -> String {
    let mut bytes = Vec::with_capacity(32);
    bytes.extend_from_slice(Uuid::new_v4().as_bytes());
    bytes.extend_from_slice(Uuid::new_v4().as_bytes());
    B64.encode(bytes)
}

/// Issues a token pair for `account` in session `family`, storing the refresh token's hash.
pub fn issue(
    ctx: &Ctx,
    config: &Config,
    db: &Db,
    account: Uuid,
    family: Uuid,
) -> ApiResult<Tokens> {
    let secret = new_secret();
    db.execute(
        "INSERT INTO account.refresh_token (id, family_id, account_id, token_hash, expires_at) \
         VALUES ($1, $2, $3, $4, now() + make_interval(days => $5))",
        &[
            uuid(kit::ids::new_id()),
            uuid(family),
            uuid(account),
            text(digest(&secret)),
            kit::db::Param::Int32(REFRESH_TTL_DAYS),
        ],
    )?;
    let ttl = config.access_token_ttl_secs;
    let claims = kit::auth::claims(account, family, kit::time::now(), ttl);
    Ok(Tokens {
        access_token: kit::auth::sign(
            &claims,
            ctx.settings().jwt_signing_key()?.expose().as_bytes(),
        ),
        token_type: "Bearer",
        expires_in: ttl,
        refresh_token: secret,
    })
}

/// The outcome of presenting a refresh token.
pub enum Presented {
    /// Valid: it is now rotated; continue the session.
    Valid {
        /// The account.
        account: Uuid,
        /// The session.
        family: Uuid,
    },
    /// Already rotated: its whole session was revoked just now (commit that, then refuse).
    Reused,
    /// Unknown, expired or revoked: nothing changed.
    Invalid,
}

/// The error for a refresh token that was reused.
pub fn reused() -> ApiError {
    ApiError::new(
        401,
        "refresh_token_reused",
        "this refresh token was already used: the session is revoked, sign in again",
    )
}

/// The error for an unknown, expired or revoked refresh token.
pub fn invalid() -> ApiError {
    ApiError::new(
        401,
        "invalid_refresh_token",
        "the refresh token is invalid or expired; sign in again",
    )
}

/// Rotates a presented refresh token, or revokes its family when it was already rotated.
pub fn rotate(db: &Db, presented: &str) -> ApiResult<Presented> {
    let set = db.query(
        "SELECT account_id, family_id, status, expires_at < now() AS expired FROM account.refresh_token \
         WHERE token_hash = $1 FOR UPDATE",
        &[text(digest(presented))],
    )?;
    let Some(row) = rows(&set).next() else {
        return Ok(Presented::Invalid);
    };
    let account: Uuid = row.get("account_id")?;
    let family: Uuid = row.get("family_id")?;
    let status: String = row.get("status")?;
    let expired: bool = row.get("expired")?;
    match status.as_str() {
        "active" if !expired => {
            db.execute(
                "UPDATE account.refresh_token SET status = 'rotated' WHERE token_hash = $1",
                &[text(digest(presented))],
            )?;
            Ok(Presented::Valid { account, family })
        }
        "rotated" => {
            revoke_family(db, family)?;
            Ok(Presented::Reused)
        }
        _ => Ok(Presented::Invalid),
    }
}

/// Revokes every token of a session.
pub fn revoke_family(db: &Db, family: Uuid) -> ApiResult<()> {
    db.execute("UPDATE account.refresh_token SET status = 'revoked' WHERE family_id = $1 AND status <> 'revoked'", &[uuid(family)])?;
    Ok(())
}

/// Revokes every session of an account.
pub fn revoke_account(db: &Db, account: Uuid) -> ApiResult<()> {
    db.execute("UPDATE account.refresh_token SET status = 'revoked' WHERE account_id = $1 AND status <> 'revoked'", &[uuid(account)])?;
    Ok(())
}

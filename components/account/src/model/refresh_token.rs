//! `account.refresh_token`: refresh tokens, stored as SHA-256 digests and never in clear, each
//! in its family (the session it belongs to) with its state and expiry. What presenting a token
//! means is `rules::session::presented`; this file only reads and writes the rows.

use kit::db::{Db, FromRow, Param, Row, text, uuid};
use kit::{ApiError, ApiResult};
use uuid::Uuid;

use crate::rules::session::{REFRESH_TTL_DAYS, TokenState};

/// A stored refresh token, as its presenter finds it.
#[derive(Debug)]
pub struct StoredToken {
    /// Whose session it is.
    pub account_id: Uuid,
    /// The session.
    pub family_id: Uuid,
    /// Unused, rotated or revoked.
    pub state: TokenState,
    /// Whether its lifetime is over.
    pub expired: bool,
}

impl FromRow for StoredToken {
    fn from_row(row: &Row<'_>) -> ApiResult<StoredToken> {
        let status: String = row.get("status")?;
        Ok(StoredToken {
            account_id: row.get("account_id")?,
            family_id: row.get("family_id")?,
            state: TokenState::parse(&status).ok_or_else(|| {
                ApiError::internal(format_args!(
                    "a refresh token has an unknown status `{status}`"
                ))
            })?,
            expired: row.get("expired")?,
        })
    }
}

const INSERT: &str = "INSERT INTO account.refresh_token \
                      (id, family_id, account_id, token_hash, expires_at) \
                      VALUES ($1, $2, $3, $4, now() + make_interval(days => $5))";

/// Stores the refresh token whose digest is `digest` in session `family` of `account`, valid
/// for [`REFRESH_TTL_DAYS`].
pub fn insert(db: &Db, family: Uuid, account: Uuid, digest: &str) -> ApiResult<()> {
    db.execute(
        INSERT,
        &[
            uuid(kit::ids::new_id()),
            uuid(family),
            uuid(account),
            text(digest),
            Param::Int32(REFRESH_TTL_DAYS),
        ],
    )?;
    Ok(())
}

/// The account whose refresh token has the digest `digest`, read without a lock: the account
/// is locked before its tokens (see `find_locked`).
pub fn owner(db: &Db, digest: &str) -> ApiResult<Option<Uuid>> {
    db.scalar(
        "SELECT (SELECT account_id FROM account.refresh_token WHERE token_hash = $1)",
        &[text(digest)],
    )
}

const FIND_LOCKED: &str = "SELECT account_id, family_id, status, expires_at < now() AS expired \
                           FROM account.refresh_token WHERE token_hash = $1 FOR UPDATE";

/// The token whose digest is `digest`, locked until the transaction ends, so that two refreshes
/// with one token are decided one after the other. Every change to an account's sessions locks
/// the account's row first and its tokens after it (refresh, sign-out, suspension), so they
/// follow one another whole: a refresh racing a sign-out everywhere either commits first, and
/// the sign-out revokes the token it issued, or finds its token revoked.
pub fn find_locked(db: &Db, digest: &str) -> ApiResult<Option<StoredToken>> {
    db.fetch_optional(FIND_LOCKED, &[text(digest)])
}

/// Marks the token whose digest is `digest` as exchanged.
pub fn mark_rotated(db: &Db, digest: &str) -> ApiResult<()> {
    db.execute(
        "UPDATE account.refresh_token SET status = 'rotated' WHERE token_hash = $1",
        &[text(digest)],
    )?;
    Ok(())
}

const REVOKE_FAMILY: &str = "UPDATE account.refresh_token SET status = 'revoked' \
                             WHERE family_id = $1 AND status <> 'revoked'";

/// Revokes every token of the session `family`.
pub fn revoke_family(db: &Db, family: Uuid) -> ApiResult<()> {
    db.execute(REVOKE_FAMILY, &[uuid(family)])?;
    Ok(())
}

const REVOKE_ACCOUNT: &str = "UPDATE account.refresh_token SET status = 'revoked' \
                              WHERE account_id = $1 AND status <> 'revoked'";

/// Revokes every token of every session of `account`.
pub fn revoke_account(db: &Db, account: Uuid) -> ApiResult<()> {
    db.execute(REVOKE_ACCOUNT, &[uuid(account)])?;
    Ok(())
}

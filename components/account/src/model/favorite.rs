//! `account.favorite`: the products an account favours, at most once each (the primary key),
//! listed by their UUIDv7 id, newest first.

use chrono::{DateTime, Utc};
use kit::db::{Db, FromRow, Row, uuid, uuids};
use kit::page::PageRequest;
use kit::{ApiError, ApiResult};
use uuid::Uuid;

/// A favourite as stored.
#[derive(Debug)]
pub struct Favorite {
    /// The favourite; its order is the order favourites were added in.
    pub id: Uuid,
    /// Catalog's product (no cross-module key).
    pub spu_id: Uuid,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

/// Columns [`Favorite::from_row`] reads.
const COLUMNS: &str = "id, spu_id, created_at AT TIME ZONE 'UTC' AS created_at";

impl FromRow for Favorite {
    fn from_row(row: &Row<'_>) -> ApiResult<Favorite> {
        Ok(Favorite {
            id: row.get("id")?,
            spu_id: row.get("spu_id")?,
            created_at: row.time("created_at")?,
        })
    }
}

/// What [`add`] did.
#[derive(Debug)]
pub enum Added {
    /// The product is a favourite now.
    New(Favorite),
    /// It already was; nothing changed.
    Existing(Favorite),
}

/// Makes `spu` a favourite of `account`, unless it is one. 409 `busy` in the one case where
/// neither can be told: it was a favourite when added and was removed before it was read.
pub fn add(db: &Db, account: Uuid, spu: Uuid) -> ApiResult<Added> {
    let insert = format!(
        "INSERT INTO account.favorite (id, account_id, spu_id) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING RETURNING {COLUMNS}"
    );
    let params = [uuid(kit::ids::new_id()), uuid(account), uuid(spu)];
    if let Some(added) = db.fetch_optional(&insert, &params)? {
        return Ok(Added::New(added));
    }
    let select =
        format!("SELECT {COLUMNS} FROM account.favorite WHERE account_id = $1 AND spu_id = $2");
    db.fetch_optional(&select, &[uuid(account), uuid(spu)])?
        .map(Added::Existing)
        .ok_or_else(|| ApiError::conflict("busy", "the favourite changed concurrently; retry"))
}

/// Makes `spu` no favourite of `account`, whether or not it was one.
pub fn remove(db: &Db, account: Uuid, spu: Uuid) -> ApiResult<()> {
    db.execute(
        "DELETE FROM account.favorite WHERE account_id = $1 AND spu_id = $2",
        &[uuid(account), uuid(spu)],
    )?;
    Ok(())
}

/// A page of the favourites of `account`, newest first (one more than the page, as
/// `PageRequest::page` expects).
pub fn page(db: &Db, account: Uuid, page: &PageRequest<Uuid>) -> ApiResult<Vec<Favorite>> {
    super::newest_first(db, "favorite", COLUMNS, account, page)
}

const AMONG: &str = "SELECT spu_id FROM account.favorite \
                     WHERE account_id = $1 AND spu_id = ANY($2::text[]::uuid[]) ORDER BY spu_id";

/// Those of `spus` that `account` favours, in order, in one query.
pub fn among(db: &Db, account: Uuid, spus: &[Uuid]) -> ApiResult<Vec<Uuid>> {
    let set = db.query(AMONG, &[uuid(account), uuids(spus)])?;
    kit::db::rows(&set).map(|r| r.get("spu_id")).collect()
}

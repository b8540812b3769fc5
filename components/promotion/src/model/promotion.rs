//! `promotion.promotion`: a promotion as stored — its owner, what it gives (`kind` and its
//! `terms`), what it applies to, its conditions, code, stacking and schedule.
//!
//! The rules' types are stored in their serialised form (`terms`, `conditions`, `schedule`
//! as jsonb, read back by the same types), except what SQL filters or indexes: the owner, the
//! kind, the target's ids, the code, and the schedule's start and end.

use chrono::{DateTime, Utc};
use kit::db::{Db, FromRow, Row, instant, optional_text, optional_uuid, text, uuid};
use kit::{ApiError, ApiResult};
use serde_json::Value;
use uuid::Uuid;

use super::Lock;
use super::usage::Counts;
use crate::rules::terms::Target;

/// A promotion's columns, as written and read.
#[derive(Clone, Debug, PartialEq)]
pub struct Stored {
    /// The promotion.
    pub id: Uuid,
    /// The seller who owns it; `None` for the platform.
    pub seller_id: Option<Uuid>,
    /// Its name.
    pub name: String,
    /// What it gives: `percentage`, `fixed`, `shipping`, `buy_x_get_y`, `bundle`, `cashback`.
    pub kind: String,
    /// The kind's parameters.
    pub terms: Value,
    /// `all`, `products`, `skus` or `categories`.
    pub target_kind: String,
    /// The targeted ids (none for `all`).
    pub target_ids: Vec<Uuid>,
    /// The conditions the quote checks.
    pub conditions: Value,
    /// The voucher code as its owner wrote it; `None` for an automatic promotion.
    pub code: Option<String>,
    /// Ties in its group go to the higher priority.
    pub priority: i32,
    /// Whether it applies alone when it wins.
    pub exclusive: bool,
    /// The currency of its amounts.
    pub currency: Option<String>,
    /// The schedule's start.
    pub starts_at: DateTime<Utc>,
    /// The schedule's end.
    pub ends_at: Option<DateTime<Utc>>,
    /// The whole schedule (windows and their timezone).
    pub schedule: Value,
}

impl Stored {
    /// Its target, from the two columns [`Target::parts`] wrote.
    pub fn target(&self) -> ApiResult<Target> {
        Target::from_parts(&self.target_kind, &self.target_ids).ok_or_else(|| {
            ApiError::internal(format_args!(
                "promotion {} has target kind {}",
                self.id, self.target_kind
            ))
        })
    }
}

/// A promotion read back: its columns and what the database knows about it.
#[derive(Clone, Debug)]
pub struct Promotion {
    /// The columns.
    pub stored: Stored,
    /// When its owner ended it (a redeemed promotion deleted), if so.
    pub ended_at: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// The last change.
    pub updated_at: DateTime<Utc>,
    /// `scheduled`, `active` or `ended`, as of the query.
    pub status: String,
    /// Its limits and what redemptions hold of them.
    pub counts: Counts,
}

const COLUMNS: &str = "id, owner_id, name, kind, terms, target_kind, target_ids::text[] AS target_ids, \
     conditions, code, priority, exclusive, currency, \
     starts_at AT TIME ZONE 'UTC' AS starts_at, ends_at AT TIME ZONE 'UTC' AS ends_at, schedule, \
     ended_at AT TIME ZONE 'UTC' AS ended_at, created_at AT TIME ZONE 'UTC' AS created_at, \
     updated_at AT TIME ZONE 'UTC' AS updated_at, \
     total_limit, per_buyer_limit, budget_minor, uses, spent_minor, redeemed, \
     CASE WHEN ended_at IS NOT NULL OR ends_at <= now() THEN 'ended' \
          WHEN starts_at > now() THEN 'scheduled' ELSE 'active' END AS status";

/// A promotion with its counters (every promotion has its usage row, written with it).
const FROM: &str = "promotion.promotion JOIN promotion.usage ON promotion_id = id";

impl FromRow for Promotion {
    fn from_row(row: &Row<'_>) -> ApiResult<Promotion> {
        let ids: Vec<Option<String>> = row.get("target_ids")?;
        let target_ids = ids
            .into_iter()
            .flatten()
            .map(|id| id.parse().map_err(ApiError::internal))
            .collect::<ApiResult<Vec<Uuid>>>()?;
        Ok(Promotion {
            stored: Stored {
                id: row.get("id")?,
                seller_id: row.get("owner_id")?,
                name: row.get("name")?,
                kind: row.get("kind")?,
                terms: row.json("terms")?,
                target_kind: row.get("target_kind")?,
                target_ids,
                conditions: row.json("conditions")?,
                code: row.get("code")?,
                priority: row.get("priority")?,
                exclusive: row.get("exclusive")?,
                currency: row.get("currency")?,
                starts_at: row.time("starts_at")?,
                ends_at: row.optional_time("ends_at")?,
                schedule: row.json("schedule")?,
            },
            ended_at: row.optional_time("ended_at")?,
            created_at: row.time("created_at")?,
            updated_at: row.time("updated_at")?,
            status: row.get("status")?,
            counts: Counts::from_row(row)?,
        })
    }
}

/// 409 `code_taken`: another live promotion has this code, in any letter case.
fn code_taken(code: Option<&str>) -> ApiError {
    ApiError::conflict(
        "code_taken",
        format!(
            "another running or scheduled promotion has the code {}",
            code.unwrap_or_default()
        ),
    )
}

fn id_list(ids: &[Uuid]) -> kit::db::Param {
    kit::db::uuids(ids)
}

/// The parameters of an insert or update, in column order from `$1`.
fn params(p: &Stored) -> ApiResult<Vec<kit::db::Param>> {
    Ok(vec![
        uuid(p.id),
        text(if p.seller_id.is_some() {
            "seller"
        } else {
            "platform"
        }),
        optional_uuid(p.seller_id),
        text(p.name.as_str()),
        text(p.kind.as_str()),
        kit::db::json(&p.terms)?,
        text(p.target_kind.as_str()),
        id_list(&p.target_ids),
        kit::db::json(&p.conditions)?,
        optional_text(p.code.as_deref()),
        p.priority.into(),
        p.exclusive.into(),
        optional_text(p.currency.as_deref()),
        instant(p.starts_at),
        p.ends_at.map_or(kit::db::Param::DbNull, instant),
        kit::db::json(&p.schedule)?,
    ])
}

const INSERT: &str = "INSERT INTO promotion.promotion \
     (id, owner_kind, owner_id, name, kind, terms, target_kind, target_ids, conditions, code, \
      priority, exclusive, currency, starts_at, ends_at, schedule) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text[]::uuid[], $9, $10, $11, $12, $13, $14, $15, $16)";

/// Stores a new promotion; 409 `code_taken`.
pub fn insert(db: &Db, p: &Stored) -> ApiResult<()> {
    db.execute(INSERT, &params(p)?)
        .map_err(|e| e.to_api(&[("promotion_code_key", code_taken(p.code.as_deref()))]))?;
    Ok(())
}

const UPDATE: &str = "UPDATE promotion.promotion SET \
     owner_kind = $2, owner_id = $3, name = $4, kind = $5, terms = $6, target_kind = $7, \
     target_ids = $8::text[]::uuid[], conditions = $9, code = $10, priority = $11, \
     exclusive = $12, currency = $13, starts_at = $14, ends_at = $15, schedule = $16, \
     updated_at = now() \
     WHERE id = $1";

/// Writes every column of promotion `p.id`; 409 `code_taken`.
pub fn update(db: &Db, p: &Stored) -> ApiResult<()> {
    db.execute(UPDATE, &params(p)?)
        .map_err(|e| e.to_api(&[("promotion_code_key", code_taken(p.code.as_deref()))]))?;
    Ok(())
}

/// Promotion `id`; 404 `promotion_not_found`. Locked until the transaction ends when `lock`
/// says so.
pub fn load(db: &Db, id: Uuid, lock: Lock) -> ApiResult<Promotion> {
    find(db, id, lock)?.ok_or_else(|| super::usage::not_found(id))
}

/// Promotion `id`, locked as `lock` says; `None` once deleted.
pub fn find(db: &Db, id: Uuid, lock: Lock) -> ApiResult<Option<Promotion>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE id = $1{}",
        lock.clause()
    );
    db.fetch_optional(&sql, &[uuid(id)])
}

/// The filters of a list; `None` filters nothing.
#[derive(Debug, Default)]
pub struct Filter {
    /// `Some(None)`: the platform's; `Some(Some(seller))`: that seller's.
    pub owner: Option<Option<Uuid>>,
    /// `scheduled`, `active` or `ended`.
    pub status: Option<String>,
    /// Promotions naming this id in their target (a product, SKU or category).
    pub target: Option<Uuid>,
    /// Its target kind (`products`, `skus`, `categories`), with `target`.
    pub target_kind: Option<&'static str>,
    /// The code, in any letter case.
    pub code: Option<String>,
    /// Where the previous page ended (promotion ids are time-ordered; newest first).
    pub after: Option<Uuid>,
}

const PAGE: &str = "SELECT * FROM (SELECT {COLUMNS} FROM {FROM} \
     WHERE ($1::text IS NULL OR owner_kind = $1) \
       AND ($2::text IS NULL OR owner_id = $2::text::uuid) \
       AND ($3::text IS NULL OR ($4::text::uuid = ANY (target_ids) AND target_kind = $3)) \
       AND ($5::text IS NULL OR lower(code) = lower($5)) \
       AND ($6::text IS NULL OR id < $6::text::uuid)) AS p \
     WHERE ($7::text IS NULL OR status = $7) \
     ORDER BY id DESC LIMIT $8";

/// Up to `limit` promotions matching `filter`, newest first.
pub fn page(db: &Db, filter: &Filter, limit: i64) -> ApiResult<Vec<Promotion>> {
    let owner_kind = filter
        .owner
        .map(|o| if o.is_some() { "seller" } else { "platform" });
    let seller = filter.owner.flatten().map(|s| s.to_string());
    let sql = PAGE.replace("{COLUMNS}", COLUMNS).replace("{FROM}", FROM);
    db.fetch_all(
        &sql,
        &[
            optional_text(owner_kind),
            optional_text(seller.as_deref()),
            optional_text(filter.target.and(filter.target_kind)),
            optional_text(filter.target.map(|t| t.to_string()).as_deref()),
            optional_text(filter.code.as_deref()),
            optional_text(filter.after.map(|a| a.to_string()).as_deref()),
            optional_text(filter.status.as_deref()),
            limit.into(),
        ],
    )
}

const END: &str = "UPDATE promotion.promotion SET ended_at = now(), updated_at = now() \
                   WHERE id = $1 AND ended_at IS NULL";

/// Ends promotion `id` now (it stays, with its history, and gives its code back).
pub fn end(db: &Db, id: Uuid) -> ApiResult<()> {
    db.execute(END, &[uuid(id)])?;
    Ok(())
}

const DELETE: &str = "DELETE FROM promotion.promotion WHERE id = $1";

/// Deletes promotion `id` and its counters; the caller has checked it was never redeemed (the
/// foreign key of redemption lines is the backstop).
pub fn delete(db: &Db, id: Uuid) -> ApiResult<()> {
    db.execute(DELETE, &[uuid(id)])?;
    Ok(())
}

/// Most promotions one quote weighs: far more than a cart's sellers run at once, and a bound on
/// what a quote costs however many promotions a seller creates.
pub const MAX_OFFERS: i64 = 500;

const OFFERS: &str = "SELECT {COLUMNS} FROM {FROM} \
     WHERE ended_at IS NULL AND ( \
       (code IS NULL AND (owner_id IS NULL OR owner_id = ANY ($1::text[]::uuid[])) \
        AND starts_at <= now() AND (ends_at IS NULL OR ends_at > now())) \
       OR (code IS NOT NULL AND lower(code) = ANY ($2::text[]))) \
     ORDER BY id LIMIT $3";

/// What a quote weighs for a cart of `sellers`' lines carrying `codes` (lower-cased): the
/// running automatic promotions of those sellers and of the platform, and every promotion
/// whose code the cart carries, whatever its owner or schedule — so that the answer can say
/// why a typed code gives nothing (expired, not yet started, another seller's).
pub fn offers(db: &Db, sellers: &[Uuid], codes: &[String]) -> ApiResult<Vec<Promotion>> {
    let sql = OFFERS.replace("{COLUMNS}", COLUMNS).replace("{FROM}", FROM);
    db.fetch_all(
        &sql,
        &[
            kit::db::uuids(sellers),
            kit::db::strings(codes),
            MAX_OFFERS.into(),
        ],
    )
}

//! `common.rate_snapshot` and `common.exchange_rate`: the rates of each fetch, kept whole.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use kit::db::{Db, FromRow, Row, micros, strings, text, uuid};
use kit::{ApiError, ApiResult};
use uuid::Uuid;

/// One fetch's rates.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub id: Uuid,
    pub base: String,
    pub source: String,
    pub published_at: DateTime<Utc>,
    pub next_at: Option<DateTime<Utc>>,
    pub fetched_at: DateTime<Utc>,
    /// Units of each currency one unit of the base buys, in units of 10⁻¹².
    pub rates: BTreeMap<String, i64>,
}

struct Head {
    id: Uuid,
    base: String,
    source: String,
    published_at: DateTime<Utc>,
    next_at: Option<DateTime<Utc>>,
    fetched_at: DateTime<Utc>,
}

impl FromRow for Head {
    fn from_row(row: &Row<'_>) -> ApiResult<Head> {
        Ok(Head {
            id: row.get("id")?,
            base: row.get("base")?,
            source: row.get("source")?,
            published_at: row.time("published_at")?,
            next_at: row.optional_time("next_at")?,
            fetched_at: row.time("fetched_at")?,
        })
    }
}

struct Rate(String, i64);

impl FromRow for Rate {
    fn from_row(row: &Row<'_>) -> ApiResult<Rate> {
        Ok(Rate(row.get("currency")?, row.get("rate")?))
    }
}

const HEAD: &str = "SELECT id, base, source, published_at AT TIME ZONE 'UTC' AS published_at, \
                    next_at AT TIME ZONE 'UTC' AS next_at, \
                    fetched_at AT TIME ZONE 'UTC' AS fetched_at FROM common.rate_snapshot";

fn with_rates(db: &Db, head: Head) -> ApiResult<Snapshot> {
    let rates = db
        .fetch_all::<Rate>(
            "SELECT currency, rate FROM common.exchange_rate WHERE snapshot_id = $1",
            &[uuid(head.id)],
        )?
        .into_iter()
        .map(|Rate(c, r)| (c, r))
        .collect();
    Ok(Snapshot {
        id: head.id,
        base: head.base,
        source: head.source,
        published_at: head.published_at,
        next_at: head.next_at,
        fetched_at: head.fetched_at,
        rates,
    })
}

/// The latest snapshot, if any was ever fetched.
pub fn latest(db: &Db) -> ApiResult<Option<Snapshot>> {
    db.fetch_optional::<Head>(
        &format!("{HEAD} ORDER BY fetched_at DESC, id DESC LIMIT 1"),
        &[],
    )?
    .map(|h| with_rates(db, h))
    .transpose()
}

/// Snapshot `id`; 404 `rate_snapshot_not_found`.
pub fn load(db: &Db, id: Uuid) -> ApiResult<Snapshot> {
    let head = db
        .fetch_optional::<Head>(&format!("{HEAD} WHERE id = $1"), &[uuid(id)])?
        .ok_or_else(|| ApiError::not_found("rate_snapshot_not_found", "no such rate snapshot"))?;
    with_rates(db, head)
}

/// Stores a fetched snapshot.
pub fn insert(db: &Db, s: &Snapshot) -> ApiResult<()> {
    db.execute(
        "INSERT INTO common.rate_snapshot (id, base, source, published_at, next_at, fetched_at) \
         VALUES ($1, $2, $3, $4::text::timestamptz, $5::text::timestamptz, $6::text::timestamptz)",
        &[
            uuid(s.id),
            text(&s.base),
            text(&s.source),
            micros(s.published_at),
            s.next_at.map(|t| t.to_rfc3339()).into(),
            micros(s.fetched_at),
        ],
    )?;
    let currencies: Vec<&str> = s.rates.keys().map(String::as_str).collect();
    let rates: Vec<String> = s.rates.values().map(i64::to_string).collect();
    db.execute(
        "INSERT INTO common.exchange_rate (snapshot_id, currency, rate) \
         SELECT $1, c, r::int8 FROM unnest($2::text[], $3::text[]) AS t (c, r)",
        &[uuid(s.id), strings(&currencies), strings(&rates)],
    )?;
    Ok(())
}

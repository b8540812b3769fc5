//! UTC instants. PostgreSQL columns hold `timestamptz`; Spin's Postgres interface cannot read
//! that type back (see the project's Spin notes), so queries select instants as
//! `col AT TIME ZONE 'UTC'` (read with [`crate::db::Row::time`]) or as epoch seconds.

use chrono::{DateTime, SecondsFormat, Utc};

/// Now, from the WASI clock.
pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// An instant from Unix seconds.
pub fn from_epoch(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// An instant from Unix milliseconds, as providers report them; `None` out of range.
pub fn from_epoch_millis(ms: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
}

/// RFC 3339 with second precision and `Z`, the form every response uses.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

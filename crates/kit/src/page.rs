//! Keyset pagination: a list is ordered by a sort key plus the id, and the next page starts
//! strictly after the last item's `(key, id)`. The cursor is that pair, opaque to clients
//! (base64url of JSON), so pages stay stable while rows are added.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};

/// Items per page when the client names no `limit`.
pub const DEFAULT_LIMIT: u32 = 20;

/// The most items a page may hold.
pub const MAX_LIMIT: u32 = 100;

/// The `limit` and decoded `cursor` of a list request.
#[derive(Debug, PartialEq)]
pub struct PageRequest<K> {
    /// Items wanted (1..=MAX_LIMIT).
    pub limit: u32,
    /// Where the previous page ended.
    pub after: Option<K>,
}

/// A page of items and the cursor of the next one.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Encodes a cursor.
pub fn encode<K: Serialize>(key: &K) -> String {
    // Serialising plain keys (numbers, strings, uuids) cannot fail.
    B64.encode(serde_json::to_vec(key).expect("cursor keys serialise"))
}

/// Decodes a cursor; anything unreadable is 400 `invalid_cursor`.
pub fn decode<K: DeserializeOwned>(cursor: &str) -> ApiResult<K> {
    B64.decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| {
            ApiError::bad_request("invalid_cursor", "the cursor is not one this list gave out")
        })
}

/// Parses `limit` and `cursor` from the query string.
pub fn request<K: DeserializeOwned>(ctx: &Ctx) -> ApiResult<PageRequest<K>> {
    parse(
        ctx.query("limit").as_deref(),
        ctx.query("cursor").as_deref(),
    )
}

/// Parses `limit` and `cursor` values.
pub fn parse<K: DeserializeOwned>(
    limit: Option<&str>,
    cursor: Option<&str>,
) -> ApiResult<PageRequest<K>> {
    let limit = match limit {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_limit",
                    format!("limit must be a whole number from 1 to {MAX_LIMIT}"),
                )
            })?,
    };
    let after = cursor.filter(|c| !c.is_empty()).map(decode).transpose()?;
    Ok(PageRequest { limit, after })
}

impl<K> PageRequest<K> {
    /// Rows to fetch: one more than the page, to learn whether another page follows.
    pub fn fetch(&self) -> i64 {
        i64::from(self.limit) + 1
    }

    /// Builds the page from up to `limit + 1` rows, taking the cursor from the last kept row.
    pub fn page<T, C: Serialize>(&self, mut rows: Vec<T>, key_of: impl Fn(&T) -> C) -> Page<T> {
        let more = rows.len() > self.limit as usize;
        rows.truncate(self.limit as usize);
        let next_cursor = if more {
            rows.last().map(|last| encode(&key_of(last)))
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }
}

/// A `(timestamp micros, id)` key, the usual one for "newest first" lists.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimeKey {
    /// Microseconds since the epoch.
    pub t: i64,
    /// The item id.
    pub id: uuid::Uuid,
}

impl TimeKey {
    /// The key of a row made at `at` with id `id` (microseconds, as the lists order them).
    pub fn of(at: chrono::DateTime<chrono::Utc>, id: uuid::Uuid) -> TimeKey {
        TimeKey {
            t: at.timestamp_micros(),
            id,
        }
    }
}

impl<T> Page<T> {
    /// The same page with each item shown as `view` makes it.
    pub fn map<V>(self, view: impl FnMut(T) -> V) -> Page<V> {
        Page {
            items: self.items.into_iter().map(view).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let key = TimeKey {
            t: 1_700_000_000_000_000,
            id: uuid::Uuid::new_v4(),
        };
        assert_eq!(decode::<TimeKey>(&encode(&key)).unwrap(), key);
    }

    #[test]
    fn limits_default_and_are_capped() {
        assert_eq!(parse::<TimeKey>(None, None).unwrap().limit, DEFAULT_LIMIT);
        assert_eq!(parse::<TimeKey>(Some("100"), None).unwrap().limit, 100);
        for bad in ["0", "101", "-1", "x"] {
            assert_eq!(
                parse::<TimeKey>(Some(bad), None).unwrap_err().code,
                "invalid_limit",
                "{bad}"
            );
        }
    }

    #[test]
    fn garbage_cursors_are_400() {
        assert_eq!(
            parse::<TimeKey>(None, Some("!!!")).unwrap_err().code,
            "invalid_cursor"
        );
        assert_eq!(
            parse::<TimeKey>(None, Some(&B64.encode(b"{}")))
                .unwrap_err()
                .code,
            "invalid_cursor"
        );
    }

    #[test]
    fn a_page_keeps_limit_rows_and_points_after_the_last() {
        let req = PageRequest::<i64> {
            limit: 2,
            after: None,
        };
        let page = req.page(vec![1, 2, 3], |n| *n);
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(
            decode::<i64>(page.next_cursor.as_deref().unwrap()).unwrap(),
            2
        );
        let last = req.page(vec![1, 2], |n| *n);
        assert!(last.next_cursor.is_none());
    }
}

//! Reading the fields of a JSON object with errors that name the field: each term is parsed by
//! hand rather than by serde so that a 422 says `kind.percent: ...` instead of serde's text.

use std::collections::BTreeSet;
use std::ops::RangeInclusive;

use kit::{ApiError, ApiResult};
use serde_json::{Map, Value};
use uuid::Uuid;

/// A JSON object being read, with the path of the field it is (`kind`, `schedule.windows[2]`).
pub(super) struct Obj<'a> {
    pub path: String,
    map: &'a Map<String, Value>,
}

impl<'a> Obj<'a> {
    /// `value` as an object whose fields are all in `allowed`.
    pub fn new(value: &'a Value, path: impl Into<String>, allowed: &[&str]) -> ApiResult<Self> {
        let path = path.into();
        let Some(map) = value.as_object() else {
            return Err(ApiError::validation(format!("{path}: must be an object")));
        };
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(ApiError::validation(format!(
                "{path}: unknown field `{unknown}` (allowed: {})",
                allowed.join(", ")
            )));
        }
        Ok(Obj { path, map })
    }

    /// The full name of field `key`.
    pub fn name(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    /// An error about field `key`.
    pub fn error(&self, key: &str, message: &str) -> ApiError {
        ApiError::validation(format!("{}: {message}", self.name(key)))
    }

    /// Field `key`; `null` counts as absent, as it does in every Souk body.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// An optional integer within `range`.
    pub fn int(&self, key: &str, range: RangeInclusive<i64>) -> ApiResult<Option<i64>> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        match value.as_i64() {
            Some(n) if range.contains(&n) => Ok(Some(n)),
            _ if *range.end() == i64::MAX => Err(self.error(
                key,
                &format!("must be an integer of at least {}", range.start()),
            )),
            _ => Err(self.error(
                key,
                &format!(
                    "must be an integer from {} to {}",
                    range.start(),
                    range.end()
                ),
            )),
        }
    }

    /// An optional whole percentage, 1 to 100; 422 `percent_out_of_range` for anything else, the
    /// one mistake of a promotion's terms that has a code of its own.
    pub fn percent(&self, key: &str) -> ApiResult<Option<i64>> {
        self.int(key, 1..=100).map_err(|_| {
            ApiError::unprocessable(
                "percent_out_of_range",
                format!("{}: must be a whole number from 1 to 100", self.name(key)),
            )
        })
    }

    /// A required integer within `range`.
    pub fn req_int(&self, key: &str, range: RangeInclusive<i64>) -> ApiResult<i64> {
        self.int(key, range)?
            .ok_or_else(|| self.error(key, "is required"))
    }

    /// An optional string.
    pub fn str(&self, key: &str) -> ApiResult<Option<&'a str>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.error(key, "must be a string")),
        }
    }

    /// A required string.
    pub fn req_str(&self, key: &str) -> ApiResult<&'a str> {
        self.str(key)?.ok_or_else(|| self.error(key, "is required"))
    }

    /// An optional boolean.
    pub fn bool(&self, key: &str) -> ApiResult<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.error(key, "must be true or false")),
        }
    }

    /// An optional array, its length within `len`.
    pub fn array(&self, key: &str, len: RangeInclusive<usize>) -> ApiResult<Option<&'a [Value]>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) if len.contains(&items.len()) => Ok(Some(items)),
            Some(Value::Array(_)) => Err(self.error(
                key,
                &format!("must have from {} to {} entries", len.start(), len.end()),
            )),
            Some(_) => Err(self.error(key, "must be an array")),
        }
    }

    /// An optional list of distinct UUIDs, its length within `len`, in the order given.
    pub fn uuids(&self, key: &str, len: RangeInclusive<usize>) -> ApiResult<Option<Vec<Uuid>>> {
        let Some(items) = self.array(key, len)? else {
            return Ok(None);
        };
        let mut seen = BTreeSet::new();
        let mut ids = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let id = item
                .as_str()
                .and_then(|s| Uuid::parse_str(s).ok())
                .ok_or_else(|| self.error(&format!("{key}[{i}]"), "must be a UUID"))?;
            if !seen.insert(id) {
                return Err(self.error(key, &format!("lists {id} twice")));
            }
            ids.push(id);
        }
        Ok(Some(ids))
    }
}

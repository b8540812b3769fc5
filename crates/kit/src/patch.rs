//! The one field type of every PATCH body: a field the client left out, set to `null`, or set
//! to a value are three different requests ("keep", "clear", "change"), and `Option<T>` can
//! only tell two of them apart.
//!
//! ```
//! use kit::patch::Field;
//! #[derive(serde::Deserialize)]
//! struct Body {
//!     #[serde(default)]
//!     nickname: Field<String>,
//! }
//! let body: Body = serde_json::from_str(r#"{"nickname": null}"#).unwrap();
//! assert_eq!(body.nickname, Field::Null);
//! let body: Body = serde_json::from_str("{}").unwrap();
//! assert_eq!(body.nickname, Field::Absent);
//! ```

use serde::{Deserialize, Deserializer};

/// One field of a PATCH body. Declare it `#[serde(default)]` so that a missing field is
/// [`Field::Absent`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Field<T> {
    /// Not in the body: keep the stored value.
    #[default]
    Absent,
    /// `null`: clear the stored value.
    Null,
    /// A value: store it.
    Value(T),
}

impl<T> Field<T> {
    /// Whether the body mentions the field at all.
    pub fn is_present(&self) -> bool {
        !matches!(self, Field::Absent)
    }

    /// `None` when absent, `Some(None)` for null, `Some(Some(v))` for a value.
    pub fn into_change(self) -> Option<Option<T>> {
        match self {
            Field::Absent => None,
            Field::Null => Some(None),
            Field::Value(v) => Some(Some(v)),
        }
    }

    /// The new value given the current one: absent keeps `current`.
    pub fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Field::Absent => current,
            Field::Null => None,
            Field::Value(v) => Some(v),
        }
    }

    /// Maps a given value, keeping absent and null; for parsing into validated types.
    pub fn try_map<U, E>(self, f: impl FnOnce(T) -> Result<U, E>) -> Result<Field<U>, E> {
        Ok(match self {
            Field::Absent => Field::Absent,
            Field::Null => Field::Null,
            Field::Value(v) => Field::Value(f(v)?),
        })
    }

    /// The value, refusing `null` for a field that cannot be cleared: `None` when absent.
    pub fn required(self, field: &str) -> crate::error::ApiResult<Option<T>> {
        match self {
            Field::Absent => Ok(None),
            Field::Null => Err(crate::error::ApiError::validation(format!(
                "{field} cannot be null"
            ))),
            Field::Value(v) => Ok(Some(v)),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Reached only when the field is present (absent fields take the default).
        Ok(match Option::<T>::deserialize(d)? {
            None => Field::Null,
            Some(v) => Field::Value(v),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Body {
        #[serde(default)]
        name: Field<String>,
        #[serde(default)]
        count: Field<i32>,
    }

    fn parse(json: &str) -> Body {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn absent_null_and_value_are_three_different_fields() {
        let body = parse(r#"{"name": null, "count": 3}"#);
        assert_eq!((body.name, body.count), (Field::Null, Field::Value(3)));
        let body = parse("{}");
        assert_eq!((body.name, body.count), (Field::Absent, Field::Absent));
    }

    #[test]
    fn a_value_of_the_wrong_type_is_refused() {
        assert!(serde_json::from_str::<Body>(r#"{"count": "three"}"#).is_err());
    }

    #[test]
    fn applying_keeps_clears_or_replaces() {
        assert_eq!(Field::Absent.apply(Some(1)), Some(1));
        assert_eq!(Field::Null.apply(Some(1)), None);
        assert_eq!(Field::Value(2).apply(Some(1)), Some(2));
        assert_eq!(
            Field::<i32>::Null.required("count").unwrap_err().status,
            422
        );
        assert_eq!(Field::Value(2).into_change(), Some(Some(2)));
    }
}

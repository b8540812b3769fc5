//! PostgreSQL through `spin_sdk::pg4`: one connection per request, typed row decoding,
//! transactions on that connection, and database errors turned into client errors where the
//! query runs.
//!
//! Spin's interface refuses some types (see the project's Spin notes), so queries follow three
//! rules: select instants as `col AT TIME ZONE 'UTC'` (decoded by [`Row::time`]); pass uuids as
//! [`fn@uuid`] params and uuid lists as [`uuids`] with `$n::text[]::uuid[]`; pass integers with
//! the width of their column (`i32` for `int4`, `i64` for `int8`).

use std::cell::Cell;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use spin_sdk::pg4::{self, Connection, DbValue, Decode, PgError, QueryError, RowSet};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

pub use spin_sdk::pg4::ParameterValue as Param;

/// SQLSTATE classes and codes the mapping below acts on.
mod sqlstate {
    pub const UNIQUE_VIOLATION: &str = "23505";
    pub const FOREIGN_KEY_VIOLATION: &str = "23503";
    pub const CHECK_VIOLATION: &str = "23514";
    pub const NOT_NULL_VIOLATION: &str = "23502";
    pub const SERIALIZATION_FAILURE: &str = "40001";
    pub const DEADLOCK_DETECTED: &str = "40P01";
    pub const LOCK_NOT_AVAILABLE: &str = "55P03";
    pub const QUERY_CANCELED: &str = "57014";
    /// Class 22: data exceptions (a value out of range for its column, bad text for a type).
    pub const DATA_EXCEPTION_CLASS: &str = "22";
}

/// A failed statement, with what PostgreSQL said about it.
#[derive(Clone, Debug)]
pub struct DbError {
    /// SQLSTATE, when the server answered with one.
    pub code: Option<String>,
    /// The violated constraint, when there is one.
    pub constraint: Option<String>,
    /// The server's message or the interface's error text (never shown to clients).
    pub message: String,
}

impl DbError {
    fn from_pg(e: PgError) -> DbError {
        match e {
            PgError::QueryFailed(QueryError::DbError(d)) => DbError {
                constraint: d
                    .extras
                    .iter()
                    .find(|(k, _)| k == "constraint")
                    .map(|(_, v)| v.clone()),
                code: Some(d.code),
                message: d.message,
            },
            // Spin 4 flattens a database error raised while `query` streams its rows (a
            // constraint violated by `INSERT … RETURNING`, say) into text: the structured
            // error's debug form. Its SQLSTATE and constraint are read back from that text.
            PgError::QueryFailed(QueryError::Text(text)) => DbError {
                code: flattened_field(&text, "code: \"", "\"")
                    .filter(|c| c.len() == 5 && c.bytes().all(|b| b.is_ascii_alphanumeric())),
                constraint: flattened_field(&text, "(\"constraint\", \"", "\")"),
                message: text,
            },
            other => DbError {
                code: None,
                constraint: None,
                message: format!("{other:?}"),
            },
        }
    }

    /// Whether this is a unique violation of `constraint`.
    pub fn is_unique_violation(&self, constraint: &str) -> bool {
        self.code.as_deref() == Some(sqlstate::UNIQUE_VIOLATION)
            && self.constraint.as_deref() == Some(constraint)
    }

    /// The client error for this failure: `known` maps constraint names to the error their
    /// violation means (e.g. `("account_username_key", ApiError::conflict("username_taken", …))`);
    /// other failures get the generic mapping of their SQLSTATE.
    pub fn to_api(&self, known: &[(&str, ApiError)]) -> ApiError {
        if let Some(c) = &self.constraint
            && let Some((_, e)) = known.iter().find(|(name, _)| name == c)
        {
            return e.clone();
        }
        match self.code.as_deref() {
            Some(sqlstate::UNIQUE_VIOLATION) => {
                ApiError::conflict("already_exists", "that already exists")
            }
            Some(sqlstate::FOREIGN_KEY_VIOLATION) => ApiError::conflict(
                "reference_conflict",
                "a referenced item does not exist or is still in use",
            ),
            Some(sqlstate::CHECK_VIOLATION | sqlstate::NOT_NULL_VIOLATION) => {
                ApiError::validation(format!(
                    "a value breaks a rule ({})",
                    self.constraint.as_deref().unwrap_or("constraint")
                ))
            }
            Some(
                sqlstate::SERIALIZATION_FAILURE
                | sqlstate::DEADLOCK_DETECTED
                | sqlstate::LOCK_NOT_AVAILABLE
                | sqlstate::QUERY_CANCELED,
            ) => ApiError::unavailable("busy", "the data is busy with a concurrent change; retry"),
            Some(c) if c.starts_with(sqlstate::DATA_EXCEPTION_CLASS) => {
                ApiError::validation("a value is out of range or malformed")
            }
            _ => ApiError::internal(format_args!("database: {self}")),
        }
    }
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (sqlstate {}",
            self.message,
            self.code.as_deref().unwrap_or("-")
        )?;
        if let Some(c) = &self.constraint {
            write!(f, ", constraint {c}")?;
        }
        write!(f, ")")
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> ApiError {
        e.to_api(&[])
    }
}

/// What runs SQL for a [`Db`]: Spin's `pg4` connection in a component; a native client in
/// kit's own tests, so that transactions, idempotency, the outbox and workflows are tested
/// natively against a real PostgreSQL.
pub trait Backend {
    /// Runs a statement returning rows.
    fn query(&self, sql: &str, params: &[Param]) -> Result<RowSet, DbError>;
    /// Runs a statement; returns the rows it affected.
    fn execute(&self, sql: &str, params: &[Param]) -> Result<u64, DbError>;
}

impl Backend for Connection {
    fn query(&self, sql: &str, params: &[Param]) -> Result<RowSet, DbError> {
        Connection::query(self, sql, params).map_err(DbError::from_pg)
    }

    fn execute(&self, sql: &str, params: &[Param]) -> Result<u64, DbError> {
        Connection::execute(self, sql, params).map_err(DbError::from_pg)
    }
}

/// A request's database connection, and where it stands: how many transactions are open on
/// it (the outermost is `BEGIN … COMMIT`, nested ones are savepoints) and whether a workflow
/// step's work is running on it (then no transaction may be opened: see [`Db::transaction`]).
pub struct Db {
    conn: Box<dyn Backend>,
    depth: Cell<u32>,
    in_step: Cell<bool>,
}

/// Marks a [`Db`] as running a workflow step's work until dropped.
pub(crate) struct StepGuard<'a>(&'a Db);

impl Drop for StepGuard<'_> {
    fn drop(&mut self) {
        self.0.in_step.set(false);
    }
}

/// The error of a transaction opened inside a workflow step.
pub const TRANSACTION_IN_STEP: &str = "transaction_in_step";

/// Decoding one row into a domain type.
pub trait FromRow: Sized {
    /// Builds the value from a row; a decode failure is an internal error.
    fn from_row(row: &Row<'_>) -> ApiResult<Self>;
}

/// One row with its column names.
pub struct Row<'a> {
    columns: &'a [pg4::Column],
    values: &'a [DbValue],
}

impl Row<'_> {
    fn value(&self, column: &str) -> ApiResult<&DbValue> {
        let i = self
            .columns
            .iter()
            .position(|c| c.name == column)
            .ok_or_else(|| ApiError::internal(format_args!("query has no column `{column}`")))?;
        Ok(&self.values[i])
    }

    /// A column decoded as `T` (`Option<T>` for nullable columns).
    pub fn get<T: Decode>(&self, column: &str) -> ApiResult<T> {
        T::decode(self.value(column)?)
            .map_err(|e| ApiError::internal(format_args!("column `{column}`: {e}")))
    }

    /// A `timestamp` column (select `timestamptz` columns `AT TIME ZONE 'UTC'`) as UTC.
    pub fn time(&self, column: &str) -> ApiResult<DateTime<Utc>> {
        let naive: chrono::NaiveDateTime = self.get(column)?;
        Ok(naive.and_utc())
    }

    /// A nullable `timestamp` column as UTC.
    pub fn optional_time(&self, column: &str) -> ApiResult<Option<DateTime<Utc>>> {
        let naive: Option<chrono::NaiveDateTime> = self.get(column)?;
        Ok(naive.map(|n| n.and_utc()))
    }

    /// A `jsonb` column deserialised as `T`.
    pub fn json<T: DeserializeOwned>(&self, column: &str) -> ApiResult<T> {
        match self.value(column)? {
            DbValue::Jsonb(bytes) => serde_json::from_slice(bytes).map_err(|e| {
                ApiError::internal(format_args!(
                    "column `{column}` is not the expected JSON: {e}"
                ))
            }),
            DbValue::DbNull => serde_json::from_value(serde_json::Value::Null)
                .map_err(|e| ApiError::internal(format_args!("column `{column}` is NULL: {e}"))),
            other => Err(ApiError::internal(format_args!(
                "column `{column}` is not jsonb: {other:?}"
            ))),
        }
    }
}

/// A uuid parameter.
pub fn uuid(id: Uuid) -> Param {
    Param::Uuid(id.to_string())
}

/// A nullable uuid parameter.
pub fn optional_uuid(id: Option<Uuid>) -> Param {
    id.map_or(Param::DbNull, uuid)
}

/// A list of uuids, for `= ANY($n::text[]::uuid[])` (the interface binds them as text).
pub fn uuids(ids: &[Uuid]) -> Param {
    Param::ArrayStr(ids.iter().map(|id| Some(id.to_string())).collect())
}

/// `text` as a `LIKE` pattern that matches it literally: `%`, `_` and `\` escaped with
/// PostgreSQL's default escape character.
pub fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A list of strings, for `= ANY($n)` on text.
pub fn strings<S: AsRef<str>>(items: &[S]) -> Param {
    Param::ArrayStr(items.iter().map(|s| Some(s.as_ref().to_string())).collect())
}

/// A nullable text parameter.
pub fn optional_text(s: Option<&str>) -> Param {
    s.map_or(Param::DbNull, |s| Param::Str(s.to_string()))
}

/// A text parameter.
pub fn text(s: impl Into<String>) -> Param {
    Param::Str(s.into())
}

/// A jsonb parameter.
pub fn json<T: serde::Serialize>(value: &T) -> ApiResult<Param> {
    serde_json::to_vec(value)
        .map(Param::Jsonb)
        .map_err(ApiError::internal)
}

/// An instant, for a `timestamptz` column (Unix seconds; Spin refuses a Datetime there).
pub fn instant(t: DateTime<Utc>) -> Param {
    Param::Timestamp(t.timestamp())
}

/// An instant to the microsecond, as RFC 3339 text: bind it as `$n::text::timestamptz` where
/// the fraction of a second matters (ordering two events of one second).
pub fn micros(t: DateTime<Utc>) -> Param {
    text(t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
}

impl Db {
    /// A connection over `backend`.
    pub fn with_backend(backend: impl Backend + 'static) -> Db {
        Db {
            conn: Box::new(backend),
            depth: Cell::new(0),
            in_step: Cell::new(false),
        }
    }

    /// Opens the connection through Spin; an unreachable database is 503.
    pub fn connect(url: &str) -> ApiResult<Db> {
        Connection::open(url).map(Db::with_backend).map_err(|e| {
            crate::log::error(format_args!("cannot open the database: {e:?}"));
            ApiError::unavailable(
                "database_unavailable",
                "the database is not reachable right now",
            )
        })
    }

    /// Runs a statement returning rows.
    pub fn query(&self, sql: &str, params: &[Param]) -> Result<RowSet, DbError> {
        self.conn.query(sql, params)
    }

    /// Runs a statement; returns the rows it affected.
    pub fn execute(&self, sql: &str, params: &[Param]) -> Result<u64, DbError> {
        self.conn.execute(sql, params)
    }

    /// Every row as `T`.
    pub fn fetch_all<T: FromRow>(&self, sql: &str, params: &[Param]) -> ApiResult<Vec<T>> {
        let set = self.query(sql, params)?;
        rows(&set).map(|r| T::from_row(&r)).collect()
    }

    /// The first row as `T`, if any.
    pub fn fetch_optional<T: FromRow>(&self, sql: &str, params: &[Param]) -> ApiResult<Option<T>> {
        let set = self.query(sql, params)?;
        rows(&set).next().map(|r| T::from_row(&r)).transpose()
    }

    /// A single scalar from the first column of the first row.
    pub fn scalar<T: Decode>(&self, sql: &str, params: &[Param]) -> ApiResult<T> {
        let set = self.query(sql, params)?;
        let value = set
            .rows
            .first()
            .and_then(|r| r.first())
            .ok_or_else(|| ApiError::internal(format_args!("query returned no row: {sql}")))?;
        T::decode(value).map_err(|e| ApiError::internal(format_args!("decoding a scalar: {e}")))
    }

    /// Runs `work` inside a transaction on this connection; any error rolls it back. The
    /// outermost transaction is `BEGIN … COMMIT`; one opened inside another is a savepoint, so
    /// an inner failure undoes only the inner work and never commits the outer one early (a
    /// plain nested `BEGIN` would be ignored by PostgreSQL and its `COMMIT` would commit the
    /// outer work half done).
    ///
    /// Inside a workflow step's work it is refused: the step's work already runs in the
    /// transaction that commits with its journal entry, and a transaction of its own would
    /// make part of the step durable before the step is.
    pub async fn transaction<T>(
        &self,
        work: impl AsyncFnOnce(&Db) -> ApiResult<T>,
    ) -> ApiResult<T> {
        self.transaction_with(work).await
    }

    /// [`Db::transaction`] for work with an error type of its own (the workflow engine's).
    pub async fn transaction_with<T, E: From<ApiError>>(
        &self,
        work: impl AsyncFnOnce(&Db) -> Result<T, E>,
    ) -> Result<T, E> {
        if self.in_step.get() {
            crate::log::error(format_args!(
                "a workflow step opened a transaction; refused"
            ));
            return Err(ApiError::new(
                500,
                TRANSACTION_IN_STEP,
                "a workflow step cannot open a transaction: its work already runs in the \
                 step's own, which commits together with its journal entry",
            )
            .into());
        }
        let depth = self.depth.get();
        let savepoint = format!("kit_savepoint_{depth}");
        let (begin, commit, rollback) = if depth == 0 {
            (
                "BEGIN".to_string(),
                "COMMIT".to_string(),
                "ROLLBACK".to_string(),
            )
        } else {
            (
                format!("SAVEPOINT {savepoint}"),
                format!("RELEASE SAVEPOINT {savepoint}"),
                format!("ROLLBACK TO SAVEPOINT {savepoint}"),
            )
        };
        self.execute(&begin, &[]).map_err(ApiError::from)?;
        self.depth.set(depth + 1);
        let outcome = work(self).await;
        self.depth.set(depth);
        match outcome {
            Ok(value) => {
                self.execute(&commit, &[]).map_err(ApiError::from)?;
                Ok(value)
            }
            Err(e) => {
                if let Err(failed) = self.execute(&rollback, &[]) {
                    crate::log::error(format_args!("`{rollback}` failed: {failed}"));
                }
                Err(e)
            }
        }
    }

    /// Whether a transaction is open on this connection.
    pub fn in_transaction(&self) -> bool {
        self.depth.get() > 0
    }

    /// Marks the connection as running a workflow step's work until the guard is dropped.
    pub(crate) fn enter_step(&self) -> StepGuard<'_> {
        self.in_step.set(true);
        StepGuard(self)
    }
}

/// Whether a read locks the rows it returns until the transaction ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lock {
    /// A plain read of the last committed state.
    None,
    /// `FOR UPDATE`: a change in flight is waited for, and no other can start until this
    /// transaction ends, so what was read stays true while the handler decides.
    ForUpdate,
}

impl Lock {
    /// The clause that ends a `SELECT` taking this lock.
    pub fn clause(self) -> &'static str {
        match self {
            Lock::None => "",
            Lock::ForUpdate => " FOR UPDATE",
        }
    }
}

/// The rows of a result set.
pub fn rows(set: &RowSet) -> impl Iterator<Item = Row<'_>> {
    set.rows.iter().map(|values| Row {
        columns: &set.columns,
        values,
    })
}

/// The text between the first `start` in `text` and the `end` after it: a field of a structured
/// error in its debug form (`code: "23514"`, `("constraint", "name")`). The nested driver text
/// inside such a form escapes its quotes, so it never matches an unescaped `start`.
fn flattened_field(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(text[from..from + len].to_string())
}

/// A constraint → error table entry, for [`DbError::to_api`].
pub fn constraint(name: &str, error: ApiError) -> (&str, ApiError) {
    (name, error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_wildcards_literally() {
        assert_eq!(like_escape("50%_off\\x"), "50\\%\\_off\\\\x");
        assert_eq!(like_escape("Nguyễn"), "Nguyễn");
    }

    #[test]
    fn micros_keeps_the_fraction_of_a_second_that_instant_drops() {
        let t = DateTime::from_timestamp_micros(1_764_745_574_335_217).unwrap();
        assert!(matches!(instant(t), Param::Timestamp(1_764_745_574)));
        assert!(
            matches!(micros(t), Param::Str(s) if s == "2025-12-03T07:06:14.335217Z"),
            "{t}"
        );
    }

    fn unique(constraint: &str) -> DbError {
        DbError {
            code: Some("23505".into()),
            constraint: Some(constraint.into()),
            message: "duplicate".into(),
        }
    }

    #[test]
    fn known_constraints_map_to_their_error() {
        let e = unique("account_username_key").to_api(&[constraint(
            "account_username_key",
            ApiError::conflict("username_taken", "that username is taken"),
        )]);
        assert_eq!((e.status, e.code.as_ref()), (409, "username_taken"));
    }

    #[test]
    fn unknown_failures_get_the_sqlstate_mapping() {
        assert_eq!(unique("other").to_api(&[]).status, 409);
        let check = DbError {
            code: Some("23514".into()),
            constraint: Some("positive".into()),
            message: String::new(),
        };
        assert_eq!(check.to_api(&[]).status, 422);
        let busy = DbError {
            code: Some("40001".into()),
            constraint: None,
            message: String::new(),
        };
        assert_eq!(busy.to_api(&[]).status, 503);
        let range = DbError {
            code: Some("22003".into()),
            constraint: None,
            message: String::new(),
        };
        assert_eq!(range.to_api(&[]).status, 422);
    }

    #[test]
    fn a_database_error_flattened_into_text_keeps_its_sqlstate_and_constraint() {
        // What Spin 4's `query` hands the guest for a violation raised while rows stream.
        let text = concat!(
            r#"Error::QueryFailed(QueryError::DbError(DbError { as_text: "Error { kind: Db, "#,
            r#"cause: Some(DbError { severity: \"ERROR\", parsed_severity: Some(Error), "#,
            r#"code: SqlState(E23514), "#,
            r#"message: \"new row for relation \\\"account\\\" violates check constraint "#,
            r#"\\\"account_has_identifier\\\"\", "#,
            r#"constraint: Some(\"account_has_identifier\") }) }", severity: "ERROR", "#,
            r#"code: "23514", "#,
            r#"message: "new row for relation \"account\" violates check constraint "#,
            r#"\"account_has_identifier\"", "#,
            r#"detail: None, extras: [("constraint", "account_has_identifier"), ("table", "#,
            r#""account")] }))"#,
        );
        let e = DbError::from_pg(PgError::QueryFailed(QueryError::Text(text.into())));
        assert_eq!(e.code.as_deref(), Some("23514"));
        assert_eq!(e.constraint.as_deref(), Some("account_has_identifier"));
        assert_eq!(e.to_api(&[]).status, 422);
    }

    #[test]
    fn a_text_error_without_a_database_error_stays_unknown() {
        let text = concat!(
            r#"Error::QueryFailed(QueryError::Text("cannot convert between the Rust type "#,
            r#"NaiveDateTime and the Postgres type timestamptz"))"#,
        );
        let e = DbError::from_pg(PgError::QueryFailed(QueryError::Text(text.into())));
        assert_eq!((e.code, e.constraint), (None, None));
    }
}

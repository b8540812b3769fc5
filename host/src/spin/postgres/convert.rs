//! Values between the guest's `parameter-value`/`db-value` and PostgreSQL's wire format.

#![expect(
    clippy::result_large_err,
    reason = "the interface's own error type is what the guest receives; boxing it only adds a copy"
)]

use std::error::Error as StdError;
use std::str::FromStr;

use bytes::BytesMut;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use postgres_types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use rust_decimal::Decimal;
use tokio_postgres::{Column, Row};

use super::super::bindings::spin::postgres::postgres::{
    Column as WitColumn, DbDataType, DbError, DbValue, Error, Interval, ParameterValue, QueryError,
    RangeBoundKind, RowSet,
};
use super::text_failure;

type BoxError = Box<dyn StdError + Sync + Send>;
/// A bound parameter.
pub type Bound = Box<dyn ToSql + Sync + Send>;

/// The guest-visible error for a failed statement, with PostgreSQL's structured fields.
pub fn query_failed(e: tokio_postgres::Error) -> Error {
    let as_text = format!("{e:?}");
    match e.as_db_error() {
        None => Error::QueryFailed(QueryError::Text(as_text)),
        Some(db) => {
            let mut extras = Vec::new();
            let mut extra = |name: &str, value: Option<String>| {
                if let Some(v) = value {
                    extras.push((name.to_string(), v));
                }
            };
            extra("column", db.column().map(str::to_string));
            extra("constraint", db.constraint().map(str::to_string));
            extra("routine", db.routine().map(str::to_string));
            extra("hint", db.hint().map(str::to_string));
            extra("table", db.table().map(str::to_string));
            extra("datatype", db.datatype().map(str::to_string));
            extra("schema", db.schema().map(str::to_string));
            extra("file", db.file().map(str::to_string));
            extra("line", db.line().map(|l| l.to_string()));
            extra("where_", db.where_().map(str::to_string));
            Error::QueryFailed(QueryError::DbError(DbError {
                as_text,
                severity: db.severity().to_string(),
                code: db.code().code().to_string(),
                message: db.message().to_string(),
                detail: db.detail().map(str::to_string),
                extras,
            }))
        }
    }
}

fn bad(what: &str, detail: impl std::fmt::Display) -> Error {
    Error::BadParameter(format!("invalid {what}: {detail}"))
}

/// SQL NULL, acceptable wherever a value is.
#[derive(Debug)]
struct Null;

impl ToSql for Null {
    fn to_sql(&self, _: &Type, _: &mut BytesMut) -> Result<IsNull, BoxError> {
        Ok(IsNull::Yes)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// `interval` in its binary form: microseconds, days, months.
#[derive(Debug)]
struct PgInterval(Interval);

impl ToSql for PgInterval {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        out.extend_from_slice(&self.0.micros.to_be_bytes());
        out.extend_from_slice(&self.0.days.to_be_bytes());
        out.extend_from_slice(&self.0.months.to_be_bytes());
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::INTERVAL
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for PgInterval {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        if raw.len() != 16 {
            return Err("an interval is 16 bytes".into());
        }
        let micros = i64::from_be_bytes(raw[0..8].try_into()?);
        let days = i32::from_be_bytes(raw[8..12].try_into()?);
        let months = i32::from_be_bytes(raw[12..16].try_into()?);
        Ok(PgInterval(Interval {
            micros,
            days,
            months,
        }))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::INTERVAL
    }
}

/// Any value as its raw binary bytes (for types Spin reports as unsupported).
struct Raw(Vec<u8>);

impl<'a> FromSql<'a> for Raw {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(Raw(raw.to_vec()))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// A range of `T` with optional bounds.
#[derive(Debug)]
struct Range<T> {
    lower: Option<(T, RangeBoundKind)>,
    upper: Option<(T, RangeBoundKind)>,
}

fn bound_to_sql<T: ToSql>(
    bound: &Option<(T, RangeBoundKind)>,
    element: &Type,
    buf: &mut BytesMut,
) -> Result<postgres_protocol::types::RangeBound<postgres_protocol::IsNull>, BoxError> {
    use postgres_protocol::types::RangeBound;
    Ok(match bound {
        None => RangeBound::Unbounded,
        Some((v, kind)) => {
            let is_null = match v.to_sql(element, buf)? {
                IsNull::Yes => postgres_protocol::IsNull::Yes,
                IsNull::No => postgres_protocol::IsNull::No,
            };
            match kind {
                RangeBoundKind::Inclusive => RangeBound::Inclusive(is_null),
                RangeBoundKind::Exclusive => RangeBound::Exclusive(is_null),
            }
        }
    })
}

fn range_element(ty: &Type) -> Option<Type> {
    match *ty {
        Type::INT4_RANGE => Some(Type::INT4),
        Type::INT8_RANGE => Some(Type::INT8),
        Type::NUM_RANGE => Some(Type::NUMERIC),
        _ => None,
    }
}

impl<T: ToSql + std::fmt::Debug> ToSql for Range<T> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        let element = range_element(ty).ok_or("not a range type")?;
        postgres_protocol::types::range_to_sql(
            |buf| bound_to_sql(&self.lower, &element, buf),
            |buf| bound_to_sql(&self.upper, &element, buf),
            out,
        )?;
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        range_element(ty).is_some_and(|e| T::accepts(&e))
    }

    to_sql_checked!();
}

impl<'a, T: FromSql<'a>> FromSql<'a> for Range<T> {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        use postgres_protocol::types::{Range as R, RangeBound as B};
        let element = range_element(ty).ok_or("not a range type")?;
        let bound = |b: B<Option<&'a [u8]>>| -> Result<Option<(T, RangeBoundKind)>, BoxError> {
            Ok(match b {
                B::Unbounded => None,
                B::Inclusive(v) => Some((
                    T::from_sql(&element, v.ok_or("null range bound")?)?,
                    RangeBoundKind::Inclusive,
                )),
                B::Exclusive(v) => Some((
                    T::from_sql(&element, v.ok_or("null range bound")?)?,
                    RangeBoundKind::Exclusive,
                )),
            })
        };
        match postgres_protocol::types::range_from_sql(raw)? {
            R::Empty => Ok(Range {
                lower: None,
                upper: None,
            }),
            R::Nonempty(lo, hi) => Ok(Range {
                lower: bound(lo)?,
                upper: bound(hi)?,
            }),
        }
    }

    fn accepts(ty: &Type) -> bool {
        range_element(ty).is_some_and(|e| T::accepts(&e))
    }
}

/// A numeric range as the interface carries it: decimal bounds as text.
type DecimalRange = (
    Option<(String, RangeBoundKind)>,
    Option<(String, RangeBoundKind)>,
);

fn decimal(s: &str) -> Result<Decimal, Error> {
    Decimal::from_str(s).map_err(|e| bad("decimal", format!("{s:?}: {e}")))
}

fn range_decimal(r: &DecimalRange) -> Result<Range<Decimal>, Error> {
    let conv =
        |b: &Option<(String, RangeBoundKind)>| -> Result<Option<(Decimal, RangeBoundKind)>, Error> {
            b.as_ref().map(|(v, k)| Ok((decimal(v)?, *k))).transpose()
        };
    Ok(Range {
        lower: conv(&r.0)?,
        upper: conv(&r.1)?,
    })
}

/// One parameter as the Rust type Spin binds it as.
fn bind_one(value: &ParameterValue) -> Result<Bound, Error> {
    Ok(match value {
        ParameterValue::Boolean(v) => Box::new(*v),
        ParameterValue::Int8(v) => Box::new(*v),
        ParameterValue::Int16(v) => Box::new(*v),
        ParameterValue::Int32(v) => Box::new(*v),
        ParameterValue::Int64(v) => Box::new(*v),
        ParameterValue::Floating32(v) => Box::new(*v),
        ParameterValue::Floating64(v) => Box::new(*v),
        ParameterValue::Str(v) => Box::new(v.clone()),
        ParameterValue::Binary(v) => Box::new(v.clone()),
        ParameterValue::Date((y, m, d)) => Box::new(
            NaiveDate::from_ymd_opt(*y, (*m).into(), (*d).into())
                .ok_or_else(|| bad("date", format!("{y}-{m}-{d}")))?,
        ),
        ParameterValue::Time((h, m, s, ns)) => Box::new(
            NaiveTime::from_hms_nano_opt((*h).into(), (*m).into(), (*s).into(), *ns)
                .ok_or_else(|| bad("time", format!("{h}:{m}:{s}.{ns}")))?,
        ),
        ParameterValue::Datetime((y, mo, d, h, mi, s, ns)) => {
            let date = NaiveDate::from_ymd_opt(*y, (*mo).into(), (*d).into());
            let time = NaiveTime::from_hms_nano_opt((*h).into(), (*mi).into(), (*s).into(), *ns);
            match (date, time) {
                (Some(date), Some(time)) => Box::new(NaiveDateTime::new(date, time)),
                _ => return Err(bad("datetime", format!("{y}-{mo}-{d} {h}:{mi}:{s}.{ns}"))),
            }
        }
        ParameterValue::Timestamp(secs) => Box::new(
            DateTime::<Utc>::from_timestamp(*secs, 0).ok_or_else(|| bad("timestamp", secs))?,
        ),
        ParameterValue::Uuid(s) => {
            Box::new(uuid::Uuid::parse_str(s).map_err(|e| bad("uuid", format!("{s:?}: {e}")))?)
        }
        ParameterValue::Jsonb(bytes) => Box::new(
            serde_json::from_slice::<serde_json::Value>(bytes).map_err(|e| bad("jsonb", e))?,
        ),
        ParameterValue::Decimal(s) => Box::new(decimal(s)?),
        ParameterValue::RangeInt32((lower, upper)) => Box::new(Range {
            lower: *lower,
            upper: *upper,
        }),
        ParameterValue::RangeInt64((lower, upper)) => Box::new(Range {
            lower: *lower,
            upper: *upper,
        }),
        ParameterValue::RangeDecimal(r) => Box::new(range_decimal(r)?),
        ParameterValue::ArrayInt32(v) => Box::new(v.clone()),
        ParameterValue::ArrayInt64(v) => Box::new(v.clone()),
        ParameterValue::ArrayStr(v) => Box::new(v.clone()),
        ParameterValue::ArrayDecimal(v) => Box::new(
            v.iter()
                .map(|d| d.as_deref().map(decimal).transpose())
                .collect::<Result<Vec<Option<Decimal>>, Error>>()?,
        ),
        ParameterValue::Interval(i) => Box::new(PgInterval(*i)),
        ParameterValue::DbNull => Box::new(Null),
    })
}

/// Binds every parameter; the statement's own types decide, when executed, whether they fit.
pub fn bind(params: &[ParameterValue]) -> Result<Vec<Bound>, Error> {
    params.iter().map(bind_one).collect()
}

/// Borrowed views for tokio-postgres.
pub fn refs(bound: &[Bound]) -> Vec<&(dyn ToSql + Sync)> {
    bound
        .iter()
        .map(|b| b.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

fn data_type(ty: &Type) -> DbDataType {
    match *ty {
        Type::BOOL => DbDataType::Boolean,
        Type::BYTEA => DbDataType::Binary,
        Type::FLOAT4 => DbDataType::Floating32,
        Type::FLOAT8 => DbDataType::Floating64,
        Type::INT2 => DbDataType::Int16,
        Type::INT4 => DbDataType::Int32,
        Type::INT8 => DbDataType::Int64,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR => DbDataType::Str,
        Type::TIMESTAMP | Type::TIMESTAMPTZ => DbDataType::Datetime,
        Type::DATE => DbDataType::Date,
        Type::TIME => DbDataType::Time,
        Type::UUID => DbDataType::Uuid,
        Type::JSONB => DbDataType::Jsonb,
        Type::NUMERIC => DbDataType::Decimal,
        Type::INT4_RANGE => DbDataType::RangeInt32,
        Type::INT8_RANGE => DbDataType::RangeInt64,
        Type::NUM_RANGE => DbDataType::RangeDecimal,
        Type::INT4_ARRAY => DbDataType::ArrayInt32,
        Type::INT8_ARRAY => DbDataType::ArrayInt64,
        Type::NUMERIC_ARRAY => DbDataType::ArrayDecimal,
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY | Type::BPCHAR_ARRAY => DbDataType::ArrayStr,
        Type::INTERVAL => DbDataType::Interval,
        _ => DbDataType::Other(ty.name().to_string()),
    }
}

/// Reads column `i` as `T`; NULL is `DbNull`.
fn get<'a, T: FromSql<'a>>(
    row: &'a Row,
    i: usize,
    wrap: impl FnOnce(T) -> DbValue,
) -> Result<DbValue, tokio_postgres::Error> {
    Ok(row
        .try_get::<_, Option<T>>(i)?
        .map_or(DbValue::DbNull, wrap))
}

fn value(row: &Row, i: usize, ty: &Type) -> Result<DbValue, tokio_postgres::Error> {
    match *ty {
        Type::BOOL => get(row, i, DbValue::Boolean),
        Type::BYTEA => get(row, i, DbValue::Binary),
        Type::FLOAT4 => get(row, i, DbValue::Floating32),
        Type::FLOAT8 => get(row, i, DbValue::Floating64),
        Type::INT2 => get(row, i, DbValue::Int16),
        Type::INT4 => get(row, i, DbValue::Int32),
        Type::INT8 => get(row, i, DbValue::Int64),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR => get(row, i, DbValue::Str),
        // Read as a zone-less date-time, as Spin does: a `timestamptz` column refuses that
        // type, which fails the whole query exactly like under `spin up`.
        Type::TIMESTAMP | Type::TIMESTAMPTZ => get(row, i, |t: NaiveDateTime| {
            let (d, tm) = (t.date(), t.time());
            DbValue::Datetime((
                d.year(),
                d.month() as u8,
                d.day() as u8,
                tm.hour() as u8,
                tm.minute() as u8,
                tm.second() as u8,
                tm.nanosecond(),
            ))
        }),
        Type::DATE => get(row, i, |d: NaiveDate| {
            DbValue::Date((d.year(), d.month() as u8, d.day() as u8))
        }),
        Type::TIME => get(row, i, |t: NaiveTime| {
            DbValue::Time((
                t.hour() as u8,
                t.minute() as u8,
                t.second() as u8,
                t.nanosecond(),
            ))
        }),
        Type::UUID => get(row, i, |u: uuid::Uuid| DbValue::Uuid(u.to_string())),
        Type::JSONB => get(row, i, |v: serde_json::Value| {
            DbValue::Jsonb(serde_json::to_vec(&v).unwrap_or_default())
        }),
        Type::NUMERIC => get(row, i, |d: Decimal| DbValue::Decimal(d.to_string())),
        Type::INT4_RANGE => get(row, i, |r: Range<i32>| {
            DbValue::RangeInt32((r.lower, r.upper))
        }),
        Type::INT8_RANGE => get(row, i, |r: Range<i64>| {
            DbValue::RangeInt64((r.lower, r.upper))
        }),
        Type::NUM_RANGE => get(row, i, |r: Range<Decimal>| {
            let s = |b: Option<(Decimal, RangeBoundKind)>| b.map(|(v, k)| (v.to_string(), k));
            DbValue::RangeDecimal((s(r.lower), s(r.upper)))
        }),
        Type::INT4_ARRAY => get(row, i, DbValue::ArrayInt32),
        Type::INT8_ARRAY => get(row, i, DbValue::ArrayInt64),
        Type::NUMERIC_ARRAY => get(row, i, |v: Vec<Option<Decimal>>| {
            DbValue::ArrayDecimal(v.into_iter().map(|d| d.map(|d| d.to_string())).collect())
        }),
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY | Type::BPCHAR_ARRAY => {
            get(row, i, DbValue::ArrayStr)
        }
        Type::INTERVAL => get(row, i, |v: PgInterval| DbValue::Interval(v.0)),
        _ => get(row, i, |raw: Raw| DbValue::Unsupported(raw.0)),
    }
}

/// An error with its chain of causes: `error deserializing column 0: cannot convert between
/// the Rust type … and the Postgres type timestamptz`.
fn with_causes(e: &dyn StdError) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The guest's row set; any value that cannot be read fails the whole query.
pub fn row_set(columns: &[Column], rows: &[Row]) -> Result<RowSet, Error> {
    // Spin reads the columns from the first row, so a result without rows has none.
    let described = if rows.is_empty() { &[][..] } else { columns };
    let wit_columns = described
        .iter()
        .map(|c| WitColumn {
            name: c.name().to_string(),
            data_type: data_type(c.type_()),
        })
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let values = columns
            .iter()
            .enumerate()
            .map(|(i, c)| value(row, i, c.type_()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| text_failure(with_causes(&e)))?;
        out.push(values);
    }
    Ok(RowSet {
        columns: wit_columns,
        rows: out,
    })
}

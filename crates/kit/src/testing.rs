//! Native test support for kit's own tests: a [`Backend`] over a real PostgreSQL (the `postgres`
//! client, decoding rows as Spin's `pg4` does — timestamps only without a time zone), and a
//! [`Platform`] that serves internal calls from in-process routers and records the Redis
//! wake-ups kit sends. Every test gets a schema of its own with kit's tables in it.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::error::Error;
use std::rc::{Rc, Weak};

use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, NoTls};
use spin_sdk::http::Request;
use spin_sdk::pg4::{Column, DbDataType, DbValue, ParameterValue as Param, RowSet};

use crate::ctx::Ctx;
use crate::db::{Backend, Db, DbError};
use crate::error::{ApiError, ApiResult};
use crate::platform::{Platform, RedisCommand, Sending};
use crate::router::Router;

/// The server the tests use (`SOUK_TEST_DATABASE_URL`, set by `scripts/test`).
fn server_url() -> String {
    std::env::var("SOUK_TEST_DATABASE_URL")
        .expect("SOUK_TEST_DATABASE_URL names the PostgreSQL the tests use (scripts/test sets it)")
}

/// A parameter as Spin binds it.
#[derive(Debug)]
struct Bound<'a>(&'a Param);

impl ToSql for Bound<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self.0 {
            Param::DbNull => Ok(IsNull::Yes),
            Param::Boolean(v) => v.to_sql(ty, out),
            Param::Int16(v) => v.to_sql(ty, out),
            Param::Int32(v) => v.to_sql(ty, out),
            Param::Int64(v) => v.to_sql(ty, out),
            Param::Floating64(v) => v.to_sql(ty, out),
            Param::Str(v) => v.as_str().to_sql(ty, out),
            Param::Binary(v) => v.as_slice().to_sql(ty, out),
            Param::Uuid(v) => uuid::Uuid::parse_str(v)?.to_sql(ty, out),
            Param::Jsonb(v) => serde_json::from_slice::<serde_json::Value>(v)?.to_sql(ty, out),
            Param::ArrayStr(v) => v.to_sql(ty, out),
            Param::ArrayInt32(v) => v.to_sql(ty, out),
            Param::ArrayInt64(v) => v.to_sql(ty, out),
            Param::Timestamp(secs) => chrono::DateTime::from_timestamp(*secs, 0)
                .ok_or("timestamp out of range")?
                .to_sql(ty, out),
            other => Err(format!("the test backend does not bind {other:?}").into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// A row value as Spin's `pg4` hands it to a guest.
fn value(row: &postgres::Row, i: usize) -> Result<(DbDataType, DbValue), postgres::Error> {
    fn or_null<T>(v: Option<T>, f: impl FnOnce(T) -> DbValue) -> DbValue {
        v.map_or(DbValue::DbNull, f)
    }
    let ty = row.columns()[i].type_().clone();
    Ok(match ty {
        Type::BOOL => (
            DbDataType::Boolean,
            or_null(row.try_get(i)?, DbValue::Boolean),
        ),
        Type::INT2 => (DbDataType::Int16, or_null(row.try_get(i)?, DbValue::Int16)),
        Type::INT4 => (DbDataType::Int32, or_null(row.try_get(i)?, DbValue::Int32)),
        Type::INT8 => (DbDataType::Int64, or_null(row.try_get(i)?, DbValue::Int64)),
        Type::FLOAT8 => (
            DbDataType::Floating64,
            or_null(row.try_get(i)?, DbValue::Floating64),
        ),
        Type::TEXT | Type::VARCHAR | Type::NAME | Type::BPCHAR => {
            (DbDataType::Str, or_null(row.try_get(i)?, DbValue::Str))
        }
        Type::BYTEA => (
            DbDataType::Binary,
            or_null(row.try_get(i)?, DbValue::Binary),
        ),
        Type::UUID => (
            DbDataType::Uuid,
            or_null(row.try_get::<_, Option<uuid::Uuid>>(i)?, |u| {
                DbValue::Uuid(u.to_string())
            }),
        ),
        Type::JSONB | Type::JSON => (
            DbDataType::Jsonb,
            or_null(row.try_get::<_, Option<serde_json::Value>>(i)?, |v| {
                DbValue::Jsonb(v.to_string().into_bytes())
            }),
        ),
        Type::TIMESTAMP => (
            DbDataType::Datetime,
            or_null(row.try_get::<_, Option<chrono::NaiveDateTime>>(i)?, |t| {
                use chrono::{Datelike, Timelike};
                DbValue::Datetime((
                    t.year(),
                    t.month() as u8,
                    t.day() as u8,
                    t.hour() as u8,
                    t.minute() as u8,
                    t.second() as u8,
                    t.nanosecond(),
                ))
            }),
        ),
        Type::TEXT_ARRAY => (
            DbDataType::ArrayStr,
            or_null(row.try_get(i)?, DbValue::ArrayStr),
        ),
        Type::INT4_ARRAY => (
            DbDataType::ArrayInt32,
            or_null(row.try_get(i)?, DbValue::ArrayInt32),
        ),
        Type::INT8_ARRAY => (
            DbDataType::ArrayInt64,
            or_null(row.try_get(i)?, DbValue::ArrayInt64),
        ),
        // Spin hands a guest no value it can decode for the rest (timestamptz among them);
        // kit's queries must not select them, and a test finds out if one does.
        other => (
            DbDataType::Other(other.name().to_string()),
            DbValue::Unsupported(Vec::new()),
        ),
    })
}

fn db_error(e: postgres::Error) -> DbError {
    match e.as_db_error() {
        Some(d) => DbError {
            code: Some(d.code().code().to_string()),
            constraint: d.constraint().map(str::to_string),
            message: d.message().to_string(),
        },
        None => DbError {
            code: None,
            constraint: None,
            message: e.to_string(),
        },
    }
}

/// A native connection.
pub struct Native(RefCell<Client>);

impl Native {
    /// Connects to `url`.
    pub fn connect(url: &str) -> Native {
        Native(RefCell::new(
            Client::connect(url, NoTls).expect("the test database accepts connections"),
        ))
    }
}

impl Backend for Native {
    fn query(&self, sql: &str, params: &[Param]) -> Result<RowSet, DbError> {
        let bound: Vec<Bound<'_>> = params.iter().map(Bound).collect();
        let refs: Vec<&(dyn ToSql + Sync)> =
            bound.iter().map(|b| b as &(dyn ToSql + Sync)).collect();
        let rows = self.0.borrow_mut().query(sql, &refs).map_err(db_error)?;
        let mut columns = Vec::new();
        let mut values = Vec::new();
        for row in &rows {
            let mut decoded = Vec::new();
            for i in 0..row.len() {
                let (ty, v) = value(row, i).map_err(db_error)?;
                if columns.len() < row.len() {
                    columns.push(Column {
                        name: row.columns()[i].name().to_string(),
                        data_type: ty,
                    });
                }
                decoded.push(v);
            }
            values.push(decoded);
        }
        Ok(RowSet {
            columns,
            rows: values,
        })
    }

    fn execute(&self, sql: &str, params: &[Param]) -> Result<u64, DbError> {
        let bound: Vec<Bound<'_>> = params.iter().map(Bound).collect();
        let refs: Vec<&(dyn ToSql + Sync)> =
            bound.iter().map(|b| b as &(dyn ToSql + Sync)).collect();
        self.0.borrow_mut().execute(sql, &refs).map_err(db_error)
    }
}

/// A schema of its own for one test, with kit's tables for idempotency, the outbox and
/// workflows (rendered from `crates/kit/sql`, as souk-migrate renders them), plus `extra` SQL.
pub struct TestDb {
    /// The database URL.
    pub url: String,
    /// The schema's name (unquoted).
    pub schema: &'static str,
}

impl TestDb {
    /// Creates the schema `kit_<name>_<random>` and its tables.
    pub fn new(name: &str, extra: &str) -> TestDb {
        let schema: &'static str =
            Box::leak(format!("kit_{name}_{}", uuid::Uuid::new_v4().simple()).into_boxed_str());
        let url = server_url();
        let mut client =
            Client::connect(&url, NoTls).expect("the test database accepts connections");
        let quoted = format!("\"{schema}\"");
        let mut sql = format!("CREATE SCHEMA {quoted};\n");
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/sql");
        for feature in ["idempotency", "outbox", "workflow"] {
            let mut files: Vec<_> = std::fs::read_dir(format!("{root}/{feature}"))
                .expect("kit's SQL folder is readable")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.to_string_lossy().ends_with(".up.sql"))
                .collect();
            files.sort();
            for file in files {
                let text = std::fs::read_to_string(file).expect("a readable migration");
                sql.push_str(&text.replace("{{schema}}", &quoted));
                sql.push('\n');
            }
        }
        sql.push_str(&extra.replace("{{schema}}", &quoted));
        client.batch_execute(&sql).expect("the test schema applies");
        TestDb { url, schema }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut client) = Client::connect(&self.url, NoTls) {
            let _ = client.batch_execute(&format!("DROP SCHEMA \"{}\" CASCADE", self.schema));
        }
    }
}

/// The service token of every test platform.
pub const SERVICE_TOKEN: &str = "test-service-token-of-thirty-two-bytes";

/// The seed of every test platform's token signing key (its `jwt_signing_key`, hex).
pub const SIGNING_SEED: [u8; 32] = [7; 32];

/// The key that signs the test platform's access tokens.
pub fn signing_key() -> crate::auth::SigningKey {
    crate::auth::SigningKey::from_seed(&SIGNING_SEED)
}

/// The platform of a native test: variables from a map, databases through [`Native`], Redis
/// commands recorded, internal calls served by the routers mounted under their module names.
pub struct TestPlatform {
    me: Weak<TestPlatform>,
    vars: RefCell<BTreeMap<String, String>>,
    /// The Redis commands kit sent, in order.
    pub redis: RefCell<Vec<RedisCommand>>,
    /// The values `RedisCommand::Set` stored, as `redis_get` reads them.
    pub redis_values: RefCell<BTreeMap<String, String>>,
    /// When set, `redis_get` fails as an unreachable Redis would.
    pub redis_down: std::cell::Cell<bool>,
    routers: RefCell<BTreeMap<String, Rc<Router>>>,
}

impl TestPlatform {
    /// A platform whose `database_url` is `db`'s, with the usual secrets set.
    pub fn new(db: &TestDb) -> Rc<TestPlatform> {
        let platform = Rc::new_cyclic(|me| TestPlatform {
            me: me.clone(),
            vars: RefCell::new(BTreeMap::new()),
            redis: RefCell::new(Vec::new()),
            redis_values: RefCell::new(BTreeMap::new()),
            redis_down: std::cell::Cell::new(false),
            routers: RefCell::new(BTreeMap::new()),
        });
        platform
            .set("database_url", &db.url)
            .set("redis_url", "redis://redis.test")
            .set("service_token", SERVICE_TOKEN)
            .set("jwt_signing_key", &hex::encode(SIGNING_SEED))
            .set("jwt_verify_key", &signing_key().verify_key().to_hex());
        platform
    }

    /// Sets a variable.
    pub fn set(&self, name: &str, value: &str) -> &Self {
        self.vars.borrow_mut().insert(name.into(), value.into());
        self
    }

    /// Serves `module`'s internal calls with `router`.
    pub fn mount(&self, module: &str, router: Router) {
        self.routers
            .borrow_mut()
            .insert(module.to_string(), Rc::new(router));
    }

    /// The platform as the trait object kit takes.
    pub fn dyn_rc(&self) -> Rc<dyn Platform> {
        self.me.upgrade().expect("the platform is alive")
    }

    /// A request context for `module` on this platform.
    pub fn ctx(&self, module: &'static str) -> Ctx {
        Ctx::new(module, self.dyn_rc())
    }
}

impl Platform for TestPlatform {
    fn variable(&self, name: &str) -> Option<String> {
        self.vars.borrow().get(name).cloned()
    }

    fn connect(&self, database_url: &str) -> ApiResult<Db> {
        Ok(Db::with_backend(Native::connect(database_url)))
    }

    fn redis(&self, _url: &str, command: &RedisCommand) -> Result<bool, String> {
        if let RedisCommand::Set { key, value, .. } = command {
            self.redis_values
                .borrow_mut()
                .insert(key.clone(), value.clone());
        }
        self.redis.borrow_mut().push(command.clone());
        Ok(true)
    }

    fn redis_get(&self, _url: &str, keys: &[String]) -> Result<Vec<Option<String>>, String> {
        if self.redis_down.get() {
            return Err("connection refused".into());
        }
        let values = self.redis_values.borrow();
        Ok(keys.iter().map(|k| values.get(k).cloned()).collect())
    }

    fn send(&self, request: Request) -> Sending {
        let module = url::Url::parse(request.uri())
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .and_then(|h| h.strip_suffix(".spin.internal").map(str::to_string));
        let router = module.and_then(|m| self.routers.borrow().get(&m).cloned());
        let platform = self.dyn_rc();
        Box::pin(async move {
            match router {
                Some(router) => Ok(router.handle_on(platform, request).await),
                None => Err("no such host in this test".to_string()),
            }
        })
    }
}

/// Runs a future to its end on this thread (kit's futures never need a reactor natively).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

/// An API error's status and code, for assertions.
pub fn code(e: &ApiError) -> (u16, &str) {
    (e.status, e.code.as_ref())
}

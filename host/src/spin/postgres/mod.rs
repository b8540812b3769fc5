//! `spin:postgres/postgres@4.0.0`: connections from a pool per address, one session per
//! connection resource, and Spin's value mapping — refusals included.
//!
//! The mapping deliberately mirrors what real Spin does with tokio-postgres: each parameter
//! variant is bound as one concrete Rust type, so a parameter whose type the statement does not
//! accept fails the same way (Str into uuid, Int64 into int4, Datetime into timestamptz); each
//! column type is read as one Rust type, so a `timestamptz` column fails the whole query.

#![expect(
    clippy::result_large_err,
    reason = "the interface's own error type is what the guest receives; boxing it only adds a copy"
)]

mod convert;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::TryStreamExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::component::Resource;

use super::bindings::spin::postgres::postgres::{
    self as v4, Error, ParameterValue, QueryError, RowSet,
};
use crate::state::HostState;

/// Sessions open at once to one address, across all instances: Spin's pool size. Opens beyond
/// it wait for a free session, as long as it takes, as in Spin (its pool sets no wait
/// timeout): a busy machine makes requests slower, never refused.
pub const MAX_SESSIONS_PER_ADDRESS: usize = 64;

/// How long connecting a new session may take before `open` fails: an unreachable server
/// fails fast instead of hanging the request.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Idle sessions kept per address for reuse.
const MAX_IDLE_PER_ADDRESS: usize = 32;

/// Connection pools shared by every instance of the application, one per address.
#[derive(Default)]
pub struct PgPools {
    pools: Mutex<HashMap<String, Arc<Pool>>>,
}

struct Pool {
    config: tokio_postgres::Config,
    idle: Mutex<Vec<tokio_postgres::Client>>,
    permits: Arc<Semaphore>,
}

/// The host side of a guest's `connection` resource: one pooled session, held until the guest
/// drops the resource, so `BEGIN … COMMIT` across calls runs on the same session.
pub struct PgConnection {
    client: Option<tokio_postgres::Client>,
    pool: Arc<Pool>,
    // Released when the connection is dropped, after the session went back to the pool.
    permit: Option<OwnedSemaphorePermit>,
    // Set by BEGIN/START TRANSACTION and cleared by COMMIT/ROLLBACK/END/ABORT: a session
    // returned mid-transaction is rolled back first, so no transaction leaks to its next user.
    in_transaction: bool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The guarded values (maps of pools, vectors of idle clients) stay consistent at every
    // point a panic could happen, so a poisoned lock is safe to keep using.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl PgPools {
    fn pool(&self, address: &str) -> Result<Arc<Pool>, Error> {
        let mut pools = lock(&self.pools);
        if let Some(pool) = pools.get(address) {
            return Ok(pool.clone());
        }
        let mut config: tokio_postgres::Config = address
            .parse()
            .map_err(|e| Error::ConnectionFailed(format!("invalid address: {e}")))?;
        config.connect_timeout(CONNECT_TIMEOUT);
        let pool = Arc::new(Pool {
            config,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(MAX_SESSIONS_PER_ADDRESS)),
        });
        pools.insert(address.to_string(), pool.clone());
        Ok(pool)
    }

    /// Opens a session to `address` from its pool.
    pub async fn open(&self, address: &str) -> Result<PgConnection, Error> {
        let pool = self.pool(address)?;
        let permit = pool
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::ConnectionFailed("the pool is closed".into()))?;
        let reused = {
            let mut idle = lock(&pool.idle);
            std::iter::from_fn(|| idle.pop()).find(|c| !c.is_closed())
        };
        let client = match reused {
            Some(client) => client,
            None => pool.connect().await?,
        };
        Ok(PgConnection {
            client: Some(client),
            pool,
            permit: Some(permit),
            in_transaction: false,
        })
    }
}

impl Pool {
    fn describe(&self) -> String {
        let hosts: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .map(|h| match h {
                tokio_postgres::config::Host::Tcp(h) => h.clone(),
                tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
            })
            .collect();
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        format!("{}:{port}", hosts.join(","))
    }

    async fn connect(&self) -> Result<tokio_postgres::Client, Error> {
        let (client, connection) =
            self.config
                .connect(tokio_postgres::NoTls)
                .await
                .map_err(|e| {
                    Error::ConnectionFailed(format!("cannot connect to {}: {e}", self.describe()))
                })?;
        tokio::spawn(async move {
            // The session ends when its client is dropped; an error here is the server going
            // away, which the next `open` notices through `is_closed`.
            let _ = connection.await;
        });
        Ok(client)
    }
}

/// The leading keyword of a statement, upper-cased.
fn keyword(statement: &str) -> String {
    statement
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_uppercase()
}

impl PgConnection {
    fn client(&self) -> Result<&tokio_postgres::Client, Error> {
        self.client
            .as_ref()
            .ok_or_else(|| Error::ConnectionFailed("the connection is closed".into()))
    }

    fn track(&mut self, statement: &str) {
        match keyword(statement).as_str() {
            "BEGIN" | "START" => self.in_transaction = true,
            "COMMIT" | "ROLLBACK" | "END" | "ABORT" => self.in_transaction = false,
            _ => {}
        }
    }

    /// Prepares `statement` (one statement only, as Spin requires) and binds `params` as the
    /// Rust types Spin binds them as.
    async fn prepare(
        &self,
        statement: &str,
        params: &[ParameterValue],
    ) -> Result<(tokio_postgres::Statement, Vec<convert::Bound>), Error> {
        let prepared = self
            .client()?
            .prepare(statement)
            .await
            .map_err(convert::query_failed)?;
        Ok((prepared, convert::bind(params)?))
    }

    /// Runs a statement that returns rows.
    pub async fn query(
        &mut self,
        statement: &str,
        params: Vec<ParameterValue>,
    ) -> Result<RowSet, Error> {
        let (prepared, bound) = self.prepare(statement, &params).await?;
        // An error before the first row (binding) comes back structured; one raised while
        // rows stream (a constraint violated by `UPDATE … RETURNING`) reaches the guest as
        // the structured error's debug text, as Spin 4's `query` gives it.
        let stream = self
            .client()?
            .query_raw(&prepared, convert::refs(&bound))
            .await
            .map_err(convert::query_failed)?;
        let rows: Vec<tokio_postgres::Row> = stream
            .try_collect()
            .await
            .map_err(|e| text_failure(format!("{:?}", convert::query_failed(e))))?;
        self.track(statement);
        convert::row_set(prepared.columns(), &rows)
    }

    /// Runs a statement and returns the number of rows it affected.
    pub async fn execute(
        &mut self,
        statement: &str,
        params: Vec<ParameterValue>,
    ) -> Result<u64, Error> {
        let (prepared, bound) = self.prepare(statement, &params).await?;
        let affected = self
            .client()?
            .execute(&prepared, &convert::refs(&bound))
            .await
            .map_err(convert::query_failed)?;
        self.track(statement);
        Ok(affected)
    }
}

impl Drop for PgConnection {
    fn drop(&mut self) {
        let (Some(client), Some(permit)) = (self.client.take(), self.permit.take()) else {
            return;
        };
        if client.is_closed() {
            return;
        }
        let pool = self.pool.clone();
        let give_back = move |client: tokio_postgres::Client| {
            let mut idle = lock(&pool.idle);
            if idle.len() < MAX_IDLE_PER_ADDRESS {
                idle.push(client);
            }
            drop(permit);
        };
        if self.in_transaction {
            // The guest left a transaction open (it forgot, or it trapped): roll it back
            // before anyone else gets this session; if that fails, the session is discarded.
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move {
                    if client.batch_execute("ROLLBACK").await.is_ok() {
                        give_back(client);
                    }
                });
            }
        } else {
            give_back(client);
        }
    }
}

impl v4::Host for HostState {}

impl v4::HostConnection for HostState {
    async fn open(
        &mut self,
        address: String,
    ) -> wasmtime::Result<Result<Resource<PgConnection>, Error>> {
        if let Err(e) = permitted(&address, |url| {
            self.component.allows_outbound(url, "postgres")
        }) {
            return Ok(Err(redacted(e)));
        }
        match self.app.services.postgres.open(&address).await {
            Ok(conn) => Ok(Ok(self.table.push(conn)?)),
            Err(err) => Ok(Err(redacted(err))),
        }
    }

    async fn query(
        &mut self,
        conn: Resource<PgConnection>,
        statement: String,
        params: Vec<ParameterValue>,
    ) -> wasmtime::Result<Result<RowSet, Error>> {
        Ok(self
            .table
            .get_mut(&conn)?
            .query(&statement, params)
            .await
            .map_err(redacted))
    }

    async fn execute(
        &mut self,
        conn: Resource<PgConnection>,
        statement: String,
        params: Vec<ParameterValue>,
    ) -> wasmtime::Result<Result<u64, Error>> {
        Ok(self
            .table
            .get_mut(&conn)?
            .execute(&statement, params)
            .await
            .map_err(redacted))
    }

    async fn drop(&mut self, conn: Resource<PgConnection>) -> wasmtime::Result<()> {
        self.table.delete(conn)?;
        Ok(())
    }
}

/// Checks every server a connection string can reach — each `host` with its port, and each
/// `hostaddr` — against `allowed`, as Spin does for URLs and libpq `key=value` strings alike.
/// Spin checks only `host`; a `hostaddr` would let a string name one host and connect to
/// another, so the host checks it too. Unix sockets are refused, as under Spin.
fn permitted(address: &str, allowed: impl Fn(&str) -> bool) -> Result<(), Error> {
    let config: tokio_postgres::Config = address
        .parse()
        .map_err(|e: tokio_postgres::Error| Error::ConnectionFailed(e.to_string()))?;
    let ports = config.get_ports();
    // A host's port is the one at its index, or the only one given, or the scheme's default.
    let port = |i: usize| {
        ports
            .get(i)
            .or(if ports.len() == 1 {
                ports.first()
            } else {
                None
            })
            .map(|p| format!(":{p}"))
            .unwrap_or_default()
    };
    let mut servers = Vec::new();
    for (i, host) in config.get_hosts().iter().enumerate() {
        match host {
            tokio_postgres::config::Host::Tcp(name) => servers.push(format!("{name}{}", port(i))),
            tokio_postgres::config::Host::Unix(_) => {
                return Err(Error::ConnectionFailed(
                    "Unix sockets are not supported on WebAssembly".into(),
                ));
            }
        }
    }
    for (i, addr) in config.get_hostaddrs().iter().enumerate() {
        let addr = match addr {
            std::net::IpAddr::V6(v6) => format!("[{v6}]"),
            std::net::IpAddr::V4(v4) => v4.to_string(),
        };
        servers.push(format!("{addr}{}", port(i)));
    }
    match servers.iter().find(|server| !allowed(server)) {
        Some(server) => Err(Error::ConnectionFailed(format!(
            "address postgres://{server} is not permitted"
        ))),
        None => Ok(()),
    }
}

/// `e` with any credentials masked out of every text it carries (a connection error names its
/// address; a server message may quote a connection string).
fn redacted(e: Error) -> Error {
    let r = |text: String| crate::redact::credentials(&text);
    match e {
        Error::ConnectionFailed(t) => Error::ConnectionFailed(r(t)),
        Error::BadParameter(t) => Error::BadParameter(r(t)),
        Error::ValueConversionFailed(t) => Error::ValueConversionFailed(r(t)),
        Error::Other(t) => Error::Other(r(t)),
        Error::QueryFailed(QueryError::Text(t)) => Error::QueryFailed(QueryError::Text(r(t))),
        Error::QueryFailed(QueryError::DbError(d)) => {
            Error::QueryFailed(QueryError::DbError(v4::DbError {
                as_text: r(d.as_text),
                severity: d.severity,
                code: d.code,
                message: r(d.message),
                detail: d.detail.map(r),
                extras: d.extras.into_iter().map(|(k, v)| (k, r(v))).collect(),
            }))
        }
    }
}

/// A query failure that carries only text (no SQLSTATE).
fn text_failure(message: String) -> Error {
    Error::QueryFailed(QueryError::Text(message))
}

#[cfg(test)]
mod tests;

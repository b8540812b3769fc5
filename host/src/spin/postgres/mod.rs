//! `spin:postgres/postgres@4.0.0`: connections from a pool per address, one session per
//! connection resource, and Spin's value mapping — refusals included.

use wasmtime::component::Resource;

use super::bindings::spin::postgres::postgres::{self as v4, Error, ParameterValue, RowSet};
use crate::state::HostState;

/// Connection pools shared by every instance of the application, one per address.
#[derive(Default)]
pub struct PgPools {}

/// The host side of a guest's `connection` resource: one pooled session, held until the guest
/// drops the resource, so `BEGIN … COMMIT` across calls runs on the same session.
pub struct PgConnection {}

impl PgPools {
    /// Opens a session to `address` from its pool.
    pub async fn open(&self, address: &str) -> Result<PgConnection, Error> {
        let _ = address;
        Err(Error::Other("postgres is not implemented yet".into()))
    }
}

impl PgConnection {
    /// Runs a statement that returns rows.
    pub async fn query(
        &mut self,
        statement: &str,
        params: Vec<ParameterValue>,
    ) -> Result<RowSet, Error> {
        let _ = (statement, params);
        Err(Error::Other("postgres is not implemented yet".into()))
    }

    /// Runs a statement and returns the number of rows it affected.
    pub async fn execute(
        &mut self,
        statement: &str,
        params: Vec<ParameterValue>,
    ) -> Result<u64, Error> {
        let _ = (statement, params);
        Err(Error::Other("postgres is not implemented yet".into()))
    }
}

impl v4::Host for HostState {}

impl v4::HostConnection for HostState {
    async fn open(&mut self, address: String) -> wasmtime::Result<Result<Resource<PgConnection>, Error>> {
        if !self.component.allows_outbound(&address, "postgres") {
            return Ok(Err(Error::ConnectionFailed(format!(
                "address {address} is not permitted by the component's allowed_outbound_hosts"
            ))));
        }
        match self.app.services.postgres.open(&address).await {
            Ok(conn) => Ok(Ok(self.table.push(conn)?)),
            Err(err) => Ok(Err(err)),
        }
    }

    async fn query(
        &mut self,
        conn: Resource<PgConnection>,
        statement: String,
        params: Vec<ParameterValue>,
    ) -> wasmtime::Result<Result<RowSet, Error>> {
        Ok(self.table.get_mut(&conn)?.query(&statement, params).await)
    }

    async fn execute(
        &mut self,
        conn: Resource<PgConnection>,
        statement: String,
        params: Vec<ParameterValue>,
    ) -> wasmtime::Result<Result<u64, Error>> {
        Ok(self.table.get_mut(&conn)?.execute(&statement, params).await)
    }

    async fn drop(&mut self, conn: Resource<PgConnection>) -> wasmtime::Result<()> {
        self.table.delete(conn)?;
        Ok(())
    }
}

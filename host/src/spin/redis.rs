//! `fermyon:spin/redis@2.0.0`: outbound Redis to servers the component's
//! `allowed_outbound_hosts` permits. Every `open` gets a connection of its own, as under Spin:
//! connection state (`SELECT`, `CLIENT SETNAME`, a `MULTI` under way) stays with the guest
//! connection that set it, never reaching another instance or component.

use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;
use wasmtime::component::Resource;

use super::bindings::fermyon::spin2_0_0::redis::{self as wit, Error, RedisParameter, RedisResult};
use crate::state::HostState;

/// Redis connections a guest may hold open at once in one instance.
pub const MAX_CONNECTIONS_PER_INSTANCE: usize = 64;

/// The host side of a guest's `connection`: a connection of its own to the server.
pub struct OpenConnection {
    conn: MultiplexedConnection,
}

/// Connects to `address` for one guest `open`, as Spin does (a new multiplexed connection).
async fn connect(address: &str) -> Result<MultiplexedConnection, Error> {
    let client = redis::Client::open(address).map_err(|_| Error::InvalidAddress)?;
    client
        .get_multiplexed_async_connection()
        .await
        .map_err(|e| other(format!("cannot connect to redis at {address}: {e}")))
}

/// `Other`, with any credentials masked out of its text.
fn other(text: String) -> Error {
    Error::Other(crate::redact::credentials(&text))
}

fn failed(err: redis::RedisError) -> Error {
    match err.kind() {
        redis::ErrorKind::TypeError => Error::TypeError,
        _ => other(err.to_string()),
    }
}

/// Flattens a reply into Spin's result list: arrays (and maps, sets) contribute their items.
fn flatten(value: redis::Value, out: &mut Vec<RedisResult>) {
    use redis::Value as V;
    match value {
        V::Nil => out.push(RedisResult::Nil),
        V::Int(i) => out.push(RedisResult::Int64(i)),
        V::BulkString(b) => out.push(RedisResult::Binary(b)),
        V::SimpleString(s) => out.push(RedisResult::Status(s)),
        V::Okay => out.push(RedisResult::Status("OK".into())),
        V::Double(d) => out.push(RedisResult::Binary(d.to_string().into_bytes())),
        V::Boolean(b) => out.push(RedisResult::Int64(i64::from(b))),
        V::BigNumber(n) => out.push(RedisResult::Binary(n.to_string().into_bytes())),
        V::VerbatimString { text, .. } => out.push(RedisResult::Binary(text.into_bytes())),
        V::Array(items) | V::Set(items) => items.into_iter().for_each(|v| flatten(v, out)),
        V::Map(pairs) => pairs.into_iter().for_each(|(k, v)| {
            flatten(k, out);
            flatten(v, out);
        }),
        V::Attribute { data, .. } => flatten(*data, out),
        V::Push { data, .. } => data.into_iter().for_each(|v| flatten(v, out)),
        V::ServerError(e) => out.push(RedisResult::Status(crate::redact::credentials(&format!(
            "{e:?}"
        )))),
    }
}

impl wit::Host for HostState {}

impl wit::HostConnection for HostState {
    async fn open(
        &mut self,
        address: String,
    ) -> wasmtime::Result<Result<Resource<OpenConnection>, Error>> {
        if !self.component.allows_outbound(&address, "redis") {
            return Ok(Err(other(format!(
                "address {address} is not permitted by the component's allowed_outbound_hosts"
            ))));
        }
        if self.open_redis_connections >= MAX_CONNECTIONS_PER_INSTANCE {
            return Ok(Err(Error::TooManyConnections));
        }
        match connect(&address).await {
            Ok(conn) => {
                self.open_redis_connections += 1;
                Ok(Ok(self.table.push(OpenConnection { conn })?))
            }
            Err(e) => Ok(Err(e)),
        }
    }

    async fn publish(
        &mut self,
        c: Resource<OpenConnection>,
        channel: String,
        payload: Vec<u8>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let mut conn = self.table.get(&c)?.conn.clone();
        Ok(conn
            .publish::<_, _, i64>(channel, payload)
            .await
            .map(|_| ())
            .map_err(failed))
    }

    async fn get(
        &mut self,
        c: Resource<OpenConnection>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        let mut conn = self.table.get(&c)?.conn.clone();
        Ok(conn.get(key).await.map_err(failed))
    }

    async fn set(
        &mut self,
        c: Resource<OpenConnection>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let mut conn = self.table.get(&c)?.conn.clone();
        Ok(conn.set(key, value).await.map_err(failed))
    }

    async fn incr(
        &mut self,
        c: Resource<OpenConnection>,
        key: String,
    ) -> wasmtime::Result<Result<i64, Error>> {
        let mut conn = self.table.get(&c)?.conn.clone();
        Ok(conn.incr(key, 1).await.map_err(failed))
    }

    async fn del(
        &mut self,
        c: Resource<OpenConnection>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<u32, Error>> {
        let mut conn = self.table.get(&c)?.conn.clone();
        Ok(conn.del(keys).await.map_err(failed))
    }

    async fn sadd(
        &mut self,
        c: Resource<OpenConnection>,
        key: String,
        values: Vec<String>,
    ) -> wasmtime::Result<Result<u32, Error>> {
        let mut conn = self.table.get(&c)?.conn.clone();
        Ok(conn.sadd(key, values).await.map_err(failed))
    }

    async fn smembers(
        &mut self,
        c: Resource<OpenConnection>,
        key: String,
    ) -> wasmtime::Result<Result<Vec<String>, Error>> {
        let mut conn = self.table.get(&c)?.conn.clone();
        Ok(conn.smembers(key).await.map_err(failed))
    }

    async fn srem(
        &mut self,
        c: Resource<OpenConnection>,
        key: String,
        values: Vec<String>,
    ) -> wasmtime::Result<Result<u32, Error>> {
        let mut conn = self.table.get(&c)?.conn.clone();
        Ok(conn.srem(key, values).await.map_err(failed))
    }

    async fn execute(
        &mut self,
        c: Resource<OpenConnection>,
        command: String,
        arguments: Vec<RedisParameter>,
    ) -> wasmtime::Result<Result<Vec<RedisResult>, Error>> {
        let mut conn = self.table.get(&c)?.conn.clone();
        let mut cmd = redis::cmd(&command);
        for arg in arguments {
            match arg {
                RedisParameter::Int64(i) => cmd.arg(i),
                RedisParameter::Binary(b) => cmd.arg(b),
            };
        }
        Ok(match cmd.query_async::<redis::Value>(&mut conn).await {
            Ok(value) => {
                let mut out = Vec::new();
                flatten(value, &mut out);
                Ok(out)
            }
            Err(e) => Err(failed(e)),
        })
    }

    async fn drop(&mut self, c: Resource<OpenConnection>) -> wasmtime::Result<()> {
        self.table.delete(c)?;
        self.open_redis_connections -= 1;
        Ok(())
    }
}

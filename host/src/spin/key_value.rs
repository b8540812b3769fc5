//! `fermyon:spin/key-value@2.0.0`, backed by Redis or by a directory on local disk.
//!
//! Redis stores write keys exactly as given, with no prefix, into the logical database their URL
//! names (`redis://host:port/1`), so `get-keys` lists every key of that database — Spin's
//! observed behaviour, which is why Souk's `default` store has a database of its own.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use redis::AsyncCommands;
use tokio::sync::OnceCell;
use wasmtime::component::Resource;

use super::bindings::fermyon::spin2_0_0::key_value::{self, Error};
use crate::runtime_config::KeyValueStoreConfig;
use crate::state::HostState;

/// Stores a component may open at once in one instance (Spin's `store-table-full`).
pub const MAX_OPEN_STORES: usize = 256;

/// Every configured store, by label, shared by all instances.
pub struct Stores {
    by_label: HashMap<String, Arc<Backend>>,
}

/// Where a store's data lives.
pub enum Backend {
    /// A Redis server, connected on first use.
    Redis {
        /// The server's URL.
        url: String,
        /// The shared multiplexed connection.
        conn: OnceCell<redis::aio::ConnectionManager>,
    },
    /// One file per key in a directory; the file name is the key in hex.
    Disk {
        /// The store's directory.
        dir: PathBuf,
    },
}

/// The host side of a guest's open `store`.
pub struct OpenStore {
    backend: Arc<Backend>,
}

impl Stores {
    /// Builds the stores from the runtime configuration.
    pub fn new(config: &BTreeMap<String, KeyValueStoreConfig>) -> Stores {
        let by_label = config
            .iter()
            .map(|(label, c)| {
                let backend = match c {
                    KeyValueStoreConfig::Redis { url } => Backend::Redis {
                        url: url.clone(),
                        conn: OnceCell::new(),
                    },
                    KeyValueStoreConfig::Disk { path } => Backend::Disk { dir: path.clone() },
                };
                (label.clone(), Arc::new(backend))
            })
            .collect();
        Stores { by_label }
    }

    /// Whether a store with this label is configured.
    pub fn contains(&self, label: &str) -> bool {
        self.by_label.contains_key(label)
    }
}

/// `Other` with its context, and any credentials masked out of its text.
fn other(context: &str, err: impl std::fmt::Display) -> Error {
    Error::Other(crate::redact::credentials(&format!("{context}: {err}")))
}

impl Backend {
    async fn redis(&self) -> Result<redis::aio::ConnectionManager, Error> {
        let Backend::Redis { url, conn } = self else {
            unreachable!("redis() is only called on Redis backends");
        };
        conn.get_or_try_init(|| async {
            let client =
                redis::Client::open(url.as_str()).map_err(|e| other("invalid redis url", e))?;
            redis::aio::ConnectionManager::new(client)
                .await
                .map_err(|e| other("cannot connect to the key-value store's redis", e))
        })
        .await
        .cloned()
    }

    fn key_path(dir: &std::path::Path, key: &str) -> PathBuf {
        dir.join(hex::encode(key.as_bytes()))
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        match self {
            Backend::Redis { .. } => {
                let mut c = self.redis().await?;
                c.get(key).await.map_err(|e| other("redis GET", e))
            }
            Backend::Disk { dir } => match tokio::fs::read(Self::key_path(dir, key)).await {
                Ok(v) => Ok(Some(v)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(other("reading key", e)),
            },
        }
    }

    async fn set(&self, key: &str, value: &[u8]) -> Result<(), Error> {
        match self {
            Backend::Redis { .. } => {
                let mut c = self.redis().await?;
                c.set(key, value).await.map_err(|e| other("redis SET", e))
            }
            Backend::Disk { dir } => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| other("creating store directory", e))?;
                // Write then rename, so a reader never sees half a value.
                let path = Self::key_path(dir, key);
                let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4()));
                tokio::fs::write(&tmp, value)
                    .await
                    .map_err(|e| other("writing key", e))?;
                tokio::fs::rename(&tmp, &path)
                    .await
                    .map_err(|e| other("writing key", e))
            }
        }
    }

    async fn delete(&self, key: &str) -> Result<(), Error> {
        match self {
            Backend::Redis { .. } => {
                let mut c = self.redis().await?;
                c.del::<_, ()>(key).await.map_err(|e| other("redis DEL", e))
            }
            Backend::Disk { dir } => match tokio::fs::remove_file(Self::key_path(dir, key)).await {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(other("deleting key", e)),
            },
        }
    }

    async fn exists(&self, key: &str) -> Result<bool, Error> {
        match self {
            Backend::Redis { .. } => {
                let mut c = self.redis().await?;
                c.exists(key).await.map_err(|e| other("redis EXISTS", e))
            }
            Backend::Disk { dir } => tokio::fs::try_exists(Self::key_path(dir, key))
                .await
                .map_err(|e| other("checking key", e)),
        }
    }

    async fn keys(&self) -> Result<Vec<String>, Error> {
        match self {
            Backend::Redis { .. } => {
                let mut c = self.redis().await?;
                c.keys("*").await.map_err(|e| other("redis KEYS", e))
            }
            Backend::Disk { dir } => {
                let mut keys = Vec::new();
                let mut entries = match tokio::fs::read_dir(dir).await {
                    Ok(entries) => entries,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(keys),
                    Err(e) => return Err(other("listing keys", e)),
                };
                while let Some(entry) = entries
                    .next_entry()
                    .await
                    .map_err(|e| other("listing keys", e))?
                {
                    let name = entry.file_name();
                    if let Some(key) = name
                        .to_str()
                        .and_then(|n| hex::decode(n).ok())
                        .and_then(|b| String::from_utf8(b).ok())
                    {
                        keys.push(key);
                    }
                }
                Ok(keys)
            }
        }
    }
}

impl key_value::Host for HostState {}

impl key_value::HostStore for HostState {
    async fn open(
        &mut self,
        label: String,
    ) -> wasmtime::Result<Result<Resource<OpenStore>, Error>> {
        if !self.component.caps.key_value_stores.contains(&label) {
            return Ok(Err(Error::AccessDenied));
        }
        let Some(backend) = self.app.services.key_value.by_label.get(&label).cloned() else {
            return Ok(Err(Error::NoSuchStore));
        };
        if self.open_kv_stores >= MAX_OPEN_STORES {
            return Ok(Err(Error::StoreTableFull));
        }
        self.open_kv_stores += 1;
        Ok(Ok(self.table.push(OpenStore { backend })?))
    }

    async fn get(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        let backend = self.table.get(&store)?.backend.clone();
        Ok(backend.get(&key).await)
    }

    async fn set(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let backend = self.table.get(&store)?.backend.clone();
        Ok(backend.set(&key, &value).await)
    }

    async fn delete(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<(), Error>> {
        let backend = self.table.get(&store)?.backend.clone();
        Ok(backend.delete(&key).await)
    }

    async fn exists(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<bool, Error>> {
        let backend = self.table.get(&store)?.backend.clone();
        Ok(backend.exists(&key).await)
    }

    async fn get_keys(
        &mut self,
        store: Resource<OpenStore>,
    ) -> wasmtime::Result<Result<Vec<String>, Error>> {
        let backend = self.table.get(&store)?.backend.clone();
        Ok(backend.keys().await)
    }

    async fn drop(&mut self, store: Resource<OpenStore>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        self.open_kv_stores -= 1;
        Ok(())
    }
}

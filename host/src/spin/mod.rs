//! Host implementations of the Spin interfaces a spin-sdk 5.2 component imports besides WASI.
//!
//! Each interface keeps Spin's observable behaviour, refusals included (see the project's
//! notes on real Spin): what passes here must pass under `spin up`.

pub mod bindings;
pub mod embeddings;
pub mod key_value;
pub mod llm;
pub mod postgres;
pub mod redis;
pub mod variables;

use std::sync::Arc;

/// Connections and stores shared by every component of the application, created once.
pub struct Services {
    /// Postgres connection pools, one per address.
    pub postgres: postgres::PgPools,
    /// Key-value stores from the runtime configuration, by label.
    pub key_value: key_value::Stores,
    /// The embeddings model, loaded on first use.
    pub embeddings: embeddings::Embeddings,
}

impl Services {
    /// Creates the shared services for an application.
    pub fn new(key_value: key_value::Stores, app_dir: &std::path::Path) -> Arc<Self> {
        Arc::new(Services {
            postgres: postgres::PgPools::default(),
            key_value,
            embeddings: embeddings::Embeddings::new(app_dir),
        })
    }
}

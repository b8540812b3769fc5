//! `runtime-config.toml`: where each key-value store lives.
//!
//! `[key_value_store.<label>]` takes `type = "redis"` with `url`, or `type = "spin"` (a store
//! on local disk) with an optional `path`. The `default` store exists even when not listed: it
//! then persists on disk under the application's `.spin/` directory, as Spin's does. Other
//! sections Spin understands (`llm_compute`, `variables_provider`, …) are accepted; the host
//! acts on none of them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

/// The parsed runtime configuration.
#[derive(Debug, Default)]
pub struct RuntimeConfig {
    /// Key-value stores by label.
    pub key_value_stores: BTreeMap<String, KeyValueStoreConfig>,
}

/// Where one key-value store lives.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyValueStoreConfig {
    /// A Redis server; keys are stored as given, without a prefix.
    Redis {
        /// `redis://host:port[/db]`.
        url: String,
    },
    /// A directory on local disk.
    Disk {
        /// The directory holding the store.
        path: PathBuf,
    },
}

#[derive(Deserialize)]
struct RawConfig {
    #[serde(default)]
    key_value_store: BTreeMap<String, RawStore>,
    #[serde(flatten)]
    _other: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    path: Option<String>,
}

/// The name of the store every component gets when it lists it in `key_value_stores`.
pub const DEFAULT_STORE: &str = "default";

impl RuntimeConfig {
    /// Reads `path` (when given); relative store paths start at the file's directory, and the
    /// default store's disk location at `app_dir`.
    pub fn load(path: Option<&Path>, app_dir: &Path) -> anyhow::Result<RuntimeConfig> {
        let mut config = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read runtime config {}", path.display()))?;
                let base = path.parent().unwrap_or(Path::new("."));
                RuntimeConfig::parse(&text, base)
                    .with_context(|| format!("invalid runtime config {}", path.display()))?
            }
            None => RuntimeConfig::default(),
        };
        config
            .key_value_stores
            .entry(DEFAULT_STORE.to_string())
            .or_insert_with(|| KeyValueStoreConfig::Disk {
                path: app_dir.join(".spin").join("key-value").join(DEFAULT_STORE),
            });
        Ok(config)
    }

    /// Parses runtime configuration text.
    pub fn parse(text: &str, base: &Path) -> anyhow::Result<RuntimeConfig> {
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| anyhow::anyhow!("{}", e.message().trim()))?;
        let mut key_value_stores = BTreeMap::new();
        for (label, store) in raw.key_value_store {
            let config = match (store.kind.as_str(), store.url, store.path) {
                ("redis", Some(url), None) => {
                    if !url.starts_with("redis://") && !url.starts_with("rediss://") {
                        bail!("key_value_store.{label}: url must start with redis://");
                    }
                    KeyValueStoreConfig::Redis { url }
                }
                ("redis", ..) => bail!("key_value_store.{label}: type \"redis\" takes `url` only"),
                ("spin", None, path) => KeyValueStoreConfig::Disk {
                    path: base.join(path.unwrap_or_else(|| format!(".spin/key-value/{label}"))),
                },
                ("spin", Some(_), _) => {
                    bail!("key_value_store.{label}: type \"spin\" takes `path`, not `url`")
                }
                (other, ..) => bail!(
                    "key_value_store.{label}: unsupported type \"{other}\" \
                     (use \"redis\" or \"spin\")"
                ),
            };
            key_value_stores.insert(label, config);
        }
        Ok(RuntimeConfig { key_value_stores })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_and_disk_stores_parse() {
        let c = RuntimeConfig::parse(
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:6379\"\n\
             [key_value_store.cache]\ntype = \"spin\"\npath = \"kv\"\n\
             [llm_compute]\ntype = \"spin\"\n",
            Path::new("/app"),
        )
        .unwrap();
        assert_eq!(
            c.key_value_stores["default"],
            KeyValueStoreConfig::Redis {
                url: "redis://127.0.0.1:6379".into()
            }
        );
        assert_eq!(
            c.key_value_stores["cache"],
            KeyValueStoreConfig::Disk {
                path: "/app/kv".into()
            }
        );
    }

    #[test]
    fn the_default_store_exists_without_configuration() {
        let c = RuntimeConfig::load(None, Path::new("/app")).unwrap();
        assert!(matches!(
            c.key_value_stores["default"],
            KeyValueStoreConfig::Disk { .. }
        ));
    }

    #[test]
    fn unknown_store_types_are_refused() {
        let err = RuntimeConfig::parse("[key_value_store.x]\ntype = \"azure\"\n", Path::new("."))
            .unwrap_err();
        assert!(err.to_string().contains("unsupported type"));
        assert!(
            RuntimeConfig::parse("[key_value_store.x]\ntype = \"redis\"\n", Path::new("."))
                .is_err()
        );
    }
}

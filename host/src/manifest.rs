//! `spin.toml`, manifest version 2, read into typed structures and checked as Spin checks it.
//!
//! Only what the host acts on is typed; everything else a valid Spin manifest may hold
//! (`[component.x.build]`, `[component.x.tool]`, descriptions) is accepted and ignored, and an
//! unknown key anywhere Spin would refuse one is refused here too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

/// A parsed and validated manifest, with the directory its relative paths start from.
#[derive(Debug)]
pub struct Manifest {
    /// Directory holding the manifest; `source`, `files` and dependency paths are relative to it.
    pub dir: PathBuf,
    /// The `[application]` table.
    pub application: Application,
    /// `[variables]`, by name.
    pub variables: BTreeMap<String, VariableDecl>,
    /// The triggers, in manifest order.
    pub triggers: Triggers,
    /// `[component.<id>]`, by id.
    pub components: BTreeMap<String, Component>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    spin_manifest_version: toml::Value,
    application: Application,
    #[serde(default)]
    variables: BTreeMap<String, VariableDecl>,
    #[serde(default)]
    trigger: Triggers,
    #[serde(default)]
    component: BTreeMap<String, Component>,
}

/// `[application]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// Application name.
    pub name: String,
    /// Application version.
    #[serde(default)]
    pub version: Option<String>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Free text.
    #[serde(default)]
    pub authors: Vec<String>,
    /// `[application.trigger.<type>]` settings shared by all triggers of a type.
    #[serde(default)]
    pub trigger: ApplicationTriggers,
}

/// `[application.trigger]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationTriggers {
    /// `[application.trigger.redis]`.
    #[serde(default)]
    pub redis: Option<RedisAppSettings>,
    /// `[application.trigger.http]` (only `base` exists; Spin ignores it in v2).
    #[serde(default)]
    pub http: Option<toml::Table>,
}

/// `[application.trigger.redis]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisAppSettings {
    /// The Redis server every redis trigger subscribes to unless it names its own.
    pub address: String,
}

/// One entry of `[variables]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableDecl {
    /// Value used when no provider gives one.
    #[serde(default)]
    pub default: Option<String>,
    /// Start-up fails when no provider gives a value.
    #[serde(default)]
    pub required: bool,
    /// The value is never logged.
    #[serde(default)]
    pub secret: bool,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
}

/// `[[trigger.<type>]]` arrays.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Triggers {
    /// `[[trigger.http]]`.
    #[serde(default)]
    pub http: Vec<HttpTrigger>,
    /// `[[trigger.redis]]`.
    #[serde(default)]
    pub redis: Vec<RedisTrigger>,
    /// `[[trigger.cron]]` (the trigger-cron plugin's shape).
    #[serde(default)]
    pub cron: Vec<CronTrigger>,
}

/// `[[trigger.http]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpTrigger {
    /// Optional trigger id.
    #[serde(default)]
    pub id: Option<String>,
    /// The component it runs.
    pub component: String,
    /// A route pattern, or `{ private = true }`.
    pub route: RouteDecl,
    /// `{ type = "spin" }` is the only executor the host runs.
    #[serde(default)]
    pub executor: Option<toml::Table>,
}

/// The `route` of an HTTP trigger.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RouteDecl {
    /// A route pattern such as `/api/...`.
    Pattern(String),
    /// `{ private = true }`: reachable only through service chaining.
    Private(PrivateRoute),
}

/// `route = { private = true }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivateRoute {
    /// Must be `true`.
    pub private: bool,
}

/// `[[trigger.redis]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisTrigger {
    /// Optional trigger id.
    #[serde(default)]
    pub id: Option<String>,
    /// The component it runs.
    pub component: String,
    /// The channel it subscribes to.
    pub channel: String,
    /// A Redis server other than the application's.
    #[serde(default)]
    pub address: Option<String>,
}

/// `[[trigger.cron]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CronTrigger {
    /// Optional trigger id.
    #[serde(default)]
    pub id: Option<String>,
    /// The component it runs.
    pub component: String,
    /// Six fields, seconds first: `sec min hour day-of-month month day-of-week`.
    pub cron_expression: String,
}

/// `[component.<id>]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    /// The `.wasm` file, relative to the manifest.
    pub source: Source,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Hosts the component may reach, in Spin's `scheme://host:port` form.
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
    /// The v1 predecessor of `allowed_outbound_hosts`; refused so it cannot be silently ignored.
    #[serde(default)]
    pub allowed_http_hosts: Option<Vec<String>>,
    /// Key-value store labels the component may open.
    #[serde(default)]
    pub key_value_stores: Vec<String>,
    /// SQLite databases (not provided by this host: refused when non-empty).
    #[serde(default)]
    pub sqlite_databases: Vec<String>,
    /// LLM models the component may use.
    #[serde(default)]
    pub ai_models: Vec<String>,
    /// Environment variables of the guest.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Files mounted read-only into the guest.
    #[serde(default)]
    pub files: Vec<FileMount>,
    /// Globs excluded from `files`.
    #[serde(default)]
    pub exclude_files: Vec<String>,
    /// Component variables: name → template over application variables.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// Imports satisfied by other components, composed in before instantiation.
    #[serde(default)]
    pub dependencies: BTreeMap<String, Dependency>,
    /// Whether dependencies see this component's configuration.
    #[serde(default)]
    pub dependencies_inherit_configuration: bool,
    /// `spin build` settings; not used by the host.
    #[serde(default)]
    pub build: Option<toml::Table>,
    /// Tool-specific settings; not used by the host.
    #[serde(default)]
    pub tool: Option<toml::Table>,
}

/// `source` of a component.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Source {
    /// A local file.
    Local(String),
    /// `{ url, digest }` (downloads are not available to this host: refused).
    Remote(toml::Table),
}

/// One entry of `files`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum FileMount {
    /// A glob relative to the manifest; matches keep their relative path in the guest.
    Pattern(String),
    /// A directory mounted at a guest path.
    Placement {
        /// Directory relative to the manifest.
        source: String,
        /// Absolute guest path.
        destination: String,
    },
}

/// One entry of `[component.<id>.dependencies]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Dependency {
    /// A registry version requirement (not available to this host: refused).
    Version(String),
    /// A local component.
    Local(LocalDependency),
}

/// `{ path = "provider.wasm", export = "…" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalDependency {
    /// The provider's `.wasm`, relative to the manifest.
    pub path: String,
    /// The provider's export to use when its name differs from the import.
    #[serde(default)]
    pub export: Option<String>,
}

impl Manifest {
    /// Reads and validates the manifest at `path`.
    pub fn load(path: &Path) -> anyhow::Result<Manifest> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read manifest {}", path.display()))?;
        let dir = path
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .unwrap_or(Path::new("."))
            .to_path_buf();
        Manifest::parse(&text, dir).with_context(|| format!("invalid manifest {}", path.display()))
    }

    /// Parses and validates manifest text whose relative paths start at `dir`.
    pub fn parse(text: &str, dir: PathBuf) -> anyhow::Result<Manifest> {
        let raw: RawManifest =
            toml::from_str(text).map_err(|e| anyhow::anyhow!("{}", e.message().trim()))?;
        if raw.spin_manifest_version.as_integer() != Some(2) {
            bail!(
                "spin_manifest_version must be 2 (found {})",
                raw.spin_manifest_version
            );
        }
        let manifest = Manifest {
            dir,
            application: raw.application,
            variables: raw.variables,
            triggers: raw.trigger,
            components: raw.component,
        };
        manifest.validate()?;
        Ok(manifest)
    }

    fn validate(&self) -> anyhow::Result<()> {
        for (name, decl) in &self.variables {
            crate::variables::check_name(name).with_context(|| format!("variable `{name}`"))?;
            match (decl.required, &decl.default) {
                (true, Some(_)) => {
                    bail!("variable `{name}` cannot be both required and have a default")
                }
                (false, None) => bail!("variable `{name}` needs a default or `required = true`"),
                _ => {}
            }
        }
        for (id, component) in &self.components {
            check_component_id(id)?;
            let ctx = || format!("component `{id}`");
            if component.allowed_http_hosts.is_some() {
                bail!(
                    "{}: `allowed_http_hosts` is manifest v1; use `allowed_outbound_hosts`",
                    ctx()
                );
            }
            if !component.sqlite_databases.is_empty() {
                bail!("{}: `sqlite_databases` is not provided by this host", ctx());
            }
            if let Source::Remote(_) = component.source {
                bail!("{}: only a local `source` path is supported", ctx());
            }
            for name in component.variables.keys() {
                crate::variables::check_name(name)
                    .with_context(|| format!("{}: variable `{name}`", ctx()))?;
            }
            for (name, dep) in &component.dependencies {
                if let Dependency::Version(_) = dep {
                    bail!(
                        "{}: dependency `{name}` must be a local `{{ path = \"…\" }}`",
                        ctx()
                    );
                }
            }
        }
        let component_ref = |kind: &str, component: &str| -> anyhow::Result<()> {
            if !self.components.contains_key(component) {
                bail!("{kind} trigger names component `{component}`, which is not defined");
            }
            Ok(())
        };
        for t in &self.triggers.http {
            component_ref("http", &t.component)?;
            match &t.route {
                RouteDecl::Private(p) if !p.private => bail!(
                    "component `{}`: route must be a pattern or `{{ private = true }}`",
                    t.component
                ),
                RouteDecl::Pattern(p) => crate::routes::check_pattern(p)
                    .with_context(|| format!("component `{}`: route `{p}`", t.component))?,
                RouteDecl::Private(_) => {}
            }
            if let Some(exec) = &t.executor
                && exec.get("type").and_then(|v| v.as_str()) != Some("spin")
            {
                bail!(
                    "component `{}`: only the `spin` executor is supported",
                    t.component
                );
            }
        }
        for t in &self.triggers.redis {
            component_ref("redis", &t.component)?;
            if t.address.is_none() && self.application.trigger.redis.is_none() {
                bail!(
                    "redis trigger for `{}` has no address: set [application.trigger.redis] address",
                    t.component
                );
            }
        }
        for t in &self.triggers.cron {
            component_ref("cron", &t.component)?;
            crate::cron_trigger::Schedule::parse(&t.cron_expression)
                .with_context(|| format!("cron trigger for `{}`", t.component))?;
        }
        Ok(())
    }

    /// Resolves a manifest-relative path.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.join(relative)
    }
}

/// Component ids are what `*.spin.internal` host names and log prefixes use: lower-case
/// letters, digits, `-` and `_`, starting with a letter.
fn check_component_id(id: &str) -> anyhow::Result<()> {
    let ok = id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !ok {
        bail!(
            "component id `{id}` must be lower-case letters, digits, `-` or `_`, starting with a letter"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> anyhow::Result<Manifest> {
        Manifest::parse(text, PathBuf::from("."))
    }

    const MINIMAL: &str = r#"
        spin_manifest_version = 2
        [application]
        name = "t"
        [[trigger.http]]
        route = "/..."
        component = "web"
        [component.web]
        source = "web.wasm"
    "#;

    #[test]
    fn a_minimal_manifest_parses() {
        let m = parse(MINIMAL).unwrap();
        assert_eq!(m.application.name, "t");
        assert_eq!(m.triggers.http.len(), 1);
        assert!(m.components.contains_key("web"));
    }

    #[test]
    fn manifest_version_one_is_refused() {
        let err = parse(&MINIMAL.replace("= 2", "= 1")).unwrap_err();
        assert!(
            err.to_string().contains("spin_manifest_version must be 2"),
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err =
            parse(&MINIMAL.replace("source = \"web.wasm\"", "source = \"web.wasm\"\nsorce = 1"))
                .unwrap_err();
        assert!(format!("{err:#}").contains("sorce"), "{err:#}");
    }

    #[test]
    fn a_trigger_naming_an_undefined_component_is_refused() {
        let err =
            parse(&MINIMAL.replace("component = \"web\"", "component = \"nope\"")).unwrap_err();
        assert!(err.to_string().contains("`nope`"), "{err}");
    }

    #[test]
    fn a_variable_needs_a_default_or_required() {
        let text = format!("{MINIMAL}\n[variables]\nx = {{ secret = true }}\n");
        assert!(
            parse(&text)
                .unwrap_err()
                .to_string()
                .contains("needs a default")
        );
        let text = format!("{MINIMAL}\n[variables]\nx = {{ default = \"1\", required = true }}\n");
        assert!(
            parse(&text)
                .unwrap_err()
                .to_string()
                .contains("both required")
        );
    }

    #[test]
    fn private_false_is_refused() {
        let text = MINIMAL.replace("route = \"/...\"", "route = { private = false }");
        assert!(parse(&text).is_err());
    }

    #[test]
    fn a_redis_trigger_needs_an_address() {
        let text = format!("{MINIMAL}\n[[trigger.redis]]\nchannel = \"c\"\ncomponent = \"web\"\n");
        assert!(parse(&text).unwrap_err().to_string().contains("no address"));
    }

    #[test]
    fn component_ids_must_be_lower_case() {
        let text = MINIMAL
            .replace("component.web", "component.Web")
            .replace("\"web\"", "\"Web\"");
        assert!(parse(&text).unwrap_err().to_string().contains("lower-case"));
    }
}

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
        if self.triggers.http.is_empty()
            && self.triggers.redis.is_empty()
            && self.triggers.cron.is_empty()
        {
            bail!("No triggers in app");
        }
        if let Some(http) = &self.application.trigger.http {
            match http.get("base").map(|b| b.as_str()) {
                None | Some(Some("/")) => {}
                Some(_) => bail!(
                    "This application is using the deprecated trigger 'base' field. The base must \
                     be prepended to each [[trigger.http]]'s 'route'."
                ),
            }
        }
        for (name, decl) in &self.variables {
            crate::variables::check_name(name).with_context(|| format!("variable `{name}`"))?;
            // Spin's words; they name no variable, so the context does.
            if decl.required == decl.default.is_some() {
                bail!("variable `{name}`: must be `required` OR have a `default`");
            }
        }
        for (id, component) in &self.components {
            check_id(id, '-').with_context(|| format!("component id `{id}`"))?;
            let ctx = || format!("component `{id}`");
            for label in &component.key_value_stores {
                if check_id(label, '-').is_err() && check_id(label, '_').is_err() {
                    bail!(
                        "{}: key_value_stores label `{label}`: expected kebab-case or snake_case",
                        ctx()
                    );
                }
            }
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
        // Spin's HTTP trigger says `no such component`; its redis trigger would fail only
        // per message, which the host refuses at start-up instead.
        let component_ref = |kind: &str, component: &str| -> anyhow::Result<()> {
            if !self.components.contains_key(component) {
                bail!("{kind} trigger: no such component {component:?}");
            }
            Ok(())
        };
        self.check_trigger_features()?;
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
                    "redis trigger for `{}` has no address: \
                     set [application.trigger.redis] address",
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

    /// Spin's trigger feature check: a component that lists a `*.spin.internal` host requires
    /// `local_service_chaining`, which only the HTTP trigger offers, so an app whose redis- or
    /// cron-triggered component asks for it is refused whole, in Spin's words.
    fn check_trigger_features(&self) -> anyhow::Result<()> {
        let chaining = |id: &str| {
            self.components
                .get(id)
                .is_some_and(|c| c.allowed_outbound_hosts.iter().any(|h| is_chaining_host(h)))
        };
        let others = [
            (
                "redis",
                self.triggers
                    .redis
                    .iter()
                    .map(|t| t.component.as_str())
                    .collect::<Vec<_>>(),
            ),
            (
                "cron",
                self.triggers
                    .cron
                    .iter()
                    .map(|t| t.component.as_str())
                    .collect(),
            ),
        ];
        for (kind, components) in others {
            if components.into_iter().any(chaining) {
                bail!(
                    "This application requires the following features that are not available in \
                     this version of the '{kind}' trigger: local_service_chaining"
                );
            }
        }
        Ok(())
    }

    /// Resolves a manifest-relative path.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.join(relative)
    }
}

/// Whether an `allowed_outbound_hosts` entry asks for service chaining, as Spin decides it: its
/// host (whatever the scheme) is `*.spin.internal` or `<name>.spin.internal`. A templated entry
/// is not looked at, as Spin cannot parse it before its variables are resolved.
fn is_chaining_host(entry: &str) -> bool {
    if entry.contains("{{") {
        return false;
    }
    let rest = entry.split_once("://").map_or(entry, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or(rest);
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host);
    host.strip_suffix(".spin.internal")
        .is_some_and(|name| !name.is_empty())
}

/// Spin's identifier rule: words separated by `delimiter` (`-` for component ids, kebab-case;
/// `_` for snake_case labels), each an ASCII letter then letters and digits, all lower-case or
/// all upper-case. The messages are Spin's.
pub(crate) fn check_id(id: &str, delimiter: char) -> anyhow::Result<()> {
    if id.is_empty() {
        bail!("empty");
    }
    let wrong = if delimiter == '-' { '_' } else { '-' };
    if id.contains(wrong) {
        bail!("words must be separated with {delimiter:?}, not {wrong:?}");
    }
    for word in id.split(delimiter) {
        let Some(first) = word.chars().next() else {
            bail!("{delimiter:?}-separated words must not be empty");
        };
        if !first.is_ascii_alphabetic() {
            bail!("{delimiter:?}-separated words must start with an ASCII letter; got {first:?}");
        }
        if let Some(ch) = word.chars().find(|c| !c.is_ascii_alphanumeric()) {
            bail!("{delimiter:?}-separated words may only contain alphanumeric ASCII; got {ch:?}");
        }
        let lower = word.chars().all(|c| !c.is_ascii_uppercase());
        let upper = word.chars().all(|c| !c.is_ascii_lowercase());
        if !lower && !upper {
            bail!(
                "{delimiter:?}-separated words must be all lowercase or all UPPERCASE; got {word:?}"
            );
        }
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
    fn a_variable_is_required_or_has_a_default_but_not_both() {
        for decl in ["{ secret = true }", "{ default = \"1\", required = true }"] {
            let text = format!("{MINIMAL}\n[variables]\nx = {decl}\n");
            assert_eq!(
                refusal(&text),
                "variable `x`: must be `required` OR have a `default`",
                "{decl}"
            );
        }
    }

    #[test]
    fn a_trigger_naming_an_undefined_component_is_refused_in_spins_words() {
        let text = MINIMAL.replace("component = \"web\"", "component = \"nope\"");
        assert_eq!(refusal(&text), "http trigger: no such component \"nope\"");
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

    fn refusal(text: &str) -> String {
        format!("{:#}", parse(text).unwrap_err())
    }

    #[test]
    fn component_ids_are_kebab_case_as_spin_requires() {
        for (id, says) in [
            ("Web", "must be all lowercase or all UPPERCASE; got \"Web\""),
            ("my_web", "words must be separated with '-', not '_'"),
            ("web-", "'-'-separated words must not be empty"),
            (
                "web-2x",
                "'-'-separated words must start with an ASCII letter; got '2'",
            ),
        ] {
            let text = MINIMAL
                .replace("component.web", &format!("component.{id}"))
                .replace("\"web\"", &format!("\"{id}\""));
            let error = refusal(&text);
            assert!(error.contains(says), "{id}: {error}");
        }
        let text = MINIMAL.replace("web", "web-v2");
        assert!(parse(&text).is_ok());
    }

    #[test]
    fn a_redis_triggered_component_asking_for_service_chaining_is_refused() {
        let redis = "[application.trigger.redis]\naddress = \"redis://127.0.0.1:6379\"\n\
                     [[trigger.redis]]\nchannel = \"c\"\ncomponent = \"sink\"\n\
                     [component.sink]\nsource = \"sink.wasm\"\n";
        for host in [
            "http://*.spin.internal",
            "http://web.spin.internal",
            "https://web.spin.internal:443",
        ] {
            let text = format!("{MINIMAL}\n{redis}allowed_outbound_hosts = [\"{host}\"]\n");
            assert_eq!(
                refusal(&text),
                "This application requires the following features that are not available in this \
                 version of the 'redis' trigger: local_service_chaining",
                "{host}"
            );
        }
        // Any other host is fine, and so is chaining from a component only HTTP triggers.
        let text =
            format!("{MINIMAL}\n{redis}allowed_outbound_hosts = [\"http://127.0.0.1:3000\"]\n");
        assert!(parse(&text).is_ok());
        let text = MINIMAL.replace(
            "source = \"web.wasm\"",
            "source = \"web.wasm\"\nallowed_outbound_hosts = [\"http://*.spin.internal\"]",
        );
        assert!(parse(&text).is_ok());
    }

    #[test]
    fn a_cron_triggered_component_asking_for_service_chaining_is_refused() {
        let text = format!(
            "{MINIMAL}\n[[trigger.cron]]\ncron_expression = \"* * * * * *\"\ncomponent = \"tick\"\n\
             [component.tick]\nsource = \"t.wasm\"\n\
             allowed_outbound_hosts = [\"http://web.spin.internal\"]\n"
        );
        assert!(refusal(&text).contains("the 'cron' trigger: local_service_chaining"));
    }

    #[test]
    fn an_app_without_triggers_is_refused() {
        let text = "spin_manifest_version = 2\n[application]\nname = \"t\"\n\
                    [component.web]\nsource = \"w.wasm\"\n";
        assert_eq!(refusal(text), "No triggers in app");
    }

    #[test]
    fn an_http_base_other_than_the_root_is_refused() {
        let text = MINIMAL.replace(
            "name = \"t\"",
            "name = \"t\"\n[application.trigger.http]\nbase = \"/api\"",
        );
        assert!(refusal(&text).contains("deprecated trigger 'base' field"));
        let text = MINIMAL.replace(
            "name = \"t\"",
            "name = \"t\"\n[application.trigger.http]\nbase = \"/\"",
        );
        assert!(parse(&text).is_ok());
    }

    #[test]
    fn key_value_labels_are_kebab_or_snake_case() {
        let with = |label: &str| {
            MINIMAL.replace(
                "source = \"web.wasm\"",
                &format!("source = \"web.wasm\"\nkey_value_stores = [\"{label}\"]"),
            )
        };
        assert!(parse(&with("my-store")).is_ok());
        assert!(parse(&with("my_store")).is_ok());
        assert!(refusal(&with("my store")).contains("expected kebab-case or snake_case"));
    }
}

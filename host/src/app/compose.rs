//! Component dependencies: `[component.X.dependencies]` imports satisfied by local provider
//! components, composed into X before it is compiled, so that X calls the provider in-process
//! — as Spin does.
//!
//! A dependency key names what it satisfies: a whole interface (`souk:test/greeter@0.1.0`, or
//! without version), a whole package (`souk:test@0.1.0`, or without version: every import from
//! it), or a plain import name. The provider exports the same name, or the one its `export`
//! field gives.
//!
//! One provider per package: Spin registers each dependency's provider in its composition graph
//! under the key's package (`ns:pkg`, interface and version aside) or the plain name, once, so
//! two keys from one package — `souk:providers/a` and `souk:providers/b` — stop `spin up` with
//! "package 'souk:providers' has already been registered in the graph". The host refuses them
//! too ([`one_provider_per_package`]); plain import names are the way to give one consumer
//! several providers of one interface (each with `export` naming the provider's interface).
//!
//! Configuration: unless `dependencies_inherit_configuration = true`, a provider must not see
//! the consumer's configuration. Spin observes this by answering the provider's variable reads
//! with `undefined`; the host does the same by wiring the provider's `fermyon:spin/variables`
//! import to [`DENIED_VARIABLES`], whose every lookup is undefined. A non-inheriting provider
//! that imports another configuration-bearing interface (key-value, redis, postgres, llm,
//! outbound HTTP) is refused at start-up rather than silently given the consumer's access.

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions, NodeId};

use crate::manifest::{Dependency, Manifest};

/// The import a non-inheriting provider's `fermyon:spin/variables` is wired to.
pub const DENIED_VARIABLES: &str = "souk-host:deny/variables@2.0.0";

/// Interfaces (by name without version) that carry the consumer's configuration or access.
const CONFIGURATION_INTERFACES: &[&str] = &[
    "fermyon:spin/key-value",
    "fermyon:spin/redis",
    "fermyon:spin/llm",
    "fermyon:spin/mysql",
    "fermyon:spin/postgres",
    "fermyon:spin/sqlite",
    "spin:postgres/postgres",
    "wasi:http/outgoing-handler",
    "wasi:keyvalue/store",
    "wasi:config/store",
];

fn without_version(name: &str) -> &str {
    name.split_once('@').map_or(name, |(n, _)| n)
}

/// `ns:pkg/iface@v` → `ns:pkg@v` and `ns:pkg`.
fn package_of(import: &str) -> Option<(String, String)> {
    let (path, version) = match import.split_once('@') {
        Some((p, v)) => (p, Some(v)),
        None => (import, None),
    };
    let (package, _) = path.split_once('/')?;
    let versioned = version.map_or_else(|| package.to_string(), |v| format!("{package}@{v}"));
    Some((versioned, package.to_string()))
}

/// Whether dependency `key` satisfies `import`.
pub fn matches(key: &str, import: &str) -> bool {
    if key == import || key == without_version(import) {
        return true;
    }
    package_of(import).is_some_and(|(versioned, bare)| key == versioned || key == bare)
}

/// The name Spin registers a dependency's provider under: the key's package without interface
/// or version, or a plain key itself.
fn registration_name(key: &str) -> &str {
    let path = without_version(key);
    path.split_once('/').map_or(path, |(package, _)| package)
}

/// Refuses two dependency keys Spin would register under one name (see the module docs).
pub fn one_provider_per_package<'a>(keys: impl IntoIterator<Item = &'a str>) -> anyhow::Result<()> {
    let mut registered: BTreeMap<&str, &str> = BTreeMap::new();
    for key in keys {
        let name = registration_name(key);
        if let Some(first) = registered.insert(name, key) {
            bail!(
                "dependencies `{first}` and `{key}` both come from package `{name}`, which Spin \
                 refuses (\"package '{name}' has already been registered in the graph\"): give \
                 each provider a package of its own, or import it under a plain name"
            );
        }
    }
    Ok(())
}

/// Returns `consumer` with every listed import satisfied by its provider's export.
pub fn compose(
    m: &Manifest,
    id: &str,
    consumer: Vec<u8>,
    dependencies: &BTreeMap<String, Dependency>,
) -> anyhow::Result<Vec<u8>> {
    let ctx = || format!("component `{id}`");
    one_provider_per_package(dependencies.keys().map(String::as_str)).with_context(ctx)?;
    let inherit = m.components[id].dependencies_inherit_configuration;
    let mut graph = CompositionGraph::new();
    let package = Package::from_bytes(id, None, consumer, graph.types_mut()).with_context(ctx)?;
    let consumer_world = package.ty();
    let consumer_pkg = graph.register_package(package)?;
    let consumer_inst = graph.instantiate(consumer_pkg);
    let imports: Vec<String> = graph.types()[consumer_world]
        .imports
        .keys()
        .cloned()
        .collect();

    let mut satisfied: BTreeMap<String, String> = BTreeMap::new();
    for (n, (key, dep)) in dependencies.iter().enumerate() {
        let Dependency::Local(local) = dep else {
            unreachable!("the manifest check refuses registry dependencies");
        };
        let matched: Vec<&String> = imports.iter().filter(|i| matches(key, i)).collect();
        if matched.is_empty() {
            bail!(
                "{}: dependency `{key}` matches none of the component's imports",
                ctx()
            );
        }
        let path = m.path(&local.path);
        let bytes = std::fs::read(&path).with_context(|| {
            format!(
                "{}: dependency `{key}`: cannot read {}",
                ctx(),
                path.display()
            )
        })?;
        let provider =
            Package::from_bytes(&format!("dependency-{n}"), None, bytes, graph.types_mut())
                .with_context(|| {
                    format!(
                        "{}: dependency `{key}`: {} is not a component",
                        ctx(),
                        path.display()
                    )
                })?;
        let provider_world = provider.ty();
        let provider_pkg = graph.register_package(provider)?;
        let provider_inst = graph.instantiate(provider_pkg);
        if !inherit {
            deny_configuration(&mut graph, provider_inst, provider_world, key).with_context(ctx)?;
        }
        for import in matched {
            if let Some(other) = satisfied.insert(import.clone(), key.clone()) {
                bail!(
                    "{}: import `{import}` is satisfied by both `{other}` and `{key}`",
                    ctx()
                );
            }
            let export = local.export.clone().unwrap_or_else(|| import.clone());
            if !graph.types()[provider_world].exports.contains_key(&export) {
                bail!(
                    "{}: dependency `{key}` ({}) does not export `{export}`",
                    ctx(),
                    path.display()
                );
            }
            let node = graph.alias_instance_export(provider_inst, &export)?;
            graph
                .set_instantiation_argument(consumer_inst, import, node)
                .map_err(|e| {
                    anyhow::anyhow!(
                        "{}: dependency `{key}` cannot satisfy `{import}`: {e}",
                        ctx()
                    )
                })?;
        }
    }

    let exports: Vec<String> = graph.types()[consumer_world]
        .exports
        .keys()
        .cloned()
        .collect();
    for name in exports {
        let node = graph.alias_instance_export(consumer_inst, &name)?;
        graph.export(node, &name)?;
    }
    graph
        .encode(EncodeOptions::default())
        .map_err(|e| anyhow::anyhow!("{}: composing its dependencies failed: {e}", ctx()))
}

/// Wires a non-inheriting provider's variables import to the denying one, and refuses it when
/// it imports another configuration-bearing interface.
fn deny_configuration(
    graph: &mut CompositionGraph,
    provider: NodeId,
    world: wac_graph::types::WorldId,
    key: &str,
) -> anyhow::Result<()> {
    let imports: Vec<(String, wac_graph::types::ItemKind)> = graph.types()[world]
        .imports
        .iter()
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    for (name, kind) in imports {
        let bare = without_version(&name);
        if bare == "fermyon:spin/variables" {
            let denied = graph.import(DENIED_VARIABLES, kind)?;
            graph.set_instantiation_argument(provider, &name, denied)?;
        } else if CONFIGURATION_INTERFACES.contains(&bare) {
            bail!(
                "dependency `{key}` imports `{name}`, which carries the consumer's configuration: \
                 set dependencies_inherit_configuration = true to allow it"
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_keys_match_interfaces_packages_and_plain_names() {
        let import = "souk:test/greeter@0.1.0";
        for key in [
            "souk:test/greeter@0.1.0",
            "souk:test/greeter",
            "souk:test@0.1.0",
            "souk:test",
        ] {
            assert!(matches(key, import), "{key}");
        }
        for key in [
            "souk:test/other",
            "souk:other",
            "greeter",
            "souk:test@0.2.0",
        ] {
            assert!(!matches(key, import), "{key}");
        }
        assert!(matches("greeter", "greeter"));
    }

    #[test]
    fn two_keys_from_one_package_are_refused_as_spin_refuses_them() {
        let ok = [
            "souk:payment/gateway@0.1.0",
            "souk:shipping/carrier",
            "payment-vnpay",
            "payment-sepay",
        ];
        assert!(one_provider_per_package(ok).is_ok());
        for clash in [
            [
                "souk:providers/payment-vnpay@0.1.0",
                "souk:providers/payment-sepay@0.1.0",
            ],
            ["souk:providers/embeddings@0.1.0", "souk:providers@0.2.0"],
            ["souk:providers", "souk:providers/x"],
        ] {
            let e = one_provider_per_package(clash).unwrap_err().to_string();
            assert!(
                e.contains("package 'souk:providers' has already been registered"),
                "{e}"
            );
        }
    }
}

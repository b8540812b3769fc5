//! Souk's components import only what Spin 3.6 offers (SpinKube's shim pins Spin 3.6): its
//! `spin:up@3.6.0` platform world is WASI 0.2 up to 0.2.6, `fermyon:spin/*@2.0.0`,
//! `spin:postgres/postgres@4.0.0` (and older Spin interfaces Souk does not use), plus the
//! unversioned redis trigger's types-only interface. Imports that spin.toml fills with a
//! component dependency are satisfied in-process, so they are allowed too, and so are
//! instances that export only types (a provider package's `types` interface): wasmtime's
//! import matching skips type exports, so such an instance needs no definition (seen with
//! Spin 4.1; the rule is older than Spin 3.6's wasmtime).

mod common;

use common::*;
use wasmtime::component::Component;
use wasmtime::component::types::ComponentItem;
use wasmtime::{Config, Engine};

/// Every Souk component and provider, by crate name.
const COMPONENTS: &[&str] = &[
    "account",
    "analytic",
    "catalog",
    "chat",
    "common",
    "durable",
    "inventory",
    "order",
    "promotion",
    "embeddings-llm",
    "embeddings-openai",
    "payment-vnpay",
    "payment-sepay",
    "payment-none",
    "shipping-ghtk",
    "geocoding-nominatim",
    "rates-exchangerate",
];

/// The dependency keys spin.toml gives component `name` (none for a provider).
fn dependency_keys(name: &str) -> Vec<String> {
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(root().join("spin.toml")).unwrap()).unwrap();
    manifest["component"]
        .get(name)
        .and_then(|c| c.get("dependencies"))
        .and_then(toml::Value::as_table)
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

/// Whether a dependency keyed `key` fills `import`: the same plain name or interface (version
/// aside when the key has none), or any interface of the key's package.
fn fills(key: &str, import: &str) -> bool {
    let unversioned = import.split('@').next().unwrap_or(import);
    import == key
        || unversioned == key
        || (!key.contains('/')
            && unversioned.split('/').next() == Some(key.split('@').next().unwrap_or(key)))
}

/// Whether Spin 3.6 provides `import` (an interface name with its version).
fn spin_3_6_provides(import: &str) -> bool {
    let Some((name, version)) = import.rsplit_once('@') else {
        // The unversioned redis trigger world (Spin's `fermyon:spin` package without a
        // version): its types-only interface comes with the `inbound-redis` export.
        return import == "fermyon:spin/redis-types";
    };
    let wasi_0_2 = version
        .strip_prefix("0.2.")
        .and_then(|patch| patch.parse::<u32>().ok())
        .is_some_and(|patch| patch <= 6);
    match name.split_once('/').map(|(package, _)| package) {
        Some("wasi:cli" | "wasi:clocks" | "wasi:filesystem" | "wasi:io" | "wasi:random")
        | Some("wasi:sockets" | "wasi:http") => wasi_0_2,
        Some("fermyon:spin") => version == "2.0.0",
        Some("spin:postgres") => version == "4.0.0" || version == "3.0.0",
        _ => false,
    }
}

#[test]
fn every_component_imports_only_what_spin_3_6_offers() {
    let mut config = Config::new();
    config.wasm_component_model(true);
    let engine = Engine::new(&config).unwrap();
    let mut outside = Vec::new();
    for name in COMPONENTS {
        let component = Component::from_file(&engine, wasm(name)).unwrap();
        let keys = dependency_keys(name);
        for (import, item) in component.component_type().imports(&engine) {
            let types_only = match &item.ty {
                ComponentItem::ComponentInstance(i) => i
                    .exports(&engine)
                    .all(|(_, e)| matches!(e.ty, ComponentItem::Type(_))),
                _ => false,
            };
            let filled = keys.iter().any(|k| fills(k, import));
            if !spin_3_6_provides(import) && !types_only && !filled {
                outside.push(format!("{name}: {import}"));
            }
        }
    }
    assert!(outside.is_empty(), "imports Spin 3.6 lacks: {outside:#?}");
}

#[test]
fn the_check_knows_what_spin_3_6_lacks() {
    assert!(spin_3_6_provides("wasi:http/outgoing-handler@0.2.6"));
    assert!(!spin_3_6_provides("wasi:http/outgoing-handler@0.2.7"));
    assert!(!spin_3_6_provides("wasi:http/handler@0.3.0-rc-2026-01-06"));
    assert!(!spin_3_6_provides("spin:postgres/postgres@4.2.0"));
    assert!(!spin_3_6_provides("fermyon:spin/key-value@3.0.0"));
    assert!(spin_3_6_provides("fermyon:spin/llm@2.0.0"));
    assert!(spin_3_6_provides("fermyon:spin/redis-types"));
    assert!(!spin_3_6_provides("fermyon:spin/sqlite"));
    assert!(
        !spin_3_6_provides("souk:payment/gateway@0.1.0"),
        "only a dependency fills it"
    );
}

#[test]
fn a_dependency_key_fills_its_name_its_interface_or_its_package() {
    assert!(fills("payment-a", "payment-a"));
    assert!(!fills("payment-a", "payment-b"));
    assert!(fills(
        "souk:shipping/carrier@0.1.0",
        "souk:shipping/carrier@0.1.0"
    ));
    assert!(fills(
        "souk:shipping/carrier",
        "souk:shipping/carrier@0.1.0"
    ));
    assert!(!fills(
        "souk:shipping/carrier@0.1.0",
        "souk:shipping/types@0.1.0"
    ));
    assert!(fills("souk:shipping", "souk:shipping/types@0.1.0"));
}

/// Souk's `default` key-value store must not share the Redis keyspace the components use
/// through outbound Redis (locks, throttles, wake-up keys, all in database 0): get-keys lists a
/// whole database, and set overwrites any key in it. Spin, like souk-host, honours the
/// database a store's `redis://host:port/<db>` URL names.
#[test]
fn souks_key_value_store_has_a_redis_database_of_its_own() {
    let text = std::fs::read_to_string(root().join("runtime-config.toml")).unwrap();
    let config = souk_host::runtime_config::RuntimeConfig::parse(&text, &root()).unwrap();
    let Some(souk_host::runtime_config::KeyValueStoreConfig::Redis { url }) =
        config.key_value_stores.get("default")
    else {
        panic!("the default store is Redis-backed in runtime-config.toml");
    };
    let info: redis::ConnectionInfo = url.as_str().parse().unwrap();
    assert_ne!(
        info.redis.db, 0,
        "{url} shares database 0 with the app's own keys"
    );
}

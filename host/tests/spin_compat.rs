//! Souk's components import only what Spin 3.6 offers (SpinKube's shim pins Spin 3.6): its
//! `spin:up@3.6.0` platform world is WASI 0.2 up to 0.2.6, `fermyon:spin/*@2.0.0`,
//! `spin:postgres/postgres@4.0.0` (and older Spin interfaces Souk does not use), plus the
//! unversioned redis trigger's types-only interface. Provider interfaces (`souk:providers/*`)
//! are satisfied in-process by component dependencies, so they are allowed too.

mod common;

use common::*;
use wasmtime::component::Component;
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
];

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
        Some("souk:providers") => true,
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
        for (import, _) in component.component_type().imports(&engine) {
            if !spin_3_6_provides(import) {
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

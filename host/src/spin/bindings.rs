//! Host bindings for the Spin interfaces described in `host/wit`.
//!
//! Imports are generated `async` and `trappable`: each host call may await I/O, and returns
//! `wasmtime::Result<…>` so that host faults trap while expected failures travel to the guest
//! as the interface's own `error` variant.

wasmtime::component::bindgen!({
    path: "wit",
    world: "souk:host/platform",
    imports: { default: async | trappable },
    // Values compare in tests; no host logic depends on it.
    additional_derives: [PartialEq],
    with: {
        "fermyon:spin/key-value@2.0.0.store": crate::spin::key_value::OpenStore,
        "fermyon:spin/redis@2.0.0.connection": crate::spin::redis::OpenConnection,
        "spin:postgres/postgres@4.0.0.connection": crate::spin::postgres::PgConnection,
    },
});

/// The redis trigger's guest export (`fermyon:spin/inbound-redis`).
pub mod redis_trigger {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "fermyon:spin/redis-trigger",
        exports: { default: async },
    });
}

/// The cron plugin's guest export (`fermyon:spin-cron@2.0.0`).
pub mod cron_trigger {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "fermyon:spin-cron/spin-cron@2.0.0",
        exports: { default: async },
    });
}

//! The data of one store — one component instance serving one request or one message — and the
//! views that wasmtime's WASI crates read it through.

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::app::{App, LoadedComponent};
use crate::http_trigger::OutboundHttp;
use crate::log::{ComponentOutput, Stream};

/// Linear memory one instance may grow to. Souk's components need a few MiB; the cap stops a
/// runaway guest from taking the machine's memory with it.
pub const MAX_INSTANCE_MEMORY_BYTES: usize = 256 * 1024 * 1024;

/// Table elements one instance may hold (function references; the Rust guests use a few
/// hundred).
pub const MAX_TABLE_ELEMENTS: usize = 100_000;

/// Resources a guest may hold open at once in one store (streams, connections, fields…).
pub const MAX_RESOURCES: usize = 100_000;

/// Store data for one instance.
pub struct HostState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: OutboundHttp,
    pub(crate) table: ResourceTable,
    pub(crate) limits: StoreLimits,
    pub(crate) open_kv_stores: usize,
    pub(crate) open_redis_connections: usize,
    /// The component this instance runs.
    pub component: Arc<LoadedComponent>,
    /// The whole application, for service chaining and shared services.
    pub app: Arc<App>,
}

impl HostState {
    /// Builds the data of a new store for `component`, with its environment, files and output;
    /// `chaining` is whether its outbound HTTP may use service chaining.
    pub fn new(
        app: &Arc<App>,
        component: &Arc<LoadedComponent>,
        chaining: bool,
    ) -> anyhow::Result<Self> {
        let mut wasi = WasiCtx::builder();
        let id: Arc<str> = Arc::from(component.id.as_str());
        wasi.stdout(ComponentOutput::new(id.clone(), Stream::Stdout))
            .stderr(ComponentOutput::new(id, Stream::Stderr))
            .envs(&component.caps.environment)
            .allow_ip_name_lookup(false)
            // Components reach the network only through wasi:http and Spin's interfaces, each
            // checked against allowed_outbound_hosts; raw sockets stay closed.
            .socket_addr_check(|_, _| Box::pin(async { false }));
        for mount in &component.caps.files {
            wasi.preopened_dir(
                &mount.host_path,
                &mount.guest_path,
                wasmtime_wasi::FsPerms::ReadOnly,
            )?;
        }
        let mut table = ResourceTable::new();
        table.set_max_capacity(MAX_RESOURCES);
        Ok(HostState {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            hooks: OutboundHttp::new(app.clone(), component.clone(), chaining),
            table,
            limits: StoreLimitsBuilder::new()
                .memory_size(MAX_INSTANCE_MEMORY_BYTES)
                .table_elements(MAX_TABLE_ELEMENTS)
                .instances(64)
                .trap_on_grow_failure(false)
                .build(),
            open_kv_stores: 0,
            open_redis_connections: 0,
            component: component.clone(),
            app: app.clone(),
        })
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

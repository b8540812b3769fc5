//! Loading an application: every component is read, composed with its dependencies, compiled,
//! linked and pre-instantiated once at start-up, so that a request only creates a store and an
//! instance. Every start-up failure names the file, component or variable at fault.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine};
use wasmtime_wasi_http::p2::bindings::ProxyPre;

use crate::manifest::{self, Manifest, RouteDecl};
use crate::outbound::AllowedHosts;
use crate::routes::Router;
use crate::runtime_config::RuntimeConfig;
use crate::spin::bindings::cron_trigger::SpinCronPre;
use crate::spin::bindings::fermyon::spin2_0_0::variables::Error as VariableError;
use crate::spin::bindings::redis_trigger::RedisTriggerPre;
use crate::spin::{Services, bindings, key_value};
use crate::state::HostState;
use crate::variables::AppVariables;

/// How often the epoch ticks; a running guest is checked against its deadline this often.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// What `souk-host up` was asked to run.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// The manifest file.
    pub manifest: PathBuf,
    /// The runtime configuration file, when given.
    pub runtime_config: Option<PathBuf>,
    /// `--variable name=value` overrides.
    pub variables: BTreeMap<String, String>,
    /// `--env KEY=VALUE`: environment of every component.
    pub env: Vec<(String, String)>,
    /// The host process's environment (for `SPIN_VARIABLE_*`).
    pub process_env: HashMap<String, String>,
    /// Longest time one request or message may run.
    pub request_timeout: Duration,
    /// Largest request body a client may send, in bytes.
    pub max_request_body: u64,
}

/// A loaded application, shared by every request.
pub struct App {
    /// `[application] name`.
    pub name: String,
    /// The engine every component was compiled with.
    pub engine: Engine,
    /// Components by id.
    pub components: HashMap<String, Arc<LoadedComponent>>,
    /// Public HTTP routes.
    pub router: Router,
    /// Connections and stores shared by all components.
    pub services: Arc<Services>,
    /// Redis subscriptions: (address, channel, component id).
    pub redis_subscriptions: Vec<RedisSubscription>,
    /// Cron jobs.
    pub cron_jobs: Vec<CronJob>,
    /// Longest time one request or message may run.
    pub request_timeout: Duration,
    /// Largest request body a client may send, in bytes; larger ones are refused with 413.
    pub max_request_body: u64,
}

/// One `[[trigger.redis]]`.
#[derive(Clone, Debug)]
pub struct RedisSubscription {
    /// The server.
    pub address: String,
    /// The channel (or `__keyevent@…` notification channel).
    pub channel: String,
    /// The component handling each message.
    pub component: String,
}

/// One `[[trigger.cron]]`.
#[derive(Clone, Debug)]
pub struct CronJob {
    /// When it runs.
    pub schedule: crate::cron_trigger::Schedule,
    /// The component handling each tick.
    pub component: String,
}

/// A component ready to be instantiated.
pub struct LoadedComponent {
    /// Its id in the manifest.
    pub id: String,
    /// What it may reach and read.
    pub caps: Capabilities,
    /// Pre-instantiated for HTTP, when it exports `wasi:http/incoming-handler`.
    pub http: Option<ProxyPre<HostState>>,
    /// Pre-instantiated for the redis trigger, when it exports `inbound-redis`.
    pub redis: Option<RedisTriggerPre<HostState>>,
    /// Pre-instantiated for the cron trigger, when it exports `handle-cron-event`.
    pub cron: Option<SpinCronPre<HostState>>,
}

/// A component's configuration, resolved at start-up.
#[derive(Debug, Default)]
pub struct Capabilities {
    /// `allowed_outbound_hosts`, templates expanded.
    pub allowed_hosts: AllowedHosts,
    /// Component variables, templates expanded.
    pub variables: HashMap<String, String>,
    /// Key-value store labels it may open.
    pub key_value_stores: HashSet<String>,
    /// LLM models it may use.
    pub ai_models: Vec<String>,
    /// Guest environment variables.
    pub environment: Vec<(String, String)>,
    /// Read-only directories mounted into the guest.
    pub files: Vec<Mount>,
}

/// A host directory mounted read-only at a guest path.
#[derive(Clone, Debug)]
pub struct Mount {
    /// Directory on the host.
    pub host_path: PathBuf,
    /// Absolute guest path.
    pub guest_path: String,
}

impl LoadedComponent {
    /// Whether the component may reach `url` (`default_scheme` for scheme-less addresses).
    pub fn allows_outbound(&self, url: &str, default_scheme: &str) -> bool {
        self.caps.allowed_hosts.allows_url(url, default_scheme)
    }
}

/// Instances the pooling allocator keeps slots for; Spin's default. Each HTTP request holds one
/// (plus one per chained call it is waiting on).
const POOLED_INSTANCES: u32 = 1000;

/// Wasmtime's pooling allocator with Spin's settings: instance memories, tables and stacks are
/// reused from slots instead of mapped and unmapped for every request, which is most of what an
/// instance costs. Falls back to on-demand allocation where the address space is too small.
fn pooling() -> wasmtime::PoolingAllocationConfig {
    let mut pool = wasmtime::PoolingAllocationConfig::default();
    pool.total_component_instances(POOLED_INSTANCES)
        .total_memories(POOLED_INSTANCES)
        .total_tables(2 * POOLED_INSTANCES)
        .total_stacks(POOLED_INSTANCES)
        .total_core_instances(4 * POOLED_INSTANCES)
        .table_elements(100_000)
        .max_component_instance_size(10 * 1024 * 1024)
        .max_core_instance_size(10 * 1024 * 1024)
        .max_core_instances_per_component(200)
        .max_tables_per_component(64)
        .max_memories_per_component(32)
        .max_tables_per_module(2)
        .max_memories_per_module(2)
        .max_memory_size(4 << 30)
        .linear_memory_keep_resident(2 * 1024 * 1024)
        .table_keep_resident(512 * 1024);
    pool
}

/// Creates the engine: async host calls, epoch interruption for request deadlines, and the
/// pooling allocator where the machine allows it.
pub fn engine(cache_dir: &Path) -> anyhow::Result<Engine> {
    let mut config = Config::new();
    config.epoch_interruption(true);
    config.wasm_component_model(true);
    config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pooling()));
    let mut cache = wasmtime::CacheConfig::new();
    // wasmtime refuses a relative cache directory (an app started from its own folder with
    // `souk-host up` has `./.spin/…`), so it is made absolute against the working directory.
    let cache_dir = std::path::absolute(cache_dir).unwrap_or_else(|_| cache_dir.to_path_buf());
    cache.with_directory(&cache_dir);
    match wasmtime::Cache::new(cache) {
        Ok(cache) => {
            config.cache(Some(cache));
        }
        Err(err) => crate::host_log!("compilation cache disabled: {err:#}"),
    }
    let engine = match Engine::new(&config) {
        Ok(engine) => engine,
        Err(e) => {
            crate::host_log!("pooling allocator unavailable ({e:#}); allocating on demand");
            config.allocation_strategy(wasmtime::InstanceAllocationStrategy::OnDemand);
            Engine::new(&config)?
        }
    };
    let ticker = engine.weak();
    std::thread::Builder::new()
        .name("epoch-ticker".into())
        .spawn(move || {
            while let Some(engine) = ticker.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })?;
    Ok(engine)
}

/// Links WASI 0.2, wasi:http and Spin's interfaces.
fn linker(engine: &Engine) -> anyhow::Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    bindings::Platform::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)?;
    // The redis trigger's types-only interface: guests import it for its types alone.
    linker.instance("fermyon:spin/redis-types")?;
    linker.instance("fermyon:spin-cron/cron-types@2.0.0")?;
    // What a dependency without inherited configuration reads its variables from: nothing.
    // Spin's deny adapter answers `undefined` with the bare name.
    linker.instance(compose::DENIED_VARIABLES)?.func_wrap(
        "get",
        |_, (name,): (String,)| -> wasmtime::Result<(Result<String, VariableError>,)> {
            Ok((Err(VariableError::Undefined(name)),))
        },
    )?;
    Ok(linker)
}

impl App {
    /// Loads and checks everything `options` names.
    pub fn load(options: &LoadOptions) -> anyhow::Result<Arc<App>> {
        let manifest = Manifest::load(&options.manifest)?;
        let runtime = RuntimeConfig::load(options.runtime_config.as_deref(), &manifest.dir)?;
        let variables = AppVariables::resolve(&manifest, &options.variables, &options.process_env)?;
        let engine = engine(&manifest.dir.join(".spin").join("souk-host").join("cache"))?;
        let linker = linker(&engine)?;

        let mut components = HashMap::new();
        for (id, decl) in &manifest.components {
            let caps = capabilities(&manifest, id, decl, &variables, &runtime, &options.env)?;
            let component = compile(&engine, &manifest, id, decl)?;
            let pre = linker.instantiate_pre(&component).map_err(|e| {
                anyhow::anyhow!(
                    "component `{id}` needs an import this host does not provide: {e:#}"
                )
            })?;
            let loaded = LoadedComponent {
                id: id.clone(),
                caps,
                http: ProxyPre::new(pre.clone()).ok(),
                redis: RedisTriggerPre::new(pre.clone()).ok(),
                cron: SpinCronPre::new(pre).ok(),
            };
            components.insert(id.clone(), Arc::new(loaded));
        }

        let exports = |id: &str,
                       what: &str,
                       has: fn(&LoadedComponent) -> bool|
         -> anyhow::Result<()> {
            if !has(&components[id]) {
                bail!(
                    "component `{id}` is used by a {what} trigger but does not export its handler"
                );
            }
            Ok(())
        };
        let mut http_routes = Vec::new();
        for t in &manifest.triggers.http {
            exports(&t.component, "http", |c| c.http.is_some())?;
            if let RouteDecl::Pattern(p) = &t.route {
                http_routes.push((t.component.as_str(), p.as_str()));
            }
        }
        let router = Router::build(http_routes, |route, old, new| {
            crate::host_log!("warning: route {route} is given twice; `{new}` replaces `{old}`")
        })?;

        let mut redis_subscriptions = Vec::new();
        for t in &manifest.triggers.redis {
            exports(&t.component, "redis", |c| c.redis.is_some())?;
            let address = match (&t.address, &manifest.application.trigger.redis) {
                (Some(a), _) => a,
                (None, Some(app)) => &app.address,
                (None, None) => unreachable!("the manifest check requires an address"),
            };
            redis_subscriptions.push(RedisSubscription {
                address: variables.expand(address).context("redis trigger address")?,
                channel: variables
                    .expand(&t.channel)
                    .context("redis trigger channel")?,
                component: t.component.clone(),
            });
        }
        let mut cron_jobs = Vec::new();
        for t in &manifest.triggers.cron {
            exports(&t.component, "cron", |c| c.cron.is_some())?;
            cron_jobs.push(CronJob {
                schedule: crate::cron_trigger::Schedule::parse(&t.cron_expression)?,
                component: t.component.clone(),
            });
        }

        Ok(Arc::new(App {
            name: manifest.application.name.clone(),
            engine,
            components,
            router,
            services: Services::new(
                key_value::Stores::new(&runtime.key_value_stores),
                &manifest.dir,
            ),
            redis_subscriptions,
            cron_jobs,
            request_timeout: options.request_timeout,
            max_request_body: options.max_request_body,
        }))
    }
}

/// Reads a component's `.wasm` (saying what builds it when missing), composes its
/// dependencies in, and compiles it.
fn compile(
    engine: &Engine,
    m: &Manifest,
    id: &str,
    decl: &manifest::Component,
) -> anyhow::Result<Component> {
    let manifest::Source::Local(source) = &decl.source else {
        unreachable!("the manifest check refuses remote sources");
    };
    let path = m.path(source);
    let bytes = std::fs::read(&path).map_err(|e| {
        let build = decl
            .build
            .as_ref()
            .and_then(|b| b.get("command"))
            .and_then(|c| c.as_str())
            .map(|c| format!("; build it with `{c}`"))
            .unwrap_or_default();
        anyhow::anyhow!(
            "component `{id}`: cannot read {} ({e}){build}",
            path.display()
        )
    })?;
    let bytes = if decl.dependencies.is_empty() {
        bytes
    } else {
        compose::compose(m, id, bytes, &decl.dependencies)?
    };
    Component::new(engine, &bytes).map_err(|e| {
        anyhow::anyhow!(
            "component `{id}`: {} is not a valid component: {e:#}",
            path.display()
        )
    })
}

/// Resolves a component's variables, outbound hosts, stores, environment and files.
fn capabilities(
    m: &Manifest,
    id: &str,
    decl: &manifest::Component,
    vars: &AppVariables,
    runtime: &RuntimeConfig,
    extra_env: &[(String, String)],
) -> anyhow::Result<Capabilities> {
    let ctx = || format!("component `{id}`");
    let mut variables = HashMap::new();
    for (name, template) in &decl.variables {
        let value = vars
            .expand(template)
            .with_context(|| format!("{}: variable `{name}`", ctx()))?;
        variables.insert(name.clone(), value);
    }
    let hosts = decl
        .allowed_outbound_hosts
        .iter()
        .map(|h| vars.expand(h))
        .collect::<anyhow::Result<Vec<_>>>()
        .with_context(ctx)?;
    let allowed_hosts = AllowedHosts::parse(&hosts).with_context(ctx)?;
    for label in &decl.key_value_stores {
        if !runtime.key_value_stores.contains_key(label) {
            bail!("unknown key_value_stores label {label:?} for component {id:?}");
        }
    }
    let mut environment: Vec<(String, String)> = decl
        .environment
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    environment.extend(extra_env.iter().cloned());
    let files =
        crate::app::files::mounts(m, id, &decl.files, &decl.exclude_files).with_context(ctx)?;
    Ok(Capabilities {
        allowed_hosts,
        variables,
        key_value_stores: decl.key_value_stores.iter().cloned().collect(),
        ai_models: decl.ai_models.clone(),
        environment,
        files,
    })
}

pub mod compose;
pub mod files;

//! Starting the isolated stack a test binary runs against.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// How long the host may take to compile the components and answer its first request.
const STARTUP_LIMIT: Duration = Duration::from_secs(180);

/// A running stack: the host's base URL, its database and the secrets it was started with.
pub struct Stack {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// The fresh database the host uses.
    pub database_url: String,
    /// The test Redis.
    pub redis_url: String,
    /// `service_token` variable: authorises `/internal/...` calls.
    pub service_token: String,
    /// `admin_token` variable: authorises operator endpoints.
    pub admin_token: String,
    /// `jwt_signing_key` variable.
    pub jwt_signing_key: String,
    /// The host's log file.
    pub log_path: PathBuf,
    // Holding the watchdog's stdin open keeps the host alive; when the test process exits the
    // pipe closes and the watchdog stops the host, so no host outlives its tests.
    _watchdog: Child,
}

fn env(name: &str) -> anyhow::Result<String> {
    std::env::var(name)
        .with_context(|| format!("{name} is not set: run the tests with `scripts/test`"))
}

fn secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// `postgres://user@host:port/db` → (`host:port`, URL with the database replaced).
fn with_database(server_url: &str, database: &str) -> anyhow::Result<(String, String)> {
    let (scheme, rest) = server_url
        .split_once("://")
        .context("database URL has no scheme")?;
    let authority = rest.split('/').next().unwrap_or(rest);
    Ok((
        host_port(server_url),
        format!("{scheme}://{authority}/{database}"),
    ))
}

/// `scheme://[user@]host:port/…` → `host:port`.
fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, h)| h)
        .to_string()
}

impl Stack {
    fn start() -> anyhow::Result<Stack> {
        let server_url = env("SOUK_TEST_DATABASE_URL")?;
        let redis_url = env("SOUK_TEST_REDIS_URL")?;
        let host_bin = env("SOUK_HOST_BIN")?;
        let root = PathBuf::from(env("SOUK_ROOT")?);

        let database = format!(
            "souk_e2e_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let (db_host, database_url) = with_database(&server_url, &database)?;
        prepare_database(
            &server_url,
            &database,
            &database_url,
            &root.join("migrations"),
        )?;
        forget_login_failures(&redis_url)?;

        let work = root.join("target").join("e2e").join(&database);
        std::fs::create_dir_all(&work)?;
        let manifest = work.join("spin.toml");
        std::fs::write(&manifest, test_manifest(&root, &redis_url)?)?;
        let runtime_config = work.join("runtime-config.toml");
        std::fs::write(
            &runtime_config,
            format!("[key_value_store.default]\ntype = \"redis\"\nurl = \"{redis_url}\"\n"),
        )?;
        let log_path = work.join("host.log");
        let port = free_port()?;
        let (service_token, admin_token, jwt_signing_key) = (secret(), secret(), secret());

        // `exec 3<&0`: the watchdog reads its stdin (our pipe) and stops the host at EOF.
        let script = r#"log="$1"; shift; "$@" >"$log" 2>&1 & pid=$!; cat >/dev/null; kill -TERM "$pid" 2>/dev/null; wait "$pid""#;
        let watchdog = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg("watchdog")
            .arg(&log_path)
            .arg(&host_bin)
            .args(["up", "-f"])
            .arg(&manifest)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--runtime-config-file")
            .arg(&runtime_config)
            .env("SPIN_VARIABLE_DATABASE_URL", &database_url)
            .env("SPIN_VARIABLE_DATABASE_HOST", &db_host)
            .env("SPIN_VARIABLE_REDIS_URL", &redis_url)
            .env("SPIN_VARIABLE_REDIS_HOST", host_port(&redis_url))
            .env("SPIN_VARIABLE_SERVICE_TOKEN", &service_token)
            .env("SPIN_VARIABLE_ADMIN_TOKEN", &admin_token)
            .env("SPIN_VARIABLE_JWT_SIGNING_KEY", &jwt_signing_key)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting souk-host")?;
        let stack = Stack {
            base_url: format!("http://127.0.0.1:{port}"),
            database_url,
            redis_url,
            service_token,
            admin_token,
            jwt_signing_key,
            log_path,
            _watchdog: watchdog,
        };
        stack.wait_ready()?;
        Ok(stack)
    }

    fn wait_ready(&self) -> anyhow::Result<()> {
        let started = Instant::now();
        let addr = self.base_url.trim_start_matches("http://").to_string();
        loop {
            if std::net::TcpStream::connect(&addr).is_ok() {
                return Ok(());
            }
            if started.elapsed() > STARTUP_LIMIT {
                bail!(
                    "souk-host did not start within {}s; its log:\n{}",
                    STARTUP_LIMIT.as_secs(),
                    self.log()
                );
            }
            let log = self.log();
            if log.contains("souk-host:") && !log.contains("Serving") {
                bail!("souk-host failed to start:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The host's log so far (access lines, component output).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// A client for this stack.
    pub fn api(&self) -> crate::Api {
        crate::Api::new(&self.base_url)
    }

    /// A client for `module`'s internal routes, reached through service chaining and carrying
    /// the service token (`internal("inventory").post("/internal/reservations")`).
    pub fn internal(&self, module: &str) -> crate::Internal {
        crate::Internal::new(&self.base_url, module, &self.service_token)
    }

    /// An access token for `account`, signed with the stack's key as account would sign it.
    pub fn token_for(&self, account: uuid::Uuid) -> String {
        let claims = kit::auth::claims(account, uuid::Uuid::new_v4(), chrono::Utc::now(), 900);
        kit::auth::sign(&claims, self.jwt_signing_key.as_bytes())
    }

    /// A connection to the stack's database, for checks a test cannot make through the API.
    pub async fn db(&self) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(&self.database_url, tokio_postgres::NoTls)
            .await
            .expect("the test database accepts connections");
        tokio::spawn(conn);
        client
    }
}

/// Clears sign-in failure counters left in the test Redis by earlier runs: every test signs in
/// from 127.0.0.1, so old failures would count against this run's per-address limit.
fn forget_login_failures(redis_url: &str) -> anyhow::Result<()> {
    let client = redis::Client::open(redis_url).context("test Redis URL")?;
    let mut conn = client
        .get_connection()
        .with_context(|| format!("cannot reach the test Redis at {redis_url}"))?;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("souk:account:login-failures:*")
        .query(&mut conn)?;
    if !keys.is_empty() {
        redis::cmd("DEL").arg(keys).query::<()>(&mut conn)?;
    }
    Ok(())
}

/// Souk's `spin.toml`, unchanged but for absolute `source` paths and the test Redis as the
/// redis trigger's address, plus the test-only gateway
/// component that lets tests call `/internal/...` routes through service chaining, as modules do.
fn test_manifest(root: &Path, redis_url: &str) -> anyhow::Result<String> {
    let manifest = std::fs::read_to_string(root.join("spin.toml")).context("reading spin.toml")?;
    let absolute = manifest
        .replace("source = \"", &format!("source = \"{}/", root.display()))
        .replace(
            "address = \"redis://127.0.0.1:56379\"",
            &format!("address = \"{redis_url}\""),
        );
    let gateway = root.join("target/wasm32-wasip2/release/souk_test_gateway.wasm");
    if !gateway.exists() {
        bail!("{} is missing: run `scripts/build`", gateway.display());
    }
    Ok(format!(
        "{absolute}\n[[trigger.http]]\nroute = \"/__internal/...\"\ncomponent = \"test-gateway\"\n\n\
         [component.test-gateway]\nsource = \"{}\"\nallowed_outbound_hosts = [\"http://*.spin.internal\"]\n",
        gateway.display()
    ))
}

fn prepare_database(
    server_url: &str,
    database: &str,
    database_url: &str,
    migrations: &Path,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let (admin, conn) = tokio_postgres::connect(server_url, tokio_postgres::NoTls)
            .await
            .with_context(|| {
                format!("cannot reach the test PostgreSQL at {server_url}: run `scripts/test`")
            })?;
        let conn = tokio::spawn(conn);
        admin
            .batch_execute(&format!("CREATE DATABASE {database}"))
            .await?;
        drop(admin);
        let _ = conn.await;

        let (mut client, conn) =
            tokio_postgres::connect(database_url, tokio_postgres::NoTls).await?;
        let conn = tokio::spawn(conn);
        souk_migrate::up(&mut client, migrations)
            .await
            .context("applying migrations")?;
        drop(client);
        let _ = conn.await;
        anyhow::Ok(())
    })
}

static STACK: OnceLock<Result<Stack, String>> = OnceLock::new();

/// The stack of this test binary, started on first use. A stack that failed to start fails
/// every test with the same reason, without trying again.
pub fn stack() -> &'static Stack {
    let started = STACK.get_or_init(|| {
        // Started on a plain thread: tests run inside tokio runtimes, which must not block.
        match std::thread::spawn(Stack::start).join() {
            Ok(Ok(stack)) => Ok(stack),
            Ok(Err(e)) => {
                let _ = writeln!(std::io::stderr(), "cannot start the test stack: {e:#}");
                Err(format!("{e:#}"))
            }
            Err(_) => Err("starting the test stack panicked".into()),
        }
    });
    match started {
        Ok(stack) => stack,
        Err(e) => panic!("cannot start the test stack: {e}"),
    }
}

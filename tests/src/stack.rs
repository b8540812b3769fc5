//! Starting the isolated stack a test binary runs against.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// How long the runner may take to compile the components and answer its first request.
const STARTUP_LIMIT: Duration = Duration::from_secs(180);

/// What serves the stack: `souk-host`, or real Spin (`spin up`), chosen by `SOUK_E2E_RUNNER`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runner {
    /// `souk-host up`, the binary in `SOUK_HOST_BIN`.
    SoukHost,
    /// `spin up`, the binary in `SOUK_SPIN_BIN`.
    Spin,
}

impl Runner {
    /// The runner this test run uses: `SOUK_E2E_RUNNER=spin`, or souk-host.
    pub fn current() -> Runner {
        match std::env::var("SOUK_E2E_RUNNER").as_deref() {
            Ok("spin") => Runner::Spin,
            _ => Runner::SoukHost,
        }
    }

    fn binary(self) -> anyhow::Result<String> {
        match self {
            Runner::SoukHost => env("SOUK_HOST_BIN"),
            Runner::Spin => env("SOUK_SPIN_BIN"),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Runner::SoukHost => "souk-host",
            Runner::Spin => "spin",
        }
    }
}

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
    /// `jwt_signing_key` variable: the Ed25519 seed account signs access tokens with.
    pub jwt_signing_key: String,
    /// `jwt_verify_key` variable: its public key, which every module verifies with.
    pub jwt_verify_key: String,
    /// The host's log file.
    pub log_path: PathBuf,
    /// `options_encryption_key` variable: seals service options' secrets.
    pub options_key: String,
    /// The local sandbox the stack's providers talk to, and the credentials they share.
    pub sandbox_url: String,
    pub credentials: crate::sandbox::Credentials,
    db_host: String,
    manifest: PathBuf,
    runtime_config: PathBuf,
    runner: Runner,
    runner_bin: String,
    /// Where the current host's part of the log starts.
    log_mark: u64,
    // Holding the watchdog's stdin open keeps the host alive; when the test process exits the
    // pipe closes and the watchdog stops the host, so no host outlives its tests.
    watchdog: Option<Child>,
    /// Extra `SPIN_VARIABLE_*` settings of a private stack.
    extra_env: Vec<(String, String)>,
}

/// How a private stack differs from the shared one.
pub struct Variant {
    /// Rewrites the test manifest (e.g. plugs in another provider).
    pub manifest: Box<dyn Fn(String) -> String + Send>,
    /// Extra environment for the host (`SPIN_VARIABLE_…`).
    pub env: Vec<(String, String)>,
}

impl Default for Variant {
    fn default() -> Variant {
        Variant {
            manifest: Box::new(|m| m),
            env: Vec::new(),
        }
    }
}

/// Fault points of the test-only `lab` workflows (see `tests/components/lab`): `faulty` fails
/// once at every boundary of each of its steps, `saga_faulty` in the middle of its rollback.
const LAB_FAULTS: &str = "faulty:before:debit,faulty:before-commit:debit,faulty:after:debit,\
faulty:before:stock,faulty:before-commit:stock,faulty:after:stock,\
faulty:before:credit,faulty:before-commit:credit,faulty:after:credit,\
saga_faulty:before:undo:b,saga_faulty:before-commit:undo:b,saga_faulty:after:undo:c";

/// Copies the module directories of a migrations tree into `to` (created as needed).
fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    for module in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let module = module?;
        if !module.file_type()?.is_dir() {
            continue;
        }
        let target = to.join(module.file_name());
        std::fs::create_dir_all(&target)?;
        for file in std::fs::read_dir(module.path())? {
            let file = file?;
            std::fs::copy(file.path(), target.join(file.file_name()))?;
        }
    }
    Ok(())
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
    fn start(variant: Variant) -> anyhow::Result<Stack> {
        let server_url = env("SOUK_TEST_DATABASE_URL")?;
        let redis_url = env("SOUK_TEST_REDIS_URL")?;
        let runner = Runner::current();
        let runner_bin = runner.binary()?;
        let root = PathBuf::from(env("SOUK_ROOT")?);

        let database = format!(
            "souk_e2e_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let (db_host, database_url) = with_database(&server_url, &database)?;
        let work = root.join("target").join("e2e").join(&database);
        std::fs::create_dir_all(&work)?;
        let migrations = work.join("migrations");
        for dir in [
            root.join("migrations"),
            root.join("tests").join("migrations"),
        ] {
            copy_tree(&dir, &migrations)?;
        }
        prepare_database(&server_url, &database, &database_url, &migrations)?;

        let manifest = work.join("spin.toml");
        // The embeddings model is looked up next to the manifest, as Spin does.
        std::fs::create_dir_all(work.join(".spin"))?;
        let models = work.join(".spin").join("ai-models");
        if !models.exists() {
            std::os::unix::fs::symlink(root.join(".spin").join("ai-models"), &models)
                .context("linking the embeddings model into the test app")?;
        }
        std::fs::write(
            &manifest,
            (variant.manifest)(test_manifest(&root, &redis_url)?),
        )?;
        // The `default` store gets a Redis database of its own (1), as in runtime-config.toml:
        // a component granted only the store must not list or overwrite the app's keys in 0.
        let runtime_config = work.join("runtime-config.toml");
        std::fs::write(
            &runtime_config,
            format!("[key_value_store.default]\ntype = \"redis\"\nurl = \"{redis_url}/1\"\n"),
        )?;
        let log_path = work.join("host.log");
        let port = free_port()?;
        let credentials = crate::sandbox::Credentials::new(secret);
        let sandbox_url = crate::sandbox::start(&format!("http://127.0.0.1:{port}"), &credentials)?;
        let (service_token, admin_token, jwt_signing_key) = (secret(), secret(), secret());
        // 64 hex characters: a valid Ed25519 seed.
        let jwt_verify_key = kit::auth::SigningKey::from_hex("jwt_signing_key", &jwt_signing_key)
            .map_err(|e| anyhow::anyhow!("the test signing key: {e}"))?
            .verify_key()
            .to_hex();

        let mut stack = Stack {
            base_url: format!("http://127.0.0.1:{port}"),
            database_url,
            db_host,
            redis_url,
            service_token,
            admin_token,
            jwt_signing_key,
            jwt_verify_key,
            manifest,
            runtime_config,
            runner,
            runner_bin,
            log_path,
            options_key: secret(),
            sandbox_url,
            credentials,
            log_mark: 0,
            extra_env: variant.env,
            watchdog: None,
        };
        stack.spawn_host()?;
        stack.wait_ready()?;
        Ok(stack)
    }

    /// Starts the runner on the stack's port, watched so that it stops when the tests end.
    fn spawn_host(&mut self) -> anyhow::Result<()> {
        let listen = self.base_url.trim_start_matches("http://").to_string();
        // The watchdog runs the runner in a process group of its own (Spin runs each trigger
        // in a child process), stops the whole group when its stdin (our pipe) closes, and
        // notes in the log when the runner ends by itself, so a failed start is seen at once.
        let script = r#"log="$1"; shift; set -m; "$@" >>"$log" 2>&1 & pid=$!
(cat >/dev/null; kill -TERM -- "-$pid" 2>/dev/null) &
wait "$pid"; echo "souk-e2e: the runner exited with status $?" >>"$log"
kill -TERM -- "-$pid" 2>/dev/null; wait"#;
        let watchdog = Command::new("bash")
            .arg("-c")
            .arg(script)
            .arg("watchdog")
            .arg(&self.log_path)
            .arg(&self.runner_bin)
            .args(["up", "-f"])
            .arg(&self.manifest)
            .arg("--listen")
            .arg(&listen)
            .arg("--runtime-config-file")
            .arg(&self.runtime_config)
            .env("SPIN_VARIABLE_DATABASE_URL", &self.database_url)
            .env("SPIN_VARIABLE_DATABASE_HOST", &self.db_host)
            .env("SPIN_VARIABLE_REDIS_URL", &self.redis_url)
            .env("SPIN_VARIABLE_REDIS_HOST", host_port(&self.redis_url))
            .env("SPIN_VARIABLE_SERVICE_TOKEN", &self.service_token)
            .env("SPIN_VARIABLE_ADMIN_TOKEN", &self.admin_token)
            .env("SPIN_VARIABLE_OPTIONS_ENCRYPTION_KEY", &self.options_key)
            .env("SPIN_VARIABLE_JWT_SIGNING_KEY", &self.jwt_signing_key)
            .env("SPIN_VARIABLE_JWT_VERIFY_KEY", &self.jwt_verify_key)
            .env("SPIN_VARIABLE_APP_HOST", &listen)
            .env(
                "SPIN_VARIABLE_WORKFLOW_MODULES",
                "lab,promotion,common,order",
            )
            .env("SPIN_VARIABLE_DURABLE_FAULTS", LAB_FAULTS)
            // Every test registers its accounts from 127.0.0.1; the limit's own tests run on a
            // private stack, behind a trusted proxy, each from an address of its own.
            .env(
                "SPIN_VARIABLE_REGISTRATIONS_PER_ADDRESS_PER_HOUR",
                "1000000",
            )
            .envs(crate::sandbox::variables(
                &self.sandbox_url,
                &self.credentials,
            ))
            .envs(self.extra_env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", self.runner.name()))?;
        self.watchdog = Some(watchdog);
        self.wait_ready()
    }

    /// Stops the host and starts it again on the same port, database and Redis, as a restart
    /// in production would; returns once it serves again.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        if let Some(mut watchdog) = self.watchdog.take() {
            drop(watchdog.stdin.take());
            watchdog.wait().context("waiting for the host to stop")?;
        }
        let addr = self.base_url.trim_start_matches("http://").to_string();
        let started = Instant::now();
        while std::net::TcpStream::connect(&addr).is_ok() {
            if started.elapsed() > Duration::from_secs(10) {
                bail!("the host still listens 10 s after it was told to stop");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let mark = std::fs::metadata(&self.log_path).map_or(0, |m| m.len());
        self.log_mark = mark;
        self.spawn_host()
    }

    /// A stack of its own, for tests that restart the host (the shared [`stack`] must never
    /// stop under other tests).
    pub fn private() -> anyhow::Result<Stack> {
        Stack::private_with(Variant::default())
    }

    /// A stack of its own with a different configuration.
    pub fn private_with(variant: Variant) -> anyhow::Result<Stack> {
        std::thread::spawn(move || Stack::start(variant))
            .join()
            .map_err(|_| anyhow::anyhow!("starting a private stack panicked"))?
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
                    "{} did not start within {}s; its log:\n{}",
                    self.runner.name(),
                    STARTUP_LIMIT.as_secs(),
                    self.log()
                );
            }
            let log = self.log();
            let log = log.get(self.log_mark as usize..).unwrap_or_default();
            if log.contains("souk-e2e: the runner exited") {
                bail!("{} failed to start:\n{log}", self.runner.name());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The runner's log so far (souk-host: access lines and component output; Spin: its own
    /// output, then each component's, which Spin writes to `.spin/logs/` beside the manifest).
    pub fn log(&self) -> String {
        let mut log = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let logs = self.manifest.with_file_name(".spin").join("logs");
        if let Ok(files) = std::fs::read_dir(logs) {
            for file in files.flatten() {
                let text = std::fs::read_to_string(file.path()).unwrap_or_default();
                log.push_str(&format!(
                    "\n--- {} ---\n{text}",
                    file.file_name().to_string_lossy()
                ));
            }
        }
        log
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

    /// Registers a new account in `country` through the API: its id and access token.
    pub async fn register(&self, country: &str) -> (uuid::Uuid, String) {
        let username = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let reply = self
            .api()
            .post("/api/v1/account/auth/register")
            .json(serde_json::json!({
                "username": username, "password": "correct horse", "country": country,
            }))
            .send()
            .await;
        reply.assert_status(201);
        (
            reply["account"]["id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("an account id"),
            reply["access_token"]
                .as_str()
                .expect("an access token")
                .to_string(),
        )
    }

    /// An access token for `account`, signed with the stack's key as account would sign it.
    pub fn token_for(&self, account: uuid::Uuid) -> String {
        let claims = kit::auth::claims(account, uuid::Uuid::new_v4(), chrono::Utc::now(), 900);
        // The stack made the key, so it is one.
        let key = kit::auth::SigningKey::from_hex("jwt_signing_key", &self.jwt_signing_key)
            .expect("the stack's signing key is 64 hex characters");
        kit::auth::sign(&claims, &key)
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
/// redis trigger's address, plus two test-only components: the gateway that lets tests call
/// `/internal/...` routes through service chaining, as modules do, and `lab`, whose small
/// workflows exercise the durable layer.
fn test_manifest(root: &Path, redis_url: &str) -> anyhow::Result<String> {
    let manifest = std::fs::read_to_string(root.join("spin.toml")).context("reading spin.toml")?;
    let absolute = manifest
        .replace(
            "\nsource = \"",
            &format!("\nsource = \"{}/", root.display()),
        )
        .replace("{ path = \"", &format!("{{ path = \"{}/", root.display()))
        .replace(
            "address = \"redis://127.0.0.1:56379\"",
            &format!("address = \"{redis_url}\""),
        );
    let release = root.join("target/wasm32-wasip2/release");
    for name in ["souk_test_gateway.wasm", "souk_test_lab.wasm"] {
        if !release.join(name).exists() {
            bail!(
                "{} is missing: run `scripts/build`",
                release.join(name).display()
            );
        }
    }
    let extras = std::fs::read_to_string(root.join("tests/test-components.toml"))
        .context("reading tests/test-components.toml")?;
    Ok(format!(
        "{absolute}\n{}",
        extras.replace("@RELEASE@", &release.display().to_string())
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
        // Only the shared stack forgets old counters: a private stack starting later shares the
        // Redis, and would wipe the counts of tests running meanwhile.
        let start = || {
            forget_login_failures(&env("SOUK_TEST_REDIS_URL")?)?;
            Stack::start(Variant::default())
        };
        match std::thread::spawn(start).join() {
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

//! Runs the real `souk-host` binary on a manifest written for the test, against the guest test
//! components built by `scripts/build`, and reads its log.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the harness"
)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ is inside the workspace")
        .to_path_buf()
}

/// A built test component; fails with what to run when it is missing.
pub fn wasm(crate_name: &str) -> String {
    let path = root()
        .join("target/wasm32-wasip2/release")
        .join(format!("{}.wasm", crate_name.replace('-', "_")));
    assert!(
        path.exists(),
        "{} is missing: run `scripts/build` (or `scripts/test`)",
        path.display()
    );
    path.display().to_string()
}

/// The test PostgreSQL server (admin URL).
pub fn database_url() -> String {
    std::env::var("SOUK_TEST_DATABASE_URL")
        .expect("SOUK_TEST_DATABASE_URL is not set: run `scripts/test`")
}

/// The test Redis.
pub fn redis_url() -> String {
    std::env::var("SOUK_TEST_REDIS_URL")
        .expect("SOUK_TEST_REDIS_URL is not set: run `scripts/test`")
}

/// `host:port` of a URL.
pub fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, h)| h)
        .to_string()
}

/// A directory for one test's manifest and files.
pub fn workdir(name: &str) -> PathBuf {
    let dir = root()
        .join("target/host-tests")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating the test directory");
    dir
}

/// A free TCP port on loopback, never one handed to another test of this binary: the port is
/// released before the host binds it, and the system may offer it again meanwhile.
pub fn free_port() -> u16 {
    static GIVEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// A running host.
pub struct Host {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    log: Arc<Mutex<String>>,
}

fn collect(stream: impl std::io::Read + Send + 'static, log: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            let mut log = log.lock().unwrap();
            log.push_str(&line);
            log.push('\n');
        }
    });
}

/// Starts `souk-host up` on `dir/spin.toml` with extra arguments and environment.
pub fn start(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Host {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_souk-host"))
        .arg("up")
        .arg("-f")
        .arg(dir.join("spin.toml"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting souk-host");
    let log = Arc::new(Mutex::new(String::new()));
    collect(child.stdout.take().unwrap(), log.clone());
    collect(child.stderr.take().unwrap(), log.clone());
    let host = Host {
        child,
        base: format!("http://127.0.0.1:{port}"),
        log,
    };
    // Ready when it says it serves on its port: a connection alone could reach some other
    // server that briefly held the port while this host was still loading its components.
    let serving = format!("Serving http://127.0.0.1:{port}");
    let started = Instant::now();
    while !host.log().contains(&serving) {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "souk-host did not start:\n{}",
            host.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    host
}

/// Runs `souk-host up` expecting it to fail at start-up; returns its stderr.
pub fn fails(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_souk-host"))
        .arg("up")
        .arg("-f")
        .arg(dir.join("spin.toml"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("running souk-host");
    assert!(
        !output.status.success(),
        "souk-host started but should have failed"
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

impl Host {
    /// Everything the host printed so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the log contains `text` (bounded), returning whether it did.
    pub fn wait_for_log(&self, text: &str, within: Duration) -> bool {
        let started = Instant::now();
        while started.elapsed() < within {
            if self.log().contains(text) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// Sends SIGTERM and waits for the exit (bounded); returns whether it exited cleanly.
    pub fn terminate(mut self) -> bool {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(15) {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// GET returning (status, JSON body).
pub async fn get(url: &str) -> (u16, serde_json::Value) {
    let resp = reqwest::get(url)
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(serde_json::Value::Null))
}

/// POST JSON returning (status, JSON body).
pub async fn post(url: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let resp = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(serde_json::Value::Null))
}

/// A one-shot HTTP server on loopback answering `200 hello` to every request; returns its port.
pub fn tiny_http_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            let mut stream = stream;
            let mut buf = [0u8; 4096];
            let _ = std::io::Read::read(&mut stream, &mut buf);
            let _ = std::io::Write::write_all(
                &mut stream,
                b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello",
            );
        }
    });
    port
}

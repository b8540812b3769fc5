//! The command line: `souk-host up`, shaped like `spin up`.
//!
//! ```text
//! souk-host up [-f spin.toml|DIR] [--listen 127.0.0.1:3000]
//!              [--runtime-config-file runtime-config.toml]
//!              [--env KEY=VALUE]... [--variable NAME=VALUE]... [--request-timeout SECS]
//!              [--max-request-body BYTES]
//! ```

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::app::{App, LoadOptions};
use crate::host_log;

const USAGE: &str = "usage: souk-host up [-f spin.toml|DIR] [--listen ADDR] \
    [--runtime-config-file FILE] [--env KEY=VALUE]... [--variable NAME=VALUE]... \
    [--request-timeout SECS] [--max-request-body BYTES]";

/// Default listen address, as `spin up`'s.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:3000";

/// Default limit on one request's run time.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Default limit on a request body: 16 MiB, far above the largest body a Souk endpoint reads
/// (1 MiB), so the application's own 413 is what clients see under souk-host and Spin alike,
/// and far below an instance's memory, which a body read whole would otherwise exhaust.
pub const DEFAULT_MAX_REQUEST_BODY: u64 = 16 * 1024 * 1024;

/// Sets the request-body limit when `--max-request-body` is not given.
pub const MAX_REQUEST_BODY_ENV: &str = "SOUK_HOST_MAX_REQUEST_BODY";

/// Parsed `up` arguments.
#[derive(Debug, PartialEq)]
pub struct UpArgs {
    /// Manifest file or directory.
    pub manifest: PathBuf,
    /// Listen address.
    pub listen: SocketAddr,
    /// Runtime configuration file.
    pub runtime_config: Option<PathBuf>,
    /// `--env`.
    pub env: Vec<(String, String)>,
    /// `--variable`.
    pub variables: BTreeMap<String, String>,
    /// `--request-timeout`.
    pub request_timeout: Duration,
    /// `--max-request-body`, else `SOUK_HOST_MAX_REQUEST_BODY`, else the default.
    pub max_request_body: u64,
}

fn key_value(flag: &str, text: &str) -> anyhow::Result<(String, String)> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => bail!("{flag} takes KEY=VALUE, got `{text}`"),
    }
}

fn body_limit(source: &str, text: &str) -> anyhow::Result<u64> {
    text.trim()
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .with_context(|| format!("{source} `{text}` must be a positive number of bytes"))
}

/// Parses the arguments after `up`; `env_body_limit` is `SOUK_HOST_MAX_REQUEST_BODY`'s value.
pub fn parse_up(args: &[String], env_body_limit: Option<&str>) -> anyhow::Result<UpArgs> {
    let max_request_body = match env_body_limit {
        Some(v) => body_limit(MAX_REQUEST_BODY_ENV, v)?,
        None => DEFAULT_MAX_REQUEST_BODY,
    };
    let mut up = UpArgs {
        manifest: PathBuf::from("spin.toml"),
        listen: DEFAULT_LISTEN.parse().context("default listen address")?,
        runtime_config: None,
        env: Vec::new(),
        variables: BTreeMap::new(),
        request_timeout: DEFAULT_REQUEST_TIMEOUT,
        max_request_body,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let (flag, inline) = match flag.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (flag.as_str(), None),
        };
        let mut value = || -> anyhow::Result<String> {
            match &inline {
                Some(v) => Ok(v.clone()),
                None => it
                    .next()
                    .cloned()
                    .with_context(|| format!("{flag} needs a value\n{USAGE}")),
            }
        };
        match flag {
            "-f" | "--from" | "--file" => up.manifest = PathBuf::from(value()?),
            "--listen" => {
                let v = value()?;
                up.listen = v.parse().with_context(|| {
                    format!("--listen `{v}` is not an address like 127.0.0.1:3000")
                })?;
            }
            "--runtime-config-file" => up.runtime_config = Some(PathBuf::from(value()?)),
            "-e" | "--env" => up.env.push(key_value("--env", &value()?)?),
            "--variable" => {
                let (k, v) = key_value("--variable", &value()?)?;
                up.variables.insert(k, v);
            }
            "--request-timeout" => {
                let v = value()?;
                let secs: u64 = v.parse().ok().filter(|s| *s > 0).with_context(|| {
                    format!("--request-timeout `{v}` must be a positive number of seconds")
                })?;
                up.request_timeout = Duration::from_secs(secs);
            }
            "--max-request-body" => {
                up.max_request_body = body_limit("--max-request-body", &value()?)?;
            }
            other => bail!("unknown argument `{other}`\n{USAGE}"),
        }
    }
    if up.manifest.is_dir() {
        up.manifest = up.manifest.join("spin.toml");
    }
    Ok(up)
}

/// Runs the command line (without the program name).
pub fn main(args: Vec<String>) -> anyhow::Result<()> {
    match args.first().map(String::as_str) {
        Some("up") => {
            let env_limit = std::env::var(MAX_REQUEST_BODY_ENV).ok();
            up(parse_up(&args[1..], env_limit.as_deref())?)
        }
        Some("-h" | "--help" | "help") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown command `{other}`\n{USAGE}"),
    }
}

fn up(args: UpArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let options = LoadOptions {
            manifest: args.manifest.clone(),
            runtime_config: args.runtime_config.clone(),
            variables: args.variables.clone(),
            env: args.env.clone(),
            process_env: std::env::vars().collect(),
            request_timeout: args.request_timeout,
            max_request_body: args.max_request_body,
        };
        let app = tokio::task::spawn_blocking(move || App::load(&options)).await??;
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {}: is another server using it?",
                    args.listen
                )
            })?;
        let listen = listener.local_addr()?;
        println!("Serving http://{listen}");
        println!("Available Routes:");
        for route in app.router.routes() {
            println!("  {}: http://{listen}{}", route.component, route.raw);
        }
        crate::redis_trigger::start(&app);
        crate::cron_trigger::start(&app);
        host_log!("{} ready", app.name);
        crate::http_trigger::serve(app, listener, shutdown_signal()).await
    })
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    host_log!("cannot watch SIGTERM: {e}");
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn up_takes_spin_ups_flags() {
        let up = parse_up(
            &args(
                "-f app.toml --listen 127.0.0.1:4000 --runtime-config-file rc.toml \
             --env A=1 --env B=x=y --variable token=t",
            ),
            None,
        )
        .unwrap();
        assert_eq!(up.manifest, PathBuf::from("app.toml"));
        assert_eq!(up.listen, "127.0.0.1:4000".parse().unwrap());
        assert_eq!(up.runtime_config, Some(PathBuf::from("rc.toml")));
        assert_eq!(
            up.env,
            vec![("A".into(), "1".into()), ("B".into(), "x=y".into())]
        );
        assert_eq!(up.variables["token"], "t");
    }

    #[test]
    fn defaults_match_spin_up() {
        let up = parse_up(&[], None).unwrap();
        assert_eq!(up.manifest, PathBuf::from("spin.toml"));
        assert_eq!(up.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(up.max_request_body, DEFAULT_MAX_REQUEST_BODY);
    }

    #[test]
    fn the_body_limit_comes_from_the_flag_then_the_environment() {
        let from_env = parse_up(&[], Some("1000")).unwrap();
        assert_eq!(from_env.max_request_body, 1000);
        let from_flag = parse_up(&args("--max-request-body 2000"), Some("1000")).unwrap();
        assert_eq!(from_flag.max_request_body, 2000);
        for bad in ["0", "-1", "16MiB", ""] {
            assert!(parse_up(&[], Some(bad)).is_err(), "{bad}");
        }
        assert!(parse_up(&args("--max-request-body 0"), None).is_err());
    }

    #[test]
    fn bad_arguments_are_refused_with_a_reason() {
        assert!(
            parse_up(&args("--listen nowhere"), None)
                .unwrap_err()
                .to_string()
                .contains("--listen")
        );
        assert!(parse_up(&args("--env NOEQUALS"), None).is_err());
        assert!(
            parse_up(&args("--bogus"), None)
                .unwrap_err()
                .to_string()
                .contains("unknown argument")
        );
        assert!(parse_up(&args("-f"), None).is_err());
    }
}

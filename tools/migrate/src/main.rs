//! `souk-migrate [--database-url URL] [--dir migrations] <up|down|status> [--module M]`
//!
//! The kit features' templates are embedded in the binary: it needs only the migrations tree.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use souk_migrate::State;

const USAGE: &str =
    "usage: souk-migrate [--database-url URL] [--dir migrations] <up|down|status> [--module M]
  up      apply pending migrations: each module's own, then its kit features' (kit.features)
  down    roll back the newest applied migration (of module M and its features, or of M.feature)
  status  list every migration, kit features' included";

/// The URL without its password, for messages.
fn redacted(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, rest)), Some(_)) => {
            let (userinfo, host) = rest.rsplit_once('@').unwrap_or(("", rest));
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}@{host}")
        }
        _ => url.to_string(),
    }
}

async fn run(args: Vec<String>) -> anyhow::Result<()> {
    let mut url = std::env::var("DATABASE_URL").ok();
    let mut dir = PathBuf::from("migrations");
    let mut module = None;
    let mut command = None;
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--database-url" => url = Some(it.next().context("--database-url needs a value")?),
            "--dir" => dir = PathBuf::from(it.next().context("--dir needs a value")?),
            "--module" => module = Some(it.next().context("--module needs a value")?),
            "up" | "down" | "status" if command.is_none() => command = Some(arg),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => bail!("unexpected argument `{other}`\n{USAGE}"),
        }
    }
    let command = command.with_context(|| format!("no command given\n{USAGE}"))?;
    let url = url.with_context(|| {
        format!("no database: pass --database-url or set DATABASE_URL\n{USAGE}")
    })?;
    let (mut client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .with_context(|| {
            format!(
                "cannot connect to {} (is PostgreSQL running? `scripts/services start`)",
                redacted(&url)
            )
        })?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            eprintln!("souk-migrate: connection error: {e}");
        }
    });
    match command.as_str() {
        "up" => {
            let report = souk_migrate::up(&mut client, &dir).await?;
            for m in &report.superseded {
                println!(
                    "recorded the new checksum of {m}.up.sql: \
                     it supersedes the text that was applied"
                );
            }
            for m in &report.applied {
                println!("applied {m}");
            }
            if report.applied.is_empty() {
                println!("nothing to apply: the database is up to date");
            }
        }
        "down" => match souk_migrate::down(&mut client, &dir, module.as_deref()).await? {
            Some(m) => println!("rolled back {m}"),
            None => println!("nothing to roll back"),
        },
        _ => {
            for (m, state) in souk_migrate::status(&mut client, &dir).await? {
                let (word, note) = match state {
                    State::Pending => ("pending", ""),
                    State::Applied => ("applied", ""),
                    State::Superseded => (
                        "applied",
                        " (a superseded text: `up` records the new checksum)",
                    ),
                    State::Edited => ("applied", " (edited since: `up` refuses to run)"),
                };
                println!("{word} {m}{note}");
            }
        }
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("souk-migrate: {e:#}");
            ExitCode::FAILURE
        }
    }
}

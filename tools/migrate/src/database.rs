//! The commands that talk to PostgreSQL. Applied migrations are recorded in
//! `public.souk_migrations` with a SHA-256 checksum; each file runs in its own transaction
//! together with its record, under an advisory lock so two runners never interleave.

use std::path::Path;

use anyhow::Context;

use crate::files::{Migration, discover};
use crate::plan::{Applied, plan};

/// Key of the advisory lock that serialises runners (any fixed number unique to Souk).
const LOCK_KEY: i64 = 0x50_55_4b_4d_49_47;

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS public.souk_migrations (
    module text NOT NULL,
    version integer NOT NULL,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (module, version)
)";

async fn applied(client: &tokio_postgres::Client) -> anyhow::Result<Vec<Applied>> {
    let rows = client
        .query("SELECT module, version, name, checksum FROM public.souk_migrations ORDER BY applied_at, module, version", &[])
        .await
        .context("reading public.souk_migrations")?;
    Ok(rows
        .iter()
        .map(|r| Applied {
            module: r.get(0),
            version: r.get(1),
            name: r.get(2),
            checksum: r.get(3),
        })
        .collect())
}

async fn locked<T>(
    client: &mut tokio_postgres::Client,
    work: impl AsyncFnOnce(&mut tokio_postgres::Client) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    client
        .batch_execute(CREATE_TABLE)
        .await
        .context("creating public.souk_migrations")?;
    client
        .execute("SELECT pg_advisory_lock($1)", &[&LOCK_KEY])
        .await
        .context("taking the migration lock")?;
    let result = work(client).await;
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY])
        .await
        .context("releasing the migration lock")?;
    result
}

/// Applies every pending migration under `dir`; returns what it applied.
pub async fn up(client: &mut tokio_postgres::Client, dir: &Path) -> anyhow::Result<Vec<Migration>> {
    let files = discover(dir)?;
    locked(client, async move |client| {
        let done = applied(client).await?;
        let pending: Vec<Migration> = plan(&files, &done)?.into_iter().cloned().collect();
        for m in &pending {
            let tx = client.transaction().await?;
            tx.batch_execute(&m.up)
                .await
                .with_context(|| format!("migration {}/{:04}_{} failed", m.module, m.version, m.name))?;
            tx.execute(
                "INSERT INTO public.souk_migrations (module, version, name, checksum) VALUES ($1, $2, $3, $4)",
                &[&m.module, &m.version, &m.name, &m.checksum],
            )
            .await?;
            tx.commit().await.with_context(|| format!("committing {}/{:04}_{}", m.module, m.version, m.name))?;
        }
        Ok(pending)
    })
    .await
}

/// Rolls back the most recently applied migration (of `module`, when given); returns it, or
/// `None` when nothing is applied.
pub async fn down(
    client: &mut tokio_postgres::Client,
    dir: &Path,
    module: Option<&str>,
) -> anyhow::Result<Option<Migration>> {
    let files = discover(dir)?;
    locked(client, async move |client| {
        let done = applied(client).await?;
        let Some(last) = done
            .iter()
            .rev()
            .find(|a| module.is_none_or(|m| a.module == m))
        else {
            return Ok(None);
        };
        let file = files
            .iter()
            .find(|m| m.module == last.module && m.version == last.version)
            .with_context(|| {
                format!(
                    "no file for applied migration {}/{:04}_{}",
                    last.module, last.version, last.name
                )
            })?
            .clone();
        let tx = client.transaction().await?;
        tx.batch_execute(&file.down).await.with_context(|| {
            format!(
                "rolling back {}/{:04}_{}",
                file.module, file.version, file.name
            )
        })?;
        tx.execute(
            "DELETE FROM public.souk_migrations WHERE module = $1 AND version = $2",
            &[&file.module, &file.version],
        )
        .await?;
        tx.commit().await?;
        Ok(Some(file))
    })
    .await
}

/// Every migration file with whether it is applied.
pub async fn status(
    client: &mut tokio_postgres::Client,
    dir: &Path,
) -> anyhow::Result<Vec<(Migration, bool)>> {
    let files = discover(dir)?;
    client.batch_execute(CREATE_TABLE).await?;
    let done = applied(client).await?;
    Ok(files
        .into_iter()
        .map(|m| {
            let is_applied = done
                .iter()
                .any(|a| a.module == m.module && a.version == m.version);
            (m, is_applied)
        })
        .collect())
}

//! The commands that talk to PostgreSQL. Applied migrations are recorded in
//! `public.souk_migrations` with a SHA-256 checksum, a kit feature's under
//! `<module>.<feature>`; each file runs in its own transaction together with its record, under
//! an advisory lock so two runners never interleave.
//!
//! [`up`], [`down`] and [`status`] use the kit features embedded in this binary; the `_with`
//! variants take others (tests add a feature version that the kit does not have yet).

use std::path::Path;

use anyhow::Context;

use crate::features::Features;
use crate::files::{Migration, discover_with, schema_of};
use crate::plan::{Applied, State, plan, state};

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
        .query(
            "SELECT module, version, name, checksum FROM public.souk_migrations \
             ORDER BY applied_at, module, version",
            &[],
        )
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

/// What `up` did.
#[derive(Debug, Default, PartialEq)]
pub struct Report {
    /// Rewritten files whose recorded checksum was replaced by theirs (they declare that they
    /// supersede the applied text); nothing of them ran.
    pub superseded: Vec<Migration>,
    /// Migrations applied, in order.
    pub applied: Vec<Migration>,
}

/// Applies every pending migration under `dir`, each module's own before its kit features';
/// first records the new checksum of every rewritten file that supersedes the applied text.
pub async fn up(client: &mut tokio_postgres::Client, dir: &Path) -> anyhow::Result<Report> {
    up_with(client, dir, &Features::kit()?).await
}

/// [`up`] with the given kit features.
pub async fn up_with(
    client: &mut tokio_postgres::Client,
    dir: &Path,
    features: &Features,
) -> anyhow::Result<Report> {
    let files = discover_with(dir, features)?;
    locked(client, async move |client| {
        let done = applied(client).await?;
        let plan = plan(&files, &done)?;
        let report = Report {
            superseded: plan.superseded.into_iter().cloned().collect(),
            applied: plan.pending.into_iter().cloned().collect(),
        };
        if !report.superseded.is_empty() {
            let tx = client.transaction().await?;
            for m in &report.superseded {
                tx.execute(
                    "UPDATE public.souk_migrations SET checksum = $3 \
                     WHERE module = $1 AND version = $2",
                    &[&m.module, &m.version, &m.checksum],
                )
                .await
                .with_context(|| format!("recording the new checksum of {m}"))?;
            }
            tx.commit().await.context("committing the new checksums")?;
        }
        for m in &report.applied {
            let tx = client.transaction().await?;
            tx.batch_execute(&m.up)
                .await
                .with_context(|| format!("migration {m} failed"))?;
            tx.execute(
                "INSERT INTO public.souk_migrations (module, version, name, checksum) \
                 VALUES ($1, $2, $3, $4)",
                &[&m.module, &m.version, &m.name, &m.checksum],
            )
            .await?;
            tx.commit()
                .await
                .with_context(|| format!("committing {m}"))?;
        }
        Ok(report)
    })
    .await
}

/// Rolls back the most recently applied migration (of `module`, when given: its own and its
/// kit features', or only one feature's when `module` is `<module>.<feature>`); returns it, or
/// `None` when nothing is applied.
pub async fn down(
    client: &mut tokio_postgres::Client,
    dir: &Path,
    module: Option<&str>,
) -> anyhow::Result<Option<Migration>> {
    down_with(client, dir, module, &Features::kit()?).await
}

/// [`down`] with the given kit features.
pub async fn down_with(
    client: &mut tokio_postgres::Client,
    dir: &Path,
    module: Option<&str>,
    features: &Features,
) -> anyhow::Result<Option<Migration>> {
    let files = discover_with(dir, features)?;
    locked(client, async move |client| {
        let done = applied(client).await?;
        let Some(last) = done
            .iter()
            .rev()
            .find(|a| module.is_none_or(|m| a.module == m || schema_of(&a.module) == m))
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
        tx.batch_execute(&file.down)
            .await
            .with_context(|| format!("rolling back {file}"))?;
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

/// Every migration, kit features' included, with how it stands against the database.
pub async fn status(
    client: &mut tokio_postgres::Client,
    dir: &Path,
) -> anyhow::Result<Vec<(Migration, State)>> {
    status_with(client, dir, &Features::kit()?).await
}

/// [`status`] with the given kit features.
pub async fn status_with(
    client: &mut tokio_postgres::Client,
    dir: &Path,
    features: &Features,
) -> anyhow::Result<Vec<(Migration, State)>> {
    let files = discover_with(dir, features)?;
    client.batch_execute(CREATE_TABLE).await?;
    let done = applied(client).await?;
    Ok(files
        .into_iter()
        .map(|m| {
            let state = state(&m, &done);
            (m, state)
        })
        .collect())
}

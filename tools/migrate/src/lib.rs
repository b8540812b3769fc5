//! Souk's migration runner: `migrations/<module>/NNNN_name.up.sql` (with a matching
//! `.down.sql`), one PostgreSQL schema per module, applied in version order within each module.
//!
//! - [`discover`] reads the migration tree into [`Migration`]s (pure file handling).
//! - [`plan`] compares them with what the database recorded: pending files, or the applied
//!   file that was edited or removed (pure logic).
//! - [`up`], [`down`] and [`status`] talk to the database. Applied migrations are recorded in
//!   `public.souk_migrations` with a SHA-256 checksum; each file runs in its own transaction
//!   together with its record, under an advisory lock so two runners never interleave.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

/// One migration file pair.
#[derive(Clone, Debug, PartialEq)]
pub struct Migration {
    /// The module (schema) it belongs to: the folder name.
    pub module: String,
    /// Its version within the module: the `NNNN` prefix.
    pub version: i32,
    /// The part of the file name after the version.
    pub name: String,
    /// The `.up.sql` text.
    pub up: String,
    /// The `.down.sql` text.
    pub down: String,
    /// SHA-256 of the `.up.sql` text, hex.
    pub checksum: String,
}

/// A migration the database says it applied.
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    /// Module.
    pub module: String,
    /// Version.
    pub version: i32,
    /// Name.
    pub name: String,
    /// Checksum recorded when it was applied.
    pub checksum: String,
}

/// Splits `NNNN_name.up.sql` into (version, name); `None` for a `.down.sql` or another file.
pub fn parse_file_name(file: &str) -> anyhow::Result<Option<(i32, String)>> {
    if file.ends_with(".down.sql") {
        return Ok(None);
    }
    let Some(stem) = file.strip_suffix(".up.sql") else {
        bail!("unexpected file `{file}`: migrations are NNNN_name.up.sql and NNNN_name.down.sql");
    };
    let (digits, name) = stem.split_once('_').with_context(|| {
        format!("`{file}` must start with a version and `_`, like 0001_init.up.sql")
    })?;
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        bail!("`{file}` must start with a four-digit version");
    }
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        bail!("`{file}`: the name after the version must be lower_snake_case");
    }
    let version: i32 = digits.parse().context("version")?;
    if version == 0 {
        bail!("`{file}`: versions start at 0001");
    }
    Ok(Some((version, name.to_string())))
}

/// SHA-256 of a migration's text, hex.
pub fn checksum(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Reads every module folder under `dir`, each migration with its down file.
pub fn discover(dir: &Path) -> anyhow::Result<Vec<Migration>> {
    let mut out = Vec::new();
    let mut modules: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read migrations directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    modules.sort();
    for module_dir in modules {
        let module = module_dir
            .file_name()
            .and_then(|n| n.to_str())
            .context("module folder name is not UTF-8")?
            .to_string();
        let mut seen: BTreeMap<i32, String> = BTreeMap::new();
        let mut files: Vec<String> = std::fs::read_dir(&module_dir)?
            .filter_map(|e| e.ok().and_then(|e| e.file_name().into_string().ok()))
            .collect();
        files.sort();
        for file in files {
            let Some((version, name)) =
                parse_file_name(&file).with_context(|| format!("in {}", module_dir.display()))?
            else {
                continue;
            };
            if let Some(other) = seen.insert(version, file.clone()) {
                bail!(
                    "{}: version {version} is used by both `{other}` and `{file}`",
                    module_dir.display()
                );
            }
            let up_path = module_dir.join(&file);
            let down_path = module_dir.join(file.replace(".up.sql", ".down.sql"));
            let up = std::fs::read_to_string(&up_path)
                .with_context(|| format!("reading {}", up_path.display()))?;
            let down = std::fs::read_to_string(&down_path).with_context(|| {
                format!(
                    "{} has no matching {}",
                    up_path.display(),
                    down_path.display()
                )
            })?;
            out.push(Migration {
                module: module.clone(),
                version,
                name,
                checksum: checksum(&up),
                up,
                down,
            });
        }
    }
    out.sort_by(|a, b| (&a.module, a.version).cmp(&(&b.module, b.version)));
    Ok(out)
}

/// Which files to apply, or why nothing may be applied.
pub fn plan<'a>(files: &'a [Migration], applied: &[Applied]) -> anyhow::Result<Vec<&'a Migration>> {
    for a in applied {
        match files
            .iter()
            .find(|m| m.module == a.module && m.version == a.version)
        {
            None => bail!(
                "migration {}/{:04}_{} was applied but its file is gone; restore it before migrating",
                a.module,
                a.version,
                a.name
            ),
            Some(m) if m.checksum != a.checksum => bail!(
                "migration {}/{:04}_{}.up.sql was edited after it was applied (checksum differs); add a new migration instead",
                m.module,
                m.version,
                m.name
            ),
            Some(_) => {}
        }
    }
    Ok(files
        .iter()
        .filter(|m| {
            !applied
                .iter()
                .any(|a| a.module == m.module && a.version == m.version)
        })
        .collect())
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn migration(module: &str, version: i32, up: &str) -> Migration {
        Migration {
            module: module.into(),
            version,
            name: "x".into(),
            up: up.into(),
            down: String::new(),
            checksum: checksum(up),
        }
    }

    fn applied_from(m: &Migration) -> Applied {
        Applied {
            module: m.module.clone(),
            version: m.version,
            name: m.name.clone(),
            checksum: m.checksum.clone(),
        }
    }

    #[test]
    fn file_names_parse_into_version_and_name() {
        let cases = [
            ("0001_init.up.sql", Ok(Some((1, "init")))),
            (
                "0012_add_wallet_ledger.up.sql",
                Ok(Some((12, "add_wallet_ledger"))),
            ),
            ("0001_init.down.sql", Ok(None)),
            ("1_init.up.sql", Err(())),
            ("0000_zero.up.sql", Err(())),
            ("0001-init.up.sql", Err(())),
            ("0001_Init.up.sql", Err(())),
            ("README.md", Err(())),
        ];
        for (file, expected) in cases {
            let got = parse_file_name(file).map_err(|_| ());
            let expected = expected.map(|o| o.map(|(v, n): (i32, &str)| (v, n.to_string())));
            assert_eq!(got, expected, "{file}");
        }
    }

    #[test]
    fn pending_migrations_are_those_not_yet_applied() {
        let files = vec![
            migration("a", 1, "x"),
            migration("a", 2, "y"),
            migration("b", 1, "z"),
        ];
        let done = vec![applied_from(&files[0])];
        let pending: Vec<(String, i32)> = plan(&files, &done)
            .unwrap()
            .iter()
            .map(|m| (m.module.clone(), m.version))
            .collect();
        assert_eq!(pending, vec![("a".into(), 2), ("b".into(), 1)]);
    }

    #[test]
    fn an_edited_applied_file_stops_the_plan() {
        let files = vec![migration("a", 1, "edited")];
        let mut done = applied_from(&files[0]);
        done.checksum = checksum("original");
        let err = plan(&files, &[done]).unwrap_err().to_string();
        assert!(err.contains("edited after it was applied"), "{err}");
    }

    #[test]
    fn a_vanished_applied_file_stops_the_plan() {
        let gone = applied_from(&migration("a", 3, "x"));
        assert!(
            plan(&[], &[gone])
                .unwrap_err()
                .to_string()
                .contains("file is gone")
        );
    }

    #[test]
    fn checksums_change_with_the_text() {
        assert_ne!(checksum("a"), checksum("b"));
        assert_eq!(checksum("a").len(), 64);
    }
}

//! The migration tree on disk: `migrations/<module>/NNNN_name.up.sql` with a matching
//! `.down.sql`, read into [`Migration`]s. Pure file handling, no database.

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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn checksums_change_with_the_text() {
        assert_ne!(checksum("a"), checksum("b"));
        assert_eq!(checksum("a").len(), 64);
    }
}

//! The migration tree on disk: `migrations/<module>/NNNN_name.up.sql` with a matching
//! `.down.sql`, and the module's [`FEATURES_FILE`], read into [`Migration`]s: the module's own
//! files in version order, then each declared kit feature's templates rendered for the
//! module's schema. Pure file handling, no database.
//!
//! A rewritten migration file may declare the checksums of the texts it replaces in leading
//! `-- supersedes sha256:<hex>` lines ([`parse_supersedes`]): a database that applied one of
//! them accepts the new text (see [`crate::plan()`]).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

use crate::features::{FEATURES_FILE, Features, is_snake_name, record_key, render};

/// One migration: a module's file pair, or one version of a kit feature rendered for a module.
#[derive(Clone, Debug, PartialEq)]
pub struct Migration {
    /// The key it is recorded under in `public.souk_migrations`: the module (its folder name,
    /// which is its schema), or `<module>.<feature>` for a kit feature's migration.
    pub module: String,
    /// Its version within the module or feature: the `NNNN` prefix.
    pub version: i32,
    /// The part of the file name after the version.
    pub name: String,
    /// The `.up.sql` text (a feature's rendered for the module).
    pub up: String,
    /// The `.down.sql` text (a feature's rendered for the module).
    pub down: String,
    /// SHA-256 of the `.up.sql` text, hex.
    pub checksum: String,
    /// Checksums of earlier texts of this file that it replaces, from its leading
    /// `-- supersedes sha256:<hex>` lines.
    pub supersedes: Vec<String>,
}

impl Migration {
    /// The schema it changes: the module part of [`Migration::module`].
    pub fn schema(&self) -> &str {
        schema_of(&self.module)
    }

    /// The kit feature it belongs to, if it is a feature's migration.
    pub fn feature(&self) -> Option<&str> {
        self.module.split_once('.').map(|(_, feature)| feature)
    }
}

/// `module/NNNN_name`, or `module.feature/NNNN_name`: how messages name a migration.
impl fmt::Display for Migration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{:04}_{}", self.module, self.version, self.name)
    }
}

/// The schema of a record key: `account` for both `account` and `account.idempotency`.
pub fn schema_of(key: &str) -> &str {
    key.split_once('.').map_or(key, |(schema, _)| schema)
}

/// Splits `NNNN_name.up.sql` into (version, name); `None` for a `.down.sql` or another file.
pub fn parse_file_name(file: &str) -> anyhow::Result<Option<(i32, String)>> {
    if file.ends_with(".down.sql") {
        return Ok(None);
    }
    let Some(stem) = file.strip_suffix(".up.sql") else {
        bail!(
            "unexpected file `{file}`: migrations are NNNN_name.up.sql and NNNN_name.down.sql \
             (and the module's {FEATURES_FILE})"
        );
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

/// What a rewritten migration file starts with, once per text it replaces.
pub const SUPERSEDES: &str = "-- supersedes ";

/// The checksums a migration's text declares it supersedes: its leading
/// `-- supersedes sha256:<64 hex digits>` lines. A malformed one, or one after other lines, is
/// an error, so that a typo never silently stops an old database from migrating.
pub fn parse_supersedes(text: &str) -> anyhow::Result<Vec<String>> {
    let mut checksums = Vec::new();
    let mut leading = true;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let Some(rest) = line.strip_prefix(SUPERSEDES.trim_end()) else {
            leading = false;
            continue;
        };
        if !leading {
            bail!("line {number}: `{SUPERSEDES}` lines must come first in the file");
        }
        let hex = rest
            .trim()
            .strip_prefix("sha256:")
            .filter(|hex| {
                hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            })
            .with_context(|| {
                format!("line {number}: write `{SUPERSEDES}sha256:<64 lower-case hex digits>`")
            })?;
        checksums.push(hex.to_string());
    }
    Ok(checksums)
}

/// Reads every module folder under `dir`, each migration with its down file, and the kit
/// features each declares (the kit's, embedded in this binary).
pub fn discover(dir: &Path) -> anyhow::Result<Vec<Migration>> {
    discover_with(dir, &Features::kit()?)
}

/// [`discover`] with the given kit features.
pub fn discover_with(dir: &Path, features: &Features) -> anyhow::Result<Vec<Migration>> {
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
        if !is_snake_name(&module) {
            bail!(
                "{}: a module folder is named like its schema, in lower_snake_case",
                module_dir.display()
            );
        }
        let own = module_files(&module_dir, &module)?;
        let features_path = module_dir.join(FEATURES_FILE);
        let declared = match std::fs::read_to_string(&features_path) {
            Ok(text) => features
                .parse_file(&text)
                .with_context(|| format!("in {}", features_path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                return Err(e).with_context(|| format!("reading {}", features_path.display()));
            }
        };
        if own.is_empty() && !declared.is_empty() {
            bail!(
                "{} declares kit features, but the module has no migration creating its schema",
                features_path.display()
            );
        }
        out.extend(own);
        for feature in declared {
            for template in &feature.templates {
                let up = render(&template.up, &module);
                out.push(Migration {
                    module: record_key(&module, &feature.name),
                    version: template.version,
                    name: template.name.clone(),
                    checksum: checksum(&up),
                    up,
                    down: render(&template.down, &module),
                    supersedes: Vec::new(),
                });
            }
        }
    }
    Ok(out)
}

/// A module's own migrations, in version order.
fn module_files(module_dir: &Path, module: &str) -> anyhow::Result<Vec<Migration>> {
    let mut out = Vec::new();
    let mut seen: BTreeMap<i32, String> = BTreeMap::new();
    let mut files: Vec<String> = std::fs::read_dir(module_dir)?
        .filter_map(|e| e.ok().and_then(|e| e.file_name().into_string().ok()))
        .filter(|file| file != FEATURES_FILE)
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
        let supersedes =
            parse_supersedes(&up).with_context(|| format!("in {}", up_path.display()))?;
        out.push(Migration {
            module: module.to_string(),
            version,
            name,
            checksum: checksum(&up),
            up,
            down,
            supersedes,
        });
    }
    out.sort_by_key(|m| m.version);
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

    #[test]
    fn supersedes_lines_at_the_top_declare_replaced_checksums() {
        let (a, b) = ("a".repeat(64), "0123456789abcdef".repeat(4));
        let text = format!(
            "-- supersedes sha256:{a}\n-- supersedes sha256:{b}\r\n-- Accounts.\nSELECT 1;\n"
        );
        assert_eq!(parse_supersedes(&text).unwrap(), [a.clone(), b]);
        assert!(
            parse_supersedes("-- Accounts.\nSELECT 1;\n")
                .unwrap()
                .is_empty()
        );
        assert!(parse_supersedes("").unwrap().is_empty());
        let refused = [
            format!("-- supersedes {a}\n"),
            format!("-- supersedes sha256:{}\n", "A".repeat(64)),
            format!("-- supersedes sha256:{}\n", "a".repeat(63)),
            "-- supersedes sha256:\n".to_string(),
            format!("-- Accounts.\n-- supersedes sha256:{a}\n"),
        ];
        for text in refused {
            assert!(parse_supersedes(&text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn record_keys_name_their_schema() {
        assert_eq!(schema_of("account"), "account");
        assert_eq!(schema_of("account.idempotency"), "account");
    }
}

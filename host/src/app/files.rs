//! `files` mounts: directories placed at a guest path, and globs whose matches keep their
//! manifest-relative path under `/`. Glob matches are copied once at start-up into a private
//! directory, so the guest sees exactly what the manifest names and nothing beside it.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::Mount;
use crate::manifest::{FileMount, Manifest};

/// Resolves a component's `files` and `exclude_files` into read-only mounts.
pub fn mounts(
    m: &Manifest,
    id: &str,
    files: &[FileMount],
    exclude: &[String],
) -> anyhow::Result<Vec<Mount>> {
    let mut mounts = Vec::new();
    let mut patterns = Vec::new();
    for f in files {
        match f {
            FileMount::Placement {
                source,
                destination,
            } => {
                if !destination.starts_with('/') {
                    bail!("files: destination `{destination}` must be an absolute path");
                }
                let host_path = m.path(source);
                if !host_path.is_dir() {
                    bail!("files: source `{}` is not a directory", host_path.display());
                }
                mounts.push(Mount {
                    host_path,
                    guest_path: destination.clone(),
                });
            }
            FileMount::Pattern(p) => patterns.push(p.as_str()),
        }
    }
    if !patterns.is_empty() {
        let staged = m.dir.join(".spin").join("souk-host").join("files").join(id);
        stage(&m.dir, &patterns, exclude, &staged)?;
        mounts.push(Mount {
            host_path: staged,
            guest_path: "/".into(),
        });
    }
    Ok(mounts)
}

/// Copies every file matching `patterns` (and no `exclude` pattern) from `root` into `target`.
fn stage(root: &Path, patterns: &[&str], exclude: &[String], target: &Path) -> anyhow::Result<()> {
    if target.exists() {
        std::fs::remove_dir_all(target)
            .with_context(|| format!("clearing {}", target.display()))?;
    }
    std::fs::create_dir_all(target).with_context(|| format!("creating {}", target.display()))?;
    let excluded = exclude
        .iter()
        .map(|p| glob::Pattern::new(p).with_context(|| format!("exclude_files pattern `{p}`")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    for pattern in patterns {
        if pattern.starts_with('/') || pattern.split('/').any(|s| s == "..") {
            bail!("files: pattern `{pattern}` must stay inside the application directory");
        }
        let full = root.join(pattern);
        let matches = glob::glob(&full.to_string_lossy())
            .with_context(|| format!("files pattern `{pattern}`"))?;
        for entry in matches {
            let path: PathBuf = entry?;
            if !path.is_file() {
                continue;
            }
            let relative = path
                .strip_prefix(root)
                .with_context(|| format!("{} is outside the app", path.display()))?;
            if excluded.iter().any(|e| e.matches_path(relative)) {
                continue;
            }
            let dest = target.join(relative);
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::copy(&path, &dest).with_context(|| format!("copying {}", path.display()))?;
        }
    }
    Ok(())
}

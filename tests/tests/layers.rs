//! The layering rule, checked on the sources: within kit and within every component, the
//! top-level modules import each other without circles (a module's model sits below its
//! handlers, kit's base below its context and router, the router below the features). A
//! circle makes the next module impossible to copy file by file, so it fails the build here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The top-level module a source file belongs to (`src/model/stock.rs` → `model`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib" && name != "main").then(|| name.to_string())
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `crate::<module>` a file's code names, test modules included.
fn references(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '{')
            .collect();
        if let Some(list) = name.strip_prefix('{') {
            // `use crate::{a, b::c}`: every name up to the closing brace.
            let end = rest.find('}').unwrap_or(0);
            for item in rest[1..end].split(',') {
                let first = item.trim().split("::").next().unwrap_or("").trim();
                if !first.is_empty() {
                    found.insert(first.to_string());
                }
            }
            let _ = list;
        } else if !name.is_empty() {
            found.insert(name);
        }
    }
    found
}

/// The module graph of the crate whose sources are in `src`.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(src, f)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Some(from) = module_of(src, file) else {
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        let entry = edges.entry(from.clone()).or_default();
        for to in references(&text) {
            if to != from && modules.contains(&to) {
                entry.insert(to);
            }
        }
    }
    edges
}

/// A circle in `edges`, if there is one, as the modules along it.
fn circle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, edges, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|n| visit(n, edges, &mut Vec::new(), &mut done))
}

fn crates() -> Vec<PathBuf> {
    let root = root();
    let mut dirs = vec![
        root.join("crates/kit/src"),
        root.join("crates/contracts/src"),
    ];
    for group in ["components", "components/providers"] {
        for entry in std::fs::read_dir(root.join(group)).unwrap().flatten() {
            let src = entry.path().join("src");
            if src.is_dir() {
                dirs.push(src);
            }
        }
    }
    dirs
}

#[test]
fn no_crate_has_an_import_circle_between_its_modules() {
    let mut circles = Vec::new();
    for src in crates() {
        if let Some(found) = circle(&graph(&src)) {
            circles.push(format!("{}: {}", src.display(), found.join(" → ")));
        }
    }
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_circle_finder_finds_a_circle_and_passes_a_layered_graph() {
    let edges = |pairs: &[(&str, &str)]| {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in pairs {
            g.entry(a.to_string()).or_default().insert(b.to_string());
        }
        g
    };
    let layered = edges(&[
        ("handlers", "model"),
        ("model", "rules"),
        ("handlers", "rules"),
    ]);
    assert_eq!(circle(&layered), None);
    let circular = edges(&[
        ("products", "skus"),
        ("skus", "reviews"),
        ("reviews", "products"),
    ]);
    assert!(
        circle(&circular).is_some_and(|c| c.len() == 4),
        "{:?}",
        circle(&circular)
    );
    assert_eq!(
        references("use crate::{model::stock, rules};\nlet x = crate::json::ok(&v);"),
        ["json", "model", "rules"]
            .map(String::from)
            .into_iter()
            .collect()
    );
}

//! Component dependencies: `[component.X.dependencies]` imports satisfied by local provider
//! components, composed into X before it is compiled so that X calls the provider in-process.

use std::collections::BTreeMap;

use crate::manifest::{Dependency, Manifest};

/// Returns `consumer` with every listed import satisfied by its provider's export.
pub fn compose(
    _m: &Manifest,
    id: &str,
    _consumer: Vec<u8>,
    dependencies: &BTreeMap<String, Dependency>,
) -> anyhow::Result<Vec<u8>> {
    let names: Vec<&str> = dependencies.keys().map(String::as_str).collect();
    anyhow::bail!(
        "component `{id}`: dependencies ({}) are not composed by this host yet",
        names.join(", ")
    )
}

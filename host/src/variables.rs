//! Application variables and the `{{ name }}` templates that component variables and
//! `allowed_outbound_hosts` are written in.
//!
//! Values come, highest priority first, from `--variable name=value`, from the environment as
//! `SPIN_VARIABLE_<NAME>` (Spin's environment provider), then from the manifest's default.
//! Everything is resolved once at start-up: the providers here never change while running.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context, bail};

use crate::manifest::Manifest;

/// Variable names are lower-case ASCII letters, digits and underscores, starting with a letter
/// (Spin's rule, so that `SPIN_VARIABLE_<NAME>` maps back unambiguously).
pub fn check_name(name: &str) -> anyhow::Result<()> {
    // Spin's rule for variable names: snake_case, all lower-case.
    crate::manifest::check_id(name, '_')
        .and_then(|()| {
            if name.chars().any(|c| c.is_ascii_uppercase()) {
                bail!("Lower-case identifiers must be all lowercase; got {name:?}");
            }
            Ok(())
        })
        .with_context(|| format!("invalid variable name: {name:?}"))
}

/// The resolved value of every application variable.
#[derive(Clone, Debug, Default)]
pub struct AppVariables {
    values: HashMap<String, String>,
}

impl AppVariables {
    /// Resolves every declared variable from `overrides` (`--variable`), then `env`, then the
    /// default; a required variable with no value is a start-up error naming it.
    pub fn resolve(
        manifest: &Manifest,
        overrides: &BTreeMap<String, String>,
        env: &HashMap<String, String>,
    ) -> anyhow::Result<AppVariables> {
        for name in overrides.keys() {
            if !manifest.variables.contains_key(name) {
                bail!("--variable {name}: the manifest declares no variable `{name}`");
            }
        }
        let mut values = HashMap::new();
        for (name, decl) in &manifest.variables {
            let from_env = env.get(&format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase()));
            let value = overrides
                .get(name)
                .or(from_env)
                .or(decl.default.as_ref())
                .cloned();
            match value {
                Some(v) => {
                    values.insert(name.clone(), v);
                }
                None => bail!(
                    "no provider resolved required variable(s): [{name:?}]: \
                     set SPIN_VARIABLE_{} or pass --variable {name}=…",
                    name.to_ascii_uppercase()
                ),
            }
        }
        Ok(AppVariables { values })
    }

    /// The value of an application variable.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Expands a template; every `{{ name }}` must name an application variable.
    pub fn expand(&self, template: &str) -> anyhow::Result<String> {
        let mut out = String::with_capacity(template.len());
        for part in Template::parse(template)?.0 {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Variable(name) => out.push_str(self.get(name).with_context(|| {
                    format!(
                        "invalid variable template: unknown variable {name:?} (in `{template}`)"
                    )
                })?),
            }
        }
        Ok(out)
    }
}

/// A parsed template: literal text and `{{ name }}` references.
struct Template<'a>(Vec<Part<'a>>);

enum Part<'a> {
    Literal(&'a str),
    Variable(&'a str),
}

impl<'a> Template<'a> {
    fn parse(text: &'a str) -> anyhow::Result<Template<'a>> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Literal(&rest[..start]));
            }
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .with_context(|| format!("template `{text}` has `{{{{` without `}}}}`"))?;
            let name = after[..end].trim();
            check_name(name).with_context(|| format!("template `{text}`"))?;
            parts.push(Part::Variable(name));
            rest = &after[end + 2..];
        }
        if rest.contains("}}") {
            bail!("template `{text}` has `}}}}` without `{{{{`");
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest));
        }
        Ok(Template(parts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn manifest(vars: &str) -> Manifest {
        let text = format!(
            "spin_manifest_version = 2\n[application]\nname = \"t\"\n[variables]\n{vars}\n\
             [[trigger.http]]\nroute = \"/...\"\ncomponent = \"web\"\n\
             [component.web]\nsource = \"w.wasm\"\n"
        );
        Manifest::parse(&text, PathBuf::from(".")).unwrap()
    }

    #[test]
    fn overrides_beat_environment_which_beats_defaults() {
        let m =
            manifest("a = { default = \"d\" }\nb = { default = \"d\" }\nc = { default = \"d\" }");
        let overrides = BTreeMap::from([("a".to_string(), "cli".to_string())]);
        let env = HashMap::from([
            ("SPIN_VARIABLE_A".to_string(), "env".to_string()),
            ("SPIN_VARIABLE_B".to_string(), "env".to_string()),
        ]);
        let vars = AppVariables::resolve(&m, &overrides, &env).unwrap();
        assert_eq!(vars.get("a"), Some("cli"));
        assert_eq!(vars.get("b"), Some("env"));
        assert_eq!(vars.get("c"), Some("d"));
    }

    #[test]
    fn a_required_variable_without_value_names_itself() {
        let m = manifest("token = { required = true, secret = true }");
        let err = AppVariables::resolve(&m, &BTreeMap::new(), &HashMap::new()).unwrap_err();
        assert!(
            err.to_string().contains("[\"token\"]")
                && err.to_string().contains("SPIN_VARIABLE_TOKEN")
        );
    }

    #[test]
    fn templates_expand_and_refuse_unknown_names() {
        let m = manifest("host = { default = \"db:5432\" }");
        let vars = AppVariables::resolve(&m, &BTreeMap::new(), &HashMap::new()).unwrap();
        assert_eq!(
            vars.expand("postgres://{{ host }}/x").unwrap(),
            "postgres://db:5432/x"
        );
        assert_eq!(vars.expand("{{host}}").unwrap(), "db:5432");
        assert!(vars.expand("{{ nope }}").is_err());
        assert!(vars.expand("{{ host").is_err());
        assert!(vars.expand("{{ Bad }}").is_err());
    }

    #[test]
    fn names_follow_spins_rule() {
        assert!(check_name("database_url").is_ok());
        assert!(check_name("Database").is_err());
        assert!(check_name("1x").is_err());
        assert!(check_name("a-b").is_err());
        for bad in ["a__b", "a_", "_a"] {
            let e = format!("{:#}", check_name(bad).unwrap_err());
            assert!(
                e.contains("'_'-separated words must not be empty"),
                "{bad}: {e}"
            );
        }
    }
}

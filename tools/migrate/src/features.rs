//! Kit features: the tables a `kit` feature needs in the schema of each module that uses it
//! (idempotency records, the outbox, the workflow journal), defined once as versioned DDL
//! templates in `crates/kit/sql/<feature>/NNNN_name.up.sql` (with a `.down.sql`) and
//! instantiated for every module whose migrations folder lists the feature in its
//! [`FEATURES_FILE`].
//!
//! - The templates are embedded in the binary ([`KIT_TEMPLATES`]), so souk-migrate needs no
//!   kit folder at run time; a unit test checks the list against the folder.
//! - [`render`] writes the module's schema, quoted, where a template says
//!   [`SCHEMA_PLACEHOLDER`].
//! - A feature's migrations are recorded under [`record_key`] (`<module>.<feature>`), never
//!   under the bare module name: the health endpoint reports the highest version recorded
//!   under the module's name as its schema version.

use anyhow::{Context, bail};

use crate::files::parse_file_name;

/// The file of a module's migrations folder that lists the kit features it uses.
pub const FEATURES_FILE: &str = "kit.features";

/// What a template writes where the module's schema goes; rendered quoted (`"order"`), since
/// a module's name may be a reserved word.
pub const SCHEMA_PLACEHOLDER: &str = "{{schema}}";

/// One template file pair, as embedded: `crates/kit/sql/<feature>/<stem>.up.sql` and
/// `.down.sql`.
#[derive(Clone, Copy, Debug)]
pub struct TemplateFile {
    /// The feature: the folder name.
    pub feature: &'static str,
    /// The file name without `.up.sql`: `NNNN_name`.
    pub stem: &'static str,
    /// The `.up.sql` text.
    pub up: &'static str,
    /// The `.down.sql` text.
    pub down: &'static str,
}

/// Embeds `crates/kit/sql/<feature>/<stem>.up.sql` and its `.down.sql`.
macro_rules! kit_template {
    ($feature:literal, $stem:literal) => {
        TemplateFile {
            feature: $feature,
            stem: $stem,
            up: include_str!(concat!(
                "../../../crates/kit/sql/",
                $feature,
                "/",
                $stem,
                ".up.sql"
            )),
            down: include_str!(concat!(
                "../../../crates/kit/sql/",
                $feature,
                "/",
                $stem,
                ".down.sql"
            )),
        }
    };
}

/// Every kit template, each feature's in version order. A new version of a feature is its
/// pair of files in `crates/kit/sql/<feature>/` plus one line here (a unit test fails until
/// both exist).
pub const KIT_TEMPLATES: &[TemplateFile] = &[
    kit_template!("idempotency", "0001_idempotency_key"),
    kit_template!("idempotency", "0002_location"),
    kit_template!("outbox", "0001_outbox"),
    kit_template!("workflow", "0001_journal"),
    kit_template!("workflow", "0002_interrupted_steps"),
];

/// One version of a feature's tables.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    /// Its version within the feature: the `NNNN` prefix.
    pub version: i32,
    /// The part of the file name after the version.
    pub name: String,
    /// The `.up.sql` template.
    pub up: String,
    /// The `.down.sql` template.
    pub down: String,
}

/// A kit feature and its templates, in version order.
#[derive(Clone, Debug, PartialEq)]
pub struct Feature {
    /// Its name, as modules list it: the folder name under `crates/kit/sql`.
    pub name: String,
    /// Its versions, oldest first.
    pub templates: Vec<Template>,
}

/// The features modules may declare.
#[derive(Clone, Debug, PartialEq)]
pub struct Features {
    features: Vec<Feature>,
}

impl Features {
    /// The kit's features, from the templates embedded in this binary.
    pub fn kit() -> anyhow::Result<Features> {
        Features::from_templates(KIT_TEMPLATES)
    }

    /// Features from template files (the kit's, or a test's): each feature's versions must be
    /// distinct and listed in order, and every `.up.sql` must name the schema placeholder.
    pub fn from_templates(files: &[TemplateFile]) -> anyhow::Result<Features> {
        let mut features: Vec<Feature> = Vec::new();
        for file in files {
            if !is_snake_name(file.feature) {
                bail!("kit feature `{}`: names are lower_snake_case", file.feature);
            }
            let up_file = format!("{}.up.sql", file.stem);
            let (version, name) = parse_file_name(&up_file)
                .and_then(|parsed| parsed.context("not an .up.sql file"))
                .with_context(|| format!("kit feature `{}`", file.feature))?;
            if !file.up.contains(SCHEMA_PLACEHOLDER) {
                bail!(
                    "kit feature `{}`: {up_file} never says {SCHEMA_PLACEHOLDER}, so it would not \
                     create anything in the module's schema",
                    file.feature
                );
            }
            let template = Template {
                version,
                name,
                up: file.up.to_string(),
                down: file.down.to_string(),
            };
            match features.iter_mut().find(|f| f.name == file.feature) {
                Some(feature) => {
                    let last = feature.templates.last().map_or(0, |t| t.version);
                    if version <= last {
                        bail!(
                            "kit feature `{}`: version {version} comes after version {last}; \
                             list each feature's versions once, in order",
                            file.feature
                        );
                    }
                    feature.templates.push(template);
                }
                None => features.push(Feature {
                    name: file.feature.to_string(),
                    templates: vec![template],
                }),
            }
        }
        Ok(Features { features })
    }

    /// The feature called `name`.
    pub fn get(&self, name: &str) -> Option<&Feature> {
        self.features.iter().find(|f| f.name == name)
    }

    /// The features' names, for messages.
    fn names(&self) -> String {
        let names: Vec<&str> = self.features.iter().map(|f| f.name.as_str()).collect();
        names.join(", ")
    }

    /// Parses a module's [`FEATURES_FILE`]: one feature name per line, in the order their
    /// migrations apply; `#` starts a comment; blank lines are ignored. An unknown or repeated
    /// name is an error naming the line.
    pub fn parse_file(&self, text: &str) -> anyhow::Result<Vec<&Feature>> {
        let mut declared: Vec<&Feature> = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let name = line
                .split_once('#')
                .map_or(line, |(before, _)| before)
                .trim();
            if name.is_empty() {
                continue;
            }
            if name.split_whitespace().count() > 1 {
                bail!("line {number}: one feature per line, not `{name}`");
            }
            let feature = self.get(name).with_context(|| {
                format!(
                    "line {number}: unknown kit feature `{name}` (known: {})",
                    self.names()
                )
            })?;
            if declared.iter().any(|f| f.name == name) {
                bail!("line {number}: `{name}` is declared twice");
            }
            declared.push(feature);
        }
        Ok(declared)
    }
}

/// Whether `name` is lower_snake_case starting with a letter: what module and feature names
/// are, so that a schema can be quoted and `<module>.<feature>` split without ambiguity.
pub fn is_snake_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A template's text for `schema`: the placeholder replaced by the schema, quoted.
/// `schema` is a module folder name, lower_snake_case, so quoting it needs no escaping.
pub fn render(template: &str, schema: &str) -> String {
    template.replace(SCHEMA_PLACEHOLDER, &format!("\"{schema}\""))
}

/// The module key a feature's migrations are recorded under in `public.souk_migrations`.
pub fn record_key(module: &str, feature: &str) -> String {
    format!("{module}.{feature}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kit() -> Features {
        Features::kit().unwrap()
    }

    fn parsed(text: &str) -> Result<Vec<String>, String> {
        let features = kit();
        features
            .parse_file(text)
            .map(|declared| declared.iter().map(|f| f.name.clone()).collect())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_features_file_lists_one_name_per_line_with_comments() {
        let text = "# the kit features this module uses\n\noutbox  # messages\n  idempotency\r\n";
        assert_eq!(parsed(text).unwrap(), ["outbox", "idempotency"]);
        assert_eq!(parsed("").unwrap(), Vec::<String>::new());
        assert_eq!(parsed("# nothing yet\n").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn a_features_file_with_a_bad_line_names_the_line() {
        let cases = [
            (
                "outbox\nteleport\n",
                "line 2: unknown kit feature `teleport`",
            ),
            ("outbox\noutbox\n", "line 2: `outbox` is declared twice"),
            ("outbox idempotency\n", "line 1: one feature per line"),
            ("Outbox\n", "line 1: unknown kit feature `Outbox`"),
        ];
        for (text, expected) in cases {
            let err = parsed(text).unwrap_err();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
        assert!(
            parsed("teleport")
                .unwrap_err()
                .contains("known: idempotency, outbox, workflow")
        );
    }

    #[test]
    fn rendering_quotes_the_schema_everywhere() {
        let kit = kit();
        let rendered = render(&kit.get("idempotency").unwrap().templates[0].up, "order");
        assert!(rendered.contains("\"order\".idempotency_key"), "{rendered}");
        assert!(!rendered.contains(SCHEMA_PLACEHOLDER));
    }

    /// The embedded list and `crates/kit/sql` hold the same files with the same text, so a
    /// template added to the folder but not to [`KIT_TEMPLATES`] (or the reverse) fails here.
    #[test]
    fn the_embedded_templates_are_the_kit_sql_folder() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../crates/kit/sql");
        let mut on_disk = Vec::new();
        for feature in std::fs::read_dir(&root).unwrap() {
            let feature = feature.unwrap();
            if !feature.file_type().unwrap().is_dir() {
                continue;
            }
            let name = feature.file_name().into_string().unwrap();
            for file in std::fs::read_dir(feature.path()).unwrap() {
                let file = file.unwrap().file_name().into_string().unwrap();
                let text = std::fs::read_to_string(feature.path().join(&file)).unwrap();
                on_disk.push((name.clone(), file, text));
            }
        }
        on_disk.sort();
        let mut embedded: Vec<(String, String, String)> = KIT_TEMPLATES
            .iter()
            .flat_map(|t| {
                [
                    (t.feature.into(), format!("{}.up.sql", t.stem), t.up.into()),
                    (
                        t.feature.into(),
                        format!("{}.down.sql", t.stem),
                        t.down.into(),
                    ),
                ]
            })
            .collect();
        embedded.sort();
        assert_eq!(embedded, on_disk);
        kit();
    }

    /// A first version must adopt the table a module migration created before the feature
    /// existed, so it creates nothing that may already be there without `IF NOT EXISTS`.
    #[test]
    fn first_versions_create_only_if_not_exists() {
        for feature in &kit().features {
            let first = &feature.templates[0];
            assert_eq!(first.version, 1, "{}", feature.name);
            let sql = first.up.to_lowercase();
            for statement in ["create table ", "create index ", "create unique index "] {
                for (at, _) in sql.match_indices(statement) {
                    assert!(
                        sql[at + statement.len()..].starts_with("if not exists"),
                        "{}: `{statement}` without IF NOT EXISTS",
                        feature.name
                    );
                }
            }
        }
    }

    #[test]
    fn feature_versions_must_come_in_order_and_name_the_schema() {
        let file = |stem, up| TemplateFile {
            feature: "extra",
            stem,
            up,
            down: "",
        };
        let two = [
            file("0001_a", "CREATE TABLE {{schema}}.a ();"),
            file("0002_b", "ALTER TABLE {{schema}}.a ADD b int;"),
        ];
        let features = Features::from_templates(&two).unwrap();
        let versions: Vec<i32> = features
            .get("extra")
            .unwrap()
            .templates
            .iter()
            .map(|t| t.version)
            .collect();
        assert_eq!(versions, [1, 2]);
        let backwards = [two[1], two[0]];
        assert!(Features::from_templates(&backwards).is_err());
        assert!(Features::from_templates(&[file("0001_a", "CREATE TABLE public.a ();")]).is_err());
        assert!(Features::from_templates(&[file("1_a", "{{schema}}")]).is_err());
    }
}

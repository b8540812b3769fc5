//! What to apply: the files compared with what the database recorded (pure logic).

use anyhow::bail;

use crate::features::FEATURES_FILE;
use crate::files::{Migration, schema_of};

/// A migration the database says it applied.
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    /// Module: its record key (`account`, or `account.idempotency` for a kit feature's).
    pub module: String,
    /// Version.
    pub version: i32,
    /// Name.
    pub name: String,
    /// Checksum recorded when it was applied (or when `up` last recorded a superseding text).
    pub checksum: String,
}

/// What `up` does.
#[derive(Debug, PartialEq)]
pub struct Plan<'a> {
    /// Applied files rewritten since, whose recorded checksum is one they declare they
    /// supersede: `up` records their new checksum and runs nothing.
    pub superseded: Vec<&'a Migration>,
    /// Files not applied yet, in the order to apply them.
    pub pending: Vec<&'a Migration>,
}

/// How a migration file stands against the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Not applied.
    Pending,
    /// Applied with this text.
    Applied,
    /// Applied with a text this one supersedes; `up` records the new checksum.
    Superseded,
    /// Applied with another text, which this one does not supersede; `up` refuses to run.
    Edited,
}

/// How `file` stands against the applied migrations.
pub fn state(file: &Migration, applied: &[Applied]) -> State {
    match applied
        .iter()
        .find(|a| a.module == file.module && a.version == file.version)
    {
        None => State::Pending,
        Some(a) if a.checksum == file.checksum => State::Applied,
        Some(a) if file.supersedes.contains(&a.checksum) => State::Superseded,
        Some(_) => State::Edited,
    }
}

/// Which files to apply and which recorded checksums to replace, or why nothing may be
/// applied: an applied migration whose file is gone, or whose file was edited without
/// declaring that it supersedes the applied text.
pub fn plan<'a>(files: &'a [Migration], applied: &[Applied]) -> anyhow::Result<Plan<'a>> {
    for a in applied {
        if files
            .iter()
            .any(|m| m.module == a.module && m.version == a.version)
        {
            continue;
        }
        match a.module.split_once('.') {
            Some((module, feature)) => bail!(
                "migration {}/{:04}_{} was applied, but {module}/{FEATURES_FILE} no longer \
                 declares the kit feature `{feature}` or this souk-migrate does not have that \
                 version of it; restore it before migrating",
                a.module,
                a.version,
                a.name
            ),
            None => bail!(
                "migration {}/{:04}_{} was applied but its file is gone; \
                 restore it before migrating",
                a.module,
                a.version,
                a.name
            ),
        }
    }
    let mut plan = Plan {
        superseded: Vec::new(),
        pending: Vec::new(),
    };
    for m in files {
        match state(m, applied) {
            State::Pending => plan.pending.push(m),
            State::Applied => {}
            State::Superseded => plan.superseded.push(m),
            State::Edited => match m.feature() {
                Some(feature) => bail!(
                    "migration {m} (kit feature `{feature}`, rendered for {}) was applied with \
                     another text (checksum differs): a feature's applied versions never change; \
                     add a new version to crates/kit/sql/{feature} instead",
                    schema_of(&m.module)
                ),
                None => bail!(
                    "migration {m}.up.sql was edited after it was applied (checksum differs); \
                     add a new migration instead, or declare the applied text's checksum on a \
                     first line `-- supersedes sha256:<hex>` if the schema it yields is unchanged"
                ),
            },
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::checksum;

    fn migration(module: &str, version: i32, up: &str) -> Migration {
        Migration {
            module: module.into(),
            version,
            name: "x".into(),
            up: up.into(),
            down: String::new(),
            checksum: checksum(up),
            supersedes: Vec::new(),
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

    fn keys(migrations: &[&Migration]) -> Vec<String> {
        migrations.iter().map(|m| m.to_string()).collect()
    }

    #[test]
    fn pending_migrations_are_those_not_yet_applied() {
        let files = vec![
            migration("a", 1, "x"),
            migration("a", 2, "y"),
            migration("a.outbox", 1, "o"),
            migration("b", 1, "z"),
        ];
        let done = vec![applied_from(&files[0])];
        let plan = plan(&files, &done).unwrap();
        assert_eq!(
            keys(&plan.pending),
            ["a/0002_x", "a.outbox/0001_x", "b/0001_x"]
        );
        assert!(plan.superseded.is_empty());
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
    fn a_rewritten_file_is_accepted_for_the_text_it_supersedes_only() {
        let mut rewritten = migration("a", 1, "-- supersedes ...\nnew");
        rewritten.supersedes = vec![checksum("old"), checksum("older")];
        let files = vec![rewritten, migration("a", 2, "y")];
        let mut done = applied_from(&files[0]);
        for old in ["old", "older"] {
            done.checksum = checksum(old);
            let plan = plan(&files, std::slice::from_ref(&done)).unwrap();
            assert_eq!(keys(&plan.superseded), ["a/0001_x"]);
            assert_eq!(keys(&plan.pending), ["a/0002_x"]);
            assert_eq!(
                state(&files[0], std::slice::from_ref(&done)),
                State::Superseded
            );
        }
        done.checksum = checksum("something else");
        let err = plan(&files, std::slice::from_ref(&done))
            .unwrap_err()
            .to_string();
        assert!(err.contains("edited after it was applied"), "{err}");
        assert_eq!(state(&files[0], &[done]), State::Edited);
    }

    #[test]
    fn an_applied_feature_version_that_changed_stops_the_plan() {
        let files = vec![migration("a.outbox", 1, "changed")];
        let mut done = applied_from(&files[0]);
        done.checksum = checksum("as applied");
        let err = plan(&files, &[done]).unwrap_err().to_string();
        assert!(err.contains("kit feature `outbox`"), "{err}");
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
        let undeclared = applied_from(&migration("a.outbox", 1, "x"));
        let err = plan(&[], &[undeclared]).unwrap_err().to_string();
        assert!(
            err.contains("a/kit.features no longer declares the kit feature `outbox`"),
            "{err}"
        );
    }
}

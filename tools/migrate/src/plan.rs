//! What to apply: the files compared with what the database recorded (pure logic).

use anyhow::bail;

use crate::files::Migration;

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
}

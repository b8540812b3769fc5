//! `catalog.tag`: every tag a product has used, by slug. Tags are created when a product first
//! names them and are never removed, so the list only grows.

use kit::ApiResult;
use kit::db::{Db, FromRow, Row, optional_text, strings};
use serde::Serialize;

/// A tag, serialised as the API shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Tag {
    /// The slug products carry.
    pub slug: String,
    /// Its name: the slug with spaces for hyphens.
    pub name: String,
}

impl FromRow for Tag {
    fn from_row(row: &Row<'_>) -> ApiResult<Tag> {
        Ok(Tag {
            slug: row.get("slug")?,
            name: row.get("name")?,
        })
    }
}

/// Creates the tags among `slugs` that do not exist yet.
pub fn ensure(db: &Db, slugs: &[String]) -> ApiResult<()> {
    db.execute(
        "INSERT INTO catalog.tag (slug, name) \
         SELECT t, replace(t, '-', ' ') FROM unnest($1::text[]) AS t \
         ON CONFLICT (slug) DO NOTHING",
        &[strings(slugs)],
    )?;
    Ok(())
}

/// Up to `fetch` tags by slug, after `after`, those whose slug contains `contains` only.
pub fn page(
    db: &Db,
    after: Option<&str>,
    contains: Option<&str>,
    fetch: i64,
) -> ApiResult<Vec<Tag>> {
    db.fetch_all(
        "SELECT slug, name FROM catalog.tag WHERE ($1::text IS NULL OR slug > $1) \
         AND ($2::text IS NULL OR strpos(slug, $2) > 0) ORDER BY slug LIMIT $3",
        &[optional_text(after), optional_text(contains), fetch.into()],
    )
}

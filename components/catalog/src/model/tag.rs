//! `catalog.tag`: every tag a product has used, by slug, with its text as first written. Tags
//! are created when a product first names them and are never removed, so the list only grows.

use kit::ApiResult;
use kit::db::{Db, FromRow, Row, optional_text, strings};
use serde::Serialize;

use crate::rules;

/// A tag, serialised as the API shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Tag {
    /// The slug products carry.
    pub slug: String,
    /// Its text, as the first product to use it wrote it.
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

/// Creates the tags among `tags` that do not exist yet; one that does keeps its text.
pub fn ensure(db: &Db, tags: &[rules::product::Tag]) -> ApiResult<()> {
    let slugs: Vec<String> = tags.iter().map(|t| t.slug.clone()).collect();
    let names: Vec<String> = tags.iter().map(|t| t.name.clone()).collect();
    db.execute(
        "INSERT INTO catalog.tag (slug, name) \
         SELECT * FROM unnest($1::text[], $2::text[]) \
         ON CONFLICT (slug) DO NOTHING",
        &[strings(&slugs), strings(&names)],
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

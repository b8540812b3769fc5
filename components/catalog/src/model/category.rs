//! `catalog.category`: the category tree. A category names its parent; the tree is walked
//! with recursive queries (it is small and changes rarely), never kept as paths that could
//! drift from the parents.

use kit::db::{Db, FromRow, Row, optional_text, optional_uuid, rows, text, uuid};
use kit::{ApiError, ApiResult};
use serde::Serialize;
use uuid::Uuid;

use crate::rules::Key;

/// A category, serialised as the API shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Category {
    /// Id.
    pub id: Uuid,
    /// The parent, `None` at the top.
    pub parent_id: Option<Uuid>,
    /// Unique slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Image URL.
    pub image_url: Option<String>,
}

/// Columns [`Category::from_row`] reads.
const COLUMNS: &str = "id, parent_id, slug, name, description, image_url";

impl FromRow for Category {
    fn from_row(row: &Row<'_>) -> ApiResult<Category> {
        Ok(Category {
            id: row.get("id")?,
            parent_id: row.get("parent_id")?,
            slug: row.get("slug")?,
            name: row.get("name")?,
            description: row.get("description")?,
            image_url: row.get("image_url")?,
        })
    }
}

/// What an operator writes of a new category.
#[derive(Clone, Debug)]
pub struct Draft {
    /// The parent, `None` at the top.
    pub parent_id: Option<Uuid>,
    /// Unique slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Image URL.
    pub image_url: Option<String>,
}

/// A category by id or slug; 404 `category_not_found`.
pub fn find(db: &Db, key: &Key) -> ApiResult<Category> {
    let found = match key {
        Key::Id(id) => db.fetch_optional(
            &format!("SELECT {COLUMNS} FROM catalog.category WHERE id = $1"),
            &[uuid(*id)],
        )?,
        Key::Slug(slug) => db.fetch_optional(
            &format!("SELECT {COLUMNS} FROM catalog.category WHERE slug = $1"),
            &[text(slug)],
        )?,
    };
    found.ok_or_else(|| ApiError::not_found("category_not_found", format!("no category `{key}`")))
}

/// Every category, parents before their children, siblings by name.
pub fn tree(db: &Db) -> ApiResult<Vec<Category>> {
    db.fetch_all(
        &format!(
            "WITH RECURSIVE tree AS ( \
               SELECT id, 0 AS depth FROM catalog.category WHERE parent_id IS NULL \
               UNION ALL SELECT c.id, t.depth + 1 \
               FROM catalog.category c JOIN tree t ON c.parent_id = t.id) \
             SELECT {COLUMNS} FROM catalog.category JOIN tree USING (id) ORDER BY tree.depth, name"
        ),
        &[],
    )
}

/// The categories from the top of the tree down to `id`, `id` last.
pub fn path(db: &Db, id: Uuid) -> ApiResult<Vec<Category>> {
    db.fetch_all(
        &format!(
            "WITH RECURSIVE up AS ( \
               SELECT {COLUMNS}, 0 AS depth FROM catalog.category WHERE id = $1 \
               UNION ALL \
               SELECT c.id, c.parent_id, c.slug, c.name, c.description, c.image_url, up.depth + 1 \
               FROM catalog.category c JOIN up ON c.id = up.parent_id) \
             SELECT {COLUMNS} FROM up ORDER BY depth DESC"
        ),
        &[uuid(id)],
    )
}

/// A recursive CTE, `category_path (id, path)`: every category with its path as `text[]` — the
/// category itself first, then each ancestor up to the top. For `WITH RECURSIVE {PATHS} …`,
/// joined on `category_path.id`. It walks down from the top, so it ends whatever the parents
/// hold; the tree is small, so walking all of it costs less than a walk up per category.
pub const PATHS: &str = "category_path (id, path) AS ( \
      SELECT id, ARRAY[id::text] FROM catalog.category WHERE parent_id IS NULL \
      UNION ALL \
      SELECT c.id, array_prepend(c.id::text, up.path) \
      FROM catalog.category c JOIN category_path up ON c.parent_id = up.id)";

/// The children of `id`, by name.
pub fn children(db: &Db, id: Uuid) -> ApiResult<Vec<Category>> {
    db.fetch_all(
        &format!("SELECT {COLUMNS} FROM catalog.category WHERE parent_id = $1 ORDER BY name"),
        &[uuid(id)],
    )
}

/// One of a category's newest products, as its preview shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Preview {
    /// The category previewed (not serialised: the preview sits inside it).
    #[serde(skip)]
    pub category_id: Uuid,
    /// The product.
    pub id: Uuid,
    /// Its slug.
    pub slug: String,
    /// Its name.
    pub name: String,
    /// Its cover image.
    pub image: Option<String>,
}

impl FromRow for Preview {
    fn from_row(row: &Row<'_>) -> ApiResult<Preview> {
        Ok(Preview {
            category_id: row.get("root")?,
            id: row.get("id")?,
            slug: row.get("slug")?,
            name: row.get("name")?,
            image: row.get("image")?,
        })
    }
}

/// Up to `per_category` newest enabled products of every category, its subcategories'
/// included, newest first — one query for the whole tree.
pub fn previews(db: &Db, per_category: i64) -> ApiResult<Vec<Preview>> {
    db.fetch_all(
        "WITH RECURSIVE below AS ( \
           SELECT id AS root, id FROM catalog.category \
           UNION ALL SELECT b.root, c.id \
           FROM catalog.category c JOIN below b ON c.parent_id = b.id) \
         SELECT r.root, p.id, p.slug, p.name, p.images[1] AS image \
         FROM (SELECT DISTINCT root FROM below) r \
         CROSS JOIN LATERAL ( \
           SELECT p.id, p.slug, p.name, p.images FROM catalog.product p \
           WHERE p.category_id IN (SELECT id FROM below WHERE below.root = r.root) \
             AND p.enabled AND p.deleted_at IS NULL ORDER BY p.id DESC LIMIT $1) p",
        &[per_category.into()],
    )
}

/// Writes a new category; 409 `category_slug_taken` when another has its slug.
pub fn insert(db: &Db, id: Uuid, draft: &Draft) -> ApiResult<Category> {
    let set = db
        .query(
            &format!(
                "INSERT INTO catalog.category (id, parent_id, slug, name, description, image_url) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
            ),
            &[
                uuid(id),
                optional_uuid(draft.parent_id),
                text(&draft.slug),
                text(&draft.name),
                text(&draft.description),
                optional_text(draft.image_url.as_deref()),
            ],
        )
        .map_err(|e| {
            e.to_api(&[(
                "category_slug_key",
                ApiError::conflict("category_slug_taken", "another category has this slug"),
            )])
        })?;
    rows(&set)
        .next()
        .map(|r| Category::from_row(&r))
        .transpose()?
        .ok_or_else(|| ApiError::internal("inserting a category returned no row"))
}

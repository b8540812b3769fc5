//! The category tree: every category with a preview of its newest products, one category by
//! id or slug, and new categories (operators, admin token).

use kit::db::{Db, FromRow, Row, optional_text, optional_uuid, rows, text, uuid};
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::rules;

/// A category.
#[derive(Debug, Serialize)]
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

fn not_found(key: &str) -> ApiError {
    ApiError::not_found("category_not_found", format!("no category `{key}`"))
}

/// A category by id or slug.
pub fn find(db: &Db, key: &str) -> ApiResult<Category> {
    let found = match key.parse::<Uuid>() {
        Ok(id) => db.fetch_optional(
            &format!("SELECT {COLUMNS} FROM catalog.category WHERE id = $1"),
            &[uuid(id)],
        )?,
        Err(_) => db.fetch_optional(
            &format!("SELECT {COLUMNS} FROM catalog.category WHERE slug = $1"),
            &[text(key)],
        )?,
    };
    found.ok_or_else(|| not_found(key))
}

/// Up to this many newest products preview each category.
const PREVIEW: i64 = 4;

/// `GET /api/v1/catalog/categories` — every category, parents first, each with `preview`: its
/// newest enabled products (id, slug, name, cover image), subcategories included.
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let db = ctx.db()?;
    let categories: Vec<Category> = db.fetch_all(
        &format!(
            "WITH RECURSIVE tree AS ( \
               SELECT id, 0 AS depth FROM catalog.category WHERE parent_id IS NULL \
               UNION ALL SELECT c.id, t.depth + 1 FROM catalog.category c JOIN tree t ON c.parent_id = t.id) \
             SELECT {COLUMNS} FROM catalog.category JOIN tree USING (id) ORDER BY tree.depth, name"
        ),
        &[],
    )?;
    let set = db.query(
        "WITH RECURSIVE below AS ( \
           SELECT id AS root, id FROM catalog.category \
           UNION ALL SELECT b.root, c.id FROM catalog.category c JOIN below b ON c.parent_id = b.id) \
         SELECT r.root, p.id, p.slug, p.name, p.images[1] AS image \
         FROM (SELECT DISTINCT root FROM below) r \
         CROSS JOIN LATERAL ( \
           SELECT p.id, p.slug, p.name, p.images FROM catalog.product p \
           WHERE p.category_id IN (SELECT id FROM below WHERE below.root = r.root) \
             AND p.enabled AND p.deleted_at IS NULL ORDER BY p.id DESC LIMIT $1) p",
        &[PREVIEW.into()],
    )?;
    let mut previews: Vec<(Uuid, Value)> = Vec::new();
    for r in rows(&set) {
        previews.push((
            r.get("root")?,
            json!({ "id": r.get::<Uuid>("id")?, "slug": r.get::<String>("slug")?, "name": r.get::<String>("name")?, "image": r.get::<Option<String>>("image")? }),
        ));
    }
    let items: Vec<Value> = categories
        .into_iter()
        .map(|c| {
            let preview: Vec<&Value> = previews
                .iter()
                .filter(|(root, _)| *root == c.id)
                .map(|(_, p)| p)
                .collect();
            let mut item = json!(c);
            item["preview"] = json!(preview);
            item
        })
        .collect();
    json::ok(&json!({ "items": items }))
}

/// `GET /api/v1/catalog/categories/:key` — by id or slug, with its path from the top and its
/// children.
pub async fn get(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let db = ctx.db()?;
    let category = find(db, ctx.param("key"))?;
    let path: Vec<Category> = db.fetch_all(
        &format!(
            "WITH RECURSIVE up AS ( \
               SELECT {COLUMNS}, 0 AS depth FROM catalog.category WHERE id = $1 \
               UNION ALL SELECT c.id, c.parent_id, c.slug, c.name, c.description, c.image_url, up.depth + 1 \
               FROM catalog.category c JOIN up ON c.id = up.parent_id) \
             SELECT {COLUMNS} FROM up ORDER BY depth DESC"
        ),
        &[uuid(category.id)],
    )?;
    let children: Vec<Category> = db.fetch_all(
        &format!("SELECT {COLUMNS} FROM catalog.category WHERE parent_id = $1 ORDER BY name"),
        &[uuid(category.id)],
    )?;
    let mut body = json!(category);
    body["path"] = json!(path);
    body["children"] = json!(children);
    json::ok(&body)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCategory {
    slug: String,
    name: String,
    parent_id: Option<Uuid>,
    #[serde(default)]
    description: String,
    image_url: Option<String>,
}

/// `POST /api/v1/catalog/categories` (admin token) — a new category; 409 `category_slug_taken`.
pub async fn create(ctx: Ctx, req: Request) -> ApiResult<Response> {
    kit::auth::require_admin(&req)?;
    let body: NewCategory = json::read(&req)?;
    if !rules::is_slug(&body.slug) || body.slug.len() > 100 {
        return Err(ApiError::validation(
            "slug: lower-case letters and digits joined by single hyphens, at most 100 characters",
        ));
    }
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::validation("name: 1 to 100 characters"));
    }
    if body.description.chars().count() > 2000 {
        return Err(ApiError::validation("description: at most 2000 characters"));
    }
    if let Some(url) = &body.image_url {
        rules::images(std::slice::from_ref(url))?;
    }
    let db = ctx.db()?;
    if let Some(parent) = body.parent_id {
        find(db, &parent.to_string())?;
    }
    let set = db
        .query(
            &format!(
                "INSERT INTO catalog.category (id, parent_id, slug, name, description, image_url) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
            ),
            &[
                uuid(kit::ids::new_id()),
                optional_uuid(body.parent_id),
                text(&body.slug),
                text(name),
                text(body.description.trim()),
                optional_text(body.image_url.as_deref()),
            ],
        )
        .map_err(|e| {
            e.to_api(&[(
                "category_slug_key",
                ApiError::conflict("category_slug_taken", "another category has this slug"),
            )])
        })?;
    let category = rows(&set)
        .next()
        .map(|r| Category::from_row(&r))
        .transpose()?
        .ok_or_else(|| ApiError::internal("inserting a category returned no row"))?;
    json::created(
        &format!("/api/v1/catalog/categories/{}", category.id),
        &category,
    )
}

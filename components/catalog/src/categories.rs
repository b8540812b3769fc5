//! The category tree: every category with a preview of its newest products, one category by
//! id or slug with its path and children, and new categories (operators, admin token).

use kit::{ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::category::{self, Category, Draft, Preview};
use crate::rules::{self, Key};

/// Up to this many newest products preview each category.
const PREVIEW: i64 = 4;

/// `POST /api/v1/catalog/categories`.
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

impl NewCategory {
    /// The category to write, each field checked against the category rules.
    fn check(self) -> ApiResult<Draft> {
        let slug = rules::category::slug(&self.slug)?;
        let name = rules::category::name(&self.name)?;
        let description = rules::category::description(&self.description)?;
        if let Some(url) = &self.image_url {
            rules::images(std::slice::from_ref(url))?;
        }
        Ok(Draft {
            parent_id: self.parent_id,
            slug,
            name,
            description,
            image_url: self.image_url,
        })
    }
}

/// `GET /api/v1/catalog/categories`.
#[derive(Serialize)]
struct Tree<'a> {
    items: Vec<TreeItem<'a>>,
}

/// A category in the tree, with its preview.
#[derive(Serialize)]
struct TreeItem<'a> {
    #[serde(flatten)]
    category: &'a Category,
    preview: Vec<&'a Preview>,
}

/// `GET /api/v1/catalog/categories/:key`.
#[derive(Serialize)]
struct Detail {
    #[serde(flatten)]
    category: Category,
    /// From the top of the tree down to the category itself.
    path: Vec<Category>,
    children: Vec<Category>,
}

/// `GET /api/v1/catalog/categories` — every category, parents first, each with `preview`: its
/// newest enabled products (id, slug, name, cover image), subcategories included.
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let db = ctx.db()?;
    let categories = category::tree(db)?;
    let previews = category::previews(db, PREVIEW)?;
    let items = categories
        .iter()
        .map(|c| TreeItem {
            category: c,
            preview: previews.iter().filter(|p| p.category_id == c.id).collect(),
        })
        .collect();
    json::ok(&Tree { items })
}

/// `GET /api/v1/catalog/categories/:key` — by id or slug, with its path from the top and its
/// children.
pub async fn get(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let db = ctx.db()?;
    let category = category::find(db, &Key::parse(ctx.param("key")))?;
    let path = category::path(db, category.id)?;
    let children = category::children(db, category.id)?;
    json::ok(&Detail {
        category,
        path,
        children,
    })
}

/// `POST /api/v1/catalog/categories` (admin token) — a new category under `parent_id` (404
/// `category_not_found` when there is no such parent); 409 `category_slug_taken`.
pub async fn create(ctx: Ctx, req: Request) -> ApiResult<Response> {
    kit::auth::require_admin(&req)?;
    let draft = json::read::<NewCategory>(&req)?.check()?;
    let db = ctx.db()?;
    if let Some(parent) = draft.parent_id {
        category::find(db, &Key::Id(parent))?;
    }
    let category = category::insert(db, kit::ids::new_id(), &draft)?;
    json::created(
        &format!("/api/v1/catalog/categories/{}", category.id),
        &category,
    )
}

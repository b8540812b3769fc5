//! Writing products: create, update and soft-delete, by the seller who owns the product. A
//! product's currency is its seller's; its search document and price range are kept up to
//! date with every change, and its embedding is asked for through the outbox when its text
//! changes.

use contracts::account::CurrencyAnswer;
use contracts::catalog::RepriceScope;
use kit::db::Db;
use kit::patch::Field;
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::category::{self, Category};
use crate::model::product::{self, Draft, Product};
use crate::model::sku::{self, Sku};
use crate::model::{outbox, tag};
use crate::rules::product::{Pair, Tag};
use crate::rules::{self, Key};

/// `POST /api/v1/catalog/products`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewProduct {
    category_id: Uuid,
    name: String,
    #[serde(default)]
    description: String,
    /// Optional, and only ever the seller's own: a check that the client and the server agree.
    currency: Option<String>,
    #[serde(default = "listed")]
    enabled: bool,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    specifications: Vec<Pair>,
    #[serde(default)]
    images: Vec<String>,
}

/// New products are listed unless the seller says otherwise.
fn listed() -> bool {
    true
}

/// `PATCH /api/v1/catalog/products/:id`. Only the featured SKU can be cleared (`null`: show
/// the cheapest), so only it is a [`Field`]; for every other field `null` means the same as
/// leaving it out, as it always has.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductChange {
    category_id: Option<Uuid>,
    name: Option<String>,
    description: Option<String>,
    enabled: Option<bool>,
    #[serde(default)]
    featured_sku_id: Field<Uuid>,
    tags: Option<Vec<String>>,
    specifications: Option<Vec<Pair>>,
    images: Option<Vec<String>>,
    #[serde(default)]
    regenerate_slug: bool,
}

/// The text fields of a [`ProductChange`], checked against the product rules.
struct TextChange {
    name: Option<String>,
    description: Option<String>,
    tags: Option<Vec<Tag>>,
    specifications: Option<Vec<Pair>>,
    images: Option<Vec<String>>,
}

impl ProductChange {
    fn check_text(&self) -> ApiResult<TextChange> {
        Ok(TextChange {
            name: self.name.as_deref().map(rules::product::name).transpose()?,
            description: (self.description.as_deref())
                .map(rules::product::description)
                .transpose()?,
            tags: self.tags.as_deref().map(rules::product::tags).transpose()?,
            specifications: (self.specifications.as_deref())
                .map(|s| rules::product::pairs("specifications", s))
                .transpose()?,
            images: self.images.as_deref().map(rules::images).transpose()?,
        })
    }

    /// The product as this change leaves it (the featured SKU apart).
    fn applied_to(
        &self,
        product: &Product,
        text: &TextChange,
        category: Option<&Category>,
    ) -> Draft {
        let mut draft = Draft::of(product);
        if let Some(category) = category {
            draft.category_id = category.id;
        }
        if let Some(name) = &text.name {
            draft.name = name.clone();
        }
        if self.regenerate_slug {
            draft.slug =
                rules::product::slug(&draft.name, &rules::product::slug_suffix(product.id));
        }
        if let Some(description) = &text.description {
            draft.description = description.clone();
        }
        if let Some(enabled) = self.enabled {
            draft.enabled = enabled;
        }
        if let Some(tags) = &text.tags {
            draft.tags = rules::product::tag_slugs(tags);
        }
        if let Some(specifications) = &text.specifications {
            draft.specifications = specifications.clone();
        }
        if let Some(images) = &text.images {
            draft.images = images.clone();
        }
        draft
    }
}

/// A product with its live SKUs, as a create or an update answers it.
#[derive(Serialize)]
struct WithSkus<'a> {
    #[serde(flatten)]
    product: &'a Product,
    skus: &'a [Sku],
}

/// The category a body names; one that does not exist is 422, as a bad field of the body.
fn named_category(db: &Db, id: Uuid) -> ApiResult<Category> {
    category::find(db, &Key::Id(id)).map_err(|e| {
        if e.status == 404 {
            ApiError::unprocessable("category_not_found", format!("no category {id}"))
        } else {
            e
        }
    })
}

/// The seller's currency, from account.
async fn seller_currency(ctx: &Ctx, seller: Uuid) -> ApiResult<String> {
    let answer: CurrencyAnswer = ctx
        .internal("account")
        .get(&format!("/internal/accounts/{seller}/currency"))
        .await?;
    Ok(answer.currency)
}

/// `POST /api/v1/catalog/products` — a new product of the caller, in their currency (a
/// different `currency` is 422 `currency_mismatch`). Add SKUs to give it prices.
pub async fn create(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let body: NewProduct = json::read(&req)?;
    let name = rules::product::name(&body.name)?;
    let description = rules::product::description(&body.description)?;
    let tags = rules::product::tags(&body.tags)?;
    let specifications = rules::product::pairs("specifications", &body.specifications)?;
    let images = rules::images(&body.images)?;
    let db = ctx.db()?;
    let category = named_category(db, body.category_id)?;
    let currency = seller_currency(&ctx, user.sub).await?;
    if let Some(given) = body.currency.as_deref().filter(|c| *c != currency) {
        return Err(ApiError::unprocessable(
            "currency_mismatch",
            format!("products are priced in the seller's currency, {currency}, not {given}"),
        ));
    }
    ctx.db()?
        .transaction(async |db: &Db| {
            let id = kit::ids::new_id();
            let draft = Draft {
                category_id: category.id,
                slug: rules::product::slug(&name, &rules::product::slug_suffix(id)),
                name: name.clone(),
                description: description.clone(),
                enabled: body.enabled,
                specifications: specifications.clone(),
                images: images.clone(),
                tags: rules::product::tag_slugs(&tags),
            };
            tag::ensure(db, &tags)?;
            product::insert(db, id, user.sub, &currency, &draft)?;
            product::reindex(db, id)?;
            outbox::embed_product(db, id)?;
            let product = product::find(db, &Key::Id(id), Some(user.sub))?;
            json::created(
                &format!("/api/v1/catalog/products/{id}"),
                &WithSkus {
                    product: &product,
                    skus: &[],
                },
            )
        })
        .await
        .inspect(|_| kit::outbox::wake(&ctx, "catalog"))
}

/// `PATCH /api/v1/catalog/products/:id` — the owner changes any of its fields; `tags`,
/// `specifications` and `images` replace the old lists; `featured_sku_id` must be one of the
/// product's live SKUs (422 `sku_not_in_product`) or `null`; `regenerate_slug` makes a new slug
/// from the name.
pub async fn update(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let id = ctx.param_id("id", "product")?;
    let change: ProductChange = json::read(&req)?;
    let text = change.check_text()?;
    let db = ctx.db()?;
    let category = change
        .category_id
        .map(|c| named_category(db, c))
        .transpose()?;
    ctx.db()?
        .transaction(async |db: &Db| {
            let product = product::lock(db, id)?;
            rules::ensure_seller(product.seller_id, user.sub)?;
            let text_before = product::embedding_text(db, id)?;
            if let Field::Value(featured) = change.featured_sku_id {
                let live = sku::of_products(db, &[id])?;
                if !live.iter().any(|s| s.id == featured) {
                    return Err(ApiError::unprocessable(
                        "sku_not_in_product",
                        format!("SKU {featured} is not a live SKU of this product"),
                    ));
                }
            }
            if let Some(tags) = &text.tags {
                tag::ensure(db, tags)?;
            }
            let draft = change.applied_to(&product, &text, category.as_ref());
            let featured = change
                .featured_sku_id
                .clone()
                .apply(product.featured_sku_id);
            product::update(db, id, &draft, featured)?;
            product::reindex(db, id)?;
            if product::embedding_text(db, id)? != text_before {
                outbox::embed_product(db, id)?;
            }
            // Category promotions reach it, or no longer do.
            if draft.category_id != product.category_id {
                outbox::reprice_own(db, product.seller_id, RepriceScope::Products(vec![id]))?;
            }
            let product = product::find(db, &Key::Id(id), Some(user.sub))?;
            let skus = sku::of_products(db, &[id])?;
            json::ok(&WithSkus {
                product: &product,
                skus: &skus,
            })
        })
        .await
        .inspect(|_| kit::outbox::wake(&ctx, "catalog"))
}

/// `DELETE /api/v1/catalog/products/:id` — the owner removes the product (and its SKUs) from
/// the catalog; orders that reference it keep their own copies. 204.
pub async fn delete(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let id = ctx.param_id("id", "product")?;
    ctx.db()?
        .transaction(async |db: &Db| {
            let product = product::lock(db, id)?;
            rules::ensure_seller(product.seller_id, user.sub)?;
            sku::delete_of_product(db, id)?;
            product::delete(db, id)?;
            json::no_content()
        })
        .await
}

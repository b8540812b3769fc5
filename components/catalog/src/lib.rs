//! Souk's `catalog` module: products (SPU) and their SKUs, the category tree, tags, product
//! cards and detail, listing with filters and full-text search.
//!
//! - [`categories`]: the tree, with a preview of each category's newest products.
//! - [`products`]: create, read (id or slug), update, soft-delete — the owning seller only.
//! - [`skus`]: a product's SKUs; a new SKU gets its stock in inventory exactly once.
//! - [`listing`]: cards filtered, sorted and paged by keyset; full-text search with spelling
//!   correction; tags.
//! - [`embedding`]: product and query vectors from the plugged-in embeddings provider; products
//!   are re-embedded through the outbox when their text changes.
//! - [`enrich`]: availability (inventory), favourites (account) and promoted prices, batched
//!   per page.
//! - [`reviews`]: reviews by buyers (purchase checked with the order module), replies, votes,
//!   and the product rating kept with them; the seller is notified through the outbox.
//! - [`stats`]: a seller's product count, rating and units sold.
//! - [`stock_levels`]: availability and units sold as inventory announces them, for filters
//!   and sorts.
//! - [`rules`]: the rules above as plain functions.
//!
//! It owns the `catalog` schema and no other.

mod categories;
mod embedding;
mod enrich;
mod listing;
mod products;
mod reviews;
mod rules;
mod skus;
mod stats;
mod stock_levels;

use kit::Router;

/// The module's routes.
pub fn router() -> Router {
    Router::new("catalog")
        .with_outbox()
        .post("/internal/products/:id/embed", embedding::refresh)
        .post("/internal/stock-levels", stock_levels::apply)
        .get("/api/v1/catalog/categories", categories::list)
        .post("/api/v1/catalog/categories", categories::create)
        .get("/api/v1/catalog/categories/:key", categories::get)
        .get("/api/v1/catalog/tags", listing::tags)
        .get("/api/v1/catalog/products", listing::list)
        .post("/api/v1/catalog/products", products::create)
        .get("/api/v1/catalog/products/:key", products::get)
        .patch("/api/v1/catalog/products/:id", products::update)
        .delete("/api/v1/catalog/products/:id", products::delete)
        .post("/api/v1/catalog/products/:id/skus", skus::create)
        .patch("/api/v1/catalog/products/:id/skus/:sku_id", skus::update)
        .delete("/api/v1/catalog/products/:id/skus/:sku_id", skus::delete)
        .get("/api/v1/catalog/products/:key/reviews", reviews::list)
        .post("/api/v1/catalog/products/:id/reviews", reviews::create)
        .patch("/api/v1/catalog/reviews/:id", reviews::update)
        .delete("/api/v1/catalog/reviews/:id", reviews::delete)
        .post("/api/v1/catalog/reviews/:id/vote", reviews::vote)
        .get("/api/v1/catalog/reviews/:id/replies", reviews::replies)
        .post("/api/v1/catalog/reviews/:id/replies", reviews::reply)
        .patch("/api/v1/catalog/replies/:id", reviews::update_reply)
        .delete("/api/v1/catalog/replies/:id", reviews::delete_reply)
        .get("/api/v1/catalog/sellers/:id/stats", stats::seller)
}

kit::component!(router);

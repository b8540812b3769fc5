//! Souk's `catalog` module: products (SPU) and their SKUs, the category tree, tags, product
//! cards and detail, listing with filters and hybrid search, and reviews.
//!
//! Handlers, one file per resource (none imports another):
//! - [`categories`]: the tree, with a preview of each category's newest products.
//! - [`products`]: cards listed, filtered and searched; detail by id or slug; create, update,
//!   soft-delete — the owning seller only.
//! - [`skus`]: a product's SKUs; a new SKU gets its stock in inventory exactly once.
//! - [`tags`]: the tags products use.
//! - [`reviews`]: reviews by buyers (purchase checked with the order module), votes, and the
//!   product rating kept with them; the seller is notified through the outbox.
//! - [`replies`]: replies to reviews.
//! - [`stats`]: a seller's product count, rating and units sold.
//! - [`stock_levels`]: availability and units sold as inventory announces them (internal).
//! - [`embed`]: a product's embedding, asked for through the outbox (internal).
//! - [`batch`]: many SKUs' or products' seller, category path, price and currency in one read,
//!   for promotion's quotes and checkout (internal).
//! - [`prices`]: SKUs' prices after promotions, priced again by promotion when they may have
//!   changed, for listings to filter and sort by and cards to show (internal).
//!
//! Below the handlers:
//! - [`model`]: catalog's tables — types, column lists, row decoding and every SQL statement.
//! - [`enrich`]: what other modules add to a page of cards (availability, favourites).
//! - [`embeddings`]: the plugged-in embeddings provider.
//! - [`rules`]: the rules above as pure functions, natively tested.
//!
//! It owns the `catalog` schema and no other.

mod batch;
mod categories;
mod embed;
mod embeddings;
mod enrich;
mod model;
mod prices;
mod products;
mod replies;
mod reviews;
mod rules;
mod skus;
mod stats;
mod stock_levels;
mod tags;

use kit::Router;

/// The module's routes.
pub fn router() -> Router {
    Router::new("catalog")
        .with_outbox()
        .post("/internal/products/:id/embed", embed::refresh)
        .post("/internal/stock-levels", stock_levels::apply)
        .post("/internal/skus/batch", batch::skus)
        .post("/internal/products/batch", batch::products)
        .post("/internal/skus/reprice", prices::reprice)
        .get("/api/v1/catalog/categories", categories::list)
        .post("/api/v1/catalog/categories", categories::create)
        .get("/api/v1/catalog/categories/:key", categories::get)
        .get("/api/v1/catalog/tags", tags::list)
        .get("/api/v1/catalog/products", products::list)
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
        .get("/api/v1/catalog/reviews/:id/replies", replies::list)
        .post("/api/v1/catalog/reviews/:id/replies", replies::create)
        .patch("/api/v1/catalog/replies/:id", replies::update)
        .delete("/api/v1/catalog/replies/:id", replies::delete)
        .get("/api/v1/catalog/sellers/:id/stats", stats::seller)
}

kit::component!(router);

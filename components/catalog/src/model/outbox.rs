//! The messages catalog sends, through its outbox (`catalog.outbox`, see `kit::outbox`): each
//! is written in the transaction of the change that causes it, so it exists exactly when that
//! change committed, and is relayed at least once under a key derived from its cause, so the
//! receiver applies it once. Handlers wake the relay after the commit.
//!
//! - to inventory, `POST /internal/stock` when a SKU is created: its stock exists exactly when
//!   the SKU committed;
//! - to catalog itself, `POST /internal/products/:id/embed` when a product's text changes;
//! - to catalog itself, `POST /internal/skus/reprice` when a SKU's price or a product's
//!   category changes, and for the rest of a scope one run could not price;
//! - to account, `POST /internal/notifications` when a product gets a review.

use contracts::account::{NOTIFICATION_CONTENT_MAX, NOTIFICATION_TITLE_MAX, NotificationRequest};
use contracts::catalog::{EmbedRequest, RepriceRequest, RepriceScope};
use contracts::inventory::CreateStockRequest;
use kit::ApiResult;
use kit::db::Db;
use kit::outbox::Message;
use serde::Serialize;
use uuid::Uuid;

use super::SCHEMA;
use super::product::Product;
use crate::rules::review;

/// The notification type of a new review.
const NEW_REVIEW: &str = "new_review";

/// Asks for product `id` to be embedded again. Every change gets a key of its own: the embed
/// reads the product's text when it runs, so of several changes in a row each message embeds
/// the latest text, and none is lost to an earlier one's key.
pub fn embed_product(db: &Db, id: Uuid) -> ApiResult<()> {
    let key = format!("catalog:embed:{id}:{}", kit::ids::new_id());
    let path = format!("/internal/products/{id}/embed");
    let message = Message {
        target: "catalog",
        path: &path,
        body: &EmbedRequest {},
        key,
    };
    kit::outbox::enqueue(db, SCHEMA, &message)
}

/// Asks for the SKUs of `request` to be priced again under the promotions running then. Every
/// message gets a key of its own, as [`embed_product`]'s do: each reads the prices when it
/// runs, and a stored answer older than another is never applied.
pub fn reprice(db: &Db, request: &RepriceRequest) -> ApiResult<()> {
    let message = Message {
        target: "catalog",
        path: "/internal/skus/reprice",
        body: request,
        key: format!("catalog:reprice:{}", kit::ids::new_id()),
    };
    kit::outbox::enqueue(db, SCHEMA, &message)
}

/// [`reprice`] for `scope` among `seller`'s products: a SKU added or repriced, a product moved.
pub fn reprice_own(db: &Db, seller: Uuid, scope: RepriceScope) -> ApiResult<()> {
    reprice(
        db,
        &RepriceRequest {
            seller_id: Some(seller),
            scope,
            after: None,
        },
    )
}

/// The key under which the stock of SKU `sku` is created, by this message or by the SKU
/// handler's own call after the commit (whichever comes first; the other is a replay).
pub fn stock_key(sku: Uuid) -> String {
    format!("catalog:sku:{sku}:stock")
}

/// Asks inventory to create the (empty) stock of a new SKU. Written with the SKU, so a SKU
/// whose transaction fails leaves no stock behind, and a committed one always gets its stock;
/// inventory creates it once per SKU id.
pub fn create_stock(db: &Db, stock: &CreateStockRequest) -> ApiResult<()> {
    let message = Message {
        target: "inventory",
        path: "/internal/stock",
        body: stock,
        key: stock_key(stock.sku_id),
    };
    kit::outbox::enqueue(db, SCHEMA, &message)
}

/// What a new-review notification links to.
#[derive(Serialize)]
struct NewReview {
    product_id: Uuid,
    review_id: Uuid,
    score: i16,
}

/// Tells the product's seller of review `review`, quoting its start. The key names the
/// review, so a repeated create notifies once.
pub fn new_review(
    db: &Db,
    product: &Product,
    review: Uuid,
    score: i16,
    body: &str,
) -> ApiResult<()> {
    let body = NotificationRequest {
        account_id: product.seller_id,
        kind: NEW_REVIEW.to_string(),
        // Account refuses a title or content past its limits or with control characters, and
        // a refused message is dead: they are built to fit, whatever the name and review hold.
        title: kit::validate::fit_line(
            &review::notice_title(score, &product.name),
            NOTIFICATION_TITLE_MAX,
        ),
        content: kit::validate::fit_text(&review::notice_excerpt(body), NOTIFICATION_CONTENT_MAX),
        metadata: Some(NewReview {
            product_id: product.id,
            review_id: review,
            score,
        }),
    };
    let key = format!("catalog:review:{review}:notify");
    let message = Message {
        target: "account",
        path: "/internal/notifications",
        body: &body,
        key,
    };
    kit::outbox::enqueue(db, SCHEMA, &message)
}

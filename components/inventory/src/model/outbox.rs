//! The messages inventory sends other modules, through its outbox (`inventory.outbox`, see
//! `kit::outbox`): each is written in the transaction of the change that causes it, so it
//! exists exactly when that change committed, and is relayed at least once under a key derived
//! from its cause, so the receiver applies it once.
//!
//! - to catalog, `POST /internal/stock-levels` on every change of a SKU's counts;
//! - to account, `POST /internal/notifications` when a reservation sells a SKU out.

use contracts::account::NotificationRequest;
use contracts::catalog::StockLevelsRequest;
use kit::ApiResult;
use kit::db::Db;
use kit::outbox::Message;
use serde::Serialize;
use uuid::Uuid;

use super::SCHEMA;
use super::stock::Levels;

/// The notification type of a sold-out SKU.
const SOLD_OUT: &str = "stock_sold_out";

/// Tells catalog the levels of a SKU after a change. The key carries the stock's version, so
/// each change sends its own message and a repeat of the same change none.
pub fn stock_levels(db: &Db, levels: &Levels) -> ApiResult<()> {
    let body = StockLevelsRequest {
        sku_id: levels.sku_id,
        available: levels.available,
        sold: levels.sold,
        version: levels.version,
    };
    let key = format!("inventory:stock:{}:{}", levels.sku_id, levels.version);
    let message = Message {
        target: "catalog",
        path: "/internal/stock-levels",
        body: &body,
        key,
    };
    kit::outbox::enqueue(db, SCHEMA, &message)
}

/// What a sold-out notification links to.
#[derive(Serialize)]
struct SoldOut {
    sku_id: Uuid,
    reservation_id: Uuid,
}

/// Tells `seller` that `reservation` took the last units of `sku`.
pub fn sold_out(db: &Db, reservation: Uuid, sku: Uuid, seller: Uuid) -> ApiResult<()> {
    let body = NotificationRequest {
        account_id: seller,
        kind: SOLD_OUT.to_string(),
        title: "A product sold out".to_string(),
        content: format!("SKU {sku} has no units left; import stock to keep selling it."),
        metadata: Some(SoldOut {
            sku_id: sku,
            reservation_id: reservation,
        }),
    };
    let key = format!("inventory:sold-out:{reservation}:{sku}");
    let message = Message {
        target: "account",
        path: "/internal/notifications",
        body: &body,
        key,
    };
    kit::outbox::enqueue(db, SCHEMA, &message)
}

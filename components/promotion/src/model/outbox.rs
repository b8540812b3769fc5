//! The messages promotion sends, through its outbox (`promotion.outbox`, see `kit::outbox`):
//! written in the transaction of the change that causes them, relayed at least once.
//!
//! - to catalog, `POST /internal/skus/reprice` for the SKUs an automatic promotion targets,
//!   whenever what it gives them may have changed: it was created, changed, ended or deleted,
//!   its schedule started, ended, opened or closed a window (the timers in `crate::timers`),
//!   or a reservation took its last use or budget, or a release gave them back. Catalog reads
//!   prices when the message runs, so each message has a key of its own and a late one is
//!   harmless.

use contracts::catalog::{RepriceRequest, RepriceScope};
use kit::ApiResult;
use kit::db::Db;
use kit::outbox::Message;

use super::SCHEMA;
use super::promotion::Stored;
use crate::rules::terms::Target;

/// Asks catalog to price again the SKUs `p` targets; nothing for a promotion with a code,
/// which cards never show.
pub fn reprice(db: &Db, p: &Stored) -> ApiResult<()> {
    if p.code.is_some() {
        return Ok(());
    }
    let scope = match p.target()? {
        Target::All => RepriceScope::All,
        Target::Products(ids) => RepriceScope::Products(ids.into_iter().collect()),
        Target::Skus(ids) => RepriceScope::Skus(ids.into_iter().collect()),
        Target::Categories(ids) => RepriceScope::Categories(ids.into_iter().collect()),
    };
    let message = Message {
        target: "catalog",
        path: "/internal/skus/reprice",
        body: &RepriceRequest {
            seller_id: p.seller_id,
            scope,
            after: None,
        },
        key: format!("promotion:{}:reprice:{}", p.id, kit::ids::new_id()),
    };
    kit::outbox::enqueue(db, SCHEMA, &message)
}

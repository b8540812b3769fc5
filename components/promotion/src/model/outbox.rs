//! The messages promotion sends, through its outbox (`promotion.outbox`, see `kit::outbox`):
//! written in the transaction of the change that causes them, relayed at least once.
//!
//! - to catalog, `POST /internal/skus/reprice` for the SKUs an automatic promotion targets,
//!   whenever what it gives them may have changed: it was created, changed, ended or deleted,
//!   its schedule started, ended, opened or closed a window (promotion's durable timers),
//!   or a reservation took its last use or budget, or a release gave them back. Catalog reads
//!   prices when the message runs, so each message has a key of its own and a late one is
//!   harmless.
//! - to account, `POST /internal/wallet/credit` when a checkout's cashback is paid: its key is
//!   the redemption's, so the buyer is credited once however often it is relayed.

use contracts::account::WalletMovementRequest;
use contracts::catalog::{RepriceRequest, RepriceScope};
use kit::ApiResult;
use kit::db::Db;
use kit::outbox::Message;
use uuid::Uuid;

use super::SCHEMA;
use super::promotion::Stored;
use super::redemption::Redemption;
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

/// Credits `buyer` the cashback of redemption `r`, in `currency`.
pub fn credit_cashback(db: &Db, r: &Redemption, buyer: Uuid, currency: &str) -> ApiResult<()> {
    let message = Message {
        target: "account",
        path: "/internal/wallet/credit",
        body: &WalletMovementRequest {
            account_id: buyer,
            amount: r.cashback_minor,
            currency: currency.to_string(),
            reason: "Cashback".to_string(),
            reference: Some(r.reference.clone()),
        },
        key: format!("promotion:cashback:{}", r.id),
    };
    kit::outbox::enqueue(db, SCHEMA, &message)
}

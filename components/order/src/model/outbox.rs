//! The messages order sends, through its outbox (`"order".outbox`, see `kit::outbox`): written
//! in the transaction of the change that causes them, relayed at least once.
//!
//! - to itself, `POST /internal/payments/:id/refunds` for the whole of a payment taken after
//!   its attempt was given up (`paid_late`): the money goes back to the buyer without anyone
//!   asking. Its key is the attempt's, so it is refunded once however often it is relayed; a
//!   gateway that makes no refunds (SePay) dead-letters it, where operators see it.
//! - to account, `POST /internal/wallet/credit` for the whole of a checkout's payment taken
//!   after its attempt was given up: the buyer's wallet gets it, under the key
//!   `order:late-credit:<attempt>`, so once.
//! - to account, `POST /internal/notifications`: a checkout paid (to its buyer), items to
//!   confirm (to each of its sellers).

use contracts::account::{NotificationRequest, WalletMovementRequest};
use contracts::order::RefundPayment;
use kit::ApiResult;
use kit::db::Db;
use kit::outbox::Message;
use uuid::Uuid;

use super::attempt::Attempt;

/// The module's schema.
pub const SCHEMA: &str = "order";

/// Refunds all of late payment `attempt`.
pub fn refund_late_payment(db: &Db, attempt: Uuid) -> ApiResult<()> {
    let path = format!("/internal/payments/{attempt}/refunds");
    let message = Message {
        target: "order",
        path: &path,
        body: &RefundPayment {
            amount_minor: None,
            reason: "paid after the payment attempt was given up".to_string(),
            requested_by: "system".to_string(),
        },
        key: format!("order:late-refund:{attempt}"),
    };
    kit::outbox::enqueue(db, SCHEMA, &message)
}

/// Sends `notification` to account under `key` (derived from its cause, so once).
pub fn notify(db: &Db, key: &str, notification: &NotificationRequest) -> ApiResult<()> {
    let message = Message {
        target: "account",
        path: "/internal/notifications",
        body: notification,
        key: key.to_string(),
    };
    kit::outbox::enqueue(db, SCHEMA, &message)
}

/// Credits all of late payment `a` (of `checkout`) to `buyer`'s wallet.
pub fn credit_late_payment(db: &Db, checkout: Uuid, buyer: Uuid, a: &Attempt) -> ApiResult<()> {
    let message = Message {
        target: "account",
        path: "/internal/wallet/credit",
        body: &WalletMovementRequest {
            account_id: buyer,
            amount: a.amount_minor,
            currency: a.currency.clone(),
            reason: "A payment that arrived after its checkout ended".to_string(),
            reference: Some(format!("checkout:{checkout}")),
        },
        key: format!("order:late-credit:{}", a.id),
    };
    kit::outbox::enqueue(db, SCHEMA, &message)
}

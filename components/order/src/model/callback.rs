//! `"order".payment_callback`: every callback a gateway sent, believed or not, with the
//! verdict it got: the record of what each gateway said, and of forgeries.

use kit::ApiResult;
use kit::db::{Db, optional_text, optional_uuid, text, uuid};
use uuid::Uuid;

/// One callback as recorded.
pub struct Record<'a> {
    pub gateway: &'a str,
    pub attempt_id: Option<Uuid>,
    pub reference: Option<&'a str>,
    pub outcome: Option<&'a str>,
    pub amount: Option<(i64, &'a str)>,
    pub transaction_id: Option<&'a str>,
    /// `accepted`, `unknown_attempt`, `amount_mismatch`, `already_settled` or `refused`.
    pub verdict: &'a str,
    /// Why it was refused, without secrets.
    pub reason: Option<&'a str>,
}

const INSERT: &str = "INSERT INTO \"order\".payment_callback (id, gateway, attempt_id, reference, \
                      outcome, amount_minor, currency, transaction_id, verdict, reason) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

pub fn insert(db: &Db, r: &Record<'_>) -> ApiResult<()> {
    db.execute(
        INSERT,
        &[
            uuid(kit::ids::new_id()),
            text(r.gateway),
            optional_uuid(r.attempt_id),
            optional_text(r.reference),
            optional_text(r.outcome),
            r.amount.map(|(a, _)| a).into(),
            optional_text(r.amount.map(|(_, c)| c)),
            optional_text(r.transaction_id),
            text(r.verdict),
            optional_text(r.reason),
        ],
    )?;
    Ok(())
}

//! `"order".payment_refund`: refunds of paid attempts, done or still pending at the gateway;
//! both count against what can still be refunded.

use kit::db::{Db, FromRow, Row, optional_text, text, uuid};
use kit::{ApiError, ApiResult};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Pending,
    Done,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Done => "done",
        }
    }

    fn parse(s: &str) -> ApiResult<State> {
        match s {
            "pending" => Ok(State::Pending),
            "done" => Ok(State::Done),
            other => Err(ApiError::internal(format_args!(
                "unknown refund status `{other}`"
            ))),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Refund {
    pub id: Uuid,
    pub reference: String,
    pub amount_minor: i64,
    pub state: State,
    pub transaction_id: Option<String>,
}

impl FromRow for Refund {
    fn from_row(row: &Row<'_>) -> ApiResult<Refund> {
        Ok(Refund {
            id: row.get("id")?,
            reference: row.get("reference")?,
            amount_minor: row.get("amount_minor")?,
            state: State::parse(&row.get::<String>("status")?)?,
            transaction_id: row.get("transaction_id")?,
        })
    }
}

const COLUMNS: &str = "SELECT id, reference, amount_minor, status, transaction_id \
                       FROM \"order\".payment_refund";

/// The refund with `reference`, if one was recorded.
pub fn find(db: &Db, reference: &str) -> ApiResult<Option<Refund>> {
    db.fetch_optional(
        &format!("{COLUMNS} WHERE reference = $1"),
        &[text(reference)],
    )
}

const INSERT: &str = "INSERT INTO \"order\".payment_refund \
                      (id, attempt_id, reference, amount_minor, reason, requested_by) \
                      VALUES ($1, $2, $3, $4, $5, $6)";

/// Records a pending refund of `amount` of `attempt`.
pub fn insert(
    db: &Db,
    attempt: Uuid,
    reference: &str,
    amount: i64,
    reason: &str,
    requested_by: &str,
) -> ApiResult<Refund> {
    let id = kit::ids::new_id();
    db.execute(
        INSERT,
        &[
            uuid(id),
            uuid(attempt),
            text(reference),
            amount.into(),
            text(reason),
            text(requested_by),
        ],
    )?;
    Ok(Refund {
        id,
        reference: reference.to_string(),
        amount_minor: amount,
        state: State::Pending,
        transaction_id: None,
    })
}

const SETTLE: &str = "UPDATE \"order\".payment_refund SET status = $2, transaction_id = $3, \
                      code = $4, settled_at = CASE WHEN $2 = 'pending' THEN NULL ELSE now() END \
                      WHERE id = $1";

pub fn set_state(
    db: &Db,
    id: Uuid,
    state: State,
    transaction_id: Option<&str>,
    code: &str,
) -> ApiResult<()> {
    db.execute(
        SETTLE,
        &[
            uuid(id),
            text(state.as_str()),
            optional_text(transaction_id),
            text(code),
        ],
    )?;
    Ok(())
}

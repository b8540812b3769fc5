//! `"order".payment_attempt`: one try at collecting an amount through a gateway, and the rule
//! ([`settle`]) that decides what a gateway's notice does to it.

use chrono::{DateTime, Utc};
use kit::db::{Db, FromRow, Lock, Row, json, micros, optional_text, text, uuid};
use kit::{ApiError, ApiResult};
use uuid::Uuid;

use super::{checkout, ledger, outbox};

/// Where an attempt stands: pending, then settled once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Pending,
    Paid,
    Failed,
    Cancelled,
    Expired,
    /// The gateway took the money after the attempt was given up.
    PaidLate,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Paid => "paid",
            State::Failed => "failed",
            State::Cancelled => "cancelled",
            State::Expired => "expired",
            State::PaidLate => "paid_late",
        }
    }

    fn parse(s: &str) -> ApiResult<State> {
        [
            State::Pending,
            State::Paid,
            State::Failed,
            State::Cancelled,
            State::Expired,
            State::PaidLate,
        ]
        .into_iter()
        .find(|state| state.as_str() == s)
        .ok_or_else(|| ApiError::internal(format_args!("unknown payment status `{s}`")))
    }

    /// Whether money was taken, so it can be refunded.
    pub fn took_money(self) -> bool {
        matches!(self, State::Paid | State::PaidLate)
    }
}

/// What a gateway reports about an attempt, in order's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reported {
    Paid,
    Failed,
    Cancelled,
    Expired,
    Pending,
}

/// How a notice was taken; the gateway's answer follows from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Recorded; `Some` is the attempt's new state.
    Accepted(Option<State>),
    AmountMismatch,
    AlreadySettled,
}

/// What a notice of `reported` for `amount`/`currency`, arriving at `now`, does to `attempt`:
///
/// - an amount or currency other than the attempt's is refused, whatever else it says;
/// - a pending attempt takes the reported outcome — but money taken after the attempt
///   expired, or after it was given up, is `paid_late` (to be refunded), never `paid`;
/// - a settled attempt changes no more, except that money taken for an attempt that had
///   failed, expired or was cancelled is recorded as `paid_late`, since it must be given back;
/// - a gateway repeating what it said (or a replayed callback) is answered as settled.
pub fn settle(
    attempt: &Attempt,
    reported: Reported,
    amount: i64,
    currency: &str,
    now: DateTime<Utc>,
) -> Verdict {
    if amount != attempt.amount_minor || currency != attempt.currency {
        return Verdict::AmountMismatch;
    }
    match (attempt.state, reported) {
        (State::Pending, Reported::Pending) => Verdict::Accepted(None),
        (State::Pending, Reported::Paid) if now > attempt.expires_at => {
            Verdict::Accepted(Some(State::PaidLate))
        }
        (State::Pending, Reported::Paid) => Verdict::Accepted(Some(State::Paid)),
        (State::Pending, Reported::Failed) => Verdict::Accepted(Some(State::Failed)),
        (State::Pending, Reported::Cancelled) => Verdict::Accepted(Some(State::Cancelled)),
        (State::Pending, Reported::Expired) => Verdict::Accepted(Some(State::Expired)),
        (State::Failed | State::Cancelled | State::Expired, Reported::Paid) => {
            Verdict::Accepted(Some(State::PaidLate))
        }
        _ => Verdict::AlreadySettled,
    }
}

/// A stored attempt.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub id: Uuid,
    pub reference: String,
    pub owner: String,
    pub gateway: String,
    pub method: String,
    pub amount_minor: i64,
    pub currency: String,
    pub state: State,
    pub next_step: serde_json::Value,
    pub transaction_id: Option<String>,
    pub refunded_minor: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub settled_at: Option<DateTime<Utc>>,
}

impl FromRow for Attempt {
    fn from_row(row: &Row<'_>) -> ApiResult<Attempt> {
        Ok(Attempt {
            id: row.get("id")?,
            reference: row.get("reference")?,
            owner: row.get("owner")?,
            gateway: row.get("gateway")?,
            method: row.get("method")?,
            amount_minor: row.get("amount_minor")?,
            currency: row.get("currency")?,
            state: State::parse(&row.get::<String>("status")?)?,
            next_step: row.json("next_step")?,
            transaction_id: row.get("transaction_id")?,
            refunded_minor: row.get("refunded_minor")?,
            created_at: row.time("created_at")?,
            expires_at: row.time("expires_at")?,
            settled_at: row.optional_time("settled_at")?,
        })
    }
}

/// The reference a gateway knows attempt `id` by: its hex digits, since VNPay takes letters
/// and digits only.
pub fn reference_of(id: Uuid) -> String {
    id.simple().to_string()
}

/// A new attempt, before it is stored.
pub struct New<'a> {
    pub id: Uuid,
    pub owner: &'a str,
    pub gateway: &'a str,
    pub method: &'a str,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub next_step: &'a serde_json::Value,
    pub provider_reference: Option<&'a str>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

const INSERT: &str = "INSERT INTO \"order\".payment_attempt (id, reference, owner, gateway, method, \
                      amount_minor, currency, next_step, provider_reference, created_at, \
                      expires_at) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
                      $10::text::timestamptz, $11::text::timestamptz)";

pub fn insert(db: &Db, a: &New<'_>) -> ApiResult<()> {
    db.execute(
        INSERT,
        &[
            uuid(a.id),
            text(reference_of(a.id)),
            text(a.owner),
            text(a.gateway),
            text(a.method),
            a.amount_minor.into(),
            text(a.currency),
            json(a.next_step)?,
            optional_text(a.provider_reference),
            micros(a.created_at),
            micros(a.expires_at),
        ],
    )?;
    Ok(())
}

const COLUMNS: &str = "SELECT a.id, a.reference, a.owner, a.gateway, a.method, a.amount_minor, \
                       a.currency, a.status, a.next_step, a.transaction_id, \
                       (SELECT COALESCE(sum(r.amount_minor), 0)::int8 \
                        FROM \"order\".payment_refund r \
                        WHERE r.attempt_id = a.id) AS refunded_minor, \
                       a.created_at AT TIME ZONE 'UTC' AS created_at, \
                       a.expires_at AT TIME ZONE 'UTC' AS expires_at, \
                       a.settled_at AT TIME ZONE 'UTC' AS settled_at \
                       FROM \"order\".payment_attempt a";

fn not_found() -> ApiError {
    ApiError::not_found("payment_not_found", "no such payment attempt")
}

/// Attempt `id`, locked for the rest of the transaction when `lock`; 404 when there is none.
pub fn load(db: &Db, id: Uuid, lock: bool) -> ApiResult<Attempt> {
    let sql = format!(
        "{COLUMNS} WHERE a.id = $1{}",
        if lock { " FOR UPDATE OF a" } else { "" }
    );
    db.fetch_optional(&sql, &[uuid(id)])?.ok_or_else(not_found)
}

/// The attempt a gateway calls `reference`, locked for the rest of the transaction.
pub fn find_locked(db: &Db, reference: &str) -> ApiResult<Option<Attempt>> {
    let sql = format!("{COLUMNS} WHERE a.reference = $1 FOR UPDATE OF a");
    db.fetch_optional(&sql, &[text(reference)])
}

const SETTLE: &str = "UPDATE \"order\".payment_attempt SET status = $2, settled_at = now(), \
                      transaction_id = COALESCE($3, transaction_id), code = $4 \
                      WHERE id = $1";

/// Settles attempt `id` in `state` (not `Pending`).
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

/// Settles `a` in `state` from a gateway's word (a callback, or the gateway asked), and tells
/// a checkout or a confirmation fee that owns the attempt ([`checkout::nudge`],
/// [`super::order::fee_nudge`]). Money taken too late goes back
/// through the outbox: to the buyer's wallet when a checkout owns the attempt (the checkout's
/// ledger records it taken and given back), else refunded through the gateway. Returns the
/// invocations to wake after the commit.
pub fn record_settlement(
    db: &Db,
    a: &Attempt,
    state: State,
    transaction_id: Option<&str>,
    code: &str,
) -> ApiResult<Vec<Uuid>> {
    set_state(db, a.id, state, transaction_id, code)?;
    let owner = match checkout::of_owner(&a.owner) {
        Some(id) => checkout::find(db, id, Lock::None)?,
        None => None,
    };
    if state == State::PaidLate {
        match &owner {
            Some(c) => {
                let taken = format!("payment:{}", a.id);
                ledger::take(
                    db,
                    c.id,
                    ledger::Kind::Gateway,
                    a.amount_minor,
                    &a.currency,
                    &taken,
                )?;
                ledger::give_back(db, &taken, ledger::Kind::Wallet, &format!("{taken}:back"))?;
                outbox::credit_late_payment(db, c.id, c.buyer_id, a)?;
            }
            None => outbox::refund_late_payment(db, a.id)?,
        }
    }
    match (owner, super::order::of_fee_owner(&a.owner)) {
        (Some(c), _) => checkout::nudge(db, c.id),
        (None, Some(order)) => super::order::fee_nudge(db, order),
        (None, None) => Ok(Vec::new()),
    }
}

/// The newest attempt of `owner`, if it has one.
pub fn latest_of(db: &Db, owner: &str) -> ApiResult<Option<Attempt>> {
    Ok(latest_of_each(db, &[owner])?.pop())
}

/// The latest attempt of each of `owners` that has one.
pub fn latest_of_each(db: &Db, owners: &[&str]) -> ApiResult<Vec<Attempt>> {
    let sql = COLUMNS.replacen("SELECT ", "SELECT DISTINCT ON (a.owner) ", 1)
        + " WHERE a.owner = ANY($1) ORDER BY a.owner, a.created_at DESC, a.id DESC";
    db.fetch_all(&sql, &[kit::db::strings(owners)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn attempt(state: State) -> Attempt {
        let now = Utc::now();
        Attempt {
            id: Uuid::nil(),
            reference: "r".into(),
            owner: "checkout:1".into(),
            gateway: "vnpay".into(),
            method: "any".into(),
            amount_minor: 150_000,
            currency: "VND".into(),
            state,
            next_step: serde_json::Value::Null,
            transaction_id: None,
            refunded_minor: 0,
            created_at: now - Duration::minutes(1),
            expires_at: now + Duration::minutes(14),
            settled_at: None,
        }
    }

    #[test]
    fn a_pending_attempt_takes_what_the_gateway_reports() {
        let a = attempt(State::Pending);
        let now = Utc::now();
        let cases = [
            (Reported::Paid, Verdict::Accepted(Some(State::Paid))),
            (Reported::Failed, Verdict::Accepted(Some(State::Failed))),
            (
                Reported::Cancelled,
                Verdict::Accepted(Some(State::Cancelled)),
            ),
            (Reported::Expired, Verdict::Accepted(Some(State::Expired))),
            (Reported::Pending, Verdict::Accepted(None)),
        ];
        for (reported, verdict) in cases {
            assert_eq!(
                settle(&a, reported, 150_000, "VND", now),
                verdict,
                "{reported:?}"
            );
        }
    }

    #[test]
    fn another_amount_or_currency_is_refused_whatever_it_reports() {
        let a = attempt(State::Pending);
        let now = Utc::now();
        assert_eq!(
            settle(&a, Reported::Paid, 149_999, "VND", now),
            Verdict::AmountMismatch
        );
        assert_eq!(
            settle(&a, Reported::Paid, 150_000, "USD", now),
            Verdict::AmountMismatch
        );
        let paid = attempt(State::Paid);
        assert_eq!(
            settle(&paid, Reported::Paid, 1, "VND", now),
            Verdict::AmountMismatch
        );
    }

    #[test]
    fn money_taken_after_expiry_or_after_giving_up_is_paid_late() {
        let a = attempt(State::Pending);
        let late = a.expires_at + Duration::seconds(1);
        assert_eq!(
            settle(&a, Reported::Paid, 150_000, "VND", late),
            Verdict::Accepted(Some(State::PaidLate))
        );
        for given_up in [State::Expired, State::Cancelled, State::Failed] {
            assert_eq!(
                settle(
                    &attempt(given_up),
                    Reported::Paid,
                    150_000,
                    "VND",
                    Utc::now()
                ),
                Verdict::Accepted(Some(State::PaidLate)),
                "{given_up:?}"
            );
        }
    }

    #[test]
    fn a_settled_attempt_changes_no_more() {
        let now = Utc::now();
        for state in [State::Paid, State::PaidLate] {
            for reported in [Reported::Paid, Reported::Failed, Reported::Cancelled] {
                assert_eq!(
                    settle(&attempt(state), reported, 150_000, "VND", now),
                    Verdict::AlreadySettled
                );
            }
        }
        assert_eq!(
            settle(
                &attempt(State::Expired),
                Reported::Failed,
                150_000,
                "VND",
                now
            ),
            Verdict::AlreadySettled
        );
    }
}

//! `promotion.redemption` and `promotion.redemption_line`: a checkout's hold on promotions,
//! one line per promotion, the state it is in, and the cashback it owes the buyer.

use chrono::{DateTime, Utc};
use kit::db::{Db, FromRow, Row, optional_text, optional_uuid, text, uuid};
use kit::{ApiError, ApiResult};
use uuid::Uuid;

/// Where a redemption stands: reserved, then committed or released, once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Uses and budget held while the checkout pays.
    Reserved,
    /// Paid.
    Committed,
    /// Given back.
    Released,
}

impl State {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Reserved => "reserved",
            State::Committed => "committed",
            State::Released => "released",
        }
    }

    fn parse(s: &str) -> ApiResult<State> {
        match s {
            "reserved" => Ok(State::Reserved),
            "committed" => Ok(State::Committed),
            "released" => Ok(State::Released),
            other => Err(ApiError::internal(format_args!(
                "unknown redemption status `{other}`"
            ))),
        }
    }
}

/// A stored redemption.
#[derive(Debug)]
pub struct Redemption {
    /// Its id.
    pub id: Uuid,
    /// The checkout it is for.
    pub reference: String,
    /// The buyer, when one was named.
    pub buyer_id: Option<Uuid>,
    /// Where it stands.
    pub state: State,
    /// `(promotion, amount)` per promotion, in promotion id order: the order every change
    /// locks usage rows in.
    pub lines: Vec<(Uuid, i64)>,
    /// The checkout's currency, when named.
    pub currency: Option<String>,
    /// What its cashback promotions give the buyer.
    pub cashback_minor: i64,
    /// When the cashback was credited.
    pub cashback_paid_at: Option<DateTime<Utc>>,
}

struct Head {
    id: Uuid,
    buyer_id: Option<Uuid>,
    state: State,
    currency: Option<String>,
    cashback_minor: i64,
    cashback_paid_at: Option<DateTime<Utc>>,
}

impl FromRow for Head {
    fn from_row(row: &Row<'_>) -> ApiResult<Head> {
        Ok(Head {
            id: row.get("id")?,
            buyer_id: row.get("buyer_id")?,
            state: State::parse(&row.get::<String>("status")?)?,
            currency: row.get("currency")?,
            cashback_minor: row.get("cashback_minor")?,
            cashback_paid_at: row.optional_time("cashback_paid_at")?,
        })
    }
}

struct Line(Uuid, i64);

impl FromRow for Line {
    fn from_row(row: &Row<'_>) -> ApiResult<Line> {
        Ok(Line(row.get("promotion_id")?, row.get("amount_minor")?))
    }
}

const INSERT: &str = "INSERT INTO promotion.redemption \
                      (id, reference, buyer_id, currency, status) \
                      VALUES ($1, $2, $3, $4, 'reserved')";

/// Creates a reserved redemption for `reference` and returns its id (UUIDv7); 409
/// `redemption_exists` when a redemption already has that reference, whatever its state —
/// the backstop of exactly once after an idempotency record expired.
pub fn insert(
    db: &Db,
    reference: &str,
    buyer: Option<Uuid>,
    currency: Option<&str>,
) -> ApiResult<Uuid> {
    let id = kit::ids::new_id();
    let params = [
        uuid(id),
        text(reference),
        optional_uuid(buyer),
        optional_text(currency),
    ];
    db.execute(INSERT, &params).map_err(|e| {
        e.to_api(&[(
            "redemption_reference_key",
            ApiError::conflict(
                "redemption_exists",
                format!("a redemption with reference {reference} exists already"),
            ),
        )])
    })?;
    Ok(id)
}

const INSERT_LINE: &str = "INSERT INTO promotion.redemption_line \
                           (redemption_id, promotion_id, amount_minor) VALUES ($1, $2, $3)";

/// Adds the line of `promotion` to `redemption`.
pub fn insert_line(db: &Db, redemption: Uuid, promotion: Uuid, amount: i64) -> ApiResult<()> {
    db.execute(
        INSERT_LINE,
        &[uuid(redemption), uuid(promotion), amount.into()],
    )?;
    Ok(())
}

const LOAD_LOCKED: &str = "SELECT id, buyer_id, status, currency, cashback_minor, \
                           cashback_paid_at AT TIME ZONE 'UTC' AS cashback_paid_at \
                           FROM promotion.redemption WHERE reference = $1 FOR UPDATE";

const LINES: &str = "SELECT promotion_id, amount_minor FROM promotion.redemption_line \
                     WHERE redemption_id = $1 ORDER BY promotion_id";

/// The redemption of `reference` with its lines, locked until the transaction ends, so that
/// a release and a commit racing for it are decided one after the other; 404
/// `redemption_not_found`.
pub fn load_locked(db: &Db, reference: &str) -> ApiResult<Redemption> {
    let head: Head = db
        .fetch_optional(LOAD_LOCKED, &[text(reference)])?
        .ok_or_else(|| {
            ApiError::not_found(
                "redemption_not_found",
                format!("no redemption for reference {reference}"),
            )
        })?;
    let lines: Vec<Line> = db.fetch_all(LINES, &[uuid(head.id)])?;
    Ok(Redemption {
        id: head.id,
        reference: reference.to_string(),
        buyer_id: head.buyer_id,
        state: head.state,
        lines: lines.into_iter().map(|Line(p, a)| (p, a)).collect(),
        currency: head.currency,
        cashback_minor: head.cashback_minor,
        cashback_paid_at: head.cashback_paid_at,
    })
}

const SET_CASHBACK: &str = "UPDATE promotion.redemption SET cashback_minor = $2 WHERE id = $1";

/// Records what the cashback lines of redemption `id` give, as reserved; 422 when the
/// redemption names no buyer or currency (the table's CHECK decides).
pub fn set_cashback(db: &Db, id: Uuid, cashback: i64) -> ApiResult<()> {
    db.execute(SET_CASHBACK, &[uuid(id), cashback.into()])
        .map_err(|e| {
            e.to_api(&[(
                "redemption_cashback_has_currency_and_buyer",
                ApiError::unprocessable(
                    "cashback_needs_buyer_and_currency",
                    "a cashback promotion pays the buyer's wallet: name buyer_id and currency",
                ),
            )])
        })?;
    Ok(())
}

const PAY_CASHBACK: &str = "UPDATE promotion.redemption SET cashback_paid_at = now() \
                            WHERE id = $1 AND cashback_paid_at IS NULL \
                            RETURNING cashback_paid_at AT TIME ZONE 'UTC' AS cashback_paid_at";

/// Marks the cashback of redemption `id` (locked) as credited, now.
pub fn pay_cashback(db: &Db, id: Uuid) -> ApiResult<DateTime<Utc>> {
    let set = db.query(PAY_CASHBACK, &[uuid(id)])?;
    kit::db::rows(&set)
        .next()
        .ok_or_else(|| ApiError::internal("the cashback was credited already"))?
        .time("cashback_paid_at")
}

const SET_STATE: &str =
    "UPDATE promotion.redemption SET status = $2, updated_at = now() WHERE id = $1";

/// Moves redemption `id` into `state`.
pub fn set_state(db: &Db, id: Uuid, state: State) -> ApiResult<()> {
    db.execute(SET_STATE, &[uuid(id), text(state.as_str())])?;
    Ok(())
}

/// 409 once a redemption has ended either way: `redemption_committed`, `redemption_released`.
pub fn ensure_reserved(redemption: &Redemption) -> ApiResult<()> {
    if redemption.state != State::Reserved {
        let state = redemption.state.as_str();
        return Err(ApiError::conflict(
            format!("redemption_{state}"),
            format!(
                "the redemption for {} is already {state}",
                redemption.reference
            ),
        ));
    }
    Ok(())
}

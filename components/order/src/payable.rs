//! Paying through a gateway by attempts — one way for whatever owns the money: a buyer's
//! checkout, a seller's confirmation fee. Its workflow calls [`await_payment`], which loops:
//! `look-<n>` decides by [`rules::next_move`] under the owner's row lock (its round moved on);
//! `attempt-<n>` asks order's payments for an attempt, `give-up-<n>` gives one up, and
//! `wait-<n>` waits durably for the owner's signal (a payment settled, the payer cancelled or
//! asked for a new payment URL) or the next deadline (the attempt's expiry, the session's
//! end). The payer's asks go through [`asked`], under the same lock.

use chrono::{DateTime, Utc};
use contracts::order::{PaymentAnswer, StartPayment};
use kit::db::Db;
use kit::workflow::{Run, Step, Stop};
use kit::{ApiError, ApiResult, Request};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::gateways::{self, Gateway};
use crate::model::attempt::{self, Attempt, State};
use crate::rules::{self, AttemptState, MAX_ATTEMPTS, Move, Standing};

/// Looks one payment takes at most before it is expired: a safety net, never reached by the
/// payer's asks, which are bounded by [`MAX_ATTEMPTS`].
const MAX_LOOKS: usize = 1000;

/// What is to be paid, and how.
pub struct Ask {
    pub gateway: String,
    pub method: String,
    pub amount_minor: i64,
    pub currency: String,
    pub description: String,
    pub attempt_secs: i64,
    pub expires_at_ms: i64,
}

/// Where a waiting payable stands, as its row says.
pub struct Waiting {
    pub expires_at: DateTime<Utc>,
    pub cancel_requested: bool,
    pub wants_attempt: bool,
    pub attempts: i32,
}

/// Something paid through a gateway by attempts.
pub trait Payable {
    /// The refusals a wait ends with when the payer cancels, or the session ends.
    const CANCELLED: (&'static str, &'static str);
    const EXPIRED: (&'static str, &'static str);
    /// What its attempts name as their owner.
    fn owner(&self) -> String;
    fn ask(&self) -> ApiResult<Ask>;
    /// The signal a wait in `round` wakes on.
    fn signal_name(&self, round: i32) -> String;
    /// Locks its row and moves its round on; where it stood.
    fn look(&self, db: &Db) -> ApiResult<Waiting>;
    /// Where the gateway sends the payer back, and the payer's address (without a lock).
    fn payer(&self, db: &Db) -> ApiResult<(String, String)>;
    /// A new attempt is out: the payer's ask is answered.
    fn attempt_started(&self, db: &Db) -> ApiResult<()>;
    /// The wait ends: paid by attempt `payment`, cancelled, or expired.
    fn paid(&self, db: &Db, payment: Uuid) -> ApiResult<()>;
    fn cancelled(&self, db: &Db) -> ApiResult<()>;
    fn expired(&self, db: &Db) -> ApiResult<()>;
}

/// The current attempt, as the payer sees it.
#[derive(Serialize)]
pub struct PaymentView {
    payment_id: Uuid,
    /// What the gateway knows the attempt by.
    reference: String,
    gateway: String,
    method: String,
    status: &'static str,
    /// What the payer does to pay; only while the attempt is payable.
    pub next_step: Option<Value>,
    attempts: i32,
    expires_at: String,
}

impl PaymentView {
    /// Attempt `a`, the latest of `attempts`.
    pub fn of(a: Attempt, attempts: i32) -> PaymentView {
        let payable = a.state == State::Pending && a.expires_at > Utc::now();
        PaymentView {
            payment_id: a.id,
            reference: a.reference,
            gateway: a.gateway,
            method: a.method,
            status: a.state.as_str(),
            next_step: payable.then_some(a.next_step),
            attempts,
            expires_at: kit::time::rfc3339(a.expires_at),
        }
    }
}

/// The gateway `id` and a method it offers (`any` when none is named), as a payer chose them;
/// 404 `gateway_not_found`, 422 `method_not_offered`.
pub fn gateway_choice(id: &str, method: Option<&str>) -> ApiResult<(String, String)> {
    let method = method.unwrap_or("any");
    let gateway = Gateway::find(id)?;
    let m = gateways::parse_method(method)?;
    if m != gateways::Method::Any && !gateway.methods().contains(&m) {
        return Err(ApiError::unprocessable(
            "method_not_offered",
            format!("{id} does not offer {method}"),
        ));
    }
    Ok((
        gateway.id().to_string(),
        gateways::method_name(m).to_string(),
    ))
}

/// Where a gateway sends the payer back: an http(s) URL of at most 255 characters.
pub fn return_url(url: &str) -> ApiResult<String> {
    let url = url.trim();
    if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 255 {
        return Err(ApiError::validation(
            "return_url: an http(s) URL of at most 255 characters",
        ));
    }
    Ok(url.to_string())
}

/// The payer's address as Spin saw it, for the gateways (VNPay requires it).
pub fn client_ip(req: &Request) -> String {
    req.header("spin-client-addr")
        .and_then(|v| v.as_str())
        .and_then(|a| {
            a.parse::<std::net::SocketAddr>()
                .map(|s| s.ip())
                .or_else(|_| a.parse::<std::net::IpAddr>())
                .ok()
        })
        .map_or_else(|| "127.0.0.1".to_string(), |ip| ip.to_string())
}

/// A 409 meaning "this was done already": an undo or a commit repeated.
pub fn done_already(e: &ApiError, codes: &[&str]) -> bool {
    e.status == 409 && codes.contains(&e.code.as_ref())
}

fn attempt_state(state: State) -> AttemptState {
    match state {
        State::Pending => AttemptState::Pending,
        State::Paid => AttemptState::Paid,
        _ => AttemptState::Over,
    }
}

/// Looks, starts attempts, gives them up and waits until `p` is paid; a refusal when the
/// payer cancels or the session ends.
pub async fn await_payment<U: Serialize, P: Payable>(
    run: &mut Run<'_, U>,
    p: &P,
) -> Result<(), Stop> {
    for round in 0..MAX_LOOKS {
        let next: Move = run
            .step(&format!("look-{round}"), async |s: &Step<'_, U>| {
                look(s.db(), p, round >= MAX_LOOKS - 1)
            })
            .await?;
        let refused = |(code, message): (&'static str, &'static str)| {
            Err(Stop::Failed(ApiError::conflict(code, message)))
        };
        match next {
            Move::Paid { .. } => return Ok(()),
            Move::Cancel => return refused(P::CANCELLED),
            Move::Expire => return refused(P::EXPIRED),
            Move::StartAttempt => {
                run.step(&format!("attempt-{round}"), async |s: &Step<'_, U>| {
                    start_attempt(s, p).await
                })
                .await?;
            }
            Move::GiveUp { payment_id } => {
                run.step(&format!("give-up-{round}"), async |s: &Step<'_, U>| {
                    give_up(s, payment_id).await
                })
                .await?;
            }
            Move::Wait { until_ms } => {
                let until = kit::time::from_epoch_millis(until_ms).ok_or_else(|| {
                    Stop::Failed(ApiError::internal("a wait's deadline is out of range"))
                })?;
                let signal = p.signal_name(i32::try_from(round + 1).unwrap_or(0));
                run.signal(&format!("wait-{round}"), &signal, Some(until))
                    .await?;
            }
        }
    }
    Err(Stop::Failed(ApiError::internal(
        "a payment looked too often",
    )))
}

/// One look: the payable locked, its round moved on, the next move decided and, when it ends
/// the wait, recorded (the money taken, or the payable ended).
fn look(db: &Db, p: &impl Payable, last: bool) -> ApiResult<Move> {
    let w = p.look(db)?;
    let current = attempt::latest_of(db, &p.owner())?;
    let now = Utc::now();
    let next = rules::next_move(&Standing {
        now,
        session_expires_at: if last { now } else { w.expires_at },
        cancel_requested: w.cancel_requested,
        wants_attempt: w.wants_attempt,
        attempts: w.attempts,
        current: current.map(|a| (a.id, attempt_state(a.state), a.expires_at)),
    });
    match next {
        Move::Paid { payment_id } => p.paid(db, payment_id)?,
        Move::Cancel => p.cancelled(db)?,
        Move::Expire => p.expired(db)?,
        _ => {}
    }
    Ok(next)
}

async fn start_attempt<U>(s: &Step<'_, U>, p: &impl Payable) -> ApiResult<Uuid> {
    let (return_url, client_ip) = p.payer(s.db())?;
    let ask = p.ask()?;
    let left = (ask.expires_at_ms - Utc::now().timestamp_millis()) / 1000;
    let answer: PaymentAnswer = s
        .internal("order")
        .post(
            "/internal/payments",
            &StartPayment {
                owner: p.owner(),
                gateway: ask.gateway,
                method: ask.method,
                amount_minor: ask.amount_minor,
                currency: ask.currency,
                description: ask.description,
                return_url,
                buyer_ip: client_ip,
                locale: None,
                expires_in_secs: Some(ask.attempt_secs.min(left).max(10)),
            },
            Some(s.key()),
        )
        .await?;
    p.attempt_started(s.db())?;
    Ok(answer.payment_id)
}

async fn give_up<U>(s: &Step<'_, U>, payment: Uuid) -> ApiResult<()> {
    let path = format!("/internal/payments/{payment}/cancel");
    match s
        .internal("order")
        .post::<_, Value>(&path, &json!({}), Some(s.key()))
        .await
    {
        // Settled meanwhile: the next look sees how.
        Err(e) if !done_already(&e, &["payment_settled"]) => Err(e),
        _ => Ok(()),
    }
}

/// Whether the payer's ask — a new payment attempt, or (`cancel`) to stop — must reach the
/// workflow of a waiting payable (`w`, locked; `current` its newest attempt): not when the
/// current attempt is still payable or the same ask is pending. 409 `too_many_attempts` once
/// [`MAX_ATTEMPTS`] were made.
pub fn asked(w: &Waiting, current: Option<&Attempt>, cancel: bool) -> ApiResult<bool> {
    if cancel {
        return Ok(!w.cancel_requested);
    }
    let payable = current.is_some_and(|a| a.state == State::Pending && a.expires_at > Utc::now());
    if payable || w.wants_attempt {
        return Ok(false);
    }
    if w.attempts >= MAX_ATTEMPTS {
        return Err(ApiError::conflict(
            "too_many_attempts",
            format!("a payment takes at most {MAX_ATTEMPTS} attempts"),
        ));
    }
    Ok(true)
}

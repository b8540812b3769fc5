//! `/internal/redemptions`: a checkout reserves the promotions its quote applied — one use
//! and the discount given of each, all or nothing — then commits them (paid) or releases them
//! (cancelled, expired). Every route requires an `Idempotency-Key`, so a retried call has its
//! effect once; a reference is redeemed once for ever ([`redemption::insert`]).
//!
//! No overrun, however many checkouts race: the usage rows of the promotions are locked in
//! promotion id order ([`usage::lock_all`]) before anything is decided, so reservations of one
//! promotion are decided one after the other on the latest counts, and two checkouts sharing
//! promotions cannot deadlock.
//!
//! A reservation that takes a promotion's last use or the budget cards are priced with, and a
//! release that gives them back, asks catalog to reprice what it targets
//! ([`usage::Usage::cards_move`]), so cards stop showing a discount nobody can get.
//!
//! Cashback is owed from the reservation on (its lines' sum, in the checkout's currency) and
//! paid once order says the checkout's payouts were released ([`cashback`]).

use contracts::promotion::{RedemptionAnswer, RedemptionLine, RedemptionStatus, ReserveRequest};
use kit::db::Db;
use kit::validate::Currency;
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use uuid::Uuid;

use crate::model::redemption::{self, Redemption, State};
use crate::model::{Lock, SCHEMA, outbox, promotion, usage};

/// Longest checkout reference.
const MAX_REFERENCE_CHARS: usize = 200;

/// Most promotions one checkout can redeem: more than any stack applies.
const MAX_LINES: usize = 50;

/// `(promotion, amount)` per line, in promotion id order; 422 for an empty or oversized list,
/// a promotion named twice or a negative amount.
fn lines(body: &ReserveRequest) -> ApiResult<Vec<(Uuid, i64)>> {
    if body.lines.is_empty() || body.lines.len() > MAX_LINES {
        return Err(ApiError::validation(format!(
            "lines: 1 to {MAX_LINES} promotions"
        )));
    }
    let mut lines: Vec<(Uuid, i64)> = body
        .lines
        .iter()
        .map(|l| (l.promotion_id, l.amount_minor))
        .collect();
    if lines.iter().any(|&(_, amount)| amount < 0) {
        return Err(ApiError::validation("amount_minor cannot be negative"));
    }
    lines.sort_unstable();
    if lines.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(ApiError::validation("lines: each promotion once"));
    }
    Ok(lines)
}

/// `POST /internal/redemptions` — 201 the reserved redemption, or an error and no change.
pub async fn reserve(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: ReserveRequest = json::read(&req)?;
    let reference = kit::validate::line("reference", &body.reference, 1, MAX_REFERENCE_CHARS)?;
    let lines = lines(&body)?;
    let buyer = body.buyer_id;
    let currency = body
        .currency
        .as_deref()
        .map(|c| Currency::parse("currency", c))
        .transpose()?;
    let currency = currency.as_ref().map(Currency::as_str);
    ctx.db()?
        .transaction(async |db: &Db| {
            // The reference first: a checkout redeemed already is refused before it queues
            // for the promotions' rows.
            let id = redemption::insert(db, &reference, buyer, currency)?;
            let promotions: Vec<Uuid> = lines.iter().map(|&(p, _)| p).collect();
            let counts = usage::lock_all(db, &promotions)?;
            let mut cashback = 0_i64;
            for (counts, &(promotion, amount)) in counts.iter().zip(&lines) {
                if counts.cashback {
                    cashback = cashback.saturating_add(amount);
                }
                counts.admits(amount, buyer, currency)?;
                if let (Some(limit), Some(buyer)) = (counts.per_buyer_limit, buyer) {
                    usage::take_buyer(db, promotion, buyer, limit)?;
                }
                usage::take(db, promotion, amount)?;
                if counts.cards_move(amount, 1) {
                    outbox::reprice(db, &promotion::load(db, promotion, Lock::None)?.stored)?;
                }
            }
            for &(promotion, amount) in &lines {
                redemption::insert_line(db, id, promotion, amount)?;
            }
            if cashback > 0 {
                redemption::set_cashback(db, id, cashback)?;
            }
            let answer = answer(Redemption {
                id,
                reference: reference.clone(),
                buyer_id: buyer,
                state: State::Reserved,
                lines,
                currency: currency.map(str::to_string),
                cashback_minor: cashback,
                cashback_paid_at: None,
            });
            json::created(&format!("/internal/redemptions/{reference}"), &answer)
        })
        .await
        .inspect(|_| kit::outbox::wake(&ctx, SCHEMA))
}

/// `POST /internal/redemptions/:reference/commit` — paid: the uses and budget are spent.
pub async fn commit(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    end(ctx, State::Committed).await
}

/// `POST /internal/redemptions/:reference/release` — cancelled or expired: each promotion
/// gets its use (the buyer's too) and its budget back.
pub async fn release(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    end(ctx, State::Released).await
}

/// Ends a reserved redemption in `state`; 409 once it has ended either way.
async fn end(ctx: Ctx, state: State) -> ApiResult<Response> {
    let reference = ctx.param("reference").to_string();
    ctx.db()?
        .transaction(async |db: &Db| {
            let mut held = redemption::load_locked(db, &reference)?;
            redemption::ensure_reserved(&held)?;
            if state == State::Released {
                let promotions: Vec<Uuid> = held.lines.iter().map(|&(p, _)| p).collect();
                let counts = usage::lock_all(db, &promotions)?;
                for (counts, &(promotion, amount)) in counts.iter().zip(&held.lines) {
                    usage::give_back(db, promotion, amount)?;
                    if let Some(buyer) = held.buyer_id {
                        usage::give_back_buyer(db, promotion, buyer)?;
                    }
                    if counts.cards_move(amount, -1) {
                        outbox::reprice(db, &promotion::load(db, promotion, Lock::None)?.stored)?;
                    }
                }
            }
            redemption::set_state(db, held.id, state)?;
            held.state = state;
            json::ok(&answer(held))
        })
        .await
        .inspect(|_| kit::outbox::wake(&ctx, SCHEMA))
}

/// `POST /internal/redemptions/:reference/cashback` — order sends it when every payout of the
/// checkout was released: the cashback the redemption holds is credited to the buyer's wallet
/// (account's `/internal/wallet/credit`, through the outbox under a key of the redemption's, so
/// exactly once). 409 `redemption_not_committed` before the checkout is paid or once it was
/// released, `cashback_paid` for a second request (a retry under its key replays the first).
/// A redemption without cashback answers 200 and credits nothing.
pub async fn cashback(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let reference = ctx.param("reference").to_string();
    ctx.db()?
        .transaction(async |db: &Db| {
            let mut held = redemption::load_locked(db, &reference)?;
            if held.state != State::Committed {
                return Err(ApiError::conflict(
                    "redemption_not_committed",
                    format!(
                        "the redemption for {reference} is {}: only a paid checkout earns its \
                         cashback",
                        held.state.as_str()
                    ),
                ));
            }
            if held.cashback_paid_at.is_some() {
                return Err(ApiError::conflict(
                    "cashback_paid",
                    format!("the cashback of {reference} was credited already"),
                ));
            }
            held.cashback_paid_at = Some(redemption::pay_cashback(db, held.id)?);
            if let (Some(buyer), Some(currency)) = (held.buyer_id, &held.currency)
                && held.cashback_minor > 0
            {
                outbox::credit_cashback(db, &held, buyer, currency)?;
            }
            json::ok(&answer(held))
        })
        .await
        .inspect(|_| kit::outbox::wake(&ctx, SCHEMA))
}

fn answer(redemption: Redemption) -> RedemptionAnswer {
    RedemptionAnswer {
        redemption_id: redemption.id,
        reference: redemption.reference,
        buyer_id: redemption.buyer_id,
        status: match redemption.state {
            State::Reserved => RedemptionStatus::Reserved,
            State::Committed => RedemptionStatus::Committed,
            State::Released => RedemptionStatus::Released,
        },
        lines: redemption
            .lines
            .into_iter()
            .map(|(promotion_id, amount_minor)| RedemptionLine {
                promotion_id,
                amount_minor,
            })
            .collect(),
        currency: redemption.currency,
        cashback_minor: redemption.cashback_minor,
        cashback_paid_at: redemption.cashback_paid_at,
    }
}

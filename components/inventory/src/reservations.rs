//! `/internal/reservations`: a checkout reserves units of several SKUs all or nothing, then
//! releases them (cancelled, timed out, refused) or commits them (sold). Every route requires
//! an `Idempotency-Key`, so a retried call has its effect once.
//!
//! No oversell, however many checkouts race for the last unit: each line is one conditional
//! update of its SKU's stock row ([`stock::take`]), lines are taken in SKU order so that two
//! reservations cannot deadlock, and serials are picked past the ones other reservations are
//! taking ([`serial::reserve`]).
//!
//! A busy SKU answers `out_of_stock` or succeeds, never a timeout: a reservation waits its
//! turn on the stock row however long the queue (no lock timeout applies past the
//! idempotency claim), and one asking for more than the last committed count is refused
//! before it joins the queue ([`stock::ensure_available`]).

use contracts::inventory::{
    LinesRequest, ReservationAnswer, ReservationStatus, ReserveRequest, ReservedLine,
};
use kit::db::Db;
use kit::{ApiResult, Ctx, Request, Response, json};
use uuid::Uuid;

use crate::model::history::{self, Actor, Change, ChangeKind};
use crate::model::{SCHEMA, outbox, reservation, serial, stock};
use crate::rules::{self, Deltas, Ending, MAX_REFERENCE_CHARS, ReservationState};

/// `POST /internal/reservations` — 201 the held reservation, or an error and no change at all.
pub async fn reserve(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: ReserveRequest = json::read(&req)?;
    let reference = kit::validate::line("reference", &body.reference, 1, MAX_REFERENCE_CHARS)?;
    let requested: Vec<(Uuid, i64)> = body.lines.iter().map(|l| (l.sku_id, l.quantity)).collect();
    let lines = rules::merge_lines(&requested)?;
    ctx.db()?
        .transaction(async |db: &Db| {
            stock::ensure_available(db, &lines)?;
            let id = reservation::insert(db, &reference)?;
            let id_text = id.to_string();
            let mut reserved = Vec::with_capacity(lines.len());
            for &(sku, quantity) in &lines {
                let serials = take(db, id, sku, quantity)?;
                reservation::insert_line(db, id, sku, quantity)?;
                history::record(
                    db,
                    &Change {
                        sku,
                        kind: ChangeKind::Reserve,
                        deltas: Deltas::reserve(quantity),
                        reason: None,
                        reference: Some(&id_text),
                        actor: Actor::Internal,
                    },
                )?;
                reserved.push(ReservedLine {
                    sku_id: sku,
                    quantity,
                    serials,
                });
            }
            let answer = ReservationAnswer {
                reservation_id: id,
                reference: reference.clone(),
                status: status(ReservationState::Held),
                lines: reserved,
            };
            json::created(&format!("/internal/reservations/{id}"), &answer)
        })
        .await
        .inspect(|_| kit::outbox::wake(&ctx, SCHEMA))
}

/// Takes one line's units for `reservation`, and its serials when the SKU tracks them; the
/// seller of a SKU this sells out is told, in the same transaction.
fn take(db: &Db, reservation: Uuid, sku: Uuid, quantity: i64) -> ApiResult<Vec<String>> {
    let taken = stock::take(db, sku, quantity)?;
    if taken.available == 0 {
        outbox::sold_out(db, reservation, sku, taken.seller_id)?;
    }
    if !taken.serial_required {
        return Ok(Vec::new());
    }
    serial::reserve(db, sku, quantity, reservation)
}

/// `POST /internal/reservations/:id/release` `{sku_ids?}` — units and serials go back on sale:
/// of the lines named, or of every line still held. 404 `reservation_line_not_found` for a SKU
/// the reservation does not hold (or no longer holds).
pub async fn release(ctx: Ctx, req: Request) -> ApiResult<Response> {
    end(ctx, Ending::Release, lines(&req)?).await
}

/// `POST /internal/reservations/:id/commit` `{sku_ids?}` — the units of the lines named, or of
/// every line still held, are sold (a seller confirms their part of a checkout).
pub async fn commit(ctx: Ctx, req: Request) -> ApiResult<Response> {
    end(ctx, Ending::Commit, lines(&req)?).await
}

/// The lines a release or commit names; all of them for an empty body.
fn lines(req: &Request) -> ApiResult<Option<Vec<Uuid>>> {
    if req.body().is_empty() {
        return Ok(None);
    }
    Ok(json::read::<LinesRequest>(req)?.sku_ids)
}

/// Ends a held reservation's lines (those of `only`, or all) the way `ending` says; the
/// reservation ends once no line is held. 409 once it has ended either way.
async fn end(ctx: Ctx, ending: Ending, only: Option<Vec<Uuid>>) -> ApiResult<Response> {
    let id = ctx.param_id("id", "reservation")?;
    ctx.db()?
        .transaction(async |db: &Db| {
            let mut held = reservation::load_locked(db, id)?;
            rules::ensure_held(id, held.state)?;
            let all = held.lines.len();
            if let Some(only) = &only {
                rules::ensure_lines_held(id, &held.lines, only)?;
                held.lines.retain(|(sku, _)| only.contains(sku));
            }
            let skus: Vec<Uuid> = held.lines.iter().map(|(sku, _)| *sku).collect();
            let serials = serial::end_hold(db, id, &skus, ending)?;
            let kind = match ending {
                Ending::Release => ChangeKind::Release,
                Ending::Commit => ChangeKind::Commit,
            };
            let id_text = id.to_string();
            let mut ended = Vec::with_capacity(held.lines.len());
            for (sku, quantity) in held.lines {
                let deltas = ending.deltas(quantity);
                stock::apply(db, sku, deltas)?;
                history::record(
                    db,
                    &Change {
                        sku,
                        kind,
                        deltas,
                        reason: None,
                        reference: Some(&id_text),
                        actor: Actor::Internal,
                    },
                )?;
                let line_serials = serials
                    .iter()
                    .filter(|(of, _)| *of == sku)
                    .map(|(_, number)| number.clone())
                    .collect();
                ended.push(ReservedLine {
                    sku_id: sku,
                    quantity,
                    serials: line_serials,
                });
            }
            let state = if skus.len() < all {
                reservation::release_lines(db, id, &skus)?;
                ReservationState::Held
            } else {
                reservation::set_state(db, id, ending.state())?;
                ending.state()
            };
            let answer = ReservationAnswer {
                reservation_id: id,
                reference: held.reference,
                status: status(state),
                lines: ended,
            };
            json::ok(&answer)
        })
        .await
        .inspect(|_| kit::outbox::wake(&ctx, SCHEMA))
}

/// A reservation state as the contract names it.
fn status(state: ReservationState) -> ReservationStatus {
    match state {
        ReservationState::Held => ReservationStatus::Held,
        ReservationState::Released => ReservationStatus::Released,
        ReservationState::Committed => ReservationStatus::Committed,
    }
}

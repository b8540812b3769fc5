//! Reservations for checkouts (internal, exactly-once with `Idempotency-Key`): reserve a batch
//! of lines all or nothing, then release it (cancel, timeout, rejection) or commit it (sold).
//!
//! No oversell, however many checkouts race for the last unit: each line is one conditional
//! `UPDATE … SET available = available - q WHERE available >= q` on the SKU's row, so the row
//! lock orders racing reservations and the condition is re-checked after the wait; lines are
//! taken in SKU order so two reservations cannot deadlock. Serials are picked with
//! `FOR UPDATE SKIP LOCKED`, so concurrent reservations never block on, or share, a serial.

use kit::db::{Db, rows, text, uuid};
use kit::idempotency::{self, KeyPolicy};
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::rules::{self, LineRequest};
use crate::stock::{self, Change};

/// A reservation's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Held,
    Released,
    Committed,
}

impl State {
    fn parse(s: &str) -> ApiResult<State> {
        match s {
            "held" => Ok(State::Held),
            "released" => Ok(State::Released),
            "committed" => Ok(State::Committed),
            other => Err(ApiError::internal(format_args!(
                "unknown reservation status {other}"
            ))),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            State::Held => "held",
            State::Released => "released",
            State::Committed => "committed",
        }
    }
}

/// One line of a reservation, with the serials it holds.
#[derive(Serialize)]
struct Line {
    sku_id: Uuid,
    quantity: i64,
    serials: Vec<String>,
}

/// What every reservation endpoint answers.
#[derive(Serialize)]
struct Reservation {
    reservation_id: Uuid,
    reference: String,
    status: &'static str,
    lines: Vec<Line>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReserveBody {
    reference: String,
    lines: Vec<LineRequest>,
}

/// Tells the seller, through the outbox, that a reservation took a SKU's last units.
fn sold_out(db: &Db, reservation: Uuid, sku: Uuid, seller: Uuid) -> ApiResult<()> {
    kit::outbox::enqueue(
        db,
        "inventory",
        &kit::outbox::Message {
            target: "account",
            path: "/internal/notifications",
            body: serde_json::json!({
                "account_id": seller,
                "type": "stock_sold_out",
                "title": "A product sold out",
                "content": format!("SKU {sku} has no units left; import stock to keep selling it."),
                "metadata": { "sku_id": sku, "reservation_id": reservation },
            }),
            key: format!("inventory:sold-out:{reservation}:{sku}"),
        },
    )
}

/// Takes `quantity` units of `sku` for `reservation`; 404 when the SKU has no stock, 409
/// `out_of_stock` when fewer are available. Returns the serials taken; a SKU sold out now has
/// its seller told through the outbox.
fn take(db: &Db, reservation: Uuid, sku: Uuid, quantity: i64) -> ApiResult<Vec<String>> {
    let set = db.query(
        "UPDATE inventory.stock SET available = available - $2, reserved = reserved + $2, updated_at = now() \
         WHERE sku_id = $1 AND available >= $2 RETURNING serial_required, available, seller_id",
        &[uuid(sku), quantity.into()],
    )?;
    let Some(row) = rows(&set).next() else {
        let stock = stock::load(db, sku, false)
            .map_err(|_| ApiError::not_found("sku_not_found", format!("SKU {sku} has no stock")))?;
        return Err(ApiError::conflict(
            "out_of_stock",
            format!(
                "SKU {sku}: {quantity} wanted, {} available",
                stock.available
            ),
        ));
    };
    let serial_required: bool = row.get("serial_required")?;
    if row.get::<i64>("available")? == 0 {
        sold_out(db, reservation, sku, row.get("seller_id")?)?;
    }
    if !serial_required {
        return Ok(Vec::new());
    }
    let set = db.query(
        "UPDATE inventory.serial SET status = 'reserved', reservation_id = $3, updated_at = now() \
         WHERE (sku_id, serial) IN (SELECT sku_id, serial FROM inventory.serial \
           WHERE sku_id = $1 AND status = 'active' ORDER BY created_at, serial LIMIT $2 FOR UPDATE SKIP LOCKED) \
         RETURNING serial",
        &[uuid(sku), quantity.into(), uuid(reservation)],
    )?;
    let serials: Vec<String> = rows(&set)
        .map(|r| r.get("serial"))
        .collect::<ApiResult<_>>()?;
    if i64::try_from(serials.len()).ok() != Some(quantity) {
        return Err(ApiError::conflict(
            "serial_shortage",
            format!(
                "SKU {sku}: {quantity} units counted available but only {} serials are free",
                serials.len()
            ),
        ));
    }
    Ok(serials)
}

/// `POST /internal/reservations` `{reference, lines: [{sku_id, quantity}]}` — all or nothing.
pub async fn reserve(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: ReserveBody = json::read(&req)?;
    let reference = kit::validate::text("reference", &body.reference, 1, 200)?;
    let lines = rules::merge_lines(&body.lines)?;
    let response = idempotency::run(&ctx, &req, "inventory", "internal", KeyPolicy::Required, async |db: &Db| {
        let id = kit::ids::new_id();
        db.execute(
            "INSERT INTO inventory.reservation (id, reference, status) VALUES ($1, $2, 'held')",
            &[uuid(id), text(&reference)],
        )?;
        let id_text = id.to_string();
        let mut out = Vec::with_capacity(lines.len());
        for &(sku, quantity) in &lines {
            let serials = take(db, id, sku, quantity)?;
            db.execute(
                "INSERT INTO inventory.reservation_line (reservation_id, sku_id, quantity) VALUES ($1, $2, $3)",
                &[uuid(id), uuid(sku), quantity.into()],
            )?;
            stock::record(db, &Change { sku, kind: "reserve", available: -quantity, reserved: quantity, sold: 0, reason: None, reference: Some(&id_text), actor: "internal" })?;
            out.push(Line { sku_id: sku, quantity, serials });
        }
        json::created(
            &format!("/internal/reservations/{id}"),
            &Reservation { reservation_id: id, reference: reference.clone(), status: State::Held.as_str(), lines: out },
        )
    })
    .await?;
    // Every reservation changes stock levels that catalog is told of.
    kit::outbox::wake(&ctx, "inventory");
    Ok(response)
}

/// A stored reservation: its reference, state and `(sku, quantity)` lines.
struct Stored {
    reference: String,
    state: State,
    lines: Vec<(Uuid, i64)>,
}

/// Locks reservation `id` and loads it.
fn load(db: &Db, id: Uuid) -> ApiResult<Stored> {
    let set = db.query(
        "SELECT reference, status FROM inventory.reservation WHERE id = $1 FOR UPDATE",
        &[uuid(id)],
    )?;
    let row = rows(&set).next().ok_or_else(|| {
        ApiError::not_found("reservation_not_found", format!("no reservation {id}"))
    })?;
    let reference: String = row.get("reference")?;
    let state = State::parse(&row.get::<String>("status")?)?;
    let set = db.query(
        "SELECT sku_id, quantity FROM inventory.reservation_line WHERE reservation_id = $1 ORDER BY sku_id",
        &[uuid(id)],
    )?;
    let lines = rows(&set)
        .map(|r| Ok((r.get("sku_id")?, r.get("quantity")?)))
        .collect::<ApiResult<_>>()?;
    Ok(Stored {
        reference,
        state,
        lines,
    })
}

/// Ends a held reservation: `Released` returns its units and serials, `Committed` sells them.
async fn finish(ctx: Ctx, req: Request, to: State) -> ApiResult<Response> {
    let id = ctx.param_id("id", "reservation")?;
    idempotency::run(&ctx, &req, "inventory", "internal", KeyPolicy::Required, async |db: &Db| {
        let Stored { reference, state, lines } = load(db, id)?;
        if state != State::Held {
            return Err(ApiError::conflict(
                format!("reservation_{}", state.as_str()),
                format!("reservation {id} is already {}", state.as_str()),
            ));
        }
        let id_text = id.to_string();
        let (serial_sql, kind) = match to {
            State::Released => (
                "UPDATE inventory.serial SET status = 'active', reservation_id = NULL, updated_at = now() \
                 WHERE reservation_id = $1 RETURNING sku_id, serial",
                "release",
            ),
            _ => (
                "UPDATE inventory.serial SET status = 'sold', updated_at = now() WHERE reservation_id = $1 RETURNING sku_id, serial",
                "commit",
            ),
        };
        let set = db.query(serial_sql, &[uuid(id)])?;
        let mut serials: Vec<(Uuid, String)> = rows(&set).map(|r| Ok((r.get("sku_id")?, r.get("serial")?))).collect::<ApiResult<_>>()?;
        serials.sort();
        let mut out = Vec::with_capacity(lines.len());
        for (sku, quantity) in lines {
            let (available, sold) = if to == State::Released { (quantity, 0) } else { (0, quantity) };
            stock::apply(db, sku, available, -quantity, sold)?;
            stock::record(db, &Change { sku, kind, available, reserved: -quantity, sold, reason: None, reference: Some(&id_text), actor: "internal" })?;
            let line_serials = serials.iter().filter(|(s, _)| *s == sku).map(|(_, serial)| serial.clone()).collect();
            out.push(Line { sku_id: sku, quantity, serials: line_serials });
        }
        db.execute("UPDATE inventory.reservation SET status = $2, updated_at = now() WHERE id = $1", &[uuid(id), text(to.as_str())])?;
        json::ok(&Reservation { reservation_id: id, reference, status: to.as_str(), lines: out })
    })
    .await
    .inspect(|_| kit::outbox::wake(&ctx, "inventory"))
}

/// `POST /internal/reservations/:id/release` — units and serials go back on sale.
pub async fn release(ctx: Ctx, req: Request) -> ApiResult<Response> {
    finish(ctx, req, State::Released).await
}

/// `POST /internal/reservations/:id/commit` — the units are sold.
pub async fn commit(ctx: Ctx, req: Request) -> ApiResult<Response> {
    finish(ctx, req, State::Committed).await
}

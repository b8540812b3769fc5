//! `/api/v1/inventory/stock/:sku_id/serials`: the owner lists a SKU's serial numbers and moves
//! one along the allowed transitions, keeping the SKU's available count equal to its active
//! serials.

use kit::db::Db;
use kit::page::{self, PageRequest};
use kit::{ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::history::{self, Actor, Change, ChangeKind};
use crate::model::serial::{self, Serial};
use crate::model::{Lock, SCHEMA, stock};
use crate::rules::{self, Deltas, SerialStatus};

/// One serial number, as both routes answer it.
#[derive(Serialize)]
struct SerialAnswer {
    serial: String,
    status: &'static str,
    reservation_id: Option<Uuid>,
}

impl From<Serial> for SerialAnswer {
    fn from(s: Serial) -> SerialAnswer {
        SerialAnswer {
            serial: s.serial,
            status: s.status.as_str(),
            reservation_id: s.reservation_id,
        }
    }
}

/// `GET /api/v1/inventory/stock/:sku_id/serials?status=&limit=&cursor=` — for the owner,
/// ordered by serial number. The stock is locked like every owner check, so a listing waits
/// for a change in flight and shows it.
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let sku = ctx.param_id("sku_id", "stock")?;
    let status = ctx
        .query("status")
        .map(|s| SerialStatus::parse(&s))
        .transpose()?;
    let page: PageRequest<String> = page::request(&ctx)?;
    let db = ctx.db()?;
    let stock = stock::load(db, sku, Lock::ForUpdate)?;
    rules::ensure_owner(stock.seller_id, user.sub)?;
    let serials = serial::page(db, sku, status, &page)?;
    let answers = serials.into_iter().map(SerialAnswer::from).collect();
    json::ok(&page.page(answers, |s: &SerialAnswer| s.serial.clone()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateRequest {
    /// Required rather than a `kit::patch::Field`: the status is the one thing this PATCH
    /// changes.
    status: String,
}

/// `PATCH /api/v1/inventory/stock/:sku_id/serials/:serial` — the owner activates, withholds
/// or writes off one serial.
pub async fn update(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let user = ctx.user()?;
    let sku = ctx.param_id("sku_id", "stock")?;
    let number = ctx.param("serial").to_string();
    let body: UpdateRequest = json::read(&req)?;
    let to = SerialStatus::parse(&body.status)?;
    ctx.db()?
        .transaction(async |db: &Db| {
            let stock = stock::load(db, sku, Lock::ForUpdate)?;
            rules::ensure_owner(stock.seller_id, user.sub)?;
            let from = serial::load_locked(db, sku, &number)?.status;
            let delta = rules::serial_transition(from, to)?;
            serial::set_status(db, sku, &number, to)?;
            if delta != 0 {
                stock::apply(db, sku, Deltas::available(delta))?;
            }
            if from != to {
                let reason = format!("serial {number}: {} -> {}", from.as_str(), to.as_str());
                history::record(
                    db,
                    &Change {
                        sku,
                        kind: ChangeKind::Serial,
                        deltas: Deltas::available(delta),
                        reason: Some(&reason),
                        reference: None,
                        actor: Actor::Seller(user.sub),
                    },
                )?;
            }
            // Only reservations hold serials, and a seller cannot move a held one: no reservation.
            let answer = SerialAnswer {
                serial: number.clone(),
                status: to.as_str(),
                reservation_id: None,
            };
            json::ok(&answer)
        })
        .await
        .inspect(|_| kit::outbox::wake(&ctx, SCHEMA))
}

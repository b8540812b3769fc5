//! Shipments through the carrier in order's dependency ([`crate::carrier`]):
//!
//! - `POST /internal/shipments/quote`: what the carrier charges for a parcel (a read).
//! - `POST /internal/shipments`: books a shipment; the carrier will collect it.
//! - `GET /internal/shipments/:id`: the shipment and everything the carrier reported.
//! - `POST /internal/shipments/:id/cancel` and `…/refresh` (the carrier asked where it is).
//! - `GET|POST /api/v1/order/webhooks/:carrier`: the carrier's status webhook, authenticated
//!   by its provider. A report moves its shipment only forward ([`shipment::advances`]); every
//!   report is recorded, applied or not, and one for a tracking code Souk never booked is
//!   recorded and acknowledged, so the carrier stops resending it.
//!
//! A booking's reference is derived from its owner and `Idempotency-Key`: a retried booking
//! asks the carrier for the same reference, and the carrier answers its first booking rather
//! than booking twice.

use chrono::{DateTime, Utc};
use contracts::account::NotificationRequest;
use contracts::order::{
    Address, BookShipment, Parcel, Party, QuoteShipment, ShipmentAnswer, ShipmentEvent,
    ShipmentQuote,
};
use kit::db::Db;
use kit::time::rfc3339 as stamp;
use kit::validate::Currency;
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use uuid::Uuid;

use crate::carrier::{self, State, Tracking, carrier as provider};
use crate::model::shipment::{self, Stage};
use crate::model::{SCHEMA, ledger, order, order_refund, outbox};

/// Longest text field of an address, a party or an item.
const MAX_FIELD_CHARS: usize = 200;

/// Most lines one shipment lists.
const MAX_ITEMS: usize = 100;

/// The heaviest parcel and longest side carriers take (GHTK: 20 kg by road, 150 cm).
const MAX_WEIGHT_GRAMS: u32 = 50_000;
const MAX_SIDE_MM: u32 = 3_000;

fn field(name: &str, value: &str) -> ApiResult<String> {
    kit::validate::line(name, value, 1, MAX_FIELD_CHARS)
}

fn address(name: &str, a: &Address) -> ApiResult<carrier::Address> {
    let country = kit::validate::CountryCode::parse(&format!("{name}.country"), &a.country)?;
    Ok(carrier::Address {
        street: field(&format!("{name}.street"), &a.street)?,
        ward: kit::validate::line(&format!("{name}.ward"), &a.ward, 0, MAX_FIELD_CHARS)?,
        district: field(&format!("{name}.district"), &a.district)?,
        province: field(&format!("{name}.province"), &a.province)?,
        country: country.as_str().to_string(),
    })
}

fn party(name: &str, p: &Party) -> ApiResult<carrier::Party> {
    let phone = kit::validate::Phone::parse(&format!("{name}.phone"), &p.phone)?;
    Ok(carrier::Party {
        name: field(&format!("{name}.name"), &p.name)?,
        phone: phone.as_str().to_string(),
        address: address(&format!("{name}.address"), &p.address)?,
    })
}

fn parcel(p: &Parcel) -> ApiResult<(carrier::Parcel, Currency)> {
    if p.weight_grams == 0 || p.weight_grams > MAX_WEIGHT_GRAMS {
        return Err(ApiError::validation(format!(
            "parcel.weight_grams: 1 to {MAX_WEIGHT_GRAMS}"
        )));
    }
    let sides = [p.length_mm, p.width_mm, p.height_mm];
    if sides.iter().any(|s| *s == 0 || *s > MAX_SIDE_MM) {
        return Err(ApiError::validation(format!(
            "parcel sides: 1 to {MAX_SIDE_MM} mm each"
        )));
    }
    if p.declared_value_minor < 0 {
        return Err(ApiError::validation(
            "parcel.declared_value_minor cannot be negative",
        ));
    }
    let currency = Currency::parse("parcel.currency", &p.currency)?;
    Ok((
        carrier::Parcel {
            weight_grams: p.weight_grams,
            length_mm: p.length_mm,
            width_mm: p.width_mm,
            height_mm: p.height_mm,
            declared_value: carrier::Money {
                minor: p.declared_value_minor,
                currency: currency.as_str().to_string(),
            },
        },
        currency,
    ))
}

fn from_ms(ms: Option<i64>) -> Option<DateTime<Utc>> {
    ms.and_then(kit::time::from_epoch_millis)
}

/// `POST /internal/shipments/quote` — the carrier's fee for a parcel.
pub async fn quote(_ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: QuoteShipment = json::read(&req)?;
    let (parcel, currency) = parcel(&body.parcel)?;
    let request = carrier::QuoteRequest {
        pickup: address("pickup", &body.pickup)?,
        delivery: address("delivery", &body.delivery)?,
        parcel,
        service: carrier::parse_service(&body.service)?,
    };
    let quote = provider::quote(&request).map_err(|e| carrier::error("quoting", e))?;
    if quote.fee.currency != currency.as_str() {
        return Err(ApiError::internal(format_args!(
            "the carrier quoted in {}, asked in {}",
            quote.fee.currency,
            currency.as_str()
        )));
    }
    json::ok(&ShipmentQuote {
        carrier: provider::id(),
        fee_minor: quote.fee.minor,
        insurance_minor: quote.insurance.minor,
        currency: quote.fee.currency,
        deliverable: quote.deliverable,
        earliest_at: from_ms(quote.earliest_ms).map(stamp),
        latest_at: from_ms(quote.latest_ms).map(stamp),
    })
}

/// The id of the booking `owner` makes under `key`: the same for a retry.
fn booking_id(owner: &str, key: &str) -> Uuid {
    kit::ids::derived(&format!("shipment:{owner}:{key}"))
}

/// `POST /internal/shipments` — 201 the booked shipment (`Idempotency-Key` required).
pub async fn book(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: BookShipment = json::read(&req)?;
    let owner = field("owner", &body.owner)?;
    let (parcel, currency) = parcel(&body.parcel)?;
    if body.items.is_empty() || body.items.len() > MAX_ITEMS {
        return Err(ApiError::validation(format!("items: 1 to {MAX_ITEMS}")));
    }
    let items = body
        .items
        .iter()
        .map(|i| {
            if i.quantity == 0 || i.weight_grams == 0 {
                return Err(ApiError::validation(
                    "items: quantity and weight_grams above 0",
                ));
            }
            Ok(carrier::Item {
                name: field("items.name", &i.name)?,
                quantity: i.quantity,
                weight_grams: i.weight_grams,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    if body.cash_on_delivery_minor < 0 {
        return Err(ApiError::validation(
            "cash_on_delivery_minor cannot be negative",
        ));
    }
    let note = kit::validate::text("note", &body.note, 0, 500)?;
    let service = carrier::parse_service(&body.service)?;
    let key = ctx.idempotency_key().ok_or_else(|| {
        ApiError::bad_request("idempotency_key_required", "Idempotency-Key is required")
    })?;
    let id = booking_id(&owner, key);
    let money = |minor| carrier::Money {
        minor,
        currency: currency.as_str().to_string(),
    };
    let booked = provider::create(&carrier::ShipmentRequest {
        reference: shipment::reference_of(id),
        pickup: party("pickup", &body.pickup)?,
        delivery: party("delivery", &body.delivery)?,
        parcel,
        items,
        service,
        cash_on_delivery: money(body.cash_on_delivery_minor),
        note,
    })
    .map_err(|e| carrier::error("booking", e))?;
    let carrier_id = provider::id();
    ctx.db()?
        .transaction(async |db: &Db| {
            if !shipment::exists(db, id)? {
                shipment::insert(
                    db,
                    &shipment::New {
                        id,
                        owner: &owner,
                        carrier: &carrier_id,
                        tracking_code: &booked.tracking_code,
                        label: &booked.label,
                        service: &body.service,
                        currency: currency.as_str(),
                        fee_minor: booked.fee.minor,
                        cod_minor: body.cash_on_delivery_minor,
                    },
                )?;
                shipment::record(
                    db,
                    &shipment::Event {
                        shipment_id: Some(id),
                        carrier: &carrier_id,
                        tracking_code: &booked.tracking_code,
                        stage: Stage::Booked,
                        carrier_status: "booked",
                        detail: "",
                        delayed: false,
                        applied: true,
                        source: "booking",
                        reported_at: None,
                    },
                )?;
            }
            json::created(&format!("/internal/shipments/{id}"), &answer(db, id)?)
        })
        .await
}

/// `GET /internal/shipments/:id`.
pub async fn get(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let id = ctx.param_id("id", "shipment")?;
    json::ok(&answer(ctx.db()?, id)?)
}

/// `POST /internal/shipments/:id/cancel` — cancels a shipment not yet collected (the carrier
/// refuses otherwise: 422 `shipping_declined`).
pub async fn cancel(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let id = ctx.param_id("id", "shipment")?;
    let db = ctx.db()?;
    let current = shipment::load(db, id, false)?;
    let tracking =
        provider::cancel(&current.tracking_code).map_err(|e| carrier::error("cancelling", e))?;
    settle(&ctx, &tracking, "poll", id).await
}

/// `POST /internal/shipments/:id/refresh` — asks the carrier where the shipment is.
pub async fn refresh(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let id = ctx.param_id("id", "shipment")?;
    let db = ctx.db()?;
    let current = shipment::load(db, id, false)?;
    let tracking = provider::status(&current.tracking_code)
        .map_err(|e| carrier::error("asking for a shipment's status", e))?;
    settle(&ctx, &tracking, "poll", id).await
}

/// Applies what the carrier answered about shipment `id` and answers the shipment.
async fn settle(ctx: &Ctx, tracking: &Tracking, source: &str, id: Uuid) -> ApiResult<Response> {
    let (woken, response) = ctx
        .db()?
        .transaction(async |db: &Db| {
            let woken = apply(db, &provider::id(), tracking, source)?;
            Ok((woken, json::ok(&answer(db, id)?)?))
        })
        .await?;
    kit::workflow::wake_now(ctx, &woken);
    kit::outbox::wake(ctx, SCHEMA);
    Ok(response)
}

/// `GET|POST /api/v1/order/webhooks/:carrier` — the carrier's status webhook.
pub async fn webhook(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let carrier_id = provider::id();
    if ctx.param("carrier") != carrier_id {
        return Err(ApiError::not_found(
            "carrier_not_found",
            format!("no carrier `{}` is configured", ctx.param("carrier")),
        ));
    }
    let p = crate::inbound::parts(&req)?;
    let inbound = carrier::Inbound {
        method: p.method,
        query: p.query,
        headers: p.headers,
        body: p.body,
    };
    let tracking = match provider::verify(&inbound) {
        Ok(t) => t,
        Err(refusal) => {
            kit::log::warn(format_args!(
                "refused a {carrier_id} webhook: {}",
                refusal.reason
            ));
            return crate::inbound::raw(
                refusal.reply.status,
                &refusal.reply.content_type,
                &refusal.reply.body,
            );
        }
    };
    let recorded = ctx
        .db()?
        .transaction(async |db: &Db| apply(db, &carrier_id, &tracking, "webhook"))
        .await;
    match recorded {
        Ok(woken) => {
            kit::workflow::wake_now(&ctx, &woken);
            kit::outbox::wake(&ctx, SCHEMA);
        }
        Err(e) => {
            // Not acknowledged: the carrier sends it again.
            kit::log::error(format_args!("recording a {carrier_id} webhook failed: {e}"));
            return Err(e);
        }
    }
    let ack = provider::acknowledge();
    crate::inbound::raw(ack.status, &ack.content_type, &ack.body)
}

fn stage_of(s: State) -> Stage {
    match s {
        State::Booked => Stage::Booked,
        State::PickingUp => Stage::PickingUp,
        State::PickupFailed => Stage::PickupFailed,
        State::PickedUp => Stage::PickedUp,
        State::OutForDelivery => Stage::OutForDelivery,
        State::DeliveryFailed => Stage::DeliveryFailed,
        State::Delivered => Stage::Delivered,
        State::Returning => Stage::Returning,
        State::Returned => Stage::Returned,
        State::Cancelled => Stage::Cancelled,
        State::Lost => Stage::Lost,
    }
}

/// Records `tracking` and moves its shipment when the rule allows; a tracking code no
/// shipment has is recorded with no shipment. A move of an order's shipment reaches the order
/// ([`order_moved`]); returns the workflows to wake once this commits.
fn apply(db: &Db, carrier_id: &str, tracking: &Tracking, source: &str) -> ApiResult<Vec<Uuid>> {
    let held = shipment::find_locked(db, carrier_id, &tracking.tracking_code)?;
    let next = stage_of(tracking.state);
    let applied = match &held {
        Some(s) => {
            let moves = shipment::advances(s.stage, s.final_, next);
            // The same stage again can still make it final (delivered, then reconciled).
            let finalises = !s.final_ && s.stage == next && tracking.final_;
            if moves || finalises {
                shipment::set_stage(db, s.id, next, tracking.final_)?;
            }
            moves || finalises
        }
        None => {
            kit::log::warn(format_args!(
                "{carrier_id} reported on a tracking code no shipment has; recorded and ignored"
            ));
            false
        }
    };
    shipment::record(
        db,
        &shipment::Event {
            shipment_id: held.as_ref().map(|s| s.id),
            carrier: carrier_id,
            tracking_code: &tracking.tracking_code,
            stage: next,
            carrier_status: &tracking.carrier_status,
            detail: &tracking.detail,
            delayed: tracking.delayed,
            applied,
            source,
            reported_at: from_ms(tracking.at_ms),
        },
    )?;
    let Some(s) = held.as_ref().filter(|s| applied && s.stage != next) else {
        return Ok(Vec::new());
    };
    if let Some(id) = order::of_owner(&s.owner) {
        return order_moved(db, id, next);
    }
    match order_refund::of_owner(&s.owner) {
        // The return reached the seller: the time to decide starts.
        Some(id) if next == Stage::Delivered => {
            order_refund::returned(db, id)?;
            order_refund::nudge(db, id)
        }
        _ => Ok(Vec::new()),
    }
}

/// What a shipment's move means to its order: a delivery starts the payout's hold; its buyer
/// and seller hear of every move that concerns them, once per stage.
fn order_moved(db: &Db, id: Uuid, stage: Stage) -> ApiResult<Vec<Uuid>> {
    let Some(o) = order::find(db, id, kit::db::Lock::None)? else {
        return Ok(Vec::new());
    };
    let short = crate::rules::short(id);
    let (kind, title, parties): (&str, String, &[Uuid]) = match stage {
        Stage::PickedUp => (
            "order_shipped",
            format!("Order {short} was picked up"),
            &[o.buyer_id],
        ),
        Stage::OutForDelivery => (
            "order_out_for_delivery",
            format!("Order {short} is out for delivery"),
            &[o.buyer_id],
        ),
        Stage::Delivered => (
            "order_delivered",
            format!("Order {short} was delivered"),
            &[o.buyer_id, o.seller_id],
        ),
        Stage::DeliveryFailed => (
            "order_delivery_failed",
            format!("Delivering order {short} failed"),
            &[o.buyer_id, o.seller_id],
        ),
        Stage::Returning | Stage::Returned | Stage::Lost | Stage::Cancelled => (
            "order_shipment_stopped",
            format!("Order {short}'s shipment is {}", stage.as_str()),
            &[o.buyer_id, o.seller_id],
        ),
        _ => return Ok(Vec::new()),
    };
    for party in parties {
        outbox::notify(
            db,
            &format!("order:{id}:shipment:{}:{party}", stage.as_str()),
            &NotificationRequest {
                account_id: *party,
                kind: kind.into(),
                title: title.clone(),
                content: format!("The carrier reports order {short} as {}.", stage.as_str()),
                metadata: Some(serde_json::json!({ "order_id": id })),
            },
        )?;
    }
    if stage == Stage::Delivered {
        order::delivered(db, id)?;
        // What the courier collected is money order now holds for each checkout.
        for part in order::parts(db, id)?
            .into_iter()
            .filter(|p| p.cod_minor > 0)
        {
            ledger::take(
                db,
                part.checkout_id,
                ledger::Kind::CashOnDelivery,
                part.cod_minor,
                &o.currency,
                &format!("order:{id}:cod:{}", part.checkout_id),
            )?;
        }
        return order::nudge(db, id);
    }
    Ok(Vec::new())
}

fn answer(db: &Db, id: Uuid) -> ApiResult<ShipmentAnswer> {
    // The history first: a report recorded between the two reads then shows in the state, so
    // the state is never older than the history answered with it.
    let recorded = shipment::history(db, id)?;
    let s = shipment::load(db, id, false)?;
    let history = recorded
        .into_iter()
        .map(|e| ShipmentEvent {
            state: e.stage,
            carrier_status: e.carrier_status,
            detail: e.detail,
            delayed: e.delayed,
            applied: e.applied,
            source: e.source,
            reported_at: e.reported_at.map(stamp),
            received_at: stamp(e.received_at),
        })
        .collect();
    Ok(ShipmentAnswer {
        shipment_id: s.id,
        reference: s.reference,
        owner: s.owner,
        carrier: s.carrier,
        tracking_code: s.tracking_code,
        label: s.label,
        service: s.service,
        state: s.stage.as_str().to_string(),
        r#final: s.final_,
        fee_minor: s.fee_minor,
        cod_minor: s.cod_minor,
        currency: s.currency,
        history,
    })
}

//! Payment attempts through the gateways in order's slots ([`crate::gateways`]):
//!
//! - `GET /api/v1/order/payments/gateways`: the gateways a checkout can offer, and their
//!   methods (public).
//! - `POST /internal/payments`: begins an attempt with a gateway; what the buyer needs to pay.
//! - `GET|POST /api/v1/order/payments/:gateway/callback`: the gateway's IPN. Its signature is
//!   checked by the gateway's provider; a believed notice settles the attempt once
//!   ([`attempt::settle`]), and every callback, believed or not, is recorded with its verdict.
//!   The gateway gets the answer its protocol expects for that verdict.
//! - `GET /internal/payments/:id`, `POST /internal/payments/:id/cancel` (given up: expired),
//!   `POST /internal/payments/:id/reconcile` (the gateway asked), and
//!   `POST /internal/payments/:id/refunds`.
//!
//! A refund runs in its `Idempotency-Key`'s transaction under a lock of the attempt, so
//! concurrent refunds are decided one after the other and never give back more than was paid.
//! The gateway is asked with a refund reference derived from the key: a refund the gateway
//! refused or could not be asked about stores nothing, and its retry asks again under the same
//! reference, which the gateway does not refund twice. One the gateway accepted but has not
//! finished stays `pending`, counted against what is left.

use chrono::{Duration, Utc};
use contracts::order::{
    PaymentAnswer, PaymentStatus, RefundAnswer, RefundPayment, RefundStatus, StartPayment,
};
use kit::db::Db;
use kit::time::rfc3339 as stamp;
use kit::validate::Currency;
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::gateways::{self, Gateway, Inbound, Money, NextStep, Outcome, Reply};
use crate::model::attempt::{self, Attempt, Reported, State, Verdict};
use crate::model::{callback, outbox, refund};

/// The shortest and longest an attempt stays payable, and the default.
const MIN_EXPIRY_SECS: i64 = 10;
const MAX_EXPIRY_SECS: i64 = 86_400;
const DEFAULT_EXPIRY_SECS: i64 = 900;

/// Longest owner, description and refund reason.
const MAX_TEXT_CHARS: usize = 200;

/// `GET /api/v1/order/payments/gateways` — every configured gateway and its methods.
pub async fn list_gateways(_ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let items: Vec<Value> = Gateway::all()
        .iter()
        .map(|g| {
            let methods: Vec<&str> = g.methods().into_iter().map(gateways::method_name).collect();
            json!({ "id": g.id(), "methods": methods })
        })
        .collect();
    json::ok(&json!({ "items": items }))
}

/// A start request, checked.
struct Start {
    owner: String,
    gateway: Gateway,
    method: gateways::Method,
    amount: i64,
    currency: Currency,
    description: String,
    return_url: String,
    buyer_ip: String,
    locale: String,
    expires_in: Duration,
}

fn parse_start(body: &StartPayment) -> ApiResult<Start> {
    let owner = kit::validate::line("owner", &body.owner, 1, MAX_TEXT_CHARS)?;
    let description = kit::validate::line("description", &body.description, 1, MAX_TEXT_CHARS)?;
    let amount = kit::validate::positive_amount("amount_minor", body.amount_minor)?;
    let currency = Currency::parse("currency", &body.currency)?;
    let return_url = body.return_url.trim();
    if !(return_url.starts_with("https://") || return_url.starts_with("http://"))
        || return_url.len() > 255
    {
        return Err(ApiError::validation(
            "return_url: an http(s) URL of at most 255 characters",
        ));
    }
    let buyer_ip: std::net::IpAddr = body
        .buyer_ip
        .trim()
        .parse()
        .map_err(|_| ApiError::validation("buyer_ip: an IPv4 or IPv6 address"))?;
    let locale = body.locale.as_deref().unwrap_or("vi");
    if !matches!(locale, "vi" | "en") {
        return Err(ApiError::validation("locale: vi or en"));
    }
    let secs = body.expires_in_secs.unwrap_or(DEFAULT_EXPIRY_SECS);
    if !(MIN_EXPIRY_SECS..=MAX_EXPIRY_SECS).contains(&secs) {
        return Err(ApiError::validation(format!(
            "expires_in_secs: {MIN_EXPIRY_SECS} to {MAX_EXPIRY_SECS}"
        )));
    }
    let method = gateways::parse_method(&body.method)?;
    let gateway = Gateway::find(&body.gateway)?;
    if method != gateways::Method::Any && !gateway.methods().contains(&method) {
        return Err(ApiError::unprocessable(
            "method_not_offered",
            format!("{} does not offer {}", gateway.id(), body.method),
        ));
    }
    Ok(Start {
        owner,
        gateway,
        method,
        amount,
        currency,
        description,
        return_url: return_url.to_string(),
        buyer_ip: buyer_ip.to_string(),
        locale: locale.to_string(),
        expires_in: Duration::seconds(secs),
    })
}

/// What the buyer needs, as stored and answered.
fn next_step_json(next: &NextStep) -> Value {
    match next {
        NextStep::Redirect(url) => json!({ "kind": "redirect", "url": url }),
        NextStep::PostForm(form) => json!({
            "kind": "form", "action": form.action, "fields": form.fields,
        }),
        NextStep::Qr(payload) => json!({ "kind": "qr", "payload": payload }),
    }
}

/// `POST /internal/payments` — 201 the attempt, pending, with what the buyer needs.
///
/// The gateway is asked before anything is stored (a gateway's start only signs or
/// registers an order; nothing is charged until the buyer pays), so a refused start leaves
/// nothing behind.
pub async fn start(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let body: StartPayment = json::read(&req)?;
    let s = parse_start(&body)?;
    let id = kit::ids::new_id();
    let created = Utc::now();
    let expires = created + s.expires_in;
    let started = s.gateway.start(&gateways::StartRequest {
        reference: attempt::reference_of(id),
        amount: Money {
            minor: s.amount,
            currency: s.currency.as_str().to_string(),
        },
        description: s.description.clone(),
        method: s.method,
        return_url: s.return_url.clone(),
        buyer_ip: s.buyer_ip.clone(),
        locale: s.locale.clone(),
        created_at_ms: created.timestamp_millis(),
        expires_at_ms: expires.timestamp_millis(),
    })?;
    let next_step = next_step_json(&started.next);
    let new = attempt::New {
        id,
        owner: &s.owner,
        gateway: s.gateway.id(),
        method: gateways::method_name(s.method),
        amount_minor: s.amount,
        currency: s.currency.as_str(),
        next_step: &next_step,
        provider_reference: started.provider_reference.as_deref(),
        created_at: created,
        expires_at: expires,
    };
    ctx.db()?
        .transaction(async |db: &Db| {
            attempt::insert(db, &new)?;
            let stored = attempt::load(db, id, false)?;
            json::created(&format!("/internal/payments/{id}"), &answer(&stored))
        })
        .await
}

/// `GET /internal/payments/:id`.
pub async fn get(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let id = ctx.param_id("id", "payment")?;
    json::ok(&answer(&attempt::load(ctx.db()?, id, false)?))
}

/// `POST /internal/payments/:id/cancel` — the owner gives a pending attempt up (its checkout
/// was cancelled or expired): the attempt is `expired`, and money the gateway still takes
/// for it is recorded as `paid_late`. 409 `payment_settled` once it is settled otherwise.
pub async fn cancel(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let id = ctx.param_id("id", "payment")?;
    ctx.db()?
        .transaction(async |db: &Db| {
            let held = attempt::load(db, id, true)?;
            if held.state != State::Pending {
                return Err(settled(&held));
            }
            attempt::set_state(db, id, State::Expired, None, "given_up")?;
            json::ok(&answer(&attempt::load(db, id, false)?))
        })
        .await
}

fn settled(a: &Attempt) -> ApiError {
    ApiError::conflict(
        "payment_settled",
        format!("the payment attempt is {} already", a.state.as_str()),
    )
}

/// `POST /internal/payments/:id/reconcile` — asks the gateway what became of a pending
/// attempt and settles it by the same rule as a callback; a settled attempt is answered as
/// it stands.
pub async fn reconcile(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let id = ctx.param_id("id", "payment")?;
    let db = ctx.db()?;
    let current = attempt::load(db, id, false)?;
    if current.state != State::Pending {
        return json::ok(&answer(&current));
    }
    let gateway = Gateway::find(&current.gateway)?;
    let status = gateway.query(&gateways::StatusRequest {
        reference: current.reference.clone(),
        created_at_ms: current.created_at.timestamp_millis(),
        requester_ip: server_ip(&ctx),
    })?;
    db.transaction(async |db: &Db| {
        let held = attempt::load(db, id, true)?;
        let (amount, currency) = status
            .amount
            .as_ref()
            .map_or((held.amount_minor, held.currency.clone()), |m| {
                (m.minor, m.currency.clone())
            });
        let verdict = attempt::settle(
            &held,
            reported(status.outcome),
            amount,
            &currency,
            Utc::now(),
        );
        match verdict {
            Verdict::Accepted(Some(state)) => {
                let woken = attempt::record_settlement(
                    db,
                    &held,
                    state,
                    status.transaction_id.as_deref(),
                    &status.code,
                )?;
                kit::workflow::wake_now(&ctx, &woken);
            }
            Verdict::AmountMismatch => {
                return Err(ApiError::conflict(
                    "payment_amount_mismatch",
                    format!(
                        "{} reports {amount} {currency} for this attempt of {} {}",
                        held.gateway, held.amount_minor, held.currency
                    ),
                ));
            }
            Verdict::Accepted(None) | Verdict::AlreadySettled => {}
        }
        json::ok(&answer(&attempt::load(db, id, false)?))
    })
    .await
    .inspect(|_| kit::outbox::wake(&ctx, outbox::SCHEMA))
}

/// The address Souk calls gateways from (`server_ip`), which VNPay's querydr and refund carry.
fn server_ip(ctx: &Ctx) -> String {
    ctx.settings()
        .optional("server_ip")
        .unwrap_or_else(|| "127.0.0.1".into())
}

fn reported(outcome: Outcome) -> Reported {
    match outcome {
        Outcome::Paid => Reported::Paid,
        Outcome::Failed => Reported::Failed,
        Outcome::Expired => Reported::Expired,
        Outcome::Cancelled => Reported::Cancelled,
        Outcome::Pending => Reported::Pending,
    }
}

/// The request as the gateway's provider reads it.
fn inbound(req: &Request) -> ApiResult<Inbound> {
    let p = crate::inbound::parts(req)?;
    Ok(Inbound {
        method: p.method,
        query: p.query,
        headers: p.headers,
        body: p.body,
    })
}

fn raw(reply: &Reply) -> ApiResult<Response> {
    crate::inbound::raw(reply.status, &reply.content_type, &reply.body)
}

fn verdict_name(v: gateways::Verdict) -> &'static str {
    match v {
        gateways::Verdict::Accepted => "accepted",
        gateways::Verdict::UnknownAttempt => "unknown_attempt",
        gateways::Verdict::AmountMismatch => "amount_mismatch",
        gateways::Verdict::AlreadySettled => "already_settled",
        gateways::Verdict::RetryLater => "retry_later",
    }
}

/// `GET|POST /api/v1/order/payments/:gateway/callback` — a gateway's IPN.
pub async fn callback(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let gateway = Gateway::find(ctx.param("gateway"))?;
    let request = inbound(&req)?;
    let db = ctx.db()?;
    let notice = match gateway.verify(&request) {
        Ok(notice) => notice,
        Err(refusal) => {
            kit::log::warn(format_args!(
                "refused a {} callback: {}",
                gateway.id(),
                refusal.reason
            ));
            // Recorded in a transaction of its own: a forgery leaves a trace and nothing else.
            db.transaction(async |db: &Db| {
                callback::insert(
                    db,
                    &callback::Record {
                        gateway: gateway.id(),
                        attempt_id: None,
                        reference: None,
                        outcome: None,
                        amount: None,
                        transaction_id: None,
                        verdict: "refused",
                        reason: Some(&refusal.reason),
                    },
                )
            })
            .await?;
            return raw(&refusal.reply);
        }
    };
    let outcome = reported(notice.outcome);
    let taken = db
        .transaction(async |db: &Db| {
            let held = attempt::find_locked(db, &notice.reference)?;
            let (verdict, attempt_id) = match &held {
                None => (gateways::Verdict::UnknownAttempt, None),
                Some(a) if a.gateway != gateway.id() => (gateways::Verdict::UnknownAttempt, None),
                Some(a) => {
                    let now = Utc::now();
                    let v = attempt::settle(
                        a,
                        outcome,
                        notice.amount.minor,
                        &notice.amount.currency,
                        now,
                    );
                    let v = match v {
                        Verdict::Accepted(Some(state)) => {
                            let woken = attempt::record_settlement(
                                db,
                                a,
                                state,
                                notice.transaction_id.as_deref(),
                                &notice.code,
                            )?;
                            kit::workflow::wake_now(&ctx, &woken);
                            gateways::Verdict::Accepted
                        }
                        Verdict::Accepted(None) => gateways::Verdict::Accepted,
                        Verdict::AmountMismatch => gateways::Verdict::AmountMismatch,
                        Verdict::AlreadySettled => gateways::Verdict::AlreadySettled,
                    };
                    (v, Some(a.id))
                }
            };
            callback::insert(
                db,
                &callback::Record {
                    gateway: gateway.id(),
                    attempt_id,
                    reference: Some(&notice.reference),
                    outcome: Some(outcome_name(notice.outcome)),
                    amount: Some((notice.amount.minor, &notice.amount.currency)),
                    transaction_id: notice.transaction_id.as_deref(),
                    verdict: verdict_name(verdict),
                    reason: None,
                },
            )?;
            Ok(verdict)
        })
        .await;
    let verdict = match taken {
        Ok(v) => {
            kit::outbox::wake(&ctx, outbox::SCHEMA);
            v
        }
        Err(e) => {
            // The gateway sends it again: nothing was recorded.
            kit::log::error(format_args!(
                "recording a {} callback failed: {e}",
                gateway.id()
            ));
            gateways::Verdict::RetryLater
        }
    };
    raw(&gateway.answer(verdict))
}

fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Paid => "paid",
        Outcome::Failed => "failed",
        Outcome::Expired => "expired",
        Outcome::Cancelled => "cancelled",
        Outcome::Pending => "pending",
    }
}

/// The refund reference of a request: derived from the attempt and the request's
/// `Idempotency-Key`, so a retry finds the refund it started.
fn refund_reference(attempt: &Attempt, key: &str) -> String {
    let digest = Sha256::digest(format!("{}:{key}", attempt.id).as_bytes());
    format!("rf{}", &hex::encode(digest)[..30])
}

/// `POST /internal/payments/:id/refunds` — gives back all or part of a paid attempt
/// (`Idempotency-Key` required). 409 `refund_exceeds_payment` past what is left, 409
/// `payment_not_paid` for an attempt that took no money; the gateway's refusal is its 422,
/// its outage a 503, and neither stores anything (a retry under the key asks again).
pub async fn refund(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let id = ctx.param_id("id", "payment")?;
    let body: RefundPayment = json::read(&req)?;
    let reason = kit::validate::line("reason", &body.reason, 1, MAX_TEXT_CHARS)?;
    let requested_by = kit::validate::line("requested_by", &body.requested_by, 1, MAX_TEXT_CHARS)?;
    if let Some(amount) = body.amount_minor {
        kit::validate::positive_amount("amount_minor", amount)?;
    }
    let key = ctx
        .idempotency_key()
        .ok_or_else(|| {
            ApiError::bad_request("idempotency_key_required", "Idempotency-Key is required")
        })?
        .to_string();
    let db = ctx.db()?;
    let (held, pending) = db
        .transaction(async |db: &Db| {
            let held = attempt::load(db, id, true)?;
            let reference = refund_reference(&held, &key);
            if let Some(existing) = refund::find(db, &reference)? {
                return Ok((held, existing));
            }
            if !held.state.took_money() {
                return Err(ApiError::conflict(
                    "payment_not_paid",
                    format!(
                        "the payment attempt is {}: nothing to refund",
                        held.state.as_str()
                    ),
                ));
            }
            let left = held.amount_minor - held.refunded_minor;
            let amount = body.amount_minor.unwrap_or(left);
            if amount <= 0 || amount > left {
                return Err(ApiError::conflict(
                    "refund_exceeds_payment",
                    format!("{left} {} is left to refund of this payment", held.currency),
                ));
            }
            let r = refund::insert(db, id, &reference, amount, &reason, &requested_by)?;
            Ok((held, r))
        })
        .await?;
    if pending.state != refund::State::Pending {
        return json::created(
            &format!("/internal/payments/{id}"),
            &refund_answer(&held, &pending),
        );
    }
    let gateway = Gateway::find(&held.gateway)?;
    let asked = gateway.refund(&gateways::RefundRequest {
        reference: held.reference.clone(),
        transaction_id: held.transaction_id.clone().unwrap_or_default(),
        refund_reference: pending.reference.clone(),
        amount: Money {
            minor: pending.amount_minor,
            currency: held.currency.clone(),
        },
        paid: Money {
            minor: held.amount_minor,
            currency: held.currency.clone(),
        },
        created_at_ms: held.created_at.timestamp_millis(),
        requested_by: requested_by.clone(),
        reason: reason.clone(),
        requester_ip: server_ip(&ctx),
    });
    let receipt = asked.map_err(|e| gateway.error("refunding", e))?;
    let state = if receipt.done {
        refund::State::Done
    } else {
        refund::State::Pending
    };
    let txn = receipt.transaction_id;
    db.transaction(async |db: &Db| {
        refund::set_state(db, pending.id, state, txn.as_deref(), &receipt.code)
    })
    .await?;
    let settled = refund::Refund {
        state,
        transaction_id: txn,
        ..pending
    };
    json::created(
        &format!("/internal/payments/{id}"),
        &refund_answer(&held, &settled),
    )
}

fn refund_answer(a: &Attempt, r: &refund::Refund) -> RefundAnswer {
    RefundAnswer {
        refund_id: r.id,
        payment_id: a.id,
        amount_minor: r.amount_minor,
        currency: a.currency.clone(),
        status: match r.state {
            refund::State::Pending => RefundStatus::Pending,
            refund::State::Done => RefundStatus::Done,
        },
        transaction_id: r.transaction_id.clone(),
    }
}

fn answer(a: &Attempt) -> PaymentAnswer {
    PaymentAnswer {
        payment_id: a.id,
        reference: a.reference.clone(),
        owner: a.owner.clone(),
        gateway: a.gateway.clone(),
        method: a.method.clone(),
        amount_minor: a.amount_minor,
        currency: a.currency.clone(),
        status: match a.state {
            State::Pending => PaymentStatus::Pending,
            State::Paid => PaymentStatus::Paid,
            State::Failed => PaymentStatus::Failed,
            State::Cancelled => PaymentStatus::Cancelled,
            State::Expired => PaymentStatus::Expired,
            State::PaidLate => PaymentStatus::PaidLate,
        },
        next_step: a.next_step.clone(),
        transaction_id: a.transaction_id.clone(),
        refunded_minor: a.refunded_minor,
        created_at: stamp(a.created_at),
        expires_at: stamp(a.expires_at),
        settled_at: a.settled_at.map(stamp),
    }
}

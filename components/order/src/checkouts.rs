//! `/api/v1/order/checkout` and `/api/v1/order/checkouts`: the signed-in buyer's checkouts.
//!
//! - `POST …/checkout` (`Idempotency-Key` required): checks the request, then starts the
//!   checkout workflow under the buyer's key and runs it as far as it goes
//!   ([`crate::checkout_flow`]); a double click is the same invocation, answered as it stands.
//!   201 with the checkout when it is paid or awaits payment (its `payment.next_step` says how
//!   to pay); 202 while a step is being retried; the refusal's 4xx when it was refused.
//! - `GET …/checkouts` (keyset pages, newest first, `?status=`), `GET …/checkouts/:id`: only
//!   the buyer's own (404 for anyone else's).
//! - `POST …/checkouts/:id/payment-url`: the current attempt while it is payable, or a new one
//!   (410 `checkout_ended` once the checkout ended, 409 `checkout_paid`, 409
//!   `too_many_attempts` after ten).
//! - `POST …/checkouts/:id/cancel`: the checkout ends `cancelled` and everything is undone; 409
//!   `checkout_paid` once paid.
//!
//! The asks set a flag and signal the workflow under the checkout's lock; the handler then runs
//! the invocation itself and answers what it did. Checkout and payment-URL requests are limited
//! per account (`checkout_requests_per_minute`, 10 by default; 429
//! `too_many_checkout_requests` with `Retry-After`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use kit::db::{Db, Lock};
use kit::page::{Page, TimeKey};
use kit::time::rfc3339 as stamp;
use kit::workflow::Status as Run;
use kit::{ApiError, ApiResult, Ctx, Request, Response, json};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::ENGINE;
use crate::checkout_flow::{Asked, Checkout, Pay, Service, Wanted, waiting};
use crate::config::Config;
use crate::model::attempt::{self, Attempt};
use crate::model::cart::MAX_QUANTITY;
use crate::model::checkout::{self, Item, Shipping, Status};
use crate::model::ledger;
use crate::payable::{self, PaymentView};

/// Most lines one checkout buys.
const MAX_LINES: usize = 100;
/// Most voucher codes one checkout carries, and their longest.
const MAX_CODES: usize = 10;
const MAX_CODE_CHARS: usize = 50;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckoutRequest {
    /// "Buy now": these lines instead of the cart.
    #[serde(default)]
    items: Option<Vec<WantedLine>>,
    #[serde(default)]
    contact_id: Option<Uuid>,
    #[serde(default)]
    shipping: Vec<Service>,
    payment: Payment,
    #[serde(default)]
    codes: Vec<String>,
    return_url: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WantedLine {
    sku_id: Uuid,
    quantity: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Payment {
    /// Pay from the wallet first, as much as it holds.
    #[serde(default)]
    use_wallet: bool,
    /// A gateway's id (`GET /api/v1/order/payments/gateways`), or `cod`.
    #[serde(default)]
    gateway: Option<String>,
    #[serde(default)]
    method: Option<String>,
}

fn wanted(items: &[WantedLine]) -> ApiResult<Vec<Wanted>> {
    if items.is_empty() || items.len() > MAX_LINES {
        return Err(ApiError::validation(format!(
            "items: 1 to {MAX_LINES} lines"
        )));
    }
    let mut seen = std::collections::HashSet::new();
    items
        .iter()
        .map(|i| {
            let quantity = i32::try_from(i.quantity)
                .ok()
                .filter(|q| (1..=MAX_QUANTITY).contains(q))
                .ok_or_else(|| {
                    ApiError::validation(format!("items.quantity: 1 to {MAX_QUANTITY}"))
                })?;
            if !seen.insert(i.sku_id) {
                return Err(ApiError::validation("items: each SKU once"));
            }
            Ok(Wanted {
                sku_id: i.sku_id,
                quantity,
            })
        })
        .collect()
}

fn pay(p: &Payment) -> ApiResult<Pay> {
    match p.gateway.as_deref() {
        None => {
            if p.method.is_some() {
                return Err(ApiError::validation("payment.method needs payment.gateway"));
            }
            Ok(Pay::Nothing)
        }
        Some("cod") => Ok(Pay::CashOnDelivery),
        Some(id) => {
            let (id, method) = payable::gateway_choice(id, p.method.as_deref())?;
            Ok(Pay::Gateway { id, method })
        }
    }
}

fn codes(codes: &[String]) -> ApiResult<Vec<String>> {
    if codes.len() > MAX_CODES {
        return Err(ApiError::validation(format!("codes: at most {MAX_CODES}")));
    }
    codes
        .iter()
        .map(|c| kit::validate::line("codes", c, 1, MAX_CODE_CHARS))
        .collect()
}

/// Counts one checkout or payment-URL request of `buyer`; 429 `too_many_checkout_requests`
/// (with `Retry-After`) past the limit in this minute.
pub fn throttle(ctx: &Ctx, buyer: Uuid) -> ApiResult<()> {
    let limit = Config::read(ctx.settings()).checkout_requests_per_minute;
    kit::limit::admit(
        ctx.settings().redis_url()?.expose(),
        "checkout",
        &format!("souk:order:checkout-requests:{buyer}"),
        limit,
        60,
        "too_many_checkout_requests",
    )
}

/// `POST /api/v1/order/checkout`.
pub async fn create(ctx: Ctx, req: Request) -> ApiResult<Response> {
    let buyer = ctx.user()?.sub;
    throttle(&ctx, buyer)?;
    let key = ctx.idempotency_key().map(str::to_string).ok_or_else(|| {
        ApiError::bad_request(
            "idempotency_key_required",
            "a checkout needs an Idempotency-Key header",
        )
    })?;
    let body: CheckoutRequest = json::read(&req)?;
    if body.shipping.len() > MAX_LINES {
        return Err(ApiError::validation(
            "shipping: at most one entry per seller",
        ));
    }
    for s in &body.shipping {
        crate::carrier::parse_service(&s.service)?;
    }
    let id = kit::ids::derived(&format!("checkout:{buyer}:{key}"));
    let asked = Asked {
        checkout_id: id,
        buyer_id: buyer,
        lines: body.items.as_deref().map(wanted).transpose()?,
        contact_id: body.contact_id,
        services: body.shipping,
        use_wallet: body.payment.use_wallet,
        rest: pay(&body.payment)?,
        codes: codes(&body.codes)?,
        return_url: payable::return_url(&body.return_url)?,
        buyer_ip: payable::client_ip(&req),
    };
    let outcome = ENGINE
        .start::<Checkout>(&ctx, &format!("checkout:{buyer}:{key}"), &asked)
        .await?;
    let db = ctx.db()?;
    match checkout::find(db, id, Lock::None)? {
        Some(c) if c.status != Status::Failed => {
            let view = view(db, c)?;
            let location = format!("/api/v1/order/checkouts/{id}");
            match outcome.status {
                Run::Pending | Run::Compensating | Run::Failed => json::accepted(&view),
                _ => json::created(&location, &view),
            }
        }
        _ => outcome.into_response(),
    }
}

/// A checkout as its buyer sees it.
#[derive(Serialize)]
struct CheckoutView {
    id: Uuid,
    status: &'static str,
    reason: Option<String>,
    /// `cart` or `buy_now`.
    source: String,
    currency: String,
    rate_snapshot_id: Option<Uuid>,
    subtotal_minor: i64,
    discount_minor: i64,
    shipping_minor: i64,
    shipping_discount_minor: i64,
    total_minor: i64,
    cashback_minor: i64,
    wallet_minor: i64,
    gateway_minor: i64,
    cod_minor: i64,
    /// What the buyer's cancelled items (and a seller's shipping, once all its items went)
    /// came to: refunded to the wallet, or cash on delivery no longer due.
    cancelled_minor: i64,
    refunded_minor: i64,
    cod_waived_minor: i64,
    /// What order holds for it now: taken from the wallet and through gateways, less what
    /// was given back (its ledger).
    held_minor: i64,
    /// The gateway and method the rest is paid with.
    gateway: Option<String>,
    method: Option<String>,
    codes: Value,
    payment: Option<PaymentView>,
    items: Vec<ItemView>,
    shipping: Vec<ShippingView>,
    delivery: Value,
    created_at: String,
    expires_at: String,
    paid_at: Option<String>,
    ended_at: Option<String>,
}

#[derive(Serialize)]
struct ItemView {
    id: Uuid,
    sku_id: Uuid,
    product_id: Uuid,
    seller_id: Uuid,
    name: String,
    quantity: i32,
    unit_price_minor: i64,
    discount_minor: i64,
    total_minor: i64,
    seller_price: SellerPrice,
    status: String,
    cancelled_at: Option<String>,
}

#[derive(Serialize)]
struct SellerPrice {
    unit_minor: i64,
    currency: String,
}

#[derive(Serialize)]
struct ShippingView {
    seller_id: Uuid,
    service: String,
    carrier: String,
    fee_minor: i64,
    discount_minor: i64,
}

fn opt(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(stamp)
}

fn item_view(i: Item) -> ItemView {
    ItemView {
        id: i.id,
        sku_id: i.sku_id,
        product_id: i.product_id,
        seller_id: i.seller_id,
        name: i.name,
        quantity: i.quantity,
        unit_price_minor: i.unit_price_minor,
        discount_minor: i.discount_minor,
        total_minor: i.total_minor,
        seller_price: SellerPrice {
            unit_minor: i.seller_unit_minor,
            currency: i.seller_currency,
        },
        status: i.status,
        cancelled_at: opt(i.cancelled_at),
    }
}

fn shipping_view(s: Shipping) -> ShippingView {
    ShippingView {
        seller_id: s.seller_id,
        service: s.service,
        carrier: s.carrier,
        fee_minor: s.fee_minor,
        discount_minor: s.discount_minor,
    }
}

/// What a view shows of a checkout besides its row.
#[derive(Default)]
struct Parts {
    items: Vec<Item>,
    shipping: Vec<Shipping>,
    current: Option<Attempt>,
    held_minor: i64,
}

/// The parts of checkouts `ids`, read in one query per kind whatever their number.
fn parts(db: &Db, ids: &[Uuid]) -> ApiResult<HashMap<Uuid, Parts>> {
    let mut parts: HashMap<Uuid, Parts> = ids.iter().map(|id| (*id, Parts::default())).collect();
    for (id, item) in checkout::items(db, ids)? {
        parts.entry(id).or_default().items.push(item);
    }
    for (id, s) in checkout::shipping(db, ids)? {
        parts.entry(id).or_default().shipping.push(s);
    }
    let owners: Vec<String> = ids.iter().map(|id| checkout::owner_of(*id)).collect();
    let owners: Vec<&str> = owners.iter().map(String::as_str).collect();
    for a in attempt::latest_of_each(db, &owners)? {
        if let Some(id) = checkout::of_owner(&a.owner) {
            parts.entry(id).or_default().current = Some(a);
        }
    }
    for (id, held) in ledger::owed(db, ids)? {
        parts.entry(id).or_default().held_minor = held;
    }
    Ok(parts)
}

fn build(c: checkout::Checkout, p: Parts) -> CheckoutView {
    let Parts {
        items,
        shipping,
        current,
        held_minor,
    } = p;
    CheckoutView {
        payment: current.map(|a| PaymentView::of(a, c.attempts)),
        id: c.id,
        status: c.status.as_str(),
        reason: c.reason,
        source: c.source,
        currency: c.currency,
        rate_snapshot_id: c.rate_snapshot_id,
        subtotal_minor: c.subtotal_minor,
        discount_minor: c.discount_minor,
        shipping_minor: c.shipping_minor,
        shipping_discount_minor: c.shipping_discount_minor,
        total_minor: c.total_minor,
        cashback_minor: c.cashback_minor,
        wallet_minor: c.wallet_minor,
        gateway_minor: c.gateway_minor,
        cod_minor: c.cod_minor,
        cancelled_minor: c.cancelled_minor,
        refunded_minor: c.refunded_minor,
        cod_waived_minor: c.cod_waived_minor,
        held_minor,
        gateway: c.gateway,
        method: c.method,
        codes: c.codes,
        items: items.into_iter().map(item_view).collect(),
        shipping: shipping.into_iter().map(shipping_view).collect(),
        delivery: c.delivery,
        created_at: stamp(c.created_at),
        expires_at: stamp(c.expires_at),
        paid_at: opt(c.paid_at),
        ended_at: opt(c.ended_at),
    }
}

fn view(db: &Db, c: checkout::Checkout) -> ApiResult<CheckoutView> {
    let parts = parts(db, &[c.id])?.remove(&c.id).unwrap_or_default();
    Ok(build(c, parts))
}

/// `GET /api/v1/order/checkouts/:id`.
pub async fn get(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let buyer = ctx.user()?.sub;
    let id = ctx.param_id("id", "checkout")?;
    let db = ctx.db()?;
    json::ok(&view(db, checkout::load_own(db, id, buyer, Lock::None)?)?)
}

/// `GET /api/v1/order/checkouts` — newest first; `?status=` one of the statuses.
pub async fn list(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let buyer = ctx.user()?.sub;
    let status = ctx
        .query("status")
        .map(|s| {
            Status::parse(&s).map_err(|_| {
                ApiError::validation(
                    "status: pending, awaiting_payment, paid, cancelled, expired or failed",
                )
            })
        })
        .transpose()?;
    let page = kit::page::request::<TimeKey>(&ctx)?;
    let db = ctx.db()?;
    let rows = checkout::page(db, buyer, status, page.after.as_ref(), page.fetch())?;
    let page = page.page(rows, |c| TimeKey::of(c.created_at, c.id));
    let ids: Vec<Uuid> = page.items.iter().map(|c| c.id).collect();
    let mut parts = parts(db, &ids)?;
    let views: Vec<CheckoutView> = page
        .items
        .into_iter()
        .map(|c| {
            let p = parts.remove(&c.id).unwrap_or_default();
            build(c, p)
        })
        .collect();
    json::ok(&Page {
        items: views,
        next_cursor: page.next_cursor,
    })
}

/// Refuses an ask about a checkout that is over.
fn ensure_open(c: &checkout::Checkout) -> ApiResult<()> {
    match c.status {
        Status::Paid => Err(ApiError::conflict(
            "checkout_paid",
            "the checkout is paid: cancel its items instead",
        )),
        s if s.is_final() => Err(ApiError::new(
            410,
            "checkout_ended",
            format!("the checkout ended {}", s.as_str()),
        )),
        _ => Ok(()),
    }
}

/// Sets the buyer's ask on checkout `id` and signals its workflow, then runs it.
async fn ask(ctx: &Ctx, buyer: Uuid, id: Uuid, cancel: bool) -> ApiResult<checkout::Checkout> {
    let db = ctx.db()?;
    let invocation = db
        .transaction(async |db: &Db| {
            let c = checkout::load_own(db, id, buyer, Lock::ForUpdate)?;
            ensure_open(&c)?;
            let current = attempt::latest_of(db, &checkout::owner_of(id))?;
            if !payable::asked(&waiting(&c), current.as_ref(), cancel)? {
                return Ok(None);
            }
            checkout::ask(db, id, cancel, !cancel)?;
            let woken = checkout::nudge(db, id)?;
            kit::workflow::wake_now(ctx, &woken);
            Ok(Some(c.invocation_id))
        })
        .await?;
    if let Some(invocation) = invocation {
        ENGINE.drive(ctx, invocation).await?;
    }
    checkout::load_own(db, id, buyer, Lock::None)
}

/// `POST /api/v1/order/checkouts/:id/payment-url`.
pub async fn payment_url(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let buyer = ctx.user()?.sub;
    throttle(&ctx, buyer)?;
    let id = ctx.param_id("id", "checkout")?;
    let c = ask(&ctx, buyer, id, false).await?;
    ensure_open(&c)?;
    let db = ctx.db()?;
    let v = view(db, c)?;
    match v.payment.as_ref().and_then(|p| p.next_step.as_ref()) {
        Some(_) => json::ok(&v),
        None => json::accepted(&v),
    }
}

/// `POST /api/v1/order/checkouts/:id/cancel`.
pub async fn cancel(ctx: Ctx, _req: Request) -> ApiResult<Response> {
    let buyer = ctx.user()?.sub;
    let id = ctx.param_id("id", "checkout")?;
    let c = ask(&ctx, buyer, id, true).await?;
    let db = ctx.db()?;
    let v = view(db, c)?;
    if v.status == Status::Cancelled.as_str() {
        json::ok(&v)
    } else {
        json::accepted(&v)
    }
}

//! The checkout workflow: one invocation per checkout, each step exactly once (`kit::workflow`).
//!
//! 1. `price`: reads the buyer, the lines (the cart's, taken out of it, or "buy now"), the
//!    delivery contact, the sellers' pickup contacts, catalog's SKUs; converts prices in other
//!    currencies to the buyer's by one exchange-rate snapshot; quotes each seller's parcel
//!    with the carrier and the whole cart with promotion; splits the total between the wallet,
//!    a gateway and cash on delivery; writes the checkout, its items and its shipping.
//! 2. `reserve`: inventory holds the stock, all or nothing.
//! 3. `redeem`: promotion holds the uses and budget of the promotions the quote applied.
//! 4. `wallet`: the wallet part is debited, exactly, or the checkout fails.
//! 5. The gateway part, when there is one, paid by attempts ([`crate::payable`]) under the
//!    checkout's lock, its signal `checkout:<id>:<round>`.
//! 6. `complete`: promotions committed, the checkout paid, its items await their sellers (the
//!    stock stays held until each seller confirms), buyer and sellers notified (outbox).
//!
//! A refusal (out of stock, a limit reached, the wallet short, the buyer's cancel, the end of
//! the session) ends the forward path: the undo of every step whose effect happened runs
//! newest first — wallet credited back, promotions released, stock released, the cart's
//! lines put back — and the checkout is `failed` (with the refusal's code), `cancelled` or
//! `expired`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, Utc};
use contracts::account::{AccountStatus, NotificationRequest, WalletMovementRequest};
use contracts::catalog::SkuSummary;
use contracts::inventory::{ReservationAnswer, ReserveLine, ReserveRequest};
use contracts::order::{Parcel, QuoteShipment, ShipmentQuote};
use contracts::promotion::{
    QuoteAnswer, QuoteLine, QuoteRequest, RedemptionAnswer, RedemptionLine,
    ReserveRequest as RedeemRequest,
};
use kit::retry::Verdict;
use kit::workflow::{NoUndo, Run, Step, Stop, Workflow};
use kit::{ApiError, ApiResult, Ctx};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::config::Config;
use crate::deadline_flow::{self, ConfirmBy};
use crate::model::cart::{self, Line};
use crate::model::checkout::{self, Item, Shipping, Status};
use crate::model::{SCHEMA, ledger, outbox};
use crate::payable::{Ask, Payable, Waiting, await_payment, done_already};
use crate::rules::{self, Packed, Rest, short};
use crate::{ENGINE, peers};

/// A line the buyer wants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wanted {
    pub sku_id: Uuid,
    pub quantity: i32,
}

/// The shipping service the buyer chose for one seller's lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub seller_id: Uuid,
    pub service: String,
}

/// How the rest is paid, as the input stores it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Pay {
    Nothing,
    Gateway { id: String, method: String },
    CashOnDelivery,
}

impl Pay {
    fn rest(&self) -> Rest {
        match self {
            Pay::Nothing => Rest::Nothing,
            Pay::Gateway { id, method } => Rest::Gateway {
                id: id.clone(),
                method: method.clone(),
            },
            Pay::CashOnDelivery => Rest::CashOnDelivery,
        }
    }
}

/// A checkout as the buyer asked for it, checked before the invocation exists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Asked {
    pub checkout_id: Uuid,
    pub buyer_id: Uuid,
    /// "Buy now" lines; `None` checks the cart out.
    pub lines: Option<Vec<Wanted>>,
    /// The buyer's contact to deliver to; their default one when `None`.
    pub contact_id: Option<Uuid>,
    /// Sellers not named ship `standard`.
    pub services: Vec<Service>,
    pub use_wallet: bool,
    pub rest: Pay,
    pub codes: Vec<String>,
    pub return_url: String,
    pub buyer_ip: String,
}

/// What the `price` step decided, which every later step follows.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Plan {
    pub checkout_id: Uuid,
    pub buyer_id: Uuid,
    pub currency: String,
    pub lines: Vec<(Uuid, i64)>,
    pub sellers: Vec<Uuid>,
    pub redemptions: Vec<RedemptionLine>,
    pub wallet_minor: i64,
    pub gateway_minor: i64,
    pub gateway: Option<(String, String)>,
    pub attempt_secs: i64,
    pub expires_at_ms: i64,
}

/// What a checkout ended with.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Done {
    pub checkout_id: Uuid,
}

/// What a step did that an ending without payment undoes.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "undo", rename_all = "snake_case")]
pub enum Undo {
    /// The checkout is written and its cart lines taken: it ends, the lines go back.
    Close {
        checkout_id: Uuid,
        buyer_id: Uuid,
        cart: Vec<Line>,
    },
    /// Stock is held.
    Release { reservation_id: Uuid },
    /// Promotions are held.
    Unredeem { reference: String },
    /// The wallet was debited.
    Recredit {
        checkout_id: Uuid,
        buyer_id: Uuid,
        amount_minor: i64,
        currency: String,
    },
}

fn wallet_reference(checkout: Uuid) -> String {
    format!("checkout:{checkout}:wallet")
}

impl kit::workflow::Undo for Undo {
    async fn undo(self, step: &Step<'_, NoUndo>) -> ApiResult<()> {
        let empty = json!({});
        match self {
            Undo::Close {
                checkout_id,
                buyer_id,
                cart: lines,
            } => {
                checkout::end(step.db(), checkout_id, Status::Failed, "refused")?;
                cart::put_back(step.db(), buyer_id, &lines)
            }
            Undo::Release { reservation_id } => {
                let path = format!("/internal/reservations/{reservation_id}/release");
                match step
                    .internal("inventory")
                    .post::<_, Value>(&path, &empty, Some(step.key()))
                    .await
                {
                    Err(e) if !done_already(&e, &["reservation_released"]) => Err(e),
                    _ => Ok(()),
                }
            }
            Undo::Unredeem { reference } => {
                let path = format!("/internal/redemptions/{reference}/release");
                match step
                    .internal("promotion")
                    .post::<_, Value>(&path, &empty, Some(step.key()))
                    .await
                {
                    Err(e) if !done_already(&e, &["redemption_released"]) => Err(e),
                    _ => Ok(()),
                }
            }
            Undo::Recredit {
                checkout_id,
                buyer_id,
                amount_minor,
                currency,
            } => {
                let _: Value = step
                    .internal("account")
                    .post(
                        "/internal/wallet/credit",
                        &WalletMovementRequest {
                            account_id: buyer_id,
                            amount: amount_minor,
                            currency,
                            reason: format!("Checkout {} given back", short(checkout_id)),
                            reference: Some(checkout::owner_of(checkout_id)),
                        },
                        Some(step.key()),
                    )
                    .await?;
                ledger::give_back(
                    step.db(),
                    &wallet_reference(checkout_id),
                    ledger::Kind::Wallet,
                    &format!("checkout:{checkout_id}:wallet:back"),
                )
            }
        }
    }
}

/// The checkout workflow (see the module docs).
pub struct Checkout;

impl Workflow for Checkout {
    const NAME: &'static str = "checkout";
    type Input = Asked;
    type Output = Done;
    type Undo = Undo;

    async fn body(run: &mut Run<'_, Undo>, asked: Asked) -> Result<Done, Stop> {
        let ctx = run.ctx();
        let invocation = run.id();
        let plan: Plan = run
            .step("price", async |s: &Step<'_, Undo>| {
                price(ctx, s, &asked, invocation).await
            })
            .await?;
        match forward(run, &plan).await {
            Err(Stop::Failed(e)) if kit::retry::verdict(&e) == Verdict::Terminal => {
                let id = plan.checkout_id;
                let code = e.code.to_string();
                run.step("failed", async |s: &Step<'_, Undo>| {
                    checkout::end(s.db(), id, Status::Failed, &code)
                })
                .await?;
                Err(Stop::Failed(e))
            }
            other => other,
        }
    }
}

async fn forward(run: &mut Run<'_, Undo>, plan: &Plan) -> Result<Done, Stop> {
    let ctx = run.ctx();
    let id = plan.checkout_id;
    let _: Uuid = run
        .step("reserve", async |s: &Step<'_, Undo>| reserve(s, plan).await)
        .await?;
    if !plan.redemptions.is_empty() {
        run.step("redeem", async |s: &Step<'_, Undo>| redeem(s, plan).await)
            .await?;
    }
    if plan.wallet_minor > 0 {
        run.step("wallet", async |s: &Step<'_, Undo>| debit(s, plan).await)
            .await?;
    }
    if plan.gateway_minor > 0 {
        await_payment(run, &Paying(plan)).await?;
    }
    run.step("complete", async |s: &Step<'_, Undo>| {
        complete(ctx, s, plan).await
    })
    .await?;
    kit::outbox::wake(ctx, SCHEMA);
    Ok(Done { checkout_id: id })
}

fn refused(code: &'static str, message: String) -> ApiError {
    ApiError::unprocessable(code, message)
}

/// The lines to check out: the "buy now" ones, or the cart's (taken out of it).
fn wanted_lines(s: &Step<'_, Undo>, asked: &Asked) -> ApiResult<(Vec<Wanted>, Vec<Line>)> {
    if let Some(lines) = &asked.lines {
        return Ok((lines.clone(), Vec::new()));
    }
    let held = cart::lines(s.db(), asked.buyer_id)?;
    if held.is_empty() {
        return Err(refused("cart_empty", "the cart has no lines".into()));
    }
    let skus: Vec<Uuid> = held.iter().map(|l| l.sku_id).collect();
    let taken = cart::take(s.db(), asked.buyer_id, &skus)?;
    let wanted = held
        .iter()
        .map(|l| Wanted {
            sku_id: l.sku_id,
            quantity: l.quantity,
        })
        .collect();
    Ok((wanted, taken))
}

/// Each wanted line's SKU, refusing what cannot be bought.
fn checked_skus(
    buyer: Uuid,
    wanted: &[Wanted],
    mut skus: std::collections::HashMap<Uuid, SkuSummary>,
) -> ApiResult<Vec<(SkuSummary, i32)>> {
    wanted
        .iter()
        .map(|w| {
            let sku = skus.remove(&w.sku_id).ok_or_else(|| {
                ApiError::not_found("sku_not_found", format!("no SKU {}", w.sku_id))
            })?;
            if !sku.available {
                return Err(refused(
                    "not_for_sale",
                    format!("SKU {} is not for sale", w.sku_id),
                ));
            }
            if sku.seller_id == buyer {
                return Err(refused(
                    "own_product",
                    format!("SKU {} is the buyer's own", w.sku_id),
                ));
            }
            Ok((sku, w.quantity))
        })
        .collect()
}

/// Converts `amount` of `from` into `to` by the checkout's snapshot (taken at the first
/// conversion and kept for every later one).
async fn to_currency(
    s: &Step<'_, Undo>,
    snapshot: &mut Option<Uuid>,
    amount: i64,
    from: &str,
    to: &str,
) -> ApiResult<i64> {
    if from == to {
        return Ok(amount);
    }
    let c = peers::convert(&s.internal("common"), amount, from, to, *snapshot).await?;
    *snapshot = Some(c.snapshot_id);
    Ok(c.amount_minor)
}

async fn price(ctx: &Ctx, s: &Step<'_, Undo>, asked: &Asked, invocation: Uuid) -> ApiResult<Plan> {
    let id = asked.checkout_id;
    let db = s.db();
    let account = s.internal("account");
    let buyer = peers::account(&account, asked.buyer_id).await?;
    if buyer.status == AccountStatus::Suspended {
        return Err(ApiError::new(
            403,
            "account_suspended",
            "a suspended account cannot buy",
        ));
    }
    let currency = buyer.currency.clone();
    let (wanted, taken) = wanted_lines(s, asked)?;
    let ids: Vec<Uuid> = wanted.iter().map(|w| w.sku_id).collect();
    let found = peers::skus(&s.internal("catalog"), ids).await?;
    let lines = checked_skus(asked.buyer_id, &wanted, found)?;
    let contact = match asked.contact_id {
        Some(c) => peers::contact(&account, asked.buyer_id, c).await?,
        None => peers::default_contacts(&account, vec![asked.buyer_id])
            .await?
            .remove(&asked.buyer_id)
            .ok_or_else(|| {
                refused(
                    "delivery_address_required",
                    "the buyer has no contact to deliver to: add one or name one".into(),
                )
            })?,
    };
    let delivery = rules::postal_address("delivery", &contact.address, &buyer.country)?;
    let sellers: BTreeSet<Uuid> = lines.iter().map(|(sku, _)| sku.seller_id).collect();
    let mut pickups = peers::default_contacts(&account, sellers.iter().copied().collect()).await?;
    let mut snapshot = None;
    let mut quote_lines = Vec::new();
    let mut items = Vec::new();
    let mut by_seller: BTreeMap<Uuid, (Vec<Packed>, i64, Vec<String>)> = BTreeMap::new();
    for (sku, quantity) in &lines {
        let unit = to_currency(
            s,
            &mut snapshot,
            sku.unit_price_minor,
            &sku.currency,
            &currency,
        )
        .await?;
        quote_lines.push(QuoteLine {
            sku_id: sku.sku_id,
            product_id: sku.product_id,
            seller_id: sku.seller_id,
            category_path: sku.category_path.clone(),
            unit_price_minor: unit,
            quantity: i64::from(*quantity),
        });
        let entry = by_seller.entry(sku.seller_id).or_default();
        entry.0.push(Packed {
            quantity: u32::try_from(*quantity).unwrap_or(1),
            weight_grams: sku.weight_grams,
            length_cm: sku.length_cm,
            width_cm: sku.width_cm,
            height_cm: sku.height_cm,
        });
        entry.1 += unit * i64::from(*quantity);
        entry.2.push(sku.name.clone());
        items.push(Item {
            id: kit::ids::new_id(),
            seller_id: sku.seller_id,
            sku_id: sku.sku_id,
            product_id: sku.product_id,
            name: kit::validate::fit_line(&sku.name, 200),
            quantity: *quantity,
            seller_currency: sku.currency.clone(),
            seller_unit_minor: sku.unit_price_minor,
            unit_price_minor: unit,
            discount_minor: 0,
            total_minor: 0,
            status: "pending".into(),
            cancelled_at: None,
            cancelled_by: None,
        });
    }
    let mut shipping = Vec::new();
    for (seller, (packed, value, _)) in &by_seller {
        let pickup = pickups.remove(seller).ok_or_else(|| {
            refused(
                "seller_cannot_ship",
                format!("seller {seller} has no pickup address"),
            )
        })?;
        let country = pickup
            .location
            .as_ref()
            .map_or(buyer.country.clone(), |l| l.country.clone());
        let from = rules::postal_address("pickup", &pickup.address, &country)?;
        let m = rules::pack(packed);
        let service = asked
            .services
            .iter()
            .find(|x| x.seller_id == *seller)
            .map_or("standard", |x| x.service.as_str())
            .to_string();
        let parcel = Parcel {
            weight_grams: m.weight_grams,
            length_mm: m.length_mm,
            width_mm: m.width_mm,
            height_mm: m.height_mm,
            declared_value_minor: *value,
            currency: currency.clone(),
        };
        let quote: ShipmentQuote = s
            .internal("order")
            .post(
                "/internal/shipments/quote",
                &QuoteShipment {
                    pickup: from.clone(),
                    delivery: delivery.clone(),
                    parcel: parcel.clone(),
                    service: service.clone(),
                },
                None,
            )
            .await?;
        if !quote.deliverable {
            return Err(refused(
                "not_deliverable",
                format!(
                    "{} does not deliver seller {seller}'s parcel there",
                    quote.carrier
                ),
            ));
        }
        let fee = to_currency(
            s,
            &mut snapshot,
            quote.fee_minor,
            &quote.currency,
            &currency,
        )
        .await?;
        shipping.push(Shipping {
            seller_id: *seller,
            service,
            carrier: quote.carrier,
            carrier_fee_minor: quote.fee_minor,
            carrier_currency: quote.currency,
            fee_minor: fee,
            discount_minor: 0,
            pickup: json!({
                "name": pickup.full_name, "phone": pickup.phone, "address": from,
            }),
            parcel: serde_json::to_value(&parcel).map_err(ApiError::internal)?,
        });
    }
    let quote: QuoteAnswer = s
        .internal("promotion")
        .post(
            "/internal/quote",
            &QuoteRequest {
                currency: currency.clone(),
                lines: quote_lines,
                shipping: shipping
                    .iter()
                    .map(|x| contracts::promotion::QuoteShipment {
                        seller_id: x.seller_id,
                        amount_minor: x.fee_minor,
                    })
                    .collect(),
                buyer_id: Some(asked.buyer_id),
                first_order: checkout::first_order(db, asked.buyer_id)?,
                codes: asked.codes.clone(),
            },
            None,
        )
        .await?;
    if !quote.unknown_codes.is_empty() {
        return Err(refused(
            "promotion_code_unknown",
            format!(
                "no promotion has the code {}",
                quote.unknown_codes.join(", ")
            ),
        ));
    }
    for item in &mut items {
        let line = quote.lines.iter().find(|l| l.sku_id == item.sku_id);
        let line = line.ok_or_else(|| ApiError::internal("the quote lost a line"))?;
        item.unit_price_minor = line.unit_price_minor;
        item.discount_minor = line.discount_minor;
        item.total_minor = line.final_minor;
    }
    for x in &mut shipping {
        if let Some(q) = quote.shipping.iter().find(|q| q.seller_id == x.seller_id) {
            x.discount_minor = q.discount_minor;
        }
    }
    let balance = if asked.use_wallet {
        let w = peers::wallet(&account, asked.buyer_id).await?;
        if w.currency != currency {
            return Err(refused(
                "currency_mismatch",
                format!(
                    "the wallet holds {}, the checkout is in {currency}",
                    w.currency
                ),
            ));
        }
        Some(w.balance)
    } else {
        None
    };
    let split = rules::split(quote.total_minor, balance, &asked.rest.rest())?;
    let gateway = match &asked.rest {
        Pay::Gateway { id, method } if split.gateway_minor > 0 => {
            Some((id.clone(), method.clone()))
        }
        _ => None,
    };
    let config = Config::read(ctx.settings());
    let attempt_secs = config.attempt_secs;
    let expires_at = Utc::now() + Duration::seconds(config.session_secs);
    let redemptions: Vec<RedemptionLine> = quote
        .applied
        .iter()
        .map(|a| RedemptionLine {
            promotion_id: a.promotion_id,
            amount_minor: a.discount_minor + a.cashback_minor,
        })
        .collect();
    let delivery_json = json!({
        "contact_id": contact.id, "name": contact.full_name, "phone": contact.phone,
        "address": delivery,
    });
    checkout::insert(
        db,
        &checkout::New {
            id,
            buyer_id: asked.buyer_id,
            invocation_id: invocation,
            source: if asked.lines.is_some() {
                "buy_now"
            } else {
                "cart"
            },
            currency: &currency,
            rate_snapshot_id: snapshot,
            subtotal_minor: quote.subtotal_minor,
            discount_minor: quote.discount_minor,
            shipping_minor: quote.shipping_minor,
            shipping_discount_minor: quote.shipping_discount_minor,
            total_minor: quote.total_minor,
            cashback_minor: quote.cashback_minor,
            wallet_minor: split.wallet_minor,
            gateway_minor: split.gateway_minor,
            cod_minor: split.cod_minor,
            gateway: gateway.as_ref().map(|g| g.0.as_str()),
            method: gateway.as_ref().map(|g| g.1.as_str()),
            delivery: &delivery_json,
            codes: &asked.codes,
            redeemed: !redemptions.is_empty(),
            return_url: &asked.return_url,
            buyer_ip: &asked.buyer_ip,
            expires_at,
        },
    )?;
    for item in &items {
        checkout::insert_item(db, id, item)?;
    }
    for x in &shipping {
        checkout::insert_shipping(db, id, x)?;
    }
    s.undo_with(Undo::Close {
        checkout_id: id,
        buyer_id: asked.buyer_id,
        cart: taken,
    });
    Ok(Plan {
        checkout_id: id,
        buyer_id: asked.buyer_id,
        currency,
        lines: lines
            .iter()
            .map(|(sku, q)| (sku.sku_id, i64::from(*q)))
            .collect(),
        sellers: sellers.into_iter().collect(),
        redemptions,
        wallet_minor: split.wallet_minor,
        gateway_minor: split.gateway_minor,
        gateway,
        attempt_secs,
        expires_at_ms: expires_at.timestamp_millis(),
    })
}

async fn reserve(s: &Step<'_, Undo>, plan: &Plan) -> ApiResult<Uuid> {
    let answer: ReservationAnswer = s
        .internal("inventory")
        .post(
            "/internal/reservations",
            &ReserveRequest {
                reference: checkout::owner_of(plan.checkout_id),
                lines: plan
                    .lines
                    .iter()
                    .map(|(sku_id, quantity)| ReserveLine {
                        sku_id: *sku_id,
                        quantity: *quantity,
                    })
                    .collect(),
            },
            Some(s.key()),
        )
        .await?;
    s.undo_with(Undo::Release {
        reservation_id: answer.reservation_id,
    });
    checkout::set_reservation(s.db(), plan.checkout_id, answer.reservation_id)?;
    Ok(answer.reservation_id)
}

async fn redeem(s: &Step<'_, Undo>, plan: &Plan) -> ApiResult<()> {
    let reference = checkout::owner_of(plan.checkout_id);
    let _: RedemptionAnswer = s
        .internal("promotion")
        .post(
            "/internal/redemptions",
            &RedeemRequest {
                reference: reference.clone(),
                buyer_id: Some(plan.buyer_id),
                currency: Some(plan.currency.clone()),
                lines: plan.redemptions.clone(),
            },
            Some(s.key()),
        )
        .await?;
    s.undo_with(Undo::Unredeem { reference });
    Ok(())
}

async fn debit(s: &Step<'_, Undo>, plan: &Plan) -> ApiResult<()> {
    let id = plan.checkout_id;
    let _: Value = s
        .internal("account")
        .post(
            "/internal/wallet/debit",
            &WalletMovementRequest {
                account_id: plan.buyer_id,
                amount: plan.wallet_minor,
                currency: plan.currency.clone(),
                reason: format!("Checkout {}", short(id)),
                reference: Some(checkout::owner_of(id)),
            },
            Some(s.key()),
        )
        .await?;
    s.undo_with(Undo::Recredit {
        checkout_id: id,
        buyer_id: plan.buyer_id,
        amount_minor: plan.wallet_minor,
        currency: plan.currency.clone(),
    });
    ledger::take(
        s.db(),
        id,
        ledger::Kind::Wallet,
        plan.wallet_minor,
        &plan.currency,
        &wallet_reference(id),
    )?;
    Ok(())
}

/// Where checkout `c`'s payment stands.
pub fn waiting(c: &checkout::Checkout) -> Waiting {
    Waiting {
        expires_at: c.expires_at,
        cancel_requested: c.cancel_requested,
        wants_attempt: c.wants_attempt,
        attempts: c.attempts,
    }
}

/// A checkout's gateway part, paid by attempts.
struct Paying<'a>(&'a Plan);

impl Payable for Paying<'_> {
    const CANCELLED: (&'static str, &'static str) =
        ("checkout_cancelled", "the buyer cancelled the checkout");
    const EXPIRED: (&'static str, &'static str) =
        ("checkout_expired", "the checkout was not paid in time");

    fn owner(&self) -> String {
        checkout::owner_of(self.0.checkout_id)
    }

    fn ask(&self) -> ApiResult<Ask> {
        let plan = self.0;
        let (gateway, method) = plan
            .gateway
            .clone()
            .ok_or_else(|| ApiError::internal("a gateway part without a gateway"))?;
        Ok(Ask {
            gateway,
            method,
            amount_minor: plan.gateway_minor,
            currency: plan.currency.clone(),
            description: format!("Souk checkout {}", short(plan.checkout_id)),
            attempt_secs: plan.attempt_secs,
            expires_at_ms: plan.expires_at_ms,
        })
    }

    fn signal_name(&self, round: i32) -> String {
        checkout::signal_name(self.0.checkout_id, round)
    }

    fn look(&self, db: &kit::db::Db) -> ApiResult<Waiting> {
        Ok(waiting(&checkout::look(db, self.0.checkout_id)?))
    }

    fn payer(&self, db: &kit::db::Db) -> ApiResult<(String, String)> {
        let c = checkout::find(db, self.0.checkout_id, kit::db::Lock::None)?
            .ok_or_else(|| ApiError::internal("a checkout's workflow lost its checkout"))?;
        Ok((c.return_url, c.buyer_ip))
    }

    fn attempt_started(&self, db: &kit::db::Db) -> ApiResult<()> {
        checkout::attempt_started(db, self.0.checkout_id)
    }

    fn paid(&self, db: &kit::db::Db, payment: Uuid) -> ApiResult<()> {
        let plan = self.0;
        ledger::take(
            db,
            plan.checkout_id,
            ledger::Kind::Gateway,
            plan.gateway_minor,
            &plan.currency,
            &format!("payment:{payment}"),
        )
        .map(|_| ())
    }

    fn cancelled(&self, db: &kit::db::Db) -> ApiResult<()> {
        checkout::end(
            db,
            self.0.checkout_id,
            Status::Cancelled,
            "cancelled_by_buyer",
        )
    }

    fn expired(&self, db: &kit::db::Db) -> ApiResult<()> {
        checkout::end(db, self.0.checkout_id, Status::Expired, "session_expired")
    }
}

/// The stock stays held by its reservation until each seller confirms their items (or the
/// buyer cancels one, which releases its line): what is paid for is not sold yet.
async fn complete(ctx: &Ctx, s: &Step<'_, Undo>, plan: &Plan) -> ApiResult<()> {
    let id = plan.checkout_id;
    let empty = json!({});
    if !plan.redemptions.is_empty() {
        let path = format!("/internal/redemptions/{}/commit", checkout::owner_of(id));
        match s
            .internal("promotion")
            .post::<_, Value>(&path, &empty, Some(&format!("{}:promotion", s.key())))
            .await
        {
            Err(e) if !done_already(&e, &["redemption_committed"]) => return Err(e),
            _ => {}
        }
    }
    checkout::paid(s.db(), id)?;
    let within = Duration::seconds(Config::read(ctx.settings()).confirm_within_secs);
    ENGINE.begin::<ConfirmBy>(
        ctx,
        s.db(),
        &deadline_flow::key(id),
        &deadline_flow::Asked {
            checkout_id: id,
            due_ms: (Utc::now() + within).timestamp_millis(),
        },
    )?;
    let metadata = json!({ "checkout_id": id });
    outbox::notify(
        s.db(),
        &format!("order:checkout:{id}:paid:{}", plan.buyer_id),
        &NotificationRequest {
            account_id: plan.buyer_id,
            kind: "checkout_paid".into(),
            title: format!("Checkout {} is paid", short(id)),
            content: "Your sellers have been told and will confirm your items.".into(),
            metadata: Some(metadata.clone()),
        },
    )?;
    for seller in &plan.sellers {
        outbox::notify(
            s.db(),
            &format!("order:checkout:{id}:sold:{seller}"),
            &NotificationRequest {
                account_id: *seller,
                kind: "items_awaiting_confirmation".into(),
                title: "New items to confirm".into(),
                content: format!("Checkout {} bought items of yours.", short(id)),
                metadata: Some(metadata.clone()),
            },
        )?;
    }
    Ok(())
}

//! The confirmation workflow: a seller confirms paid items of one buyer, and they become an
//! order shipped by the carrier. One invocation per confirmation, each step exactly once
//! (`kit::workflow`):
//!
//! 1. `claim`: under the seller's lock ([`order::lock_seller`]) and the row locks of the
//!    items' checkouts (taken in id order; a buyer's cancel takes its checkout's, so the two
//!    are decided one after the other), the items must be the
//!    seller's, await them, and share one buyer, delivery address and shipping service. They
//!    are held by the new order, which takes the seller's shipping the buyer paid (once per
//!    checkout) and its part of any cash on delivery. The carrier quotes the parcel; the
//!    confirmation fee is that quote plus the platform's fee; what the buyer paid is
//!    converted to the seller's wallet currency by each checkout's own rate snapshot, and
//!    the platform's commission is set.
//! 2. `fee`: the fee is debited from the seller's wallet, exactly, or the confirmation fails;
//!    or it is paid through a gateway by attempts ([`crate::payable`], signal
//!    `confirm:<id>:<round>`), which the seller may cancel; or it is kept from the payout.
//! 3. `book`: the carrier books the shipment (a retry books nothing twice).
//! 4. `commit`: the items' stock lines are sold (inventory).
//! 5. `complete`: the order is confirmed, its items too; the buyer is told; the escrow's
//!    payout workflow starts.
//!
//! A refusal undoes newest first: the shipment cancelled, the fee credited back, the items
//! awaiting the seller again; the order is `failed` with the refusal's code.

use std::collections::{BTreeMap, BTreeSet};

use contracts::account::{NotificationRequest, WalletMovementRequest};
use contracts::inventory::LinesRequest;
use contracts::order::{
    Address, BookShipment, Parcel, Party, QuoteShipment, ShipmentAnswer, ShipmentItem,
    ShipmentQuote,
};
use kit::db::Db;
use kit::retry::Verdict;
use kit::workflow::{NoUndo, Run, Step, Stop, Workflow};
use kit::{ApiError, ApiResult, Ctx};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::config::Config;
use crate::model::checkout::{self, Bought, Checkout};
use crate::model::{SCHEMA, order, outbox};
use crate::payable::{Ask, Payable, Waiting, await_payment};
use crate::payout_flow::{self, Payout};
use crate::rules::{self, Packed, short};
use crate::{ENGINE, peers};

/// Most items one confirmation takes.
pub const MAX_ITEMS: usize = 100;

/// Where the seller's confirmation fee comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeFrom {
    /// Debited from the seller's wallet now.
    Wallet,
    /// Kept from the order's payout.
    Payout,
    /// Paid through a gateway, by attempts, before the shipment is booked.
    Gateway,
}

impl FeeFrom {
    pub fn as_str(self) -> &'static str {
        match self {
            FeeFrom::Wallet => "wallet",
            FeeFrom::Payout => "payout",
            FeeFrom::Gateway => "gateway",
        }
    }
}

/// A confirmation as the seller asked for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Asked {
    pub order_id: Uuid,
    pub seller_id: Uuid,
    pub item_ids: Vec<Uuid>,
    pub fee_from: FeeFrom,
    /// The gateway and method paying the fee, for `fee_from: gateway`.
    pub gateway: Option<(String, String)>,
    /// Where the gateway sends the seller back, and the seller's address.
    pub return_url: String,
    pub client_ip: String,
    pub note: String,
}

/// What the `claim` step decided, which every later step follows.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claimed {
    pub buyer_id: Uuid,
    pub payout_currency: String,
    pub fee_minor: i64,
    /// How long one attempt at the fee stays payable, and when paying it ends.
    pub attempt_secs: i64,
    pub fee_expires_at_ms: i64,
    /// Each checkout's reservation and the SKUs of its lines this order sells.
    pub commits: Vec<(Uuid, Vec<Uuid>)>,
    pub booking: BookShipment,
}

/// What a confirmation ended with.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Done {
    pub order_id: Uuid,
}

/// What a step did that a refusal undoes.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "undo", rename_all = "snake_case")]
pub enum Undo {
    /// The items are held by the order: they await the seller again.
    Unclaim {
        order_id: Uuid,
        cod: Vec<(Uuid, i64)>,
    },
    /// The fee was debited from the seller's wallet.
    Recredit {
        order_id: Uuid,
        seller_id: Uuid,
        amount_minor: i64,
        currency: String,
    },
    /// The shipment is booked.
    CancelShipment { shipment_id: Uuid },
}

impl kit::workflow::Undo for Undo {
    async fn undo(self, step: &Step<'_, NoUndo>) -> ApiResult<()> {
        match self {
            Undo::Unclaim { order_id, cod } => {
                order::failed(step.db(), order_id, "refused")?;
                checkout::unclaim(step.db(), order_id, &cod)
            }
            Undo::Recredit {
                order_id,
                seller_id,
                amount_minor,
                currency,
            } => {
                let _: Value = step
                    .internal("account")
                    .post(
                        "/internal/wallet/credit",
                        &WalletMovementRequest {
                            account_id: seller_id,
                            amount: amount_minor,
                            currency,
                            reason: format!(
                                "Confirmation fee of order {} given back",
                                short(order_id)
                            ),
                            reference: Some(order::owner_of(order_id)),
                        },
                        Some(step.key()),
                    )
                    .await?;
                Ok(())
            }
            Undo::CancelShipment { shipment_id } => {
                let path = format!("/internal/shipments/{shipment_id}/cancel");
                let _: Value = step
                    .internal("order")
                    .post(&path, &json!({}), Some(step.key()))
                    .await?;
                Ok(())
            }
        }
    }
}

/// The confirmation workflow (see the module docs).
pub struct Confirm;

impl Workflow for Confirm {
    const NAME: &'static str = "confirm";
    type Input = Asked;
    type Output = Done;
    type Undo = Undo;

    async fn body(run: &mut Run<'_, Undo>, asked: Asked) -> Result<Done, Stop> {
        match forward(run, &asked).await {
            Err(Stop::Failed(e)) if kit::retry::verdict(&e) == Verdict::Terminal => {
                let id = asked.order_id;
                let code = e.code.to_string();
                run.step("failed", async |s: &Step<'_, Undo>| {
                    order::failed(s.db(), id, &code)
                })
                .await?;
                Err(Stop::Failed(e))
            }
            other => other,
        }
    }
}

async fn forward(run: &mut Run<'_, Undo>, asked: &Asked) -> Result<Done, Stop> {
    let ctx = run.ctx();
    let invocation = run.id();
    let id = asked.order_id;
    let claimed: Claimed = run
        .step("claim", async |s: &Step<'_, Undo>| {
            claim(ctx, s, asked, invocation).await
        })
        .await?;
    match asked.fee_from {
        FeeFrom::Wallet if claimed.fee_minor > 0 => {
            run.step("fee", async |s: &Step<'_, Undo>| {
                debit_fee(s, asked, &claimed).await
            })
            .await?;
        }
        FeeFrom::Gateway if claimed.fee_minor > 0 => {
            await_payment(
                run,
                &FeePaying {
                    asked,
                    claimed: &claimed,
                },
            )
            .await?;
            // Paid: should a later step be refused, the fee goes to the seller's wallet.
            run.step("fee-paid", async |s: &Step<'_, Undo>| {
                s.undo_with(Undo::Recredit {
                    order_id: id,
                    seller_id: asked.seller_id,
                    amount_minor: claimed.fee_minor,
                    currency: claimed.payout_currency.clone(),
                });
                Ok(())
            })
            .await?;
        }
        _ => {}
    }
    let shipment: Uuid = run
        .step("book", async |s: &Step<'_, Undo>| book(s, &claimed).await)
        .await?;
    run.step("commit", async |s: &Step<'_, Undo>| {
        commit(s, &claimed).await
    })
    .await?;
    run.step("complete", async |s: &Step<'_, Undo>| {
        order::confirmed(s.db(), id, shipment)?;
        checkout::confirm_items(s.db(), id)?;
        outbox::notify(
            s.db(),
            &format!("order:{id}:confirmed"),
            &NotificationRequest {
                account_id: claimed.buyer_id,
                kind: "order_confirmed".into(),
                title: format!("Order {} is on its way", short(id)),
                content: "The seller confirmed your items and booked their shipment.".into(),
                metadata: Some(json!({ "order_id": id, "shipment_id": shipment })),
            },
        )?;
        ENGINE.begin::<Payout>(
            ctx,
            s.db(),
            &payout_flow::key(id),
            &payout_flow::Asked { order_id: id },
        )?;
        Ok(())
    })
    .await?;
    kit::outbox::wake(ctx, SCHEMA);
    Ok(Done { order_id: id })
}

/// A confirmation's fee, paid through a gateway by attempts.
struct FeePaying<'a> {
    asked: &'a Asked,
    claimed: &'a Claimed,
}

impl Payable for FeePaying<'_> {
    const CANCELLED: (&'static str, &'static str) = (
        "confirmation_cancelled",
        "the seller cancelled the confirmation",
    );
    const EXPIRED: (&'static str, &'static str) = (
        "confirmation_expired",
        "the confirmation fee was not paid in time",
    );

    fn owner(&self) -> String {
        order::fee_owner_of(self.asked.order_id)
    }

    fn ask(&self) -> ApiResult<Ask> {
        let (gateway, method) = self
            .asked
            .gateway
            .clone()
            .ok_or_else(|| ApiError::internal("a fee by gateway without a gateway"))?;
        Ok(Ask {
            gateway,
            method,
            amount_minor: self.claimed.fee_minor,
            currency: self.claimed.payout_currency.clone(),
            description: format!("Souk confirmation fee {}", short(self.asked.order_id)),
            attempt_secs: self.claimed.attempt_secs,
            expires_at_ms: self.claimed.fee_expires_at_ms,
        })
    }

    fn signal_name(&self, round: i32) -> String {
        order::fee_signal_name(self.asked.order_id, round)
    }

    fn look(&self, db: &Db) -> ApiResult<Waiting> {
        Ok(fee_waiting(&order::look(db, self.asked.order_id)?))
    }

    fn payer(&self, _db: &Db) -> ApiResult<(String, String)> {
        Ok((self.asked.return_url.clone(), self.asked.client_ip.clone()))
    }

    fn attempt_started(&self, db: &Db) -> ApiResult<()> {
        order::fee_attempt_started(db, self.asked.order_id)
    }

    fn paid(&self, _db: &Db, _payment: Uuid) -> ApiResult<()> {
        // The attempt records the money; the order says the fee is paid once it is confirmed.
        Ok(())
    }

    fn cancelled(&self, db: &Db) -> ApiResult<()> {
        order::failed(db, self.asked.order_id, "cancelled_by_seller")
    }

    fn expired(&self, db: &Db) -> ApiResult<()> {
        order::failed(db, self.asked.order_id, "fee_not_paid")
    }
}

/// Where order `o`'s fee payment stands.
pub fn fee_waiting(o: &order::Order) -> Waiting {
    Waiting {
        expires_at: o.fee_expires_at.unwrap_or(o.created_at),
        cancel_requested: o.cancel_requested,
        wants_attempt: o.wants_attempt,
        attempts: o.fee_attempts,
    }
}

fn refused(code: &'static str, message: String) -> ApiError {
    ApiError::unprocessable(code, message)
}

/// The items, locked through their checkouts, checked to be one confirmable set; with their
/// checkouts, as locked.
fn checked_items(db: &Db, asked: &Asked) -> ApiResult<(Vec<Bought>, Vec<Checkout>)> {
    order::lock_seller(db, asked.seller_id)?;
    let found = checkout::items_by_id(db, &asked.item_ids)?;
    let missing = asked.item_ids.iter().find(|id| {
        !found
            .iter()
            .any(|b| b.item.id == **id && b.item.seller_id == asked.seller_id)
    });
    if let Some(id) = missing {
        return Err(ApiError::not_found(
            "item_not_found",
            format!("no item {id} of yours"),
        ));
    }
    let checkouts: BTreeSet<Uuid> = found.iter().map(|b| b.checkout_id).collect();
    let checkouts = checkout::lock_all(db, &checkouts.into_iter().collect::<Vec<_>>())?;
    let items = checkout::items_by_id(db, &asked.item_ids)?;
    for b in &items {
        crate::withdraw::ensure_pending(b)?;
    }
    let first = &items[0];
    if items.iter().any(|b| b.buyer_id != first.buyer_id) {
        return Err(refused(
            "items_not_same_buyer",
            "one confirmation ships to one buyer: confirm each buyer's items apart".into(),
        ));
    }
    if items
        .iter()
        .any(|b| b.delivery["address"] != first.delivery["address"])
    {
        return Err(refused(
            "items_not_same_address",
            "these items go to different addresses: confirm each address's items apart".into(),
        ));
    }
    if items.iter().any(|b| b.service != first.service) {
        return Err(refused(
            "items_not_same_service",
            "these items ship with different services: confirm each service's items apart".into(),
        ));
    }
    Ok((items, checkouts))
}

/// Converts `amount` of `from` into `to` by `snapshot` (the checkout's; a fresh one when the
/// checkout needed none).
async fn convert(
    s: &Step<'_, Undo>,
    amount: i64,
    from: &str,
    to: &str,
    snapshot: Option<Uuid>,
) -> ApiResult<i64> {
    if from == to || amount == 0 {
        return Ok(amount);
    }
    Ok(
        peers::convert(&s.internal("common"), amount, from, to, snapshot)
            .await?
            .amount_minor,
    )
}

async fn claim(
    ctx: &Ctx,
    s: &Step<'_, Undo>,
    asked: &Asked,
    invocation: Uuid,
) -> ApiResult<Claimed> {
    let db = s.db();
    let id = asked.order_id;
    let config = Config::read(ctx.settings());
    let fee_expires_at = chrono::Utc::now() + chrono::Duration::seconds(config.session_secs);
    let (items, checkouts) = checked_items(db, asked)?;
    let first = &items[0];
    let buyer_id = first.buyer_id;
    let currency = first.currency.clone();
    let service = first.service.clone().unwrap_or_else(|| "standard".into());
    let delivery = first.delivery.clone();
    let wallet = peers::wallet(&s.internal("account"), asked.seller_id).await?;
    let payout_currency = wallet.currency;
    // Per checkout: its items of this order, in the buyer's currency.
    let mut parts: BTreeMap<Uuid, (i64, Vec<Uuid>)> = BTreeMap::new();
    for b in &items {
        let part = parts.entry(b.checkout_id).or_default();
        part.0 += b.item.total_minor;
        part.1.push(b.item.sku_id);
    }
    let ids: Vec<Uuid> = asked.item_ids.clone();
    if !checkout::claim(db, id, &ids)? {
        return Err(ApiError::internal("a locked item changed under its claim"));
    }
    let (mut items_minor, mut shipping_minor, mut cod_minor) = (0, 0, 0);
    let (mut gross_items, mut gross_shipping) = (0, 0);
    let mut cod = Vec::new();
    let mut commits = Vec::new();
    let mut order_parts = Vec::new();
    for c in &checkouts {
        let (part_items, skus) = &parts[&c.id];
        let part_shipping = checkout::take_shipping(db, c.id, asked.seller_id, id)?.unwrap_or(0);
        let left = c.cod_minor - c.cod_waived_minor - c.cod_assigned_minor;
        let share = rules::cod_share(part_items + part_shipping, left);
        if share > 0 {
            checkout::assign_cod(db, c.id, share)?;
            cod.push((c.id, share));
        }
        order_parts.push(order::Part {
            checkout_id: c.id,
            items_minor: *part_items,
            shipping_minor: part_shipping,
            cod_minor: share,
            refunded_minor: 0,
        });
        items_minor += part_items;
        shipping_minor += part_shipping;
        cod_minor += share;
        gross_items += convert(
            s,
            *part_items,
            &c.currency,
            &payout_currency,
            c.rate_snapshot_id,
        )
        .await?;
        gross_shipping += convert(
            s,
            part_shipping,
            &c.currency,
            &payout_currency,
            c.rate_snapshot_id,
        )
        .await?;
        let reservation = c
            .reservation_id
            .ok_or_else(|| ApiError::internal("a paid checkout without its reservation"))?;
        commits.push((reservation, skus.clone()));
    }
    let pickup: Party = {
        let shipping = checkout::shipping(db, &[first.checkout_id])?;
        let own = shipping
            .into_iter()
            .map(|(_, x)| x)
            .find(|x| x.seller_id == asked.seller_id)
            .ok_or_else(|| ApiError::internal("a seller's items without their shipping"))?;
        serde_json::from_value(own.pickup).map_err(ApiError::internal)?
    };
    let to: Party = Party {
        name: delivery["name"].as_str().unwrap_or_default().to_string(),
        phone: delivery["phone"].as_str().unwrap_or_default().to_string(),
        address: serde_json::from_value::<Address>(delivery["address"].clone())
            .map_err(ApiError::internal)?,
    };
    let (parcel, shipment_items) =
        parcel_of(&s.internal("catalog"), &items, items_minor, &currency).await?;
    let quote: ShipmentQuote = s
        .internal("order")
        .post(
            "/internal/shipments/quote",
            &QuoteShipment {
                pickup: pickup.address.clone(),
                delivery: to.address.clone(),
                parcel: parcel.clone(),
                service: service.clone(),
            },
            None,
        )
        .await?;
    if !quote.deliverable {
        return Err(refused(
            "not_deliverable",
            format!("{} no longer delivers this parcel there", quote.carrier),
        ));
    }
    let quote_minor = convert(s, quote.fee_minor, &quote.currency, &payout_currency, None).await?;
    let fee_minor = rules::confirmation_fee(quote_minor, gross_items, config.platform_fee_bps);
    let commission_minor = rules::commission(gross_items, config.commission_bps);
    let gross_minor = gross_items + gross_shipping;
    let mut payout_minor = gross_minor - commission_minor;
    if asked.fee_from == FeeFrom::Payout {
        if fee_minor > payout_minor {
            return Err(refused(
                "fee_exceeds_payout",
                format!(
                    "the confirmation fee ({fee_minor} {payout_currency}) is more than this \
                     order pays out ({payout_minor}): pay it from the wallet"
                ),
            ));
        }
        payout_minor -= fee_minor;
    }
    order::insert(
        db,
        &order::New {
            id,
            seller_id: asked.seller_id,
            buyer_id,
            buyer_name: &to.name,
            service: &service,
            delivery: &delivery,
            note: &asked.note,
            currency: &currency,
            items_minor,
            shipping_minor,
            cod_minor,
            payout_currency: &payout_currency,
            gross_minor,
            commission_bps: config.commission_bps,
            commission_minor,
            fee_minor,
            fee_source: asked.fee_from.as_str(),
            fee_gateway: asked
                .gateway
                .as_ref()
                .filter(|_| asked.fee_from == FeeFrom::Gateway)
                .map(|(g, m)| (g.as_str(), m.as_str())),
            fee_expires_at: (asked.fee_from == FeeFrom::Gateway).then_some(fee_expires_at),
            return_url: &asked.return_url,
            client_ip: &asked.client_ip,
            payout_minor,
            invocation_id: invocation,
        },
    )?;
    for p in &order_parts {
        order::insert_part(db, id, p)?;
    }
    s.undo_with(Undo::Unclaim { order_id: id, cod });
    let booking = BookShipment {
        owner: order::owner_of(id),
        pickup,
        delivery: to,
        parcel,
        items: shipment_items,
        service,
        cash_on_delivery_minor: cod_minor,
        note: asked.note.clone(),
    };
    Ok(Claimed {
        buyer_id,
        payout_currency,
        fee_minor,
        attempt_secs: config.attempt_secs,
        fee_expires_at_ms: fee_expires_at.timestamp_millis(),
        commits,
        booking,
    })
}

/// The parcel `items` make and what it lists, declared at `value_minor` of `currency`.
pub async fn parcel_of(
    catalog: &kit::client::Internal,
    items: &[Bought],
    value_minor: i64,
    currency: &str,
) -> ApiResult<(Parcel, Vec<ShipmentItem>)> {
    let skus = peers::skus(catalog, items.iter().map(|b| b.item.sku_id).collect()).await?;
    let packed: Vec<Packed> = items
        .iter()
        .map(|b| {
            let sku = skus.get(&b.item.sku_id);
            Packed {
                quantity: u32::try_from(b.item.quantity).unwrap_or(1),
                weight_grams: sku.and_then(|k| k.weight_grams),
                length_cm: sku.and_then(|k| k.length_cm),
                width_cm: sku.and_then(|k| k.width_cm),
                height_cm: sku.and_then(|k| k.height_cm),
            }
        })
        .collect();
    let m = rules::pack(&packed);
    let parcel = Parcel {
        weight_grams: m.weight_grams,
        length_mm: m.length_mm,
        width_mm: m.width_mm,
        height_mm: m.height_mm,
        declared_value_minor: value_minor,
        currency: currency.to_string(),
    };
    let listed = items
        .iter()
        .map(|b| ShipmentItem {
            name: kit::validate::fit_line(&b.item.name, 200),
            quantity: u32::try_from(b.item.quantity).unwrap_or(1),
            weight_grams: skus
                .get(&b.item.sku_id)
                .and_then(|k| k.weight_grams)
                .and_then(|g| u32::try_from(g).ok())
                .filter(|g| *g > 0)
                .unwrap_or(rules::DEFAULT_UNIT_GRAMS),
        })
        .collect();
    Ok((parcel, listed))
}

async fn debit_fee(s: &Step<'_, Undo>, asked: &Asked, claimed: &Claimed) -> ApiResult<()> {
    let id = asked.order_id;
    let _: Value = s
        .internal("account")
        .post(
            "/internal/wallet/debit",
            &WalletMovementRequest {
                account_id: asked.seller_id,
                amount: claimed.fee_minor,
                currency: claimed.payout_currency.clone(),
                reason: format!("Confirmation fee of order {}", short(id)),
                reference: Some(order::owner_of(id)),
            },
            Some(s.key()),
        )
        .await?;
    s.undo_with(Undo::Recredit {
        order_id: id,
        seller_id: asked.seller_id,
        amount_minor: claimed.fee_minor,
        currency: claimed.payout_currency.clone(),
    });
    Ok(())
}

async fn book(s: &Step<'_, Undo>, claimed: &Claimed) -> ApiResult<Uuid> {
    let answer: ShipmentAnswer = s
        .internal("order")
        .post("/internal/shipments", &claimed.booking, Some(s.key()))
        .await?;
    s.undo_with(Undo::CancelShipment {
        shipment_id: answer.shipment_id,
    });
    Ok(answer.shipment_id)
}

/// Sells the order's stock lines; lines sold before (a retry after the record of the first
/// call expired) count as done.
async fn commit(s: &Step<'_, Undo>, claimed: &Claimed) -> ApiResult<()> {
    for (reservation, skus) in &claimed.commits {
        let answer: ApiResult<Value> = s
            .internal("inventory")
            .post(
                &format!("/internal/reservations/{reservation}/commit"),
                &LinesRequest {
                    sku_ids: Some(skus.clone()),
                },
                Some(&format!("{}:{reservation}", s.key())),
            )
            .await;
        match answer {
            Err(e) if !(e.status == 404 && e.code == "reservation_line_not_found") => {
                return Err(e);
            }
            _ => {}
        }
    }
    Ok(())
}

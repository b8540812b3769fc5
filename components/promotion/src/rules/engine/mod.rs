//! [`quote`]: what a cart pays under a set of offers at an instant — pure and deterministic.
//! Money is integer minor units of the cart's currency; every product and sum that could
//! overflow is done in `i128` or saturates.
//!
//! **Canonical order.** Lines are taken in SKU id order and offers in id order (UUIDv7: older
//! first) before anything else, so permuting the input changes nothing but the order of the
//! output lines and shipments, which follow the input.
//!
//! **Eligibility**, checked in this order; the first failure is the offer's [`Reason`]:
//! 1. a code promotion whose code the cart does not carry (case-insensitively) is not
//!    considered at all; codes that match no offer are listed in [`Quote::unknown_codes`];
//! 2. the schedule: `not_started`, `ended`, `outside_window`;
//! 3. `currency_mismatch`: the promotion names another currency, or names none while its kind
//!    is an amount;
//! 4. limits: `uses_exhausted`, `sign_in_required` (a per-buyer limit or first-order-only
//!    without a buyer), `buyer_limit_reached`, `budget_exhausted` (nothing left of it);
//! 5. `first_order_only`: the buyer has ordered before;
//! 6. `not_owners_product`: a seller's promotion and no line of that seller in the cart;
//! 7. `not_applicable`: no line of the owner matches the target — and, once priced, a
//!    promotion that would give nothing (a bundle without a complete set, 2 units of a buy 2
//!    get 1) is `not_applicable` too;
//! 8. `min_spend_not_met`: the targeted lines, at the prices its stage sees, cost less than
//!    `min_spend_minor` (10% item off 10_000 leaves 9_000: an order promotion with a min spend
//!    of 10_000 then fails with `spend_minor: 9_000`);
//! 9. `lost_to`, `excluded_by`, `exclusive_lost`: competition, below.
//!
//! **Ownership.** A seller's promotion only ever touches that seller's lines and shipping,
//! whatever its target says: seller A's "10% off everything" leaves seller B's line alone.
//!
//! **Stages**, each on the prices the previous left: 1 `item` (percentage and fixed per item),
//! 2 `bundle` (bundle, buy-x-get-y), 3 `order` (percentage and fixed per order), 4 `shipping`,
//! then `cashback`, computed on what is paid for its targeted lines and never changing a price.
//! 10% per item then 50_000 off the order on a 1_000_000 cart: 1_000_000 → 900_000 → 850_000.
//!
//! **Groups.** Within a stage each owner's promotions compete: the largest discount on the
//! current prices wins, ties to the higher priority, then the older. The winners of different
//! owners all apply, the sellers' first (in seller id order), then the platform's, each priced
//! on what the previous left: a seller's 10% and the platform's 10% on 1_000 give 1_000 → 900
//! → 810. Cashback competes the same way, the largest winning.
//!
//! **Kinds.** A bundle counts the complete sets of its items among the targeted lines; a set
//! takes a line's dearer units first, and the saving (never negative) is spread over the set's
//! lines by their value in the sets: SKUs 600 × 2 and 500 × 1 in a 900 bundle make one set of
//! 1_100, and the 200 saved is 109 and 91. Buy-x-get-y without `get_skus` takes groups of
//! `buy + get` targeted units and discounts the cheapest `get` of each (buy 2 get 1 on units of
//! 100, 100, 50: the 50 is free); with `get_skus`, each `buy` targeted units outside those SKUs
//! earn `get` units of the owner's lines of them, cheapest first. A cashback amount is never
//! more than what is paid for its lines. A promotion whose effect rounds to nothing is
//! `not_applicable` rather than applied with 0.
//!
//! **Exclusive** promotions are each priced alone, with no other promotion at all, and
//! compared with the stack of all non-exclusive ones. The lowest total (goods and shipping)
//! wins, then the larger cashback; a tie goes to the stack, and between exclusives to the
//! higher priority, then the older. An exclusive 30% beats a stack of 10% item and 10% order
//! (1_000 → 700 against 810); an exclusive 19% loses to it (810 against 810 is a tie: stack).
//!
//! **Rounding.** Percentages round down: per unit at the item stage (10% of three units of 999
//! is 3 × 99 = 297), per line and per shipment elsewhere. An order or bundle discount, and a
//! cap, is spread over the lines it touches in proportion to their amounts (a cap: to what the
//! promotion took from each), rounded down, the leftover minor units one each to the largest
//! remainders, ties in SKU id order: 100 off 333, 333, 334 is 33, 33, 34; 100 off 1, 1, 1 is
//! 1, 1, 1, since no discount exceeds the price it comes off and nothing goes below zero.
//!
//! **Caps.** `max_discount_minor` and what is left of `remaining.budget_minor` cap what a
//! promotion gives across the cart (a cashback included): a 10% with a cap of 50 on 1_000 gives
//! 50; a budget of 30 left cuts it to 30; a budget of 0 is `budget_exhausted`.

mod price;
#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;
mod types;

pub use self::types::*;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use self::price::{Effect, State};
use super::schedule::Openness;

/// The cart and offers in canonical order, with what each offer targets.
struct Ctx<'a> {
    lines: Vec<&'a Line>,
    ships: Vec<&'a Shipment>,
    offers: Vec<&'a Offer>,
    /// Per offer, the canonical indexes of its owner's lines that match its target.
    targets: Vec<Vec<usize>>,
}

/// The outcome of applying a set of offers stage by stage.
struct Run {
    state: State,
    applied: Vec<(usize, Stage, Effect)>,
    reasons: Vec<(usize, Reason)>,
}

impl Run {
    fn paid(&self) -> i64 {
        self.state
            .lines
            .iter()
            .chain(&self.state.ships)
            .fold(0, |a, b| a.saturating_add(*b))
    }

    fn cashback(&self) -> i64 {
        self.applied
            .iter()
            .fold(0, |a, (_, _, e)| a.saturating_add(e.cashback))
    }
}

/// What `cart` pays under `offers` at `at`.
pub fn quote(cart: &Cart, offers: &[Offer], at: DateTime<Utc>) -> Quote {
    debug_assert!(
        cart.lines
            .iter()
            .map(|l| l.sku_id)
            .collect::<BTreeSet<_>>()
            .len()
            == cart.lines.len(),
        "the caller refuses carts with a SKU twice"
    );
    let mut line_order: Vec<usize> = (0..cart.lines.len()).collect();
    line_order.sort_by_key(|i| cart.lines[*i].sku_id);
    let mut ship_order: Vec<usize> = (0..cart.shipping.len()).collect();
    ship_order.sort_by_key(|i| (cart.shipping[*i].seller_id, cart.shipping[*i].amount_minor));

    let supplied: BTreeSet<String> = cart.codes.iter().map(|c| c.to_lowercase()).collect();
    let known: BTreeSet<String> = offers
        .iter()
        .filter_map(|o| o.code.as_ref())
        .map(|c| c.to_lowercase())
        .collect();
    let mut unknown_codes: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    for code in &cart.codes {
        let lower = code.to_lowercase();
        if !known.contains(&lower) && seen.insert(lower) {
            unknown_codes.push(code.clone());
        }
    }

    let mut considered: Vec<&Offer> = offers
        .iter()
        .filter(|o| {
            o.code
                .as_ref()
                .is_none_or(|c| supplied.contains(&c.to_lowercase()))
        })
        .collect();
    considered.sort_by_key(|o| o.id);
    let lines: Vec<&Line> = line_order.iter().map(|i| &cart.lines[*i]).collect();
    let targets = considered
        .iter()
        .map(|o| {
            (0..lines.len())
                .filter(|i| {
                    let l = lines[*i];
                    o.seller_id.is_none_or(|s| s == l.seller_id)
                        && o.target.matches(l.sku_id, l.product_id, &l.category_path)
                })
                .collect()
        })
        .collect();
    let ctx = Ctx {
        lines,
        ships: ship_order.iter().map(|i| &cart.shipping[*i]).collect(),
        offers: considered,
        targets,
    };

    let mut reasons: Vec<(usize, Reason)> = Vec::new();
    let (mut stack, mut exclusives) = (Vec::new(), Vec::new());
    for o in 0..ctx.offers.len() {
        match ineligible(&ctx, cart, o, at) {
            Some(reason) => reasons.push((o, reason)),
            None if ctx.offers[o].exclusive => exclusives.push(o),
            None => stack.push(o),
        }
    }

    let stacked = run(&ctx, &stack);
    let mut alone: Vec<(usize, Run)> = Vec::new();
    for e in exclusives {
        let r = run(&ctx, &[e]);
        if r.applied.is_empty() {
            reasons.extend(r.reasons);
        } else {
            alone.push((e, r));
        }
    }
    let best = alone
        .iter()
        .enumerate()
        .min_by_key(|(_, (e, r))| {
            let offer = ctx.offers[*e];
            (
                r.paid(),
                Reverse(r.cashback()),
                Reverse(offer.priority),
                offer.id,
            )
        })
        .map(|(k, _)| k);
    let wins = best.filter(|k| {
        let r = &alone[*k].1;
        (r.paid(), Reverse(r.cashback())) < (stacked.paid(), Reverse(stacked.cashback()))
    });
    let chosen = match wins {
        Some(k) => {
            let (winner, r) = alone.swap_remove(k);
            let by = Reason::ExcludedBy {
                promotion_id: ctx.offers[winner].id,
            };
            reasons.extend(stack.iter().map(|o| (*o, by)));
            reasons.extend(alone.iter().map(|(e, _)| (*e, by)));
            r
        }
        None => {
            reasons.extend(alone.iter().map(|(e, _)| (*e, Reason::ExclusiveLost)));
            stacked
        }
    };
    reasons.extend(chosen.reasons.iter().copied());
    assemble(
        cart,
        &ctx,
        &line_order,
        &ship_order,
        chosen,
        reasons,
        unknown_codes,
    )
}

/// Why offer `o` cannot apply whatever the others do, if it cannot.
fn ineligible(ctx: &Ctx<'_>, cart: &Cart, o: usize, at: DateTime<Utc>) -> Option<Reason> {
    let offer = ctx.offers[o];
    match offer.schedule.is_open(at) {
        Openness::Open => {}
        Openness::NotStarted => return Some(Reason::NotStarted),
        Openness::Ended => return Some(Reason::Ended),
        Openness::OutsideWindow => return Some(Reason::OutsideWindow),
    }
    let currency_ok = match &offer.currency {
        Some(c) => c.eq_ignore_ascii_case(&cart.currency),
        None => !offer.kind.needs_currency(),
    };
    if !currency_ok {
        return Some(Reason::CurrencyMismatch);
    }
    let spent = |left: Option<i64>| left.is_some_and(|n| n <= 0);
    if spent(offer.remaining.uses) {
        return Some(Reason::UsesExhausted);
    }
    let needs_buyer = offer.per_buyer_limited || offer.conditions.first_order_only;
    if needs_buyer && cart.buyer.is_none() {
        return Some(Reason::SignInRequired);
    }
    if offer.per_buyer_limited && spent(offer.remaining.buyer_uses) {
        return Some(Reason::BuyerLimitReached);
    }
    if spent(offer.remaining.budget_minor) {
        return Some(Reason::BudgetExhausted);
    }
    if offer.conditions.first_order_only && cart.buyer.is_some_and(|b| !b.first_order) {
        return Some(Reason::FirstOrderOnly);
    }
    if let Some(seller) = offer.seller_id
        && !ctx.lines.iter().any(|l| l.seller_id == seller)
    {
        return Some(Reason::NotOwnersProduct);
    }
    if ctx.targets[o].is_empty() {
        return Some(Reason::NotApplicable);
    }
    None
}

/// Applies `candidates` stage by stage, each group's winner on the prices left before it.
fn run(ctx: &Ctx<'_>, candidates: &[usize]) -> Run {
    let mut state = State {
        lines: ctx
            .lines
            .iter()
            .map(|l| amount(l.unit_price_minor, l.quantity))
            .collect(),
        ships: ctx.ships.iter().map(|s| s.amount_minor.max(0)).collect(),
    };
    let (mut applied, mut reasons) = (Vec::new(), Vec::new());
    for stage in Stage::ALL {
        // Sellers first, in id order, then the platform.
        let mut groups: BTreeMap<(bool, Uuid), Vec<usize>> = BTreeMap::new();
        for &o in candidates
            .iter()
            .filter(|o| price::stage(&ctx.offers[**o].kind) == stage)
        {
            let owner = ctx.offers[o].seller_id;
            groups
                .entry((owner.is_none(), owner.unwrap_or_default()))
                .or_default()
                .push(o);
        }
        for group in groups.values() {
            let mut contenders: Vec<(usize, Effect)> = Vec::new();
            for &o in group {
                let offer = ctx.offers[o];
                let spend = ctx.targets[o]
                    .iter()
                    .map(|i| state.lines[*i])
                    .fold(0, i64::saturating_add);
                if let Some(min) = offer.conditions.min_spend_minor
                    && spend < min
                {
                    let reason = Reason::MinSpendNotMet {
                        min_spend_minor: min,
                        spend_minor: spend,
                    };
                    reasons.push((o, reason));
                    continue;
                }
                let effect = price::effect(ctx, o, &state);
                if effect.total() == 0 {
                    reasons.push((o, Reason::NotApplicable));
                } else {
                    contenders.push((o, effect));
                }
            }
            let Some(win) = contenders
                .iter()
                .enumerate()
                .max_by_key(|(_, (o, e))| {
                    let offer = ctx.offers[*o];
                    (e.total(), offer.priority, Reverse(offer.id))
                })
                .map(|(k, _)| k)
            else {
                continue;
            };
            let (winner, effect) = contenders.swap_remove(win);
            let lost = Reason::LostTo {
                promotion_id: ctx.offers[winner].id,
            };
            reasons.extend(contenders.iter().map(|(o, _)| (*o, lost)));
            effect.apply(&mut state);
            applied.push((winner, stage, effect));
        }
    }
    Run {
        state,
        applied,
        reasons,
    }
}

/// A line's amount before promotions; the caller bounds prices and quantities, this only keeps
/// a wild one from wrapping.
fn amount(unit_price: i64, quantity: i64) -> i64 {
    unit_price.max(0).saturating_mul(quantity.max(0))
}

/// The quote of run `r`, lines and shipments back in the cart's order.
fn assemble(
    cart: &Cart,
    ctx: &Ctx<'_>,
    line_order: &[usize],
    ship_order: &[usize],
    r: Run,
    mut reasons: Vec<(usize, Reason)>,
    unknown_codes: Vec<String>,
) -> Quote {
    let id = |o: usize| ctx.offers[o].id;
    let shares = |ship: bool, k: usize| -> Vec<Share> {
        r.applied
            .iter()
            .filter_map(|(o, _, e)| {
                let parts = if ship { &e.ships } else { &e.lines };
                let (_, d) = parts.iter().find(|(i, _)| *i == k)?;
                Some(Share {
                    promotion_id: id(*o),
                    amount_minor: *d,
                })
            })
            .collect()
    };
    let mut lines = vec![None; cart.lines.len()];
    for (k, input) in line_order.iter().enumerate() {
        let line = &cart.lines[*input];
        let original = amount(line.unit_price_minor, line.quantity);
        lines[*input] = Some(LineQuote {
            sku_id: line.sku_id,
            quantity: line.quantity,
            unit_price_minor: line.unit_price_minor,
            original_minor: original,
            discount_minor: original - r.state.lines[k],
            final_minor: r.state.lines[k],
            applied: shares(false, k),
        });
    }
    let mut shipping = vec![None; cart.shipping.len()];
    for (k, input) in ship_order.iter().enumerate() {
        let ship = &cart.shipping[*input];
        let original = ship.amount_minor.max(0);
        shipping[*input] = Some(ShipmentQuote {
            seller_id: ship.seller_id,
            original_minor: original,
            discount_minor: original - r.state.ships[k],
            final_minor: r.state.ships[k],
            applied: shares(true, k),
        });
    }
    let lines: Vec<LineQuote> = lines.into_iter().flatten().collect();
    let shipping: Vec<ShipmentQuote> = shipping.into_iter().flatten().collect();
    let sum = |values: &mut dyn Iterator<Item = i64>| values.fold(0, i64::saturating_add);
    reasons.sort_by_key(|(o, _)| *o);
    Quote {
        currency: cart.currency.clone(),
        subtotal_minor: sum(&mut lines.iter().map(|l| l.original_minor)),
        discount_minor: sum(&mut lines.iter().map(|l| l.discount_minor)),
        shipping_minor: sum(&mut shipping.iter().map(|s| s.original_minor)),
        shipping_discount_minor: sum(&mut shipping.iter().map(|s| s.discount_minor)),
        total_minor: r.paid(),
        cashback_minor: r.cashback(),
        applied: r
            .applied
            .iter()
            .map(|(o, stage, e)| Applied {
                promotion_id: id(*o),
                stage: *stage,
                discount_minor: e.total() - e.cashback,
                cashback_minor: e.cashback,
            })
            .collect(),
        not_applied: reasons
            .into_iter()
            .map(|(o, reason)| NotApplied {
                promotion_id: id(o),
                reason,
            })
            .collect(),
        unknown_codes,
        lines,
        shipping,
    }
}

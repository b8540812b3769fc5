//! What one promotion takes off at its stage, on the prices the earlier ones left, and the
//! arithmetic of spreading an amount over lines.

use std::cmp::Reverse;
use std::collections::BTreeSet;

use super::{Ctx, Stage};
use crate::rules::terms::{Kind, Off, Per};

/// The amounts in minor units of every line and shipment, in canonical order.
#[derive(Clone, Debug)]
pub(super) struct State {
    pub lines: Vec<i64>,
    pub ships: Vec<i64>,
}

/// What one promotion gives: an amount off some lines and shipments (by canonical index), or
/// a cashback; every amount positive and at most the one it comes off.
#[derive(Clone, Debug, Default)]
pub(super) struct Effect {
    pub lines: Vec<(usize, i64)>,
    pub ships: Vec<(usize, i64)>,
    pub cashback: i64,
}

impl Effect {
    /// Everything it gives.
    pub fn total(&self) -> i64 {
        let off = self.lines.iter().chain(&self.ships).map(|(_, d)| *d);
        off.fold(self.cashback, i64::saturating_add)
    }

    /// Takes its discounts off `state`.
    pub fn apply(&self, state: &mut State) {
        for (i, d) in &self.lines {
            state.lines[*i] -= d;
        }
        for (i, d) in &self.ships {
            state.ships[*i] -= d;
        }
    }

    /// Cuts it down to `limit`, spread over what it touched in proportion to what it took.
    fn cap(mut self, limit: i64) -> Effect {
        if self.total() <= limit {
            return self;
        }
        if self.cashback > 0 {
            self.cashback = limit;
            return self;
        }
        let weights: Vec<i64> = self
            .lines
            .iter()
            .chain(&self.ships)
            .map(|(_, d)| *d)
            .collect();
        let shares = spread(limit, &weights);
        let (lines, ships) = shares.split_at(self.lines.len());
        let keep = |parts: &[(usize, i64)], shares: &[i64]| -> Vec<(usize, i64)> {
            parts
                .iter()
                .zip(shares)
                .map(|((i, _), s)| (*i, *s))
                .filter(|(_, s)| *s > 0)
                .collect()
        };
        Effect {
            lines: keep(&self.lines, lines),
            ships: keep(&self.ships, ships),
            cashback: 0,
        }
    }
}

/// The stage a kind of promotion applies at.
pub(super) fn stage(kind: &Kind) -> Stage {
    match kind {
        Kind::Percentage { per: Per::Item, .. } | Kind::Fixed { per: Per::Item, .. } => Stage::Item,
        Kind::Bundle { .. } | Kind::BuyXGetY { .. } => Stage::Bundle,
        Kind::Percentage {
            per: Per::Order, ..
        }
        | Kind::Fixed {
            per: Per::Order, ..
        } => Stage::Order,
        Kind::Shipping(_) => Stage::Shipping,
        Kind::Cashback { .. } => Stage::Cashback,
    }
}

/// What offer `o` gives on `state`, within its caps (max discount, what is left of its budget).
pub(super) fn effect(ctx: &Ctx<'_>, o: usize, state: &State) -> Effect {
    let offer = ctx.offers[o];
    let targets = &ctx.targets[o];
    let on = |i: &usize| (*i, state.lines[*i]);
    let raw = match &offer.kind {
        Kind::Percentage {
            percent,
            per: Per::Item,
        } => per_unit(targets, state, ctx, |price| percent_of(price, *percent)),
        Kind::Fixed {
            amount_minor,
            per: Per::Item,
        } => per_unit(targets, state, ctx, |price| price.min(*amount_minor)),
        Kind::Percentage {
            percent,
            per: Per::Order,
        } => {
            let parts: Vec<_> = targets.iter().map(on).collect();
            let base = parts.iter().map(|(_, a)| *a).fold(0, i64::saturating_add);
            Effect {
                lines: spread_over(percent_of(base, *percent), &parts),
                ..Effect::default()
            }
        }
        Kind::Fixed {
            amount_minor,
            per: Per::Order,
        } => {
            let parts: Vec<_> = targets.iter().map(on).collect();
            Effect {
                lines: spread_over(*amount_minor, &parts),
                ..Effect::default()
            }
        }
        Kind::Bundle { items, price_minor } => bundle(ctx, targets, state, items, *price_minor),
        Kind::BuyXGetY {
            buy,
            get,
            get_skus,
            percent,
        } => buy_x_get_y(ctx, o, state, (*buy, *get), get_skus.as_deref(), *percent),
        Kind::Shipping(off) => {
            let sellers: BTreeSet<_> = targets.iter().map(|i| ctx.lines[*i].seller_id).collect();
            let parts: Vec<_> = (0..ctx.ships.len())
                .filter(|s| sellers.contains(&ctx.ships[*s].seller_id))
                .map(|s| (s, state.ships[s]))
                .collect();
            let ships = match off {
                Off::Percent(p) => parts
                    .iter()
                    .map(|(s, a)| (*s, percent_of(*a, *p)))
                    .collect(),
                Off::Amount(amount) => spread_over(*amount, &parts),
            };
            Effect {
                ships: positive(ships),
                ..Effect::default()
            }
        }
        Kind::Cashback { off, max_minor } => {
            let paid = targets
                .iter()
                .map(|i| state.lines[*i])
                .fold(0, i64::saturating_add);
            let cashback = match off {
                Off::Percent(p) => percent_of(paid, *p).min(max_minor.unwrap_or(i64::MAX)),
                Off::Amount(amount) => paid.min(*amount),
            };
            Effect {
                cashback,
                ..Effect::default()
            }
        }
    };
    let limit = [
        offer.conditions.max_discount_minor,
        offer.remaining.budget_minor,
    ]
    .into_iter()
    .flatten()
    .min();
    match limit {
        Some(limit) => raw.cap(limit.max(0)),
        None => raw,
    }
}

/// `floor(amount * percent / 100)`, never more than `amount`.
fn percent_of(amount: i64, percent: i64) -> i64 {
    let off = i128::from(amount.max(0)) * i128::from(percent.clamp(0, 100)) / 100;
    i64::try_from(off).unwrap_or(amount)
}

/// The units of a line whose amount is `amount`: as even as minor units allow, so `amount %
/// quantity` units cost one more than the others. Item-stage discounts keep units even, but a
/// capped discount spread over lines need not divide by the quantity.
fn units(amount: i64, quantity: i64) -> [(i64, i64); 2] {
    let quantity = quantity.max(1);
    let (each, more) = (amount / quantity, amount % quantity);
    [(each + 1, more), (each, quantity - more)]
}

/// A discount of `off(unit price)` on every unit of each targeted line.
fn per_unit(targets: &[usize], state: &State, ctx: &Ctx<'_>, off: impl Fn(i64) -> i64) -> Effect {
    let lines = targets
        .iter()
        .map(|i| {
            let d = units(state.lines[*i], ctx.lines[*i].quantity)
                .iter()
                .map(|(price, count)| i128::from(off(*price).clamp(0, *price)) * i128::from(*count))
                .sum::<i128>();
            (
                *i,
                i64::try_from(d).unwrap_or(i64::MAX).min(state.lines[*i]),
            )
        })
        .collect();
    Effect {
        lines: positive(lines),
        ..Effect::default()
    }
}

/// Each complete set of `items` among the targeted lines costs `price` instead of what its
/// units cost. A set takes a line's dearer units first (see [`units`]): the difference is at
/// most a minor unit per unit and goes to the shopper.
fn bundle(
    ctx: &Ctx<'_>,
    targets: &[usize],
    state: &State,
    items: &[crate::rules::terms::BundleItem],
    price: i64,
) -> Effect {
    let mut found = Vec::with_capacity(items.len());
    for item in items {
        let Some(i) = targets
            .iter()
            .find(|i| ctx.lines[**i].sku_id == item.sku_id)
        else {
            return Effect::default();
        };
        found.push((*i, item.quantity));
    }
    let sets = found
        .iter()
        .map(|(i, q)| ctx.lines[*i].quantity / q)
        .min()
        .unwrap_or(0);
    if sets == 0 {
        return Effect::default();
    }
    let parts: Vec<(usize, i64)> = found
        .iter()
        .map(|(i, q)| {
            let mut left = i128::from(sets) * i128::from(*q);
            let mut value = 0i128;
            for (unit, count) in units(state.lines[*i], ctx.lines[*i].quantity) {
                let take = left.min(i128::from(count));
                value += take * i128::from(unit);
                left -= take;
            }
            (*i, i64::try_from(value).unwrap_or(i64::MAX))
        })
        .collect();
    let value = parts.iter().map(|(_, v)| i128::from(*v)).sum::<i128>();
    let off = (value - i128::from(sets) * i128::from(price)).max(0);
    let off = i64::try_from(off).unwrap_or(i64::MAX);
    Effect {
        lines: spread_over(off, &parts),
        ..Effect::default()
    }
}

/// For every `buy` units, `get` units `percent` off, the cheapest first (ties: canonical line
/// order). Without `get_skus` the units come from the targeted lines in groups of `buy + get`
/// (buy 2 get 1 on 3 units: 1 free); with them, the targeted lines outside `get_skus` are
/// bought and the owner's lines of `get_skus` give the discounted units.
fn buy_x_get_y(
    ctx: &Ctx<'_>,
    o: usize,
    state: &State,
    (buy, get): (i64, i64),
    get_skus: Option<&[uuid::Uuid]>,
    percent: i64,
) -> Effect {
    let targets = &ctx.targets[o];
    let units_of = |lines: &[usize]| lines.iter().map(|i| ctx.lines[*i].quantity).sum::<i64>();
    let (pool, free) = match get_skus {
        None => {
            // Parsed kinds have `buy` and `get` of at least 1; a hand-built one must not
            // divide by zero.
            let groups = units_of(targets) / (buy + get).max(1);
            (targets.clone(), groups.saturating_mul(get))
        }
        Some(skus) => {
            let bought: Vec<usize> = targets
                .iter()
                .copied()
                .filter(|i| !skus.contains(&ctx.lines[*i].sku_id))
                .collect();
            let owner = ctx.offers[o].seller_id;
            let pool: Vec<usize> = (0..ctx.lines.len())
                .filter(|i| skus.contains(&ctx.lines[*i].sku_id))
                .filter(|i| owner.is_none_or(|s| ctx.lines[*i].seller_id == s))
                .collect();
            let free = (units_of(&bought) / buy)
                .saturating_mul(get)
                .min(units_of(&pool));
            (pool, free)
        }
    };
    let mut cheapest: Vec<(i64, usize, i64)> = pool
        .iter()
        .flat_map(|i| {
            units(state.lines[*i], ctx.lines[*i].quantity).map(|(price, count)| (price, *i, count))
        })
        .filter(|(_, _, count)| *count > 0)
        .collect();
    cheapest.sort_by_key(|(price, i, _)| (*price, *i));
    let mut left = free;
    let mut off = vec![0i64; ctx.lines.len()];
    for (price, i, count) in cheapest {
        let take = left.min(count);
        off[i] = off[i].saturating_add(percent_of(price, percent).saturating_mul(take));
        left -= take;
    }
    let lines = off
        .into_iter()
        .enumerate()
        .map(|(i, d)| (i, d.min(state.lines[i])))
        .collect();
    Effect {
        lines: positive(lines),
        ..Effect::default()
    }
}

fn positive(parts: Vec<(usize, i64)>) -> Vec<(usize, i64)> {
    parts.into_iter().filter(|(_, d)| *d > 0).collect()
}

/// `total` spread over `parts` (index, amount) by [`spread`].
fn spread_over(total: i64, parts: &[(usize, i64)]) -> Vec<(usize, i64)> {
    let weights: Vec<i64> = parts.iter().map(|(_, a)| *a).collect();
    let shares = spread(total, &weights);
    positive(
        parts
            .iter()
            .zip(shares)
            .map(|((i, _), s)| (*i, s))
            .collect(),
    )
}

/// `total` (cut to the sum of `weights`) in shares proportional to `weights`, rounded down; the
/// minor units left over go one each to the largest remainders, ties to the earlier weight.
/// No share exceeds its weight: a share rounds down to at most its weight, and one that was
/// rounded gets at most one unit more.
pub(super) fn spread(total: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i128 = weights.iter().map(|w| i128::from((*w).max(0))).sum();
    let total = i128::from(total.max(0)).min(sum);
    if total == 0 {
        return vec![0; weights.len()];
    }
    let mut shares: Vec<i128> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(Reverse<i128>, usize)> = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let exact = total * i128::from((*w).max(0));
        shares.push(exact / sum);
        remainders.push((Reverse(exact % sum), i));
    }
    let mut left = total - shares.iter().sum::<i128>();
    remainders.sort();
    for (_, i) in remainders {
        if left == 0 {
            break;
        }
        shares[i] += 1;
        left -= 1;
    }
    shares
        .into_iter()
        .map(|s| i64::try_from(s).unwrap_or(0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreading_gives_leftover_units_to_the_largest_remainders() {
        for (total, weights, want) in [
            (100, vec![1, 1, 1], vec![1, 1, 1]),
            (100, vec![333, 333, 334], vec![33, 33, 34]),
            (2, vec![1, 1, 1], vec![1, 1, 0]),
            (10, vec![0, 5, 5], vec![0, 5, 5]),
            (7, vec![10, 20, 40], vec![1, 2, 4]),
            (0, vec![10, 20], vec![0, 0]),
            (5, vec![], vec![]),
            (
                i64::MAX,
                vec![i64::MAX, i64::MAX],
                vec![i64::MAX / 2 + 1, i64::MAX / 2],
            ),
        ] {
            assert_eq!(spread(total, &weights), want, "{total} over {weights:?}");
        }
    }

    #[test]
    fn uneven_units_differ_by_one_minor_unit() {
        assert_eq!(units(10, 3), [(4, 1), (3, 2)]);
        assert_eq!(units(9, 3), [(4, 0), (3, 3)]);
        assert_eq!(percent_of(999, 10), 99);
        assert_eq!(
            percent_of(1_000_000_000_000 * 1_000_000, 100),
            1_000_000_000_000_000_000
        );
    }
}

//! Properties of [`quote`] over random carts and offers: nothing goes negative or up, the
//! totals reconcile to the minor unit, every offer is accounted for once, sellers stay within
//! their own lines, caps hold, and the input order does not matter.

use proptest::prelude::*;
use serde_json::json;

use super::tests::id;
use super::*;
use crate::rules::schedule::Schedule;
use crate::rules::terms::{Conditions, Kind, Target};

const SELLERS: [u128; 3] = [0xA1, 0xA2, 0xA3];
const CODES: [&str; 3] = ["alpha", "Beta", "GAMMA"];

/// (seller, product, category, unit price, quantity)
type RawLine = (usize, u128, u128, i64, i64);
/// ((kind, a, b, amount), (target, mask, owner, flags), (cap, budget, min spend, priority))
type RawOffer = (
    (u8, i64, i64, i64),
    (u8, u16, usize, u16),
    (Option<i64>, Option<i64>, Option<i64>, i32),
);

fn raw_line() -> impl Strategy<Value = RawLine> {
    (0..3usize, 0..4u128, 0..3u128, 0..10_000_000i64, 1..=20i64)
}

fn raw_offer() -> impl Strategy<Value = RawOffer> {
    (
        (0..11u8, 1..=100i64, 1..=100i64, 1..2_000_000i64),
        (0..4u8, any::<u16>(), 0..4usize, any::<u16>()),
        (
            prop::option::of(1..500_000i64),
            prop::option::of(0..500_000i64),
            prop::option::of(1..5_000_000i64),
            0..3i32,
        ),
    )
}

fn make_cart(lines: &[RawLine], shipping: &[i64], buyer: u8, codes: u8) -> Cart {
    let lines: Vec<Line> = lines
        .iter()
        .enumerate()
        .map(|(i, (seller, product, category, price, quantity))| Line {
            sku_id: id(0x100 + i as u128),
            product_id: id(0x200 + product),
            seller_id: id(SELLERS[*seller]),
            category_path: vec![id(0x300), id(0x310 + category)],
            unit_price_minor: *price,
            quantity: *quantity,
        })
        .collect();
    let shipping = SELLERS
        .iter()
        .zip(shipping)
        .filter(|(s, _)| lines.iter().any(|l| l.seller_id == id(**s)))
        .map(|(s, amount)| Shipment {
            seller_id: id(*s),
            amount_minor: *amount,
        })
        .collect();
    Cart {
        currency: "VND".into(),
        lines,
        shipping,
        buyer: match buyer % 3 {
            0 => None,
            1 => Some(Buyer { first_order: true }),
            _ => Some(Buyer { first_order: false }),
        },
        codes: (0..3)
            .filter(|k| codes & (1 << k) != 0)
            .map(|k| CODES[k].to_uppercase())
            .chain((codes & 8 != 0).then(|| "unknown".to_string()))
            .collect(),
    }
}

fn make_offer(n: usize, raw: &RawOffer, skus: usize) -> Offer {
    let ((kind, a, b, amount), (target, mask, owner, flags), (cap, budget, min, priority)) = *raw;
    let sku = |k: usize| id(0x100 + (k % skus.max(1)) as u128);
    let picked = |base: u128, count: u128| -> Vec<Uuid> {
        let ids: Vec<Uuid> = (0..count)
            .filter(|k| mask & (1 << k) != 0)
            .map(|k| id(base + k))
            .collect();
        if ids.is_empty() { vec![id(base)] } else { ids }
    };
    let kind = match kind {
        0 => json!({"type": "percentage", "percent": a}),
        1 => json!({"type": "percentage", "percent": a, "per": "order"}),
        2 => json!({"type": "fixed", "amount_minor": amount}),
        3 => json!({"type": "fixed", "amount_minor": amount, "per": "order"}),
        4 => json!({"type": "shipping", "percent": a}),
        5 => json!({"type": "shipping", "amount_minor": amount}),
        6 => json!({"type": "buy_x_get_y", "buy": a % 4 + 1, "get": b % 3 + 1, "percent": b}),
        7 => json!({"type": "buy_x_get_y", "buy": a % 3 + 1, "get": b % 3 + 1,
            "get_skus": [sku(a as usize)]}),
        8 => json!({"type": "bundle", "price_minor": amount, "items": [
            {"sku_id": sku(0), "quantity": a % 2 + 1}, {"sku_id": sku(1), "quantity": 1}]}),
        9 => json!({"type": "cashback", "percent": a, "max_minor": amount}),
        _ => json!({"type": "cashback", "amount_minor": amount}),
    };
    let target = match target {
        0 => Target::All,
        1 => Target::Skus(picked(0x100, 10).into_iter().collect()),
        2 => Target::Products(picked(0x200, 4).into_iter().collect()),
        _ => Target::Categories(
            picked(0x310, 3)
                .into_iter()
                .chain([id(0x300)])
                .take(if mask & 0x8000 != 0 { 4 } else { 3 })
                .collect(),
        ),
    };
    let flag = |bit: u16| flags & (1 << bit) != 0;
    Offer {
        id: id(0x1000 + n as u128),
        seller_id: SELLERS.get(owner).map(|s| id(*s)),
        kind: Kind::parse(&kind).unwrap_or(Kind::Percentage {
            percent: 10,
            per: crate::rules::terms::Per::Item,
        }),
        target,
        conditions: Conditions {
            min_spend_minor: min.filter(|_| flag(0)),
            max_discount_minor: cap.filter(|_| flag(1)),
            first_order_only: flag(2) && flag(9),
        },
        code: (flag(3) && flag(13)).then(|| CODES[n % 3].to_string()),
        priority,
        exclusive: flag(4) && flag(5),
        currency: if flag(6) && flag(7) {
            Some("USD".into())
        } else {
            Some("VND".into())
        },
        schedule: Schedule::parse(&json!({"starts_at":
            if flag(8) && flag(9) { "2027-01-01T00:00:00Z" } else { "2026-01-01T00:00:00Z" }}))
        .unwrap_or_else(|_| unreachable!("a fixed, valid schedule")),
        remaining: Remaining {
            uses: flag(10).then_some(i64::from(flags >> 14)),
            buyer_uses: flag(11).then_some(i64::from(flags >> 15)),
            budget_minor: budget.filter(|_| flag(12)),
        },
        per_buyer_limited: flag(11),
    }
}

/// A permutation of `0..n` from `seed` (a Fisher–Yates shuffle driven by an LCG).
fn permutation(n: usize, mut seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        order.swap(i, (seed >> 33) as usize % (i + 1));
    }
    order
}

fn sorted(mut q: Quote) -> Quote {
    q.lines.sort_by_key(|l| l.sku_id);
    q.shipping.sort_by_key(|s| s.seller_id);
    q
}

/// A random cart with everything drawn for it.
#[derive(Debug)]
struct Draw {
    lines: Vec<RawLine>,
    shipping: Vec<i64>,
    offers: Vec<RawOffer>,
    buyer: u8,
    codes: u8,
    seed: u64,
}

fn draw() -> impl Strategy<Value = Draw> {
    (
        prop::collection::vec(raw_line(), 1..10),
        prop::collection::vec(0..100_000i64, 3),
        prop::collection::vec(raw_offer(), 0..12),
        any::<(u8, u8, u64)>(),
    )
        .prop_map(|(lines, shipping, offers, (buyer, codes, seed))| Draw {
            lines,
            shipping,
            offers,
            buyer,
            codes,
            seed,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn quotes_reconcile_and_keep_every_promise(d in draw()) {
        check(&d)?;
    }
}

fn check(d: &Draw) -> Result<(), TestCaseError> {
    let Draw {
        lines,
        shipping,
        offers,
        buyer,
        codes,
        seed,
    } = d;
    let (buyer, codes, seed) = (*buyer, *codes, *seed);
    let cart = make_cart(lines, shipping, buyer, codes);
    let offers: Vec<Offer> = offers
        .iter()
        .enumerate()
        .map(|(n, o)| make_offer(n, o, lines.len()))
        .collect();
    let q = quote(&cart, &offers, "2026-06-01T12:00:00Z".parse().unwrap());

    for l in &q.lines {
        prop_assert!(
            0 <= l.final_minor && l.final_minor <= l.original_minor,
            "{l:?}"
        );
        prop_assert_eq!(l.original_minor - l.final_minor, l.discount_minor);
        prop_assert_eq!(
            l.applied.iter().map(|s| s.amount_minor).sum::<i64>(),
            l.discount_minor
        );
    }
    for s in &q.shipping {
        prop_assert!(
            0 <= s.final_minor && s.final_minor <= s.original_minor,
            "{s:?}"
        );
        prop_assert_eq!(s.original_minor - s.final_minor, s.discount_minor);
        prop_assert_eq!(
            s.applied.iter().map(|a| a.amount_minor).sum::<i64>(),
            s.discount_minor
        );
    }
    prop_assert_eq!(
        q.subtotal_minor - q.discount_minor + q.shipping_minor - q.shipping_discount_minor,
        q.total_minor
    );
    prop_assert_eq!(
        q.applied.iter().map(|a| a.discount_minor).sum::<i64>(),
        q.discount_minor + q.shipping_discount_minor
    );
    prop_assert_eq!(
        q.applied.iter().map(|a| a.cashback_minor).sum::<i64>(),
        q.cashback_minor
    );

    let supplied: Vec<String> = cart.codes.iter().map(|c| c.to_lowercase()).collect();
    let considered: Vec<&Offer> = offers
        .iter()
        .filter(|o| {
            o.code
                .as_ref()
                .is_none_or(|c| supplied.contains(&c.to_lowercase()))
        })
        .collect();
    let mut listed: Vec<Uuid> = q
        .applied
        .iter()
        .map(|a| a.promotion_id)
        .chain(q.not_applied.iter().map(|n| n.promotion_id))
        .collect();
    listed.sort();
    let mut want: Vec<Uuid> = considered.iter().map(|o| o.id).collect();
    want.sort();
    prop_assert_eq!(listed, want);

    for a in &q.applied {
        let offer = offers.iter().find(|o| o.id == a.promotion_id).unwrap();
        let on_lines: i64 = q
            .lines
            .iter()
            .flat_map(|l| &l.applied)
            .filter(|s| s.promotion_id == a.promotion_id)
            .map(|s| s.amount_minor)
            .sum();
        let on_ships: i64 = q
            .shipping
            .iter()
            .flat_map(|s| &s.applied)
            .filter(|s| s.promotion_id == a.promotion_id)
            .map(|s| s.amount_minor)
            .sum();
        prop_assert_eq!(on_lines + on_ships, a.discount_minor);
        let given = a.discount_minor + a.cashback_minor;
        for cap in [
            offer.conditions.max_discount_minor,
            offer.remaining.budget_minor,
        ]
        .into_iter()
        .flatten()
        {
            prop_assert!(given <= cap, "{given} over {cap}");
        }
        if let Some(seller) = offer.seller_id {
            for (l, line) in q.lines.iter().zip(&cart.lines) {
                let touched = l.applied.iter().any(|s| s.promotion_id == offer.id);
                prop_assert!(!touched || line.seller_id == seller);
            }
            for s in &q.shipping {
                let touched = s.applied.iter().any(|a| a.promotion_id == offer.id);
                prop_assert!(!touched || s.seller_id == seller);
            }
        }
    }

    let mut shuffled_cart = cart.clone();
    shuffled_cart.lines = permutation(cart.lines.len(), seed)
        .into_iter()
        .map(|i| cart.lines[i].clone())
        .collect();
    shuffled_cart.shipping = permutation(cart.shipping.len(), seed ^ 1)
        .into_iter()
        .map(|i| cart.shipping[i].clone())
        .collect();
    let shuffled_offers: Vec<Offer> = permutation(offers.len(), seed ^ 2)
        .into_iter()
        .map(|i| offers[i].clone())
        .collect();
    let again = quote(
        &shuffled_cart,
        &shuffled_offers,
        "2026-06-01T12:00:00Z".parse().unwrap(),
    );
    prop_assert_eq!(sorted(again), sorted(q));
    Ok(())
}

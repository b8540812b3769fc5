use serde_json::{Value, json};

use super::*;
use crate::rules::schedule::Schedule;
use crate::rules::terms::{Conditions, Kind, Target};

pub(super) fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

const A: u128 = 0xA;
const B: u128 = 0xB;

/// A line of SKU `sku`, product `1000 + sku`, category `5000 + sku` under root category 5000.
fn line(sku: u128, seller: u128, price: i64, quantity: i64) -> Line {
    Line {
        sku_id: id(sku),
        product_id: id(1000 + sku),
        seller_id: id(seller),
        category_path: vec![id(5000), id(5000 + sku)],
        unit_price_minor: price,
        quantity,
    }
}

fn cart(lines: Vec<Line>) -> Cart {
    Cart {
        currency: "VND".into(),
        lines,
        shipping: vec![],
        buyer: Some(Buyer { first_order: true }),
        codes: vec![],
    }
}

fn ship(mut c: Cart, seller: u128, amount: i64) -> Cart {
    c.shipping.push(Shipment {
        seller_id: id(seller),
        amount_minor: amount,
    });
    c
}

/// A platform promotion of `kind`, automatic, on everything, always running.
fn offer(n: u128, kind: Value) -> Offer {
    Offer {
        id: id(n),
        seller_id: None,
        kind: Kind::parse(&kind).unwrap(),
        target: Target::All,
        conditions: Conditions::default(),
        code: None,
        priority: 0,
        exclusive: false,
        currency: Some("VND".into()),
        schedule: Schedule::parse(&json!({"starts_at": "2026-01-01T00:00:00Z"})).unwrap(),
        remaining: Remaining::default(),
        per_buyer_limited: false,
    }
}

fn pct(n: u128, percent: i64) -> Offer {
    offer(n, json!({"type": "percentage", "percent": percent}))
}

fn by(mut o: Offer, seller: u128) -> Offer {
    o.seller_id = Some(id(seller));
    o
}

fn now() -> DateTime<Utc> {
    "2026-06-01T12:00:00Z".parse().unwrap()
}

fn finals(q: &Quote) -> Vec<i64> {
    q.lines.iter().map(|l| l.final_minor).collect()
}

fn reason_of(q: &Quote, n: u128) -> Option<Reason> {
    q.not_applied
        .iter()
        .find(|na| na.promotion_id == id(n))
        .map(|na| na.reason)
}

#[test]
fn each_kind_takes_off_what_it_says() {
    let (s1, s2) = (id(1).to_string(), id(2).to_string());
    let c = |lines| ship(cart(lines), A, 3001);
    /// (what, lines, kind, line finals, shipping final, cashback)
    type Case = (&'static str, Vec<Line>, Value, Vec<i64>, i64, i64);
    let cases: Vec<Case> = vec![
        (
            "10% per item rounds down per unit",
            vec![line(1, A, 999, 3)],
            json!({"type": "percentage", "percent": 10}),
            vec![2700],
            3001,
            0,
        ),
        (
            "fixed per item never goes below zero",
            vec![line(1, A, 200, 2), line(2, A, 1000, 1)],
            json!({"type": "fixed", "amount_minor": 300}),
            vec![0, 700],
            3001,
            0,
        ),
        (
            "10% per order is spread by amounts",
            vec![line(1, A, 333, 1), line(2, A, 333, 1), line(3, A, 334, 1)],
            json!({"type": "percentage", "percent": 10, "per": "order"}),
            vec![300, 300, 300],
            3001,
            0,
        ),
        (
            "fixed per order never exceeds the subtotal",
            vec![line(1, A, 1, 1), line(2, A, 1, 1), line(3, A, 1, 1)],
            json!({"type": "fixed", "amount_minor": 100, "per": "order"}),
            vec![0, 0, 0],
            3001,
            0,
        ),
        (
            "100 off 333, 333, 334 is 33, 33, 34",
            vec![line(1, A, 333, 1), line(2, A, 333, 1), line(3, A, 334, 1)],
            json!({"type": "fixed", "amount_minor": 100, "per": "order"}),
            vec![300, 300, 300],
            3001,
            0,
        ),
        (
            "shipping percent rounds down",
            vec![line(1, A, 100, 1)],
            json!({"type": "shipping", "percent": 50}),
            vec![100],
            1501,
            0,
        ),
        (
            "shipping amount never exceeds the shipping",
            vec![line(1, A, 100, 1)],
            json!({"type": "shipping", "amount_minor": 5000}),
            vec![100],
            0,
            0,
        ),
        (
            "buy 2 get 1 on 3 units frees 1",
            vec![line(1, A, 100, 3)],
            json!({"type": "buy_x_get_y", "buy": 2, "get": 1}),
            vec![200],
            3001,
            0,
        ),
        (
            "buy 2 get 1 on 5 units frees 1",
            vec![line(1, A, 100, 5)],
            json!({"type": "buy_x_get_y", "buy": 2, "get": 1}),
            vec![400],
            3001,
            0,
        ),
        (
            "buy 2 get 1 frees the cheapest unit",
            vec![line(1, A, 100, 2), line(2, A, 50, 1)],
            json!({"type": "buy_x_get_y", "buy": 2, "get": 1}),
            vec![200, 0],
            3001,
            0,
        ),
        (
            "buy 1 get 1 half price of another SKU",
            vec![line(1, A, 1000, 2), line(2, A, 400, 3)],
            json!({"type": "buy_x_get_y", "buy": 1, "get": 1, "percent": 50, "get_skus": [s2]}),
            vec![2000, 800],
            3001,
            0,
        ),
        (
            "a bundle set costs its price, spread by value",
            vec![line(1, A, 600, 2), line(2, A, 500, 1)],
            json!({"type": "bundle", "price_minor": 900, "items": [
                {"sku_id": s1, "quantity": 1}, {"sku_id": s2, "quantity": 1}]}),
            vec![1091, 409],
            3001,
            0,
        ),
        (
            "two complete sets, the third incomplete",
            vec![line(1, A, 100, 5), line(2, A, 100, 2)],
            json!({"type": "bundle", "price_minor": 150, "items": [
                {"sku_id": s1, "quantity": 2}, {"sku_id": s2, "quantity": 1}]}),
            vec![300, 100],
            3001,
            0,
        ),
        (
            "cashback percent is capped and changes no price",
            vec![line(1, A, 1000, 1)],
            json!({"type": "cashback", "percent": 5, "max_minor": 30}),
            vec![1000],
            3001,
            30,
        ),
        (
            "cashback amount never exceeds what is paid",
            vec![line(1, A, 1000, 1)],
            json!({"type": "cashback", "amount_minor": 2000}),
            vec![1000],
            3001,
            1000,
        ),
    ];
    for (what, lines, kind, want_lines, want_ship, want_cashback) in cases {
        let q = quote(&c(lines), &[offer(1, kind)], now());
        assert_eq!(finals(&q), want_lines, "{what}");
        assert_eq!(q.shipping[0].final_minor, want_ship, "{what}");
        assert_eq!(q.cashback_minor, want_cashback, "{what}");
        assert_eq!(q.applied.len(), 1, "{what}: {q:?}");
    }
}

#[test]
fn promotions_that_would_give_nothing_are_not_applicable() {
    let (s1, s2, s3) = (id(1).to_string(), id(2).to_string(), id(3).to_string());
    for (what, kind) in [
        (
            "an incomplete bundle",
            json!({"type": "bundle", "price_minor": 10, "items": [
            {"sku_id": s1, "quantity": 1}, {"sku_id": s3, "quantity": 1}]}),
        ),
        (
            "a bundle dearer than its items",
            json!({"type": "bundle", "price_minor": 5000,
            "items": [{"sku_id": s1, "quantity": 1}, {"sku_id": s2, "quantity": 1}]}),
        ),
        (
            "buy 3 get 1 on 3 units",
            json!({"type": "buy_x_get_y", "buy": 3, "get": 1}),
        ),
        (
            "shipping off without shipping",
            json!({"type": "shipping", "percent": 10}),
        ),
    ] {
        let q = quote(
            &cart(vec![line(1, A, 100, 1), line(2, A, 100, 2)]),
            &[offer(1, kind)],
            now(),
        );
        assert_eq!(reason_of(&q, 1), Some(Reason::NotApplicable), "{what}");
        assert_eq!(q.total_minor, 300, "{what}");
    }
}

#[test]
fn each_failed_condition_gives_its_reason_in_order() {
    let base = || pct(1, 10);
    let c = || cart(vec![line(1, A, 1000, 1)]);
    fn schedule(v: Value) -> Schedule {
        Schedule::parse(&v).unwrap()
    }
    type Tweak = Box<dyn Fn(&mut Offer, &mut Cart)>;
    let cases: Vec<(&str, Tweak, Reason)> = vec![
        (
            "not started",
            Box::new(|o, _| {
                o.schedule = schedule(json!({"starts_at": "2026-07-01T00:00:00Z"}));
            }),
            Reason::NotStarted,
        ),
        (
            "ended",
            Box::new(|o, _| {
                o.schedule = schedule(json!({"starts_at": "2026-01-01T00:00:00Z",
                "ends_at": "2026-06-01T12:00:00Z"}));
            }),
            Reason::Ended,
        ),
        (
            "outside its window",
            Box::new(|o, _| {
                o.schedule = schedule(json!({"starts_at": "2026-01-01T00:00:00Z",
                "timezone": "Asia/Ho_Chi_Minh",
                "windows": [{"days": ["mon"], "from": "08:00", "to": "09:00"}]}));
            }),
            Reason::OutsideWindow,
        ),
        (
            "another currency",
            Box::new(|o, _| o.currency = Some("USD".into())),
            Reason::CurrencyMismatch,
        ),
        (
            "an amount without a currency",
            Box::new(|o, _| {
                o.kind = Kind::Fixed {
                    amount_minor: 5,
                    per: crate::rules::terms::Per::Item,
                };
                o.currency = None;
            }),
            Reason::CurrencyMismatch,
        ),
        (
            "no uses left, before the buyer is asked",
            Box::new(|o, c| {
                o.remaining.uses = Some(0);
                c.buyer = None;
            }),
            Reason::UsesExhausted,
        ),
        (
            "a per-buyer limit without a buyer",
            Box::new(|o, c| {
                o.per_buyer_limited = true;
                c.buyer = None;
            }),
            Reason::SignInRequired,
        ),
        (
            "first order only without a buyer",
            Box::new(|o, c| {
                o.conditions.first_order_only = true;
                c.buyer = None;
            }),
            Reason::SignInRequired,
        ),
        (
            "this buyer's uses spent",
            Box::new(|o, _| {
                o.per_buyer_limited = true;
                o.remaining.buyer_uses = Some(0);
            }),
            Reason::BuyerLimitReached,
        ),
        (
            "no budget left",
            Box::new(|o, _| o.remaining.budget_minor = Some(0)),
            Reason::BudgetExhausted,
        ),
        (
            "not a first order",
            Box::new(|o, c| {
                o.conditions.first_order_only = true;
                c.buyer = Some(Buyer { first_order: false });
            }),
            Reason::FirstOrderOnly,
        ),
        (
            "a seller without lines in the cart",
            Box::new(|o, _| o.seller_id = Some(id(B))),
            Reason::NotOwnersProduct,
        ),
        (
            "no line in its target",
            Box::new(|o, _| {
                o.target = Target::Skus([id(9)].into());
            }),
            Reason::NotApplicable,
        ),
        (
            "min spend not met",
            Box::new(|o, _| o.conditions.min_spend_minor = Some(1001)),
            Reason::MinSpendNotMet {
                min_spend_minor: 1001,
                spend_minor: 1000,
            },
        ),
    ];
    for (what, tweak, want) in cases {
        let (mut o, mut c) = (base(), c());
        tweak(&mut o, &mut c);
        let q = quote(&c, &[o], now());
        assert_eq!(reason_of(&q, 1), Some(want), "{what}");
        assert!(q.applied.is_empty(), "{what}");
        assert_eq!(q.total_minor, 1000, "{what}");
    }
}

#[test]
fn codes_unlock_promotions_case_insensitively_and_unknown_ones_are_listed_once() {
    let mut coded = pct(1, 10);
    coded.code = Some("SUMMER".into());
    let mut c = cart(vec![line(1, A, 1000, 1)]);
    let q = quote(&c, std::slice::from_ref(&coded), now());
    assert!(
        q.applied.is_empty() && q.not_applied.is_empty(),
        "not considered: {q:?}"
    );
    c.codes = vec![
        "summer".into(),
        "Nope".into(),
        "NOPE".into(),
        "other".into(),
    ];
    let q = quote(&c, &[coded], now());
    assert_eq!(q.total_minor, 900);
    assert_eq!(q.unknown_codes, ["Nope", "other"]);
}

#[test]
fn stages_compound_in_order_whatever_the_input_order() {
    let order = offer(
        1,
        json!({"type": "fixed", "amount_minor": 50_000, "per": "order"}),
    );
    let item = pct(2, 10);
    let q = quote(&cart(vec![line(1, A, 1_000_000, 1)]), &[order, item], now());
    assert_eq!(q.total_minor, 850_000);
    let stages: Vec<_> = q
        .applied
        .iter()
        .map(|a| (a.stage, a.discount_minor))
        .collect();
    assert_eq!(stages, [(Stage::Item, 100_000), (Stage::Order, 50_000)]);
}

#[test]
fn min_spend_is_counted_at_the_prices_its_stage_sees() {
    let mut order = offer(
        1,
        json!({"type": "fixed", "amount_minor": 100, "per": "order"}),
    );
    order.conditions.min_spend_minor = Some(10_000);
    let q = quote(
        &cart(vec![line(1, A, 10_000, 1)]),
        &[order.clone(), pct(2, 10)],
        now(),
    );
    assert_eq!(
        reason_of(&q, 1),
        Some(Reason::MinSpendNotMet {
            min_spend_minor: 10_000,
            spend_minor: 9_000
        })
    );
    let q = quote(&cart(vec![line(1, A, 10_000, 1)]), &[order], now());
    assert_eq!(q.total_minor, 9_900);
}

#[test]
fn within_a_group_the_largest_wins_then_priority_then_the_older() {
    let fixed = |n, amount| offer(n, json!({"type": "fixed", "amount_minor": amount}));
    let prio = |mut o: Offer, p| {
        o.priority = p;
        o
    };
    // (what, offers, winner, loser)
    let cases: Vec<(&str, Vec<Offer>, u128, u128)> = vec![
        ("the larger discount", vec![pct(1, 10), fixed(2, 150)], 2, 1),
        (
            "a tie to the higher priority",
            vec![pct(1, 10), prio(fixed(2, 100), 5)],
            2,
            1,
        ),
        (
            "a tie of priorities to the older",
            vec![fixed(2, 100), pct(1, 10)],
            1,
            2,
        ),
    ];
    for (what, offers, winner, loser) in cases {
        let q = quote(&cart(vec![line(1, A, 1000, 1)]), &offers, now());
        assert_eq!(q.applied.len(), 1, "{what}");
        assert_eq!(q.applied[0].promotion_id, id(winner), "{what}");
        assert_eq!(
            reason_of(&q, loser),
            Some(Reason::LostTo {
                promotion_id: id(winner)
            })
        );
    }
}

#[test]
fn winners_of_different_owners_compound_sellers_first() {
    let c = cart(vec![line(1, A, 1000, 1), line(2, B, 1000, 1)]);
    let offers = [pct(1, 10), by(pct(2, 20), B), by(pct(3, 50), A)];
    let q = quote(&c, &offers, now());
    assert_eq!(finals(&q), [450, 720]);
    let order: Vec<_> = q.applied.iter().map(|a| a.promotion_id).collect();
    assert_eq!(order, [id(3), id(2), id(1)]);
}

#[test]
fn a_sellers_promotion_never_touches_another_sellers_lines_or_shipping() {
    let c = ship(
        ship(cart(vec![line(1, A, 1000, 1), line(2, B, 1000, 1)]), A, 300),
        B,
        300,
    );
    let offers = [
        by(pct(1, 50), A),
        by(
            offer(
                2,
                json!({"type": "fixed", "amount_minor": 400, "per": "order"}),
            ),
            A,
        ),
        by(offer(3, json!({"type": "shipping", "percent": 100})), A),
    ];
    let q = quote(&c, &offers, now());
    assert_eq!(finals(&q), [100, 1000]);
    let ships: Vec<_> = q.shipping.iter().map(|s| s.final_minor).collect();
    assert_eq!(ships, [0, 300]);
    let bundle = by(
        offer(
            4,
            json!({"type": "buy_x_get_y", "buy": 1, "get": 1, "get_skus": [id(2)]}),
        ),
        A,
    );
    assert_eq!(
        reason_of(&quote(&c, &[bundle], now()), 4),
        Some(Reason::NotApplicable)
    );
}

#[test]
fn an_exclusive_promotion_wins_alone_only_when_it_does_better_than_the_stack() {
    let order = offer(
        2,
        json!({"type": "percentage", "percent": 10, "per": "order"}),
    );
    let exclusive = |n, percent, priority| {
        let mut o = pct(n, percent);
        o.exclusive = true;
        o.priority = priority;
        o
    };
    let c = cart(vec![line(1, A, 1000, 1)]);
    // The stack of 10% per item then 10% per order leaves 810.
    let stack = || vec![pct(1, 10), order.clone()];
    /// (what, exclusives, total, the reasons of some offers)
    type Case = (&'static str, Vec<Offer>, i64, Vec<(u128, Reason)>);
    let cases: Vec<Case> = vec![
        (
            "30% beats the stack",
            vec![exclusive(9, 30, 0)],
            700,
            vec![
                (
                    1,
                    Reason::ExcludedBy {
                        promotion_id: id(9),
                    },
                ),
                (
                    2,
                    Reason::ExcludedBy {
                        promotion_id: id(9),
                    },
                ),
            ],
        ),
        (
            "19% ties the stack, which wins the tie",
            vec![exclusive(9, 19, 0)],
            810,
            vec![(9, Reason::ExclusiveLost)],
        ),
        (
            "15% loses",
            vec![exclusive(9, 15, 0)],
            810,
            vec![(9, Reason::ExclusiveLost)],
        ),
        (
            "between equal exclusives the higher priority",
            vec![exclusive(8, 30, 0), exclusive(9, 30, 1)],
            700,
            vec![(
                8,
                Reason::ExcludedBy {
                    promotion_id: id(9),
                },
            )],
        ),
        (
            "between equal exclusives of one priority the older",
            vec![exclusive(9, 30, 0), exclusive(8, 30, 0)],
            700,
            vec![(
                9,
                Reason::ExcludedBy {
                    promotion_id: id(8),
                },
            )],
        ),
    ];
    for (what, exclusives, total, reasons) in cases {
        let mut offers = stack();
        offers.extend(exclusives);
        let q = quote(&c, &offers, now());
        assert_eq!(q.total_minor, total, "{what}");
        for (n, want) in reasons {
            assert_eq!(reason_of(&q, n), Some(want), "{what}: offer {n}");
        }
    }
    let mut cashback = offer(9, json!({"type": "cashback", "percent": 5}));
    cashback.exclusive = true;
    let q = quote(&c, &[cashback.clone()], now());
    assert_eq!(
        q.cashback_minor, 50,
        "an equal total and a larger cashback wins"
    );
    let q = quote(&c, &[cashback, pct(1, 1)], now());
    assert_eq!(reason_of(&q, 9), Some(Reason::ExclusiveLost));
}

#[test]
fn caps_cut_the_discount_and_spread_it_over_the_lines() {
    let capped = |max: Option<i64>, budget: Option<i64>| {
        let mut o = pct(1, 10);
        o.conditions.max_discount_minor = max;
        o.remaining.budget_minor = budget;
        o
    };
    let c = cart(vec![line(1, A, 1000, 1), line(2, A, 3000, 1)]);
    // (what, offer, line finals)
    for (what, o, want) in [
        ("uncapped", capped(None, None), vec![900, 2700]),
        ("max discount 50", capped(Some(50), None), vec![987, 2963]),
        (
            "budget left 30 under a cap of 50",
            capped(Some(50), Some(30)),
            vec![992, 2978],
        ),
        (
            "a cap above the discount",
            capped(Some(5000), Some(5000)),
            vec![900, 2700],
        ),
    ] {
        let q = quote(&c, &[o], now());
        assert_eq!(finals(&q), want, "{what}");
    }
    let mut cashback = offer(1, json!({"type": "cashback", "percent": 50}));
    cashback.remaining.budget_minor = Some(70);
    assert_eq!(quote(&c, &[cashback], now()).cashback_minor, 70);
}

#[test]
fn categories_match_ancestors_and_products_their_skus() {
    let c = cart(vec![line(1, A, 1000, 1), line(2, A, 1000, 1)]);
    for (target, want) in [
        (Target::Categories([id(5000)].into()), vec![900, 900]),
        (Target::Categories([id(5002)].into()), vec![1000, 900]),
        (Target::Products([id(1001)].into()), vec![900, 1000]),
        (Target::Skus([id(2)].into()), vec![1000, 900]),
    ] {
        let mut o = pct(1, 10);
        o.target = target.clone();
        assert_eq!(finals(&quote(&c, &[o], now())), want, "{target:?}");
    }
}

#[test]
fn output_lines_follow_the_input_and_serialise_in_snake_case() {
    let c = cart(vec![
        line(3, A, 100, 1),
        line(1, A, 200, 1),
        line(2, A, 300, 1),
    ]);
    let q = quote(
        &c,
        &[offer(
            1,
            json!({"type": "fixed", "amount_minor": 10, "per": "order"}),
        )],
        now(),
    );
    let skus: Vec<_> = q.lines.iter().map(|l| l.sku_id).collect();
    assert_eq!(skus, [id(3), id(1), id(2)]);
    let v = serde_json::to_value(&q).unwrap();
    assert_eq!(v["applied"][0]["stage"], "order");
    assert_eq!(v["lines"][0]["applied"][0]["amount_minor"], 2);
    let q = quote(&c, &[by(pct(1, 10), B)], now());
    let v = serde_json::to_value(&q.not_applied[0]).unwrap();
    assert_eq!(v["reason"], json!({"code": "not_owners_product"}));
}

#[test]
fn a_sellers_winner_and_the_platforms_compound_on_one_line() {
    let q = quote(
        &cart(vec![line(1, A, 1000, 1)]),
        &[pct(1, 10), by(pct(2, 10), A)],
        now(),
    );
    assert_eq!(q.total_minor, 810);
    let shares: Vec<_> = q.lines[0].applied.iter().map(|s| s.amount_minor).collect();
    assert_eq!(shares, [100, 90]);
}

#[test]
fn the_answer_reads_as_the_contract_checkout_decodes() {
    let order = offer(
        1,
        json!({"type": "fixed", "amount_minor": 50_000, "per": "order"}),
    );
    let c = ship(cart(vec![line(1, A, 1_000_000, 2)]), A, 30_000);
    let q = quote(&c, &[order, pct(2, 10)], now());
    let read: contracts::promotion::QuoteAnswer =
        serde_json::from_value(serde_json::to_value(&q).unwrap()).unwrap();
    assert_eq!(read.total_minor, q.total_minor);
    assert_eq!(read.lines[0].final_minor, q.lines[0].final_minor);
    assert_eq!(read.shipping[0].final_minor, 30_000);
    let applied: Vec<_> = read.applied.iter().map(|a| a.discount_minor).collect();
    assert_eq!(applied, [200_000, 50_000]);
}

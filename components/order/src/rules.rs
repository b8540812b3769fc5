//! Pure decisions of checkout, tested natively: how a contact's address reads as a carrier's,
//! what one seller's parcel weighs and measures, how a total is split between the wallet, a
//! gateway and cash on delivery, and what a waiting checkout does next.

use chrono::{DateTime, Utc};
use contracts::order::Address;
use kit::{ApiError, ApiResult};
use uuid::Uuid;

/// A contact's one-line address (`street, ward, district, province`, as Vietnamese addresses
/// are written) as a carrier takes it. The last part is the province, the one before it the
/// district, the one before that the ward when there are four or more parts; the rest is the
/// street. Fewer than three parts cannot be delivered to: 422 `address_incomplete`.
pub fn postal_address(field: &str, text: &str, country: &str) -> ApiResult<Address> {
    let parts: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let n = parts.len();
    if n < 3 {
        return Err(ApiError::unprocessable(
            "address_incomplete",
            format!("{field}: a carrier needs `street, ward, district, province` (got {n} parts)"),
        ));
    }
    let (street, ward) = if n >= 4 {
        (parts[..n - 3].join(", "), parts[n - 3].to_string())
    } else {
        (parts[0].to_string(), String::new())
    };
    Ok(Address {
        street,
        ward,
        district: parts[n - 2].to_string(),
        province: parts[n - 1].to_string(),
        country: country.to_string(),
    })
}

/// What a unit weighs when its seller gave no weight.
pub const DEFAULT_UNIT_GRAMS: u32 = 500;
/// A side of a unit whose seller gave no size, in millimetres.
pub const DEFAULT_SIDE_MM: u32 = 100;
/// The longest side a parcel may have; a stack of units is cut to it.
pub const MAX_SIDE_MM: u32 = 3_000;

/// One SKU of a seller's parcel: units, and the weight and size the seller gave.
#[derive(Clone, Copy, Debug)]
pub struct Packed {
    pub quantity: u32,
    pub weight_grams: Option<i32>,
    pub length_cm: Option<i32>,
    pub width_cm: Option<i32>,
    pub height_cm: Option<i32>,
}

/// A parcel's weight and sides in grams and millimetres.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Measured {
    pub weight_grams: u32,
    pub length_mm: u32,
    pub width_mm: u32,
    pub height_mm: u32,
}

fn side_mm(cm: Option<i32>) -> u32 {
    cm.and_then(|c| u32::try_from(c).ok())
        .filter(|c| *c > 0)
        .map_or(DEFAULT_SIDE_MM, |c| c.saturating_mul(10))
}

/// One seller's units packed as one parcel: weights add up, units stack on their height, the
/// parcel is as long and wide as its longest and widest unit. Missing weights and sizes count
/// as [`DEFAULT_UNIT_GRAMS`] and [`DEFAULT_SIDE_MM`].
pub fn pack(units: &[Packed]) -> Measured {
    let mut m = Measured {
        weight_grams: 0,
        length_mm: 0,
        width_mm: 0,
        height_mm: 0,
    };
    for u in units {
        let grams = u
            .weight_grams
            .and_then(|g| u32::try_from(g).ok())
            .filter(|g| *g > 0)
            .unwrap_or(DEFAULT_UNIT_GRAMS);
        m.weight_grams = m
            .weight_grams
            .saturating_add(grams.saturating_mul(u.quantity));
        m.length_mm = m.length_mm.max(side_mm(u.length_cm));
        m.width_mm = m.width_mm.max(side_mm(u.width_cm));
        m.height_mm = m
            .height_mm
            .saturating_add(side_mm(u.height_cm).saturating_mul(u.quantity));
    }
    m.height_mm = m.height_mm.min(MAX_SIDE_MM);
    m
}

/// How the buyer pays what the wallet does not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rest {
    /// Nothing else: the wallet must cover it all.
    Nothing,
    /// Through a gateway of order's slots.
    Gateway { id: String, method: String },
    /// In cash to the courier.
    CashOnDelivery,
}

/// A checkout's total split: wallet + gateway + cash on delivery = total.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    pub wallet_minor: i64,
    pub gateway_minor: i64,
    pub cod_minor: i64,
}

/// Splits `total`: the wallet first (as much as `wallet_balance` covers, when the buyer asked
/// to use it), the rest through `rest`. 422 `payment_method_required` when something is left
/// and nothing pays it.
pub fn split(total: i64, wallet_balance: Option<i64>, rest: &Rest) -> ApiResult<Split> {
    let wallet = wallet_balance.map_or(0, |b| b.clamp(0, total));
    let left = total - wallet;
    let (gateway, cod) = match rest {
        _ if left == 0 => (0, 0),
        Rest::Nothing => {
            return Err(ApiError::unprocessable(
                "payment_method_required",
                format!(
                    "the wallet covers {wallet} of {total}: choose a gateway or cash on delivery \
                     for the rest"
                ),
            ));
        }
        Rest::Gateway { .. } => (left, 0),
        Rest::CashOnDelivery => (0, left),
    };
    Ok(Split {
        wallet_minor: wallet,
        gateway_minor: gateway,
        cod_minor: cod,
    })
}

/// What cancelling one paid item gives back: the item's total, and its seller's shipping when
/// it was the last of that seller's items (`last_shipping_minor`); cash on delivery not yet
/// collected is waived first (`cod_left_minor`), the rest refunded to the wallet. Returns
/// `(amount, refunded, cod_waived)`, with `amount = refunded + cod_waived`.
pub fn cancellation(
    item_total_minor: i64,
    last_shipping_minor: Option<i64>,
    cod_left_minor: i64,
) -> (i64, i64, i64) {
    let amount = item_total_minor + last_shipping_minor.unwrap_or(0);
    let waived = amount.min(cod_left_minor.max(0));
    (amount, amount - waived, waived)
}

/// The first eight hex digits of an id, for messages people read.
pub fn short(id: Uuid) -> String {
    id.simple().to_string()[..8].to_string()
}

/// Most payment attempts one checkout makes.
pub const MAX_ATTEMPTS: i32 = 10;

/// Where a waiting checkout's current payment attempt stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptState {
    /// Payable until `expires_at`.
    Pending,
    /// Paid: the checkout is paid.
    Paid,
    /// Over without the money (failed, cancelled, expired, or paid too late and refunded).
    Over,
}

/// What a waiting checkout knows when it looks.
#[derive(Clone, Copy, Debug)]
pub struct Standing {
    pub now: DateTime<Utc>,
    pub session_expires_at: DateTime<Utc>,
    pub cancel_requested: bool,
    pub wants_attempt: bool,
    pub attempts: i32,
    /// The newest attempt: its id, state and expiry.
    pub current: Option<(Uuid, AttemptState, DateTime<Utc>)>,
}

/// What it does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "move", rename_all = "snake_case")]
pub enum Move {
    /// The attempt is paid.
    Paid { payment_id: Uuid },
    /// Ask the gateway for a new attempt.
    StartAttempt,
    /// Give the pending attempt up (it expired, the session ended, or the buyer cancelled).
    GiveUp { payment_id: Uuid },
    /// The buyer cancelled.
    Cancel,
    /// The session ran out.
    Expire,
    /// Wait for news until `until_ms`.
    Wait { until_ms: i64 },
}

/// The one rule of a waiting checkout. Money first: a paid attempt wins over a cancel or an
/// expiry that came at the same time. A pending attempt is given up before the checkout ends,
/// so that money the gateway takes for it later is `paid_late` and refunded. The first
/// attempt starts at once; a later one when the buyer asks for a new payment URL.
pub fn next_move(s: &Standing) -> Move {
    let ends_ms = s.session_expires_at.timestamp_millis();
    if let Some((id, state, expires_at)) = s.current {
        match state {
            AttemptState::Paid => return Move::Paid { payment_id: id },
            AttemptState::Pending => {
                if s.cancel_requested || s.now >= s.session_expires_at || s.now >= expires_at {
                    return Move::GiveUp { payment_id: id };
                }
                return Move::Wait {
                    until_ms: ends_ms.min(expires_at.timestamp_millis()),
                };
            }
            AttemptState::Over => {}
        }
    }
    if s.cancel_requested {
        return Move::Cancel;
    }
    if s.now >= s.session_expires_at {
        return Move::Expire;
    }
    if (s.attempts == 0 || s.wants_attempt) && s.attempts < MAX_ATTEMPTS {
        return Move::StartAttempt;
    }
    Move::Wait { until_ms: ends_ms }
}

/// The platform's commission on `items_minor` at `bps` basis points, rounded down (a
/// fraction of a minor unit stays with the seller).
pub fn commission(items_minor: i64, bps: i64) -> i64 {
    i64::try_from(i128::from(items_minor) * i128::from(bps) / 10_000).unwrap_or(i64::MAX)
}

/// A seller's confirmation fee: the carrier's quote plus the platform's fee of `bps` basis
/// points of `items_minor`, rounded up (a fee never comes to less than its rate).
pub fn confirmation_fee(quote_minor: i64, items_minor: i64, bps: i64) -> i64 {
    let scaled = i128::from(items_minor) * i128::from(bps);
    let platform = (scaled + 9_999) / 10_000;
    quote_minor.saturating_add(i64::try_from(platform).unwrap_or(i64::MAX))
}

/// How much of a checkout's cash on delivery an order's shipment collects: its part of the
/// checkout (`part_minor`), up to what is left to collect.
pub fn cod_share(part_minor: i64, cod_left_minor: i64) -> i64 {
    part_minor.min(cod_left_minor.max(0)).max(0)
}

/// What an order's payout does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "move", rename_all = "snake_case")]
pub enum PayoutMove {
    /// Pay the escrow out to the seller now.
    Release,
    /// Wait for news (a delivery, a refund decided) until `until_ms`, or for news alone.
    Wait { until_ms: Option<i64> },
    /// Nothing more: paid out or cancelled already.
    Done,
}

/// What an order's payout knows when it looks.
#[derive(Clone, Copy, Debug)]
pub struct Escrow {
    pub now: DateTime<Utc>,
    /// The payout is still held (not released, not cancelled by a refund).
    pub held: bool,
    /// A refund its seller has not decided, or an open dispute.
    pub blocked: bool,
    pub confirmed_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// When the order's last refund was rejected, if one was.
    pub rejected_at: Option<DateTime<Utc>>,
    pub hold: chrono::Duration,
    pub deadline: chrono::Duration,
}

/// An order's payout: released `hold` after delivery (however late it came: the buyer always
/// has the hold to ask for a refund), or — while no delivery is reported — `deadline` after
/// confirmation; never while a refund or a dispute is open, and not before `hold` after a
/// refund was rejected (the parties' time to dispute it); nothing once it is no longer held.
pub fn payout_move(e: &Escrow) -> PayoutMove {
    if !e.held {
        return PayoutMove::Done;
    }
    if e.blocked {
        return PayoutMove::Wait { until_ms: None };
    }
    let mut due = match e.delivered_at {
        Some(d) => d + e.hold,
        None => e.confirmed_at + e.deadline,
    };
    if let Some(r) = e.rejected_at {
        due = due.max(r + e.hold);
    }
    if e.now >= due {
        PayoutMove::Release
    } else {
        PayoutMove::Wait {
            until_ms: Some(due.timestamp_millis()),
        }
    }
}

/// What a refund's timeout does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "move", rename_all = "snake_case")]
pub enum RefundMove {
    /// The seller did not answer in time: approve it.
    Approve,
    /// Wait for news (a decision, the return delivered) until `until_ms`, or for news alone.
    Wait { until_ms: Option<i64> },
    /// Decided: nothing more.
    Done,
}

/// A refund its seller leaves unanswered is approved: `answer` after it was requested, or
/// `answer` after its return reached the seller once it was accepted (while the return is on
/// its way, it waits for it).
pub fn refund_move(
    now: DateTime<Utc>,
    status: &str,
    created_at: DateTime<Utc>,
    returned_at: Option<DateTime<Utc>>,
    answer: chrono::Duration,
) -> RefundMove {
    let due = match (status, returned_at) {
        ("requested", _) => created_at + answer,
        ("accepted", Some(r)) => r + answer,
        ("accepted", None) => return RefundMove::Wait { until_ms: None },
        _ => return RefundMove::Done,
    };
    if now >= due {
        RefundMove::Approve
    } else {
        RefundMove::Wait {
            until_ms: Some(due.timestamp_millis()),
        }
    }
}

/// How much of a partial refund of `amount` out of the order's `total` (both in the buyer's
/// currency) comes off a payout of `payout`: the same share, rounded up (the platform never
/// pays out money it refunded).
pub fn payout_cut(payout: i64, amount: i64, total: i64) -> i64 {
    if total <= 0 {
        return payout;
    }
    let scaled = i128::from(payout) * i128::from(amount) + i128::from(total) - 1;
    i64::try_from(scaled / i128::from(total))
        .unwrap_or(payout)
        .min(payout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn an_address_reads_from_its_last_part_backwards() {
        let a = postal_address(
            "delivery",
            "45 Nguyễn Huệ, Tầng 3, Phường Bến Nghé, Quận 1, Hồ Chí Minh",
            "VN",
        )
        .unwrap();
        assert_eq!(a.street, "45 Nguyễn Huệ, Tầng 3");
        assert_eq!(a.ward, "Phường Bến Nghé");
        assert_eq!(a.district, "Quận 1");
        assert_eq!(a.province, "Hồ Chí Minh");
        let short = postal_address("d", "12 Lê Lợi, Hải Châu, Đà Nẵng", "VN").unwrap();
        assert_eq!(
            (short.street.as_str(), short.ward.as_str()),
            ("12 Lê Lợi", "")
        );
        let e = postal_address("d", "12 Lê Lợi, , Đà Nẵng", "VN").unwrap_err();
        assert_eq!(e.code, "address_incomplete");
    }

    #[test]
    fn units_stack_on_their_height_and_missing_sizes_have_defaults() {
        let m = pack(&[
            Packed {
                quantity: 2,
                weight_grams: Some(300),
                length_cm: Some(30),
                width_cm: Some(20),
                height_cm: Some(5),
            },
            Packed {
                quantity: 1,
                weight_grams: None,
                length_cm: None,
                width_cm: Some(25),
                height_cm: None,
            },
        ]);
        assert_eq!(
            m,
            Measured {
                weight_grams: 2 * 300 + DEFAULT_UNIT_GRAMS,
                length_mm: 300,
                width_mm: 250,
                height_mm: 2 * 50 + DEFAULT_SIDE_MM,
            }
        );
        let tall = pack(&[Packed {
            quantity: 99,
            weight_grams: Some(10),
            length_cm: Some(10),
            width_cm: Some(10),
            height_cm: Some(50),
        }]);
        assert_eq!(tall.height_mm, MAX_SIDE_MM);
    }

    #[test]
    fn the_wallet_pays_first_and_the_rest_needs_a_way_to_pay() {
        let gw = Rest::Gateway {
            id: "vnpay".into(),
            method: "any".into(),
        };
        let s = split(1000, Some(300), &gw).unwrap();
        assert_eq!(
            (s.wallet_minor, s.gateway_minor, s.cod_minor),
            (300, 700, 0)
        );
        let all = split(1000, Some(5000), &Rest::Nothing).unwrap();
        assert_eq!((all.wallet_minor, all.gateway_minor), (1000, 0));
        let cod = split(1000, None, &Rest::CashOnDelivery).unwrap();
        assert_eq!((cod.wallet_minor, cod.cod_minor), (0, 1000));
        let e = split(1000, Some(999), &Rest::Nothing).unwrap_err();
        assert_eq!(e.code, "payment_method_required");
        let free = split(0, None, &Rest::Nothing).unwrap();
        assert_eq!(free.wallet_minor + free.gateway_minor + free.cod_minor, 0);
    }

    #[test]
    fn a_cancelled_item_waives_cash_still_due_before_it_refunds() {
        assert_eq!(cancellation(500, None, 0), (500, 500, 0));
        assert_eq!(
            cancellation(500, Some(30), 0),
            (530, 530, 0),
            "the last takes shipping"
        );
        assert_eq!(cancellation(500, None, 200), (500, 300, 200));
        assert_eq!(cancellation(500, Some(30), 9_000), (530, 0, 530));
    }

    fn standing(current: Option<(AttemptState, i64)>) -> Standing {
        let now = Utc::now();
        Standing {
            now,
            session_expires_at: now + Duration::hours(1),
            cancel_requested: false,
            wants_attempt: false,
            attempts: i32::from(current.is_some()),
            current: current.map(|(s, mins)| (Uuid::nil(), s, now + Duration::minutes(mins))),
        }
    }

    #[test]
    fn a_waiting_checkout_starts_waits_gives_up_and_ends_in_that_order() {
        assert_eq!(next_move(&standing(None)), Move::StartAttempt);
        let pending = standing(Some((AttemptState::Pending, 30)));
        assert!(matches!(next_move(&pending), Move::Wait { until_ms }
            if until_ms == (pending.now + Duration::minutes(30)).timestamp_millis()));
        let expired = standing(Some((AttemptState::Pending, -1)));
        assert_eq!(
            next_move(&expired),
            Move::GiveUp {
                payment_id: Uuid::nil()
            }
        );
        let over = standing(Some((AttemptState::Over, -1)));
        assert!(
            matches!(next_move(&over), Move::Wait { .. }),
            "no new URL asked"
        );
        let asked = Standing {
            wants_attempt: true,
            ..over
        };
        assert_eq!(next_move(&asked), Move::StartAttempt);
        let spent = Standing {
            attempts: MAX_ATTEMPTS,
            ..asked
        };
        assert!(matches!(next_move(&spent), Move::Wait { .. }));
        let ended = Standing {
            now: over.session_expires_at,
            ..over
        };
        assert_eq!(next_move(&ended), Move::Expire);
    }

    #[test]
    fn money_wins_over_a_cancel_and_a_pending_attempt_is_given_up_first() {
        let paid = Standing {
            cancel_requested: true,
            ..standing(Some((AttemptState::Paid, -5)))
        };
        assert_eq!(
            next_move(&paid),
            Move::Paid {
                payment_id: Uuid::nil()
            }
        );
        let pending = Standing {
            cancel_requested: true,
            ..standing(Some((AttemptState::Pending, 30)))
        };
        assert!(matches!(next_move(&pending), Move::GiveUp { .. }));
        let over = Standing {
            cancel_requested: true,
            ..standing(Some((AttemptState::Over, 30)))
        };
        assert_eq!(next_move(&over), Move::Cancel);
    }

    #[test]
    fn commission_rounds_down_and_the_platform_fee_rounds_up() {
        assert_eq!(commission(199_999, 500), 9_999);
        assert_eq!(commission(200_000, 500), 10_000);
        assert_eq!(commission(0, 500), 0);
        assert_eq!(commission(i64::MAX, 0), 0);
        assert_eq!(confirmation_fee(30_000, 199_999, 100), 32_000);
        assert_eq!(confirmation_fee(30_000, 200_000, 100), 32_000);
        assert_eq!(confirmation_fee(30_000, 200_001, 100), 32_001);
        assert_eq!(confirmation_fee(30_000, 200_000, 0), 30_000);
    }

    #[test]
    fn an_order_collects_its_part_of_the_cash_on_delivery_left() {
        assert_eq!(cod_share(150_000, 400_000), 150_000);
        assert_eq!(cod_share(150_000, 100_000), 100_000);
        assert_eq!(cod_share(150_000, 0), 0);
        assert_eq!(cod_share(150_000, -5), 0);
    }

    #[test]
    fn a_payout_waits_for_the_hold_after_delivery_or_the_deadline_without_one() {
        let t0 = Utc::now();
        let at = |d: i64| t0 + chrono::Duration::days(d);
        let ms = |d: i64| Some(at(d).timestamp_millis());
        let e = |now: i64, delivered: Option<i64>| Escrow {
            now: at(now),
            held: true,
            blocked: false,
            confirmed_at: t0,
            delivered_at: delivered.map(at),
            rejected_at: None,
            hold: chrono::Duration::days(3),
            deadline: chrono::Duration::days(30),
        };
        let wait = |until_ms| PayoutMove::Wait { until_ms };
        assert_eq!(payout_move(&e(1, None)), wait(ms(30)));
        assert_eq!(payout_move(&e(30, None)), PayoutMove::Release);
        assert_eq!(payout_move(&e(2, Some(2))), wait(ms(5)));
        assert_eq!(payout_move(&e(5, Some(2))), PayoutMove::Release);
        // Delivered late: the hold still runs, past the deadline.
        assert_eq!(payout_move(&e(29, Some(29))), wait(ms(32)));
        // An open refund or dispute holds it past its due time; a rejection gives the parties
        // the hold again to dispute it.
        let blocked = Escrow {
            blocked: true,
            ..e(9, Some(2))
        };
        assert_eq!(payout_move(&blocked), wait(None));
        let rejected = Escrow {
            rejected_at: Some(at(8)),
            ..e(9, Some(2))
        };
        assert_eq!(payout_move(&rejected), wait(ms(11)));
        let over = Escrow {
            held: false,
            ..e(40, None)
        };
        assert_eq!(payout_move(&over), PayoutMove::Done);
    }

    #[test]
    fn an_unanswered_refund_is_approved_after_the_answer_time_of_its_stage() {
        let t0 = Utc::now();
        let day = chrono::Duration::days(1);
        let answer = day * 2;
        let wait = |t: Option<DateTime<Utc>>| RefundMove::Wait {
            until_ms: t.map(|t| t.timestamp_millis()),
        };
        let returned = Some(t0 + day * 8);
        assert_eq!(
            refund_move(t0 + day, "requested", t0, None, answer),
            wait(Some(t0 + answer))
        );
        assert_eq!(
            refund_move(t0 + answer, "requested", t0, None, answer),
            RefundMove::Approve
        );
        assert_eq!(
            refund_move(t0 + day * 9, "accepted", t0, None, answer),
            wait(None),
            "the return is still on its way"
        );
        assert_eq!(
            refund_move(t0 + day * 9, "accepted", t0, returned, answer),
            wait(Some(t0 + day * 10))
        );
        assert_eq!(
            refund_move(t0 + day * 10, "accepted", t0, returned, answer),
            RefundMove::Approve
        );
        for decided in ["approved", "rejected"] {
            assert_eq!(refund_move(t0, decided, t0, None, answer), RefundMove::Done);
        }
    }

    #[test]
    fn a_partial_refund_cuts_the_payout_by_its_share_rounded_up() {
        assert_eq!(payout_cut(100_000, 50_000, 200_000), 25_000);
        assert_eq!(payout_cut(100_000, 1, 3), 33_334);
        assert_eq!(payout_cut(100_000, 200_000, 200_000), 100_000);
        assert_eq!(payout_cut(100_000, 300_000, 200_000), 100_000);
        assert_eq!(payout_cut(0, 5, 10), 0);
    }
}

//! order's own settings, read from its component variables into [`Config`] when a request or
//! a workflow step needs them. Each is a whole number within a range; absent or outside it,
//! its default applies (a tuning knob never stops a checkout). The variables every module
//! shares are kit's (`kit::config::Settings`).

use kit::config::Settings;

/// The defaults, as `spin.toml` declares them.
pub const SESSION_SECS: i64 = 24 * 3600;
pub const ATTEMPT_SECS: i64 = 30 * 60;
pub const CHECKOUT_REQUESTS_PER_MINUTE: i64 = 10;
pub const CONFIRM_WITHIN_SECS: i64 = 3 * 86_400;
pub const COMMISSION_BPS: i64 = 500;
pub const PLATFORM_FEE_BPS: i64 = 0;
pub const PAYOUT_HOLD_SECS: i64 = 3 * 86_400;
pub const PAYOUT_DEADLINE_SECS: i64 = 30 * 86_400;
pub const REFUND_ANSWER_SECS: i64 = 3 * 86_400;

const DAY: i64 = 86_400;

/// What order reads from its variables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `checkout_session_secs`: how long a checkout waits for its payment (20 s to 7 days).
    pub session_secs: i64,
    /// `checkout_attempt_secs`: how long one payment attempt stays payable (10 s to a day).
    pub attempt_secs: i64,
    /// `checkout_requests_per_minute`: checkouts one buyer may start per minute.
    pub checkout_requests_per_minute: i64,
    /// `confirm_within_secs`: how long a seller has to confirm a paid item before it is
    /// cancelled and refunded (10 s to 30 days).
    pub confirm_within_secs: i64,
    /// `commission_bps`: the platform's commission on an order's items, in basis points of
    /// their value (0 to 5000: at most half), kept from the seller's payout.
    pub commission_bps: i64,
    /// `platform_fee_bps`: added to the shipping quote in a seller's confirmation fee, in
    /// basis points of the order's items (0 to 5000).
    pub platform_fee_bps: i64,
    /// `payout_hold_secs`: how long after delivery the payout waits (the buyer's window to
    /// ask for a refund; 0 to 60 days).
    pub payout_hold_secs: i64,
    /// `payout_deadline_secs`: when a delivery is never reported, how long after
    /// confirmation the payout is released anyway (10 s to 180 days).
    pub payout_deadline_secs: i64,
    /// `refund_answer_secs`: how long a seller has to answer a refund — after it was asked
    /// for, and again after its return reached them — before it is approved (10 s to 30 days).
    pub refund_answer_secs: i64,
}

impl Config {
    /// The configuration, from the variables in `settings`.
    pub fn read(settings: &Settings) -> Config {
        Config {
            session_secs: settings.number("checkout_session_secs", SESSION_SECS, 20..=7 * DAY),
            attempt_secs: settings.number("checkout_attempt_secs", ATTEMPT_SECS, 10..=DAY),
            checkout_requests_per_minute: settings.number(
                "checkout_requests_per_minute",
                CHECKOUT_REQUESTS_PER_MINUTE,
                1..=i64::from(i32::MAX),
            ),
            confirm_within_secs: settings.number(
                "confirm_within_secs",
                CONFIRM_WITHIN_SECS,
                10..=30 * DAY,
            ),
            commission_bps: settings.number("commission_bps", COMMISSION_BPS, 0..=5000),
            platform_fee_bps: settings.number("platform_fee_bps", PLATFORM_FEE_BPS, 0..=5000),
            payout_hold_secs: settings.number("payout_hold_secs", PAYOUT_HOLD_SECS, 0..=60 * DAY),
            payout_deadline_secs: settings.number(
                "payout_deadline_secs",
                PAYOUT_DEADLINE_SECS,
                10..=180 * DAY,
            ),
            refund_answer_secs: settings.number(
                "refund_answer_secs",
                REFUND_ANSWER_SECS,
                10..=30 * DAY,
            ),
        }
    }
}

//! What a lookup does when the application-wide slot ([`keys::SLOT`]) is taken: wait and try
//! again, or give up as `rate-limited`, from how long the slot stays taken and how long the
//! lookup has waited already. Waiting is bounded, so a burst of lookups costs each caller at
//! most [`MAX_WAIT`], never a queue without end.

use std::time::Duration;

use crate::keys::{self, INTERVAL};

/// The longest one call waits for the slot, over all its tries.
pub const MAX_WAIT: Duration = Duration::from_secs(5);

/// How often a waiter looks again while a request is in flight: the slot is then under its
/// [`keys::SLOT_LEASE`], and will be set to expire [`INTERVAL`] after the answer.
pub const POLL: Duration = Duration::from_millis(100);

/// The least pause between two looks, so every round of waiting advances the clock.
const MIN_PAUSE: Duration = Duration::from_millis(5);

/// What to do about a taken slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Pause this long, then try to take the slot again.
    Wait(Duration),
    /// Waiting longer would pass [`MAX_WAIT`]: answer `rate-limited` with this many
    /// milliseconds.
    GiveUp(u32),
}

/// The step when the slot stays taken for `left` more (`None`: it was freed meanwhile) and the
/// call has waited `waited` already.
pub fn next_step(left: Option<Duration>, waited: Duration) -> Step {
    let left = left.unwrap_or(Duration::ZERO);
    // Past one interval the slot is a request's lease (or a 429's cool-down): the request's
    // answer will shorten it, so look again soon rather than sleeping the whole lease away.
    let in_flight = left > INTERVAL;
    let pause = if in_flight {
        POLL
    } else {
        // One more millisecond: PTTL rounds down, and the key must be gone when we look.
        left + Duration::from_millis(1)
    }
    .max(MIN_PAUSE);
    if waited + pause <= MAX_WAIT {
        return Step::Wait(pause);
    }
    // A request in flight frees the slot about an interval after its answer.
    let retry_after = left.min(keys::INTERVAL).max(MIN_PAUSE);
    Step::GiveUp(u32::try_from(retry_after.as_millis()).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn a_slot_expiring_within_the_interval_is_waited_out_exactly() {
        assert_eq!(
            next_step(Some(MS(730)), Duration::ZERO),
            Step::Wait(MS(731))
        );
        assert_eq!(next_step(Some(MS(1000)), MS(3000)), Step::Wait(MS(1001)));
    }

    #[test]
    fn a_slot_under_a_requests_lease_is_polled() {
        assert_eq!(
            next_step(Some(MS(29_500)), Duration::ZERO),
            Step::Wait(POLL)
        );
    }

    #[test]
    fn a_freed_slot_is_tried_again_after_a_short_pause() {
        assert_eq!(next_step(None, Duration::ZERO), Step::Wait(MIN_PAUSE));
        assert_eq!(
            next_step(Some(Duration::ZERO), MS(10)),
            Step::Wait(MIN_PAUSE)
        );
    }

    #[test]
    fn waiting_past_the_budget_gives_up_with_when_to_retry() {
        assert_eq!(next_step(Some(MS(800)), MS(4500)), Step::GiveUp(800));
        assert_eq!(next_step(Some(MS(29_000)), MS(4950)), Step::GiveUp(1000));
        assert_eq!(next_step(None, MAX_WAIT), Step::GiveUp(5));
        assert_eq!(next_step(Some(MS(500)), MS(4499)), Step::Wait(MS(501)));
    }
}

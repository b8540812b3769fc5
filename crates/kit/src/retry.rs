//! Which failures are worth trying again — one rule for the outbox relay, workflows and
//! internal calls, so the three never disagree about the same answer.

use crate::error::ApiError;

/// What to do after a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It will fail the same way again: bad input, not found, forbidden, a conflict with the
    /// current state. Stop (dead-letter the message, compensate the workflow).
    Terminal,
    /// It may succeed later: the other side is down, busy, rate-limiting, or still running the
    /// same idempotent request.
    Retry,
}

/// The code a callee answers while the first request with the same `Idempotency-Key` runs.
pub const IDEMPOTENCY_IN_PROGRESS: &str = "idempotency_in_progress";

/// Classifies `e`: 4xx answers are terminal except 408 (timeout), 425 (too early), 429 (rate
/// limited) and a 409 that only says the same key is still running; everything else (5xx,
/// unreachable) is retried.
pub fn verdict(e: &ApiError) -> Verdict {
    let retried_4xx = matches!(e.status, 408 | 425 | 429) || e.code == IDEMPOTENCY_IN_PROGRESS;
    if (400..500).contains(&e.status) && !retried_4xx {
        Verdict::Terminal
    } else {
        Verdict::Retry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_terminal_and_everything_else_is_retried() {
        let terminal = [
            ApiError::validation("bad"),
            ApiError::conflict("out_of_stock", "gone"),
            ApiError::forbidden("no"),
            ApiError::not_found("x", "y"),
        ];
        for e in terminal {
            assert_eq!(verdict(&e), Verdict::Terminal, "{e}");
        }
        let retried = [
            ApiError::conflict(IDEMPOTENCY_IN_PROGRESS, "busy"),
            ApiError::too_many_requests(1),
            ApiError::new(408, "timeout", "slow"),
            ApiError::unavailable("down", "later"),
            ApiError::internal("boom"),
        ];
        for e in retried {
            assert_eq!(verdict(&e), Verdict::Retry, "{e}");
        }
    }
}

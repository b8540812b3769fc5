//! Failed sign-ins, counted in Redis in fixed windows ([`kit::limit`]) per account and per
//! client address (the limits and the decision are `rules::session`'s). Every attempt is
//! counted first, before its password is checked, and the decision is made on the count it got:
//! attempts sent at once each get their own count, so no more of them reach the password check
//! than the limit allows. An attempt refused unchecked, or one with the right password, takes
//! its count back; a successful sign-in also clears its account's counter.
//!
//! The first counter's subject is the account the identifier names, or the identifier when it
//! names none (`rules::session::failure_subject`); identifiers are personal data, so its key
//! holds a digest. The second's is the client's address bucket (`rules::address::bucket`).

use kit::ApiResult;
use sha2::{Digest, Sha256};
use spin_sdk::redis::Connection;

use crate::rules::session::{Counter, Failures, WINDOW_SECS};
use kit::limit;

/// The prefix of every key here.
const PREFIX: &str = "souk:account:login-failures";

/// What the counters' failures are reported as.
const WHAT: &str = "sign-in";

/// The two counters one sign-in touches.
pub struct LoginFailures {
    conn: Connection,
    subject_key: String,
    address_key: Option<String>,
}

impl LoginFailures {
    /// The counters of `subject` and of the address bucket `address`, on the Redis at
    /// `redis_url`; 503 `rate_limiter_unavailable` when it cannot be reached (sign-in fails
    /// closed rather than unthrottled).
    pub fn open(redis_url: &str, subject: &str, address: Option<&str>) -> ApiResult<LoginFailures> {
        let conn = limit::open(redis_url, WHAT)?;
        let digest = hex::encode(Sha256::digest(subject.as_bytes()));
        Ok(LoginFailures {
            conn,
            subject_key: format!("{PREFIX}:id:{digest}"),
            address_key: address.map(|a| format!("{PREFIX}:ip:{a}")),
        })
    }

    fn keys(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.subject_key).chain(self.address_key.as_ref())
    }

    /// Counts this attempt on both counters before its password is checked, and returns the
    /// counts it got (this attempt included).
    pub fn begin(&self) -> ApiResult<Failures> {
        let mut counts = Vec::with_capacity(2);
        for key in self.keys() {
            counts.push(limit::count(&self.conn, WHAT, key, WINDOW_SECS)?);
        }
        Ok(Failures {
            identifier: counts[0],
            address: counts.get(1).copied(),
        })
    }

    /// Takes back this attempt's count: it was refused before its password was checked, or
    /// its password was right.
    pub fn take_back(&self) -> ApiResult<()> {
        for key in self.keys() {
            limit::uncount(&self.conn, WHAT, key)?;
        }
        Ok(())
    }

    /// Seconds until the window of `counter` ends (a whole window when Redis cannot say).
    pub fn retry_after(&self, counter: Counter) -> u64 {
        let key = match counter {
            Counter::Identifier => Some(&self.subject_key),
            Counter::Address => self.address_key.as_ref(),
        };
        key.map_or(WINDOW_SECS.unsigned_abs(), |key| {
            limit::retry_after(&self.conn, key, WINDOW_SECS)
        })
    }

    /// After a successful sign-in: clears the account's failures, and takes this attempt's
    /// count back from the address.
    pub fn succeeded(&self) -> ApiResult<()> {
        self.conn
            .del(std::slice::from_ref(&self.subject_key))
            .map_err(|e| limit::unavailable(WHAT, e))?;
        if let Some(key) = &self.address_key {
            limit::uncount(&self.conn, WHAT, key)?;
        }
        Ok(())
    }
}

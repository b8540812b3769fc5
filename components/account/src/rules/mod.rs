//! account's rules as pure functions: what a request may contain and what the module decides
//! from what it loaded, without I/O, tested natively with `cargo test -p account`. Nothing
//! here imports from the rest of the module, so the model can use these types without an
//! import circle.
//!
//! - [`account`]: an account's status and what its profile fields may hold.
//! - [`address`]: the client's address behind trusted proxies, as the per-address limits count it.
//! - [`contact`]: how many contacts an account keeps, and its default.
//! - [`notification`]: what a notification sent by another module may hold.
//! - [`password`]: the password policy, argon2id hashing and verification.
//! - [`payment_method`]: provider references, never card numbers; the default method.
//! - [`session`]: sign-in identifiers and throttling, refresh tokens and their rotation.
//! - [`wallet`]: a movement's currency and texts, and when the currency may change.

pub mod account;
pub mod address;
pub mod contact;
pub mod notification;
pub mod password;
pub mod payment_method;
pub mod session;
pub mod wallet;

use kit::{ApiError, ApiResult};

/// Most ids one batch may name: accounts another module reads, notifications marked read,
/// products checked against the favourites.
pub const MAX_BATCH: usize = 500;

/// A batch names 1 to [`MAX_BATCH`] `what` in `field`.
pub fn ensure_batch(field: &str, what: &str, len: usize) -> ApiResult<()> {
    if len == 0 || len > MAX_BATCH {
        return Err(ApiError::validation(format!(
            "{field}: name 1 to {MAX_BATCH} {what}"
        )));
    }
    Ok(())
}

/// A check names at most [`MAX_BATCH`] items in `field`; none is a check with an empty answer.
pub fn ensure_checkable(field: &str, len: usize) -> ApiResult<()> {
    if len > MAX_BATCH {
        return Err(ApiError::validation(format!(
            "{field}: at most {MAX_BATCH}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_names_one_to_five_hundred_ids() {
        assert!(ensure_batch("account_ids", "accounts", 0).is_err());
        assert!(ensure_batch("account_ids", "accounts", 1).is_ok());
        assert!(ensure_batch("account_ids", "accounts", MAX_BATCH).is_ok());
        let e = ensure_batch("account_ids", "accounts", MAX_BATCH + 1).unwrap_err();
        assert_eq!(
            (e.status, e.message.as_str()),
            (422, "account_ids: name 1 to 500 accounts")
        );
    }

    #[test]
    fn a_check_names_up_to_five_hundred_ids() {
        assert!(ensure_checkable("spu_ids", 0).is_ok());
        assert!(ensure_checkable("spu_ids", MAX_BATCH).is_ok());
        assert_eq!(
            ensure_checkable("spu_ids", MAX_BATCH + 1)
                .unwrap_err()
                .status,
            422
        );
    }
}

//! Contacts: how many an account keeps, and which one is its default.

use kit::{ApiError, ApiResult};

/// Most contacts one account may keep.
pub const MAX_CONTACTS: i64 = 50;

/// Longest name to deliver to.
pub const MAX_FULL_NAME_CHARS: usize = 100;

/// Longest address.
pub const MAX_ADDRESS_CHARS: usize = 255;

/// An account keeping `count` contacts may add one more while under [`MAX_CONTACTS`].
pub fn ensure_room(count: i64) -> ApiResult<()> {
    if count >= MAX_CONTACTS {
        return Err(ApiError::conflict(
            "too_many_contacts",
            format!("an account keeps at most {MAX_CONTACTS} contacts"),
        ));
    }
    Ok(())
}

/// The first contact of an account (one that keeps `count` so far) becomes its default.
pub fn first_is_default(count: i64) -> bool {
    count == 0
}

/// An account keeping `count` contacts may delete one only if another remains.
pub fn ensure_not_last(count: i64) -> ApiResult<()> {
    if count <= 1 {
        return Err(ApiError::conflict(
            "cannot_delete_last_contact",
            "an account keeps at least one contact",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_keeps_one_to_fifty_contacts_the_first_one_default() {
        assert!(first_is_default(0));
        assert!(!first_is_default(1));
        assert!(ensure_room(MAX_CONTACTS - 1).is_ok());
        assert_eq!(
            ensure_room(MAX_CONTACTS).unwrap_err().code,
            "too_many_contacts"
        );
        assert!(ensure_not_last(2).is_ok());
        assert_eq!(
            ensure_not_last(1).unwrap_err().code,
            "cannot_delete_last_contact"
        );
    }
}

//! Notifications: what one sent by another module may hold.

use kit::{ApiError, ApiResult};

/// Longest type name: the contract's, which senders build to.
pub const MAX_KIND_LEN: usize = contracts::account::NOTIFICATION_KIND_MAX;

/// Longest title.
pub const MAX_TITLE_CHARS: usize = contracts::account::NOTIFICATION_TITLE_MAX;

/// Longest body.
pub const MAX_CONTENT_CHARS: usize = contracts::account::NOTIFICATION_CONTENT_MAX;

/// A notification's type is lower_snake_case — a lower-case letter, then lower-case letters
/// and `_` — up to [`MAX_KIND_LEN`] characters, as the column's CHECK says; clients choose an
/// icon or a link by it.
pub fn ensure_kind(kind: &str) -> ApiResult<()> {
    let ok = kind.len() <= MAX_KIND_LEN
        && kind.starts_with(|c: char| c.is_ascii_lowercase())
        && kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if !ok {
        return Err(ApiError::validation(format!(
            "type: lower_snake_case, up to {MAX_KIND_LEN} characters"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_type_is_lower_snake_case_starting_with_a_letter() {
        for good in ["welcome", "stock_sold_out", "a", &"a".repeat(MAX_KIND_LEN)] {
            assert!(ensure_kind(good).is_ok(), "{good}");
        }
        let too_long = "a".repeat(MAX_KIND_LEN + 1);
        for bad in [
            "",
            "Bad Type",
            "_leading",
            "new-review",
            "v2",
            too_long.as_str(),
        ] {
            assert_eq!(ensure_kind(bad).unwrap_err().status, 422, "{bad}");
        }
    }
}

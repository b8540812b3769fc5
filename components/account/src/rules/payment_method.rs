//! Saved payment methods: references a payment provider issued, never card numbers; how many
//! an account keeps, and which one is its default.

use kit::{ApiError, ApiResult};

/// Most methods one account may save.
pub const MAX_METHODS: i64 = 20;

/// Longest provider reference.
pub const MAX_REFERENCE_CHARS: usize = 255;

/// Longest label.
pub const MAX_LABEL_CHARS: usize = 100;

/// Longest card brand.
pub const MAX_BRAND_CHARS: usize = 30;

/// The notification an account gets when a method is added.
pub const ADDED_KIND: &str = "payment_method_added";

/// The notification an account gets when a method is deleted.
pub const DELETED_KIND: &str = "payment_method_deleted";

/// How a method is named to its owner in a notification: its label, else its brand or
/// provider, with the last four digits when known (`Visa ending 4242`).
pub fn describe(label: &str, brand: Option<&str>, provider: &str, last4: Option<&str>) -> String {
    let name = if label.is_empty() {
        brand.unwrap_or(provider)
    } else {
        label
    };
    match last4 {
        Some(digits) => format!("{name} ending {digits}"),
        None => name.to_string(),
    }
}

/// A provider's name: 2–32 lower-case letters, digits, `_` or `-`, starting with a letter.
pub fn ensure_provider(provider: &str) -> ApiResult<()> {
    let ok = (2..=32).contains(&provider.len())
        && provider.starts_with(|c: char| c.is_ascii_lowercase())
        && provider
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !ok {
        return Err(ApiError::validation(
            "provider: lower-case letters, digits, '_' or '-', 2-32 characters",
        ));
    }
    Ok(())
}

/// Whether `s` holds a run of 12–19 digits (ignoring spaces and dashes): what a card number
/// looks like, which must never be stored.
pub fn looks_like_card_number(s: &str) -> bool {
    let mut run = 0;
    for c in s.chars() {
        match c {
            '0'..='9' => {
                run += 1;
                if run >= 12 {
                    return true;
                }
            }
            ' ' | '-' => {}
            _ => run = 0,
        }
    }
    false
}

/// None of the texts a method is saved with may look like a card number: 422 `raw_card_data`.
pub fn ensure_no_card_number<'a>(texts: impl IntoIterator<Item = &'a str>) -> ApiResult<()> {
    if texts.into_iter().any(looks_like_card_number) {
        return Err(ApiError::unprocessable(
            "raw_card_data",
            "send the provider's token for the card, never the card number",
        ));
    }
    Ok(())
}

/// The last four digits of a card, shown to tell cards apart: exactly four digits.
pub fn ensure_last4(last4: &str) -> ApiResult<()> {
    if !(last4.len() == 4 && last4.bytes().all(|b| b.is_ascii_digit())) {
        return Err(ApiError::validation("last4: exactly four digits"));
    }
    Ok(())
}

/// An account saving `count` methods so far may save one more while under [`MAX_METHODS`].
pub fn ensure_room(count: i64) -> ApiResult<()> {
    if count >= MAX_METHODS {
        return Err(ApiError::conflict(
            "too_many_payment_methods",
            format!("an account saves at most {MAX_METHODS} payment methods"),
        ));
    }
    Ok(())
}

/// A new method becomes the default when it is the account's first, or when asked.
pub fn is_default(count: i64, asked: bool) -> bool {
    count == 0 || asked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_is_named_by_its_label_brand_or_provider_and_last_digits() {
        assert_eq!(
            describe("", Some("Visa"), "vnpay", Some("4242")),
            "Visa ending 4242"
        );
        assert_eq!(
            describe("Work card", Some("Visa"), "vnpay", None),
            "Work card"
        );
        assert_eq!(describe("", None, "sepay", None), "sepay");
    }

    #[test]
    fn card_numbers_are_recognised_in_any_spacing() {
        assert!(looks_like_card_number("4111 1111 1111 1111"));
        assert!(looks_like_card_number("4111-1111-1111-1111"));
        assert!(looks_like_card_number("pm_4111111111111111"));
        assert!(!looks_like_card_number("pm_1NzR2k2eZvKYlo2C"));
        assert!(!looks_like_card_number("tok_12345678901"));
        assert_eq!(
            ensure_no_card_number(["tok_abc", "4111 1111 1111 1111"])
                .unwrap_err()
                .code,
            "raw_card_data"
        );
        assert!(ensure_no_card_number(["tok_abc", "Visa"]).is_ok());
    }

    #[test]
    fn providers_are_short_lower_case_names() {
        for good in ["vnpay", "sepay", "stripe_v2", "pay-pal"] {
            assert!(ensure_provider(good).is_ok(), "{good}");
        }
        for bad in ["v", "VNPay", "2pay", "pay pal", &"p".repeat(33)] {
            assert!(ensure_provider(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn last4_is_four_digits() {
        assert!(ensure_last4("4242").is_ok());
        for bad in ["424", "12345", "42a2"] {
            assert!(ensure_last4(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_first_method_or_one_asked_for_is_the_default_up_to_twenty() {
        assert!(is_default(0, false));
        assert!(is_default(3, true));
        assert!(!is_default(3, false));
        assert!(ensure_room(MAX_METHODS - 1).is_ok());
        assert_eq!(
            ensure_room(MAX_METHODS).unwrap_err().code,
            "too_many_payment_methods"
        );
    }
}

//! The wallet: what a movement may say, and when its currency may change.

use kit::validate::Currency;
use kit::{ApiError, ApiResult};

/// Longest reason a movement may give.
pub const MAX_REASON_CHARS: usize = 200;

/// Longest reference a movement may carry.
pub const MAX_REFERENCE_CHARS: usize = 200;

/// A movement is in the wallet's own currency: a caller holding another converts first.
/// 422 `currency_mismatch` otherwise.
pub fn ensure_currency(wallet: Currency, asked: Currency) -> ApiResult<()> {
    if wallet != asked {
        return Err(ApiError::unprocessable(
            "currency_mismatch",
            format!(
                "the wallet holds {}, not {}",
                wallet.as_str(),
                asked.as_str()
            ),
        ));
    }
    Ok(())
}

/// The wallet's currency follows the account's country, so the country changes only while the
/// wallet holds nothing: 409 `wallet_not_empty` otherwise.
pub fn ensure_empty(balance: i64) -> ApiResult<()> {
    if balance != 0 {
        return Err(ApiError::conflict(
            "wallet_not_empty",
            format!("the wallet holds {balance} minor units; empty it before changing country"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn currency(code: &str) -> Currency {
        Currency::parse("currency", code).unwrap()
    }

    #[test]
    fn a_movement_is_in_the_wallets_currency() {
        assert!(ensure_currency(currency("VND"), currency("VND")).is_ok());
        let e = ensure_currency(currency("VND"), currency("USD")).unwrap_err();
        assert_eq!(
            (e.status, e.code.as_ref(), e.message.as_str()),
            (422, "currency_mismatch", "the wallet holds VND, not USD")
        );
    }

    #[test]
    fn only_an_empty_wallet_lets_the_country_change() {
        assert!(ensure_empty(0).is_ok());
        assert_eq!(ensure_empty(500).unwrap_err().code, "wallet_not_empty");
    }
}

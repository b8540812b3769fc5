//! The wire protocols of the outside services Souk's provider components talk to, as pure
//! functions: what is signed and how, how amounts and dates are written, how an inbound
//! callback is verified. The provider components and the local sandbox that plays those
//! services both use them, and each is tested against the reference vectors of the service's
//! own documentation and demos, so the two sides cannot agree on a mistake.
//!
//! - [`vnpay`]: VNPay's payment gateway, API 2.1.0.
//! - [`sepay`]: SePay's payment gateway (checkout form and IPN).
//! - [`ghtk`]: GHTK's shipment statuses and status webhook.
//! - [`nominatim`]: OpenStreetMap's geocoder — queries, places, usage policy.
//! - [`rates`]: ExchangeRate-API's daily rates, and exact conversions with them.
//! - [`form`]: form-URL encoding, as all of them write it.

pub mod form;
pub mod ghtk;
pub mod nominatim;
pub mod rates;
pub mod sepay;
pub mod vnpay;

/// Why a request to a service could not be made: the request's field and what it must be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// The request's field.
    pub field: &'static str,
    /// What it must be.
    pub rule: &'static str,
}

/// `Ok` when `ok`, else [`Invalid`] for `field`.
fn check(ok: bool, field: &'static str, rule: &'static str) -> Result<(), Invalid> {
    if ok {
        Ok(())
    } else {
        Err(Invalid { field, rule })
    }
}

/// Whether `a` and `b` are equal, in a time that does not depend on where they differ.
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether the shared secret a callback carried (SePay's `X-Secret-Key` header, the `hash` in
/// GHTK's callback URL) is the configured one, compared with [`same_bytes`]. A callback without
/// one, or a service with none configured, is refused.
pub fn secret_matches(configured: &str, given: Option<&str>) -> bool {
    !configured.is_empty() && given.is_some_and(|g| same_bytes(configured.as_bytes(), g.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_match_only_exactly_and_never_when_unset() {
        assert!(secret_matches("s3cret", Some("s3cret")));
        assert!(!secret_matches("s3cret", Some("s3creT")));
        assert!(!secret_matches("s3cret", Some("s3cre")));
        assert!(!secret_matches("s3cret", Some("s3crets")));
        assert!(!secret_matches("s3cret", None));
        assert!(
            !secret_matches("", Some("")),
            "no secret configured admits nobody"
        );
        assert!(same_bytes(b"", b""));
        assert!(!same_bytes(b"a", b"b"));
    }
}

//! Sessions: who may try to sign in, how refresh tokens are made and what presenting one
//! means, and when failed sign-ins throttle further attempts.
//!
//! A session is a family of refresh tokens: each sign-in starts one, every refresh rotates the
//! token within it. A refresh token presented after it was rotated means two parties hold it,
//! so the whole family is revoked and every device of that session must sign in again.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use kit::validate::{Email, Phone, Username};
use kit::{ApiError, ApiResult};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::password;

/// How long a refresh token lives.
pub const REFRESH_TTL_DAYS: i32 = 30;

/// Longest identifier worth looking up: an e-mail address is at most 254 bytes.
const MAX_IDENTIFIER_LEN: usize = 254;

/// The one answer to a failed sign-in, whether the identifier is unknown or the password wrong.
pub fn invalid_credentials() -> ApiError {
    ApiError::unauthorized("the identifier or the password is wrong")
        .with_code("invalid_credentials")
}

/// An identifier or password no account can have is refused before anything is looked up (or
/// counted, or hashed: a huge password would cost argon2 time).
pub fn ensure_plausible_login(identifier: &str, password: &str) -> ApiResult<()> {
    if identifier.trim().is_empty()
        || identifier.len() > MAX_IDENTIFIER_LEN
        || password.len() > 4 * password::MAX_LEN
    {
        return Err(invalid_credentials());
    }
    Ok(())
}

/// What a sign-in identifier names, read the way registration stores each kind, so that every
/// spelling of one username, e-mail address or phone number is the same identifier. The kinds
/// cannot be confused: a phone number starts with `+`, only an e-mail address holds `@`, and a
/// username starts with a letter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identifier {
    /// A username, lower-case.
    Username(Username),
    /// An e-mail address, folded as [`Email`] folds it at registration.
    Email(Email),
    /// A phone number, in E.164 form.
    Phone(Phone),
    /// Text no account can have as an identifier (trimmed and lower-cased, so that its failures
    /// are still counted under one name).
    Unusable(String),
}

impl Identifier {
    /// Reads a sign-in identifier; any text is one, it may just name no account.
    pub fn parse(identifier: &str) -> Identifier {
        let field = "identifier";
        let unusable = |_| Identifier::Unusable(identifier.trim().to_lowercase());
        if let Ok(phone) = Phone::parse(field, identifier) {
            Identifier::Phone(phone)
        } else if identifier.contains('@') {
            Email::parse(field, identifier).map_or_else(unusable, Identifier::Email)
        } else {
            Username::parse(field, identifier).map_or_else(unusable, Identifier::Username)
        }
    }

    /// The identifier in its stored form.
    pub fn as_str(&self) -> &str {
        match self {
            Identifier::Username(u) => u.as_str(),
            Identifier::Email(e) => e.as_str(),
            Identifier::Phone(p) => p.as_str(),
            Identifier::Unusable(s) => s,
        }
    }
}

/// What a failed sign-in is counted against: the account the identifier names, whichever of its
/// identifiers was given and however it was written, so that one account has one limit; or, when
/// it names none, the identifier itself (such guesses can never succeed, but they are refused
/// alike, so that the answers do not tell which identifiers exist).
pub fn failure_subject(identifier: &Identifier, account: Option<Uuid>) -> String {
    match account {
        Some(id) => format!("account:{id}"),
        None => format!("identifier:{}", identifier.as_str()),
    }
}

/// The window failed sign-ins are counted in.
pub const WINDOW_SECS: i64 = 15 * 60;

/// Failures allowed per identifier per window.
pub const PER_IDENTIFIER: i64 = 5;

/// Failures allowed per client address per window (shared networks have several users).
pub const PER_ADDRESS: i64 = 30;

/// The window registrations are counted in, per client address.
pub const REGISTRATION_WINDOW_SECS: i64 = 60 * 60;

/// The two counters of failed sign-ins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counter {
    /// Failures with one identifier, from anywhere.
    Identifier,
    /// Failures from one client address, with any identifier.
    Address,
}

/// The sign-in attempts counted in the current windows, this one included: every attempt is
/// counted before its password is checked (and uncounted when it succeeds or is refused
/// unchecked), so attempts sent at once each see a different count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failures {
    /// With this identifier.
    pub identifier: i64,
    /// From this address, when the address is known.
    pub address: Option<i64>,
}

/// The counter that refuses this attempt (answered 429 until its window ends), if one does:
/// one past the limit of failures is refused, so no window allows more password checks than
/// its limit, however many attempts arrive at once.
pub fn throttled(failures: Failures) -> Option<Counter> {
    if failures.identifier > PER_IDENTIFIER {
        return Some(Counter::Identifier);
    }
    if failures.address.is_some_and(|n| n > PER_ADDRESS) {
        return Some(Counter::Address);
    }
    None
}

/// A new refresh token: 256 random bits, URL-safe.
pub fn new_refresh_token() -> String {
    let mut bytes = Vec::with_capacity(32);
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    B64.encode(bytes)
}

/// What a refresh token is stored as: its SHA-256, in hex. The token is random, so a digest
/// without salt or stretching is enough to make a stolen table useless.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Where a stored refresh token stands; the stored names are those
/// `refresh_token_status_valid` allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenState {
    /// Not used yet.
    Active,
    /// Exchanged for a new one.
    Rotated,
    /// Its session was ended.
    Revoked,
}

impl TokenState {
    /// The state a stored name stands for.
    pub fn parse(stored: &str) -> Option<TokenState> {
        match stored {
            "active" => Some(TokenState::Active),
            "rotated" => Some(TokenState::Rotated),
            "revoked" => Some(TokenState::Revoked),
            _ => None,
        }
    }
}

/// What presenting a known refresh token means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presented {
    /// Valid: rotate it and continue the session.
    Valid,
    /// Already rotated: someone else holds it too; revoke its whole session, then refuse.
    Reused,
    /// Expired or revoked: refuse, changing nothing.
    Invalid,
}

/// What presenting a refresh token in `state` means, `expired` or not. A rotated token is
/// reuse even after it expired: its session is revoked all the same.
pub fn presented(state: TokenState, expired: bool) -> Presented {
    match state {
        TokenState::Active if !expired => Presented::Valid,
        TokenState::Rotated => Presented::Reused,
        TokenState::Active | TokenState::Revoked => Presented::Invalid,
    }
}

/// The error for a refresh token that was reused.
pub fn refresh_token_reused() -> ApiError {
    ApiError::new(
        401,
        "refresh_token_reused",
        "this refresh token was already used: the session is revoked, sign in again",
    )
}

/// The error for an unknown, expired or revoked refresh token.
pub fn invalid_refresh_token() -> ApiError {
    ApiError::new(
        401,
        "invalid_refresh_token",
        "the refresh token is invalid or expired; sign in again",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implausible_logins_are_refused_as_wrong_credentials() {
        assert!(ensure_plausible_login("ann", "correct horse").is_ok());
        for (identifier, password) in [
            ("  ", "correct horse"),
            (&"a".repeat(255), "correct horse"),
            ("ann", &"x".repeat(513)),
        ] {
            let e = ensure_plausible_login(identifier, password).unwrap_err();
            assert_eq!((e.status, e.code.as_ref()), (401, "invalid_credentials"));
        }
    }

    #[test]
    fn every_spelling_of_an_identifier_reads_as_its_stored_form() {
        let same = |spellings: &[&str], stored: &str| {
            for s in spellings {
                assert_eq!(Identifier::parse(s).as_str(), stored, "{s}");
            }
        };
        same(&["ann_99", " Ann_99 ", "ANN_99"], "ann_99");
        same(
            &["ann@example.com", "  Ann@Example.COM ", "ANN@EXAMPLE.COM"],
            "ann@example.com",
        );
        same(
            &["Ünal@example.com", "ÜNAL@example.com"],
            "ünal@example.com",
        );
        same(
            &["+84901234567", "+84 90 123 4567", "+84 (90) 123-4567"],
            "+84901234567",
        );
        assert!(matches!(Identifier::parse("Ann"), Identifier::Username(_)));
        assert!(matches!(Identifier::parse("a@b.co"), Identifier::Email(_)));
        assert!(matches!(
            Identifier::parse("+84 90 123 4567"),
            Identifier::Phone(_)
        ));
        assert_eq!(
            Identifier::parse(" No Such!Name "),
            Identifier::Unusable("no such!name".into())
        );
    }

    #[test]
    fn failures_count_against_the_account_whatever_identifier_names_it() {
        let account = Uuid::new_v4();
        let by_name = failure_subject(&Identifier::parse("Ann_99"), Some(account));
        let by_phone = failure_subject(&Identifier::parse("+84 90 123 4567"), Some(account));
        assert_eq!(by_name, by_phone);
        assert_eq!(
            failure_subject(&Identifier::parse(" ANN_99"), None),
            failure_subject(&Identifier::parse("ann_99"), None)
        );
        assert_ne!(failure_subject(&Identifier::parse("ann_99"), None), by_name);
    }

    #[test]
    fn attempts_past_the_limit_are_throttled_per_identifier_first_then_per_address() {
        let at = |identifier, address| {
            throttled(Failures {
                identifier,
                address,
            })
        };
        assert_eq!(at(5, Some(30)), None, "the limit's own attempt is checked");
        assert_eq!(at(5, None), None);
        assert_eq!(at(6, Some(31)), Some(Counter::Identifier));
        assert_eq!(at(1, Some(31)), Some(Counter::Address));
    }

    #[test]
    fn refresh_tokens_are_random_and_stored_as_digests() {
        let (a, b) = (new_refresh_token(), new_refresh_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43, "32 bytes of unpadded base64");
        assert_eq!(digest(&a).len(), 64);
        assert_eq!(digest(&a), digest(&a));
        assert_ne!(digest(&a), digest(&b));
    }

    #[test]
    fn a_presented_token_is_valid_reused_or_invalid() {
        use TokenState::*;
        assert_eq!(presented(Active, false), Presented::Valid);
        assert_eq!(presented(Active, true), Presented::Invalid);
        assert_eq!(presented(Rotated, false), Presented::Reused);
        assert_eq!(presented(Rotated, true), Presented::Reused);
        assert_eq!(presented(Revoked, false), Presented::Invalid);
        for state in ["active", "rotated", "revoked"] {
            assert!(TokenState::parse(state).is_some(), "{state}");
        }
        assert_eq!(TokenState::parse("stolen"), None);
    }
}

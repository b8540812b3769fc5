//! Passwords: the length policy, and argon2id hashing with OWASP's recommended cost, in PHC
//! string form (algorithm, version, parameters and salt travel with the hash, so the cost can
//! be raised later without breaking stored hashes).

use std::fmt;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use kit::{ApiError, ApiResult};

/// 19 MiB, 2 passes, 1 lane: OWASP's argon2id baseline.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;

/// Shortest accepted password (characters).
pub const MIN_LEN: usize = 8;

/// Longest accepted password (characters).
pub const MAX_LEN: usize = 128;

/// A hash of no real password, verified when the account does not exist, so that a login for
/// an unknown identifier takes as long as one with a wrong password.
const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c291ay1kZWNveS1zYWx0$\
                     4tzG8VnWYxFQoJ1JbFSG5CKzAUR1y0rGq3AR0xtmDbY";

/// A new password that meets the policy: length only, per NIST SP 800-63B. It never prints.
pub struct Password(String);

impl Password {
    /// Parses the `password` field.
    pub fn parse(value: String) -> ApiResult<Password> {
        let n = value.chars().count();
        if !(MIN_LEN..=MAX_LEN).contains(&n) {
            return Err(ApiError::validation(format!(
                "password: must be {MIN_LEN} to {MAX_LEN} characters"
            )));
        }
        Ok(Password(value))
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

fn hasher() -> Argon2<'static> {
    // The parameters are constants within argon2's accepted ranges.
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(MEMORY_KIB, PASSES, 1, None).expect("valid argon2 parameters"),
    )
}

/// Hashes a password with a fresh random salt.
pub fn hash(password: &Password) -> ApiResult<String> {
    let salt =
        SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes()).map_err(ApiError::internal)?;
    hasher()
        .hash_password(password.0.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ApiError::internal)
}

/// Whether `password` matches `stored`; with no stored hash, spends the same time and fails.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    let (phc, real) = match stored {
        Some(s) => (s, true),
        None => (DECOY, false),
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    hasher()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
        && real
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password(s: &str) -> Password {
        Password::parse(s.to_string()).unwrap()
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash(&password("correct horse battery")).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery", Some(&h)));
        assert!(!verify("wrong horse battery", Some(&h)));
        assert_ne!(
            hash(&password("correct horse battery")).unwrap(),
            h,
            "salts differ"
        );
    }

    #[test]
    fn an_unknown_account_never_verifies() {
        assert!(PasswordHash::new(DECOY).is_ok(), "the decoy is a real hash");
        assert!(!verify("anything", None));
    }

    #[test]
    fn passwords_have_a_length_policy() {
        assert!(Password::parse("short".into()).is_err());
        assert!(Password::parse("long enough".into()).is_ok());
        assert!(Password::parse("x".repeat(MAX_LEN)).is_ok());
        assert!(Password::parse("x".repeat(MAX_LEN + 1)).is_err());
        assert!(
            Password::parse("é".repeat(MIN_LEN)).is_ok(),
            "characters, not bytes"
        );
    }

    #[test]
    fn a_password_never_prints() {
        assert_eq!(format!("{:?}", password("hunter2hunter2")), "Password(..)");
    }
}

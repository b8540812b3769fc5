//! Identifiers: UUIDv7 for anything listed by time (its order is creation order, so keyset
//! pagination on the id alone is stable), UUIDv4 where ordering must not leak, and ids derived
//! from a name where a retry must find what the first try made.

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// A new time-ordered id.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// A new random id.
pub fn random_id() -> Uuid {
    Uuid::new_v4()
}

/// The id `name` always gives (the first 16 bytes of its SHA-256, marked as a version 8 UUID):
/// what a request retried under the same key (`checkout:<buyer>:<key>`) makes is found again.
pub fn derived(name: &str) -> Uuid {
    let digest = Sha256::digest(name.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_derived_id_is_the_same_for_the_same_name_only() {
        assert_eq!(derived("checkout:a:k"), derived("checkout:a:k"));
        assert_ne!(derived("checkout:a:k"), derived("checkout:a:l"));
        assert_eq!(derived("x").get_version_num(), 8);
    }
}

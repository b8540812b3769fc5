//! Identifiers: UUIDv7 for anything listed by time (its order is creation order, so keyset
//! pagination on the id alone is stable), UUIDv4 where ordering must not leak.

use uuid::Uuid;

/// A new time-ordered id.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// A new random id.
pub fn random_id() -> Uuid {
    Uuid::new_v4()
}

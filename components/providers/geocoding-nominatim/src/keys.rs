//! The provider's Redis keys and how long each lives; nothing else names a key.
//!
//! - [`SLOT`]: the right to send Nominatim a request, one for the whole application. Taken
//!   with `SET NX PX` for [`SLOT_LEASE`] just before a request and, once the answer is in,
//!   set to expire [`INTERVAL`] later (longer after a 429 that asks for it). So a request
//!   starts at least a second after the previous one was answered, which is after the server
//!   received it: the server sees at most one request a second, whatever the network's delays.
//! - [`answer`]: one cached answer (a JSON list of places, possibly empty), for
//!   `geocoding_cache_hours`.

use std::time::Duration;

/// The application-wide slot.
pub const SLOT: &str = "souk:geocoding:nominatim:slot";

/// How long a slot taken for a request lasts if its holder never sets it again (it trapped,
/// or lost Redis): longer than any request may take under the call limits in `platform.rs`.
pub const SLOT_LEASE: Duration = Duration::from_secs(30);

/// The least time between an answer and the next request (the usage policy's one a second).
pub const INTERVAL: Duration = Duration::from_secs(1);

/// The longest a 429's `Retry-After` holds the slot.
pub const MAX_COOLDOWN: Duration = Duration::from_secs(60);

/// The prefix of cached answers; the version changes with the cached JSON's shape.
const ANSWER_PREFIX: &str = "souk:geocoding:nominatim:answer:v1:";

/// The key of the cached answer whose request hashes to `digest` (hex).
pub fn answer(digest: &str) -> String {
    format!("{ANSWER_PREFIX}{digest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_under_the_providers_prefix() {
        for key in [SLOT.to_string(), answer("ab12")] {
            assert!(key.starts_with("souk:geocoding:nominatim:"), "{key}");
        }
        assert_eq!(answer("ab12"), "souk:geocoding:nominatim:answer:v1:ab12");
    }
}

//! Options' credentials sealed at rest: AES-256-GCM under `options_encryption_key` (32 bytes,
//! 64 hex characters), a random 96-bit nonce per sealing, and the option's id as associated
//! data, so a sealed value copied into another row does not open. Pure functions: the key and
//! the randomness come from the caller.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

/// Bytes of the nonce that opens every sealed value.
const NONCE_BYTES: usize = 12;

/// A key, parsed from its hex form.
pub struct Key(Aes256Gcm);

impl Key {
    /// The key `hex` spells; `None` unless it is 64 hex characters.
    pub fn parse(hex: &str) -> Option<Key> {
        let bytes = hex::decode(hex.trim()).ok()?;
        (bytes.len() == 32)
            .then(|| Aes256Gcm::new_from_slice(&bytes).ok())
            .flatten()
            .map(Key)
    }

    /// `plain` sealed for the row `row`, with `nonce` (random, never reused under this key).
    pub fn seal(&self, row: &[u8], nonce: [u8; NONCE_BYTES], plain: &[u8]) -> Vec<u8> {
        let sealed = self
            .0
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: row,
                },
            )
            .expect("AES-GCM seals any message shorter than 64 GiB");
        [nonce.as_slice(), &sealed].concat()
    }

    /// What `sealed` holds for `row`; `None` when it was sealed under another key, for another
    /// row, or altered.
    pub fn open(&self, row: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_BYTES {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_BYTES);
        self.0
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: row,
                },
            )
            .ok()
    }
}

/// A fresh random nonce, from WASI's random source (`wasi:random` 0.2.0, which every Spin
/// offers).
pub fn nonce() -> [u8; NONCE_BYTES] {
    let bytes = wasi::random::random::get_random_bytes(NONCE_BYTES as u64);
    let mut n = [0_u8; NONCE_BYTES];
    n.copy_from_slice(&bytes[..NONCE_BYTES]);
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn a_sealed_value_opens_for_its_row_under_its_key_only() {
        let key = Key::parse(KEY).unwrap();
        let sealed = key.seal(b"row-1", [7; 12], b"{\"token\":\"s3cret\"}");
        assert!(
            !sealed.windows(6).any(|w| w == b"s3cret"),
            "no plain text at rest"
        );
        assert_eq!(
            key.open(b"row-1", &sealed).unwrap(),
            b"{\"token\":\"s3cret\"}"
        );
        assert!(
            key.open(b"row-2", &sealed).is_none(),
            "moved to another row"
        );
        let other = Key::parse(&KEY.replace("00", "ff")).unwrap();
        assert!(other.open(b"row-1", &sealed).is_none(), "another key");
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert!(key.open(b"row-1", &altered).is_none(), "altered");
    }

    #[test]
    fn a_sealed_value_carries_its_nonce() {
        let key = Key::parse(KEY).unwrap();
        let (one, two) = (key.seal(b"r", [1; 12], b"x"), key.seal(b"r", [2; 12], b"x"));
        assert_ne!(one, two, "another nonce, another sealed value");
        assert_eq!(&one[..12], &[1; 12]);
        assert_eq!(key.open(b"r", &two).unwrap(), b"x");
    }

    #[test]
    fn keys_are_64_hex_characters() {
        assert!(Key::parse("abcd").is_none());
        assert!(Key::parse(&"zz".repeat(32)).is_none());
        assert!(Key::parse(KEY).is_some());
    }
}

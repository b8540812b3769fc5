//! Access tokens: compact JWS signed with Ed25519 (`alg: EdDSA`, RFC 8037). The account
//! module signs them with the private key only it is given (`jwt_signing_key`); every module
//! verifies them locally with the public key (`jwt_verify_key`) — no call to account per
//! request, and nothing a verifying module holds lets it mint a token.
//!
//! Claims: `sub` (account id), `sid` (the refresh-token family the token was issued from),
//! `iat`, `exp`, `iss = "souk"`. Only EdDSA is accepted: a token naming any other algorithm
//! (`none`, or HS256 keyed with the public key) is refused before its signature is looked at.
//!
//! Revocation: a token is not stored, so it is ended before its expiry by two Redis keys every
//! module reads with it ([`revocation_keys`]): the account's "not before" second, which ends
//! every token issued before it (suspension, sign-out everywhere), and a session's end, which
//! ends every token of that session (sign-out). Both outlive any token they could refuse
//! ([`revocation_ttl_ms`]). A token whose keys refuse it is 401 `token_revoked`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Utc};
use ed25519_dalek::Signer;
use serde::{Deserialize, Serialize};
use spin_sdk::http::Request;
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::config::Settings;
use crate::error::{ApiError, ApiResult};
use crate::platform::RedisCommand;

/// The issuer every Souk token carries.
pub const ISSUER: &str = "souk";

/// Clock difference tolerated between the signer and a verifier.
pub const LEEWAY_SECS: i64 = 30;

/// The one algorithm a token may name.
pub const ALGORITHM: &str = "EdDSA";

/// What an access token says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// The account.
    pub sub: Uuid,
    /// The session (refresh-token family).
    pub sid: Uuid,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Expires at, Unix seconds.
    pub exp: i64,
    /// Issuer.
    pub iss: String,
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    typ: String,
}

/// The 32 bytes of a key variable written as 64 hex characters; anything else is a
/// configuration error naming the variable.
fn key_bytes(variable: &str, text: &str) -> ApiResult<[u8; 32]> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut bytes).map_err(|_| {
        ApiError::internal(format_args!(
            "variable `{variable}` is not an Ed25519 key: it needs 64 hex characters (32 \
             bytes); `cargo run -p souk-keys` prints a new key pair"
        ))
    })?;
    Ok(bytes)
}

/// The private key that signs access tokens (account's `jwt_signing_key`: the 32-byte seed).
pub struct SigningKey(ed25519_dalek::SigningKey);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    /// The key whose seed `seed` is.
    pub fn from_seed(seed: &[u8; 32]) -> SigningKey {
        SigningKey(ed25519_dalek::SigningKey::from_bytes(seed))
    }

    /// The key written in `variable` as 64 hex characters.
    pub fn from_hex(variable: &str, text: &str) -> ApiResult<SigningKey> {
        Ok(SigningKey::from_seed(&key_bytes(variable, text)?))
    }

    /// The public key that verifies what this key signs.
    pub fn verify_key(&self) -> VerifyKey {
        VerifyKey(self.0.verifying_key())
    }
}

/// The public key that verifies access tokens (every module's `jwt_verify_key`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyKey(ed25519_dalek::VerifyingKey);

impl VerifyKey {
    /// The key written in `variable` as 64 hex characters; a value that is no point of the
    /// curve is a configuration error too.
    pub fn from_hex(variable: &str, text: &str) -> ApiResult<VerifyKey> {
        ed25519_dalek::VerifyingKey::from_bytes(&key_bytes(variable, text)?)
            .map(VerifyKey)
            .map_err(|_| {
                ApiError::internal(format_args!(
                    "variable `{variable}` is not an Ed25519 public key"
                ))
            })
    }

    /// The key as 64 hex characters, as `jwt_verify_key` holds it.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.as_bytes())
    }
}

/// Signs `claims` into a token.
pub fn sign(claims: &Claims, key: &SigningKey) -> String {
    let header = B64.encode(br#"{"alg":"EdDSA","typ":"JWT"}"#);
    // Serialising a struct of plain fields cannot fail.
    let payload = B64.encode(serde_json::to_vec(claims).expect("claims serialise"));
    let signing_input = format!("{header}.{payload}");
    let signature = B64.encode(key.0.sign(signing_input.as_bytes()).to_bytes());
    format!("{signing_input}.{signature}")
}

/// Issues claims for `account` in session `sid`, valid for `ttl_secs` from `issued_at`.
pub fn claims(account: Uuid, sid: Uuid, issued_at: DateTime<Utc>, ttl_secs: i64) -> Claims {
    Claims {
        sub: account,
        sid,
        iat: issued_at.timestamp(),
        exp: issued_at.timestamp() + ttl_secs,
        iss: ISSUER.into(),
    }
}

/// When a token issued `now` says it was issued, given its account's "not before" second
/// (`None` without one): never before it. A revocation refuses the tokens of its own second
/// too (`iat` is whole seconds, see [`end_account_tokens`]), so a token issued after it within
/// that second is dated at its end, at most a second ahead.
pub fn issued_at(now: DateTime<Utc>, not_before: Option<i64>) -> DateTime<Utc> {
    match not_before {
        Some(nb) if nb > now.timestamp() => DateTime::from_timestamp(nb, 0).unwrap_or(now),
        _ => now,
    }
}

fn invalid() -> ApiError {
    ApiError::unauthorized("the access token is invalid")
}

/// Verifies a token's algorithm, signature, issuer and expiry.
pub fn verify(token: &str, key: &VerifyKey, now: DateTime<Utc>) -> ApiResult<Claims> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    let header: Header = B64
        .decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(invalid)?;
    if header.alg != ALGORITHM {
        return Err(invalid());
    }
    let signature: [u8; 64] = B64
        .decode(s)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(invalid)?;
    let signing_input = &token[..h.len() + 1 + p.len()];
    // Strict: no malleable signature, no small-order key.
    key.0
        .verify_strict(
            signing_input.as_bytes(),
            &ed25519_dalek::Signature::from_bytes(&signature),
        )
        .map_err(|_| invalid())?;
    let claims: Claims = B64
        .decode(p)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(invalid)?;
    if claims.iss != ISSUER {
        return Err(invalid());
    }
    if claims.exp + LEEWAY_SECS < now.timestamp() {
        return Err(ApiError::new(
            401,
            "token_expired",
            "the access token has expired; refresh it",
        ));
    }
    Ok(claims)
}

/// Prefix of the keys holding an account's "not before" second.
const NOT_BEFORE_PREFIX: &str = "souk:auth:not-before:";

/// Prefix of the keys marking a session whose tokens are ended.
const ENDED_SESSION_PREFIX: &str = "souk:auth:ended-session:";

/// The Redis key holding the second before which `account`'s tokens were issued in vain.
pub fn not_before_key(account: Uuid) -> String {
    format!("{NOT_BEFORE_PREFIX}{account}")
}

/// The Redis key present while session `sid`'s tokens are ended.
pub fn ended_session_key(sid: Uuid) -> String {
    format!("{ENDED_SESSION_PREFIX}{sid}")
}

/// The keys read with a token, in the order [`check_revocation`] takes their values.
pub fn revocation_keys(claims: &Claims) -> [String; 2] {
    [not_before_key(claims.sub), ended_session_key(claims.sid)]
}

/// How long a revocation key lives: longer than any token of `access_ttl_secs` it could refuse
/// (leeway included), after which every such token has expired anyway.
pub fn revocation_ttl_ms(access_ttl_secs: i64) -> i64 {
    (access_ttl_secs + LEEWAY_SECS + 60) * 1000
}

/// Refuses `claims` (401 `token_revoked`) when the values of its [`revocation_keys`] say so:
/// it was issued before its account's "not before" second, or its session was ended.
pub fn check_revocation(claims: &Claims, values: &[Option<String>]) -> ApiResult<()> {
    let not_before = values
        .first()
        .and_then(Option::as_deref)
        .and_then(|v| v.parse::<i64>().ok());
    let session_ended = values.get(1).is_some_and(Option::is_some);
    if session_ended || not_before.is_some_and(|nb| claims.iat < nb) {
        return Err(ApiError::new(
            401,
            "token_revoked",
            "the access token was revoked (signed out, or the account suspended); sign in again",
        ));
    }
    Ok(())
}

/// The command that ends every token of `account` issued up to `now`: its "not before" is the
/// next second, since `iat` is whole seconds and a token issued earlier in this second must be
/// refused too ([`issued_at`] dates later ones at that second).
pub fn end_account_tokens(account: Uuid, now: DateTime<Utc>, access_ttl_secs: i64) -> RedisCommand {
    RedisCommand::Set {
        key: not_before_key(account),
        value: (now.timestamp() + 1).to_string(),
        ms: revocation_ttl_ms(access_ttl_secs),
    }
}

/// The command that ends every token of session `sid` (its refresh tokens are revoked too, so
/// it issues none again).
pub fn end_session_tokens(sid: Uuid, access_ttl_secs: i64) -> RedisCommand {
    RedisCommand::Set {
        key: ended_session_key(sid),
        value: "1".to_string(),
        ms: revocation_ttl_ms(access_ttl_secs),
    }
}

/// Header carrying the service token on internal calls.
pub const SERVICE_TOKEN_HEADER: &str = "x-souk-service-token";

/// Checks the service token of an `/internal/...` call (constant-time).
pub fn check_service_token(req: &Request, settings: &Settings) -> ApiResult<()> {
    let given = req
        .header(SERVICE_TOKEN_HEADER)
        .map(|v| v.as_bytes().to_vec())
        .unwrap_or_default();
    let expected = settings.service_token()?;
    let expected = expected.expose().as_bytes();
    if given.len() == expected.len() && bool::from(given.ct_eq(expected)) {
        Ok(())
    } else {
        Err(ApiError::new(
            401,
            "invalid_service_token",
            "internal routes need the service token",
        ))
    }
}

/// Checks `Authorization: Bearer <admin_token>` (the `admin_token` variable) for operator
/// endpoints; 401 otherwise.
pub fn require_admin(req: &Request) -> ApiResult<()> {
    let expected = crate::config::var("admin_token")?;
    let given = req
        .header("authorization")
        .and_then(|v| v.as_str())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if given.len() == expected.len() && bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::unauthorized(
            "this operator endpoint needs the admin token",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, Mac};

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    fn key(n: u8) -> SigningKey {
        SigningKey::from_seed(&[n; 32])
    }

    fn token(signer: &SigningKey, exp_in: i64) -> (String, Claims) {
        let c = claims(Uuid::new_v4(), Uuid::new_v4(), at(1_000_000), exp_in);
        (sign(&c, signer), c)
    }

    fn parts(token: &str) -> Vec<String> {
        token.split('.').map(str::to_string).collect()
    }

    #[test]
    fn a_signed_token_verifies_to_its_claims_with_the_public_key() {
        let (t, c) = token(&key(1), 900);
        assert!(t.starts_with(&B64.encode(br#"{"alg":"EdDSA","typ":"JWT"}"#)));
        assert_eq!(verify(&t, &key(1).verify_key(), at(1_000_100)).unwrap(), c);
    }

    #[test]
    fn another_key_fails() {
        let (t, _) = token(&key(1), 900);
        let e = verify(&t, &key(2).verify_key(), at(1_000_100)).unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (401, "unauthorized"));
    }

    #[test]
    fn a_tampered_payload_or_signature_fails() {
        let (t, c) = token(&key(1), 900);
        let vk = key(1).verify_key();
        let mut forged = parts(&t);
        let other = Claims {
            sub: Uuid::new_v4(),
            ..c.clone()
        };
        forged[1] = B64.encode(serde_json::to_vec(&other).unwrap());
        assert!(verify(&forged.join("."), &vk, at(1_000_100)).is_err());
        let mut flipped = parts(&t);
        let mut signature = B64.decode(&flipped[2]).unwrap();
        signature[10] ^= 1;
        flipped[2] = B64.encode(&signature);
        assert!(verify(&flipped.join("."), &vk, at(1_000_100)).is_err());
        let mut short = parts(&t);
        short[2] = B64.encode([0u8; 32]);
        assert!(verify(&short.join("."), &vk, at(1_000_100)).is_err());
    }

    #[test]
    fn an_expired_token_says_so_after_the_leeway() {
        let (t, _) = token(&key(1), 900);
        let vk = key(1).verify_key();
        assert!(verify(&t, &vk, at(1_000_900 + LEEWAY_SECS)).is_ok());
        assert_eq!(
            verify(&t, &vk, at(1_000_901 + LEEWAY_SECS))
                .unwrap_err()
                .code,
            "token_expired"
        );
    }

    #[test]
    fn other_algorithms_are_refused() {
        let (t, _) = token(&key(1), 900);
        let vk = key(1).verify_key();
        let rest = t.split_once('.').unwrap().1;
        let none = format!("{}.{rest}", B64.encode(br#"{"alg":"none","typ":"JWT"}"#));
        assert!(verify(&none, &vk, at(1_000_100)).is_err());
        assert!(verify("garbage", &vk, at(1_000_100)).is_err());
        assert!(verify("a.b.c.d", &vk, at(1_000_100)).is_err());
    }

    #[test]
    fn an_hs256_token_keyed_with_the_public_key_is_refused() {
        // The classic confusion: a verifier that let the header pick the algorithm would check
        // this HMAC with the public key, which anyone may know, as its secret.
        let vk = key(1).verify_key();
        let c = claims(Uuid::new_v4(), Uuid::new_v4(), at(1_000_000), 900);
        let head = B64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let body = B64.encode(serde_json::to_vec(&c).unwrap());
        for secret in [vk.to_hex().into_bytes(), vk.0.as_bytes().to_vec()] {
            let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&secret).unwrap();
            mac.update(format!("{head}.{body}").as_bytes());
            let forged = format!("{head}.{body}.{}", B64.encode(mac.finalize().into_bytes()));
            assert!(verify(&forged, &vk, at(1_000_100)).is_err());
        }
    }

    #[test]
    fn keys_are_64_hex_characters() {
        let seed = "0f".repeat(32);
        let signer = SigningKey::from_hex("jwt_signing_key", &seed).unwrap();
        let public = signer.verify_key().to_hex();
        assert_eq!(
            VerifyKey::from_hex("jwt_verify_key", &public).unwrap(),
            signer.verify_key()
        );
        for bad in ["", "0f", &"zz".repeat(32), &"0f".repeat(33)] {
            assert_eq!(
                SigningKey::from_hex("k", bad).unwrap_err().status,
                500,
                "{bad}"
            );
            assert_eq!(
                VerifyKey::from_hex("k", bad).unwrap_err().status,
                500,
                "{bad}"
            );
        }
        assert_eq!(format!("{signer:?}"), "SigningKey(..)");
    }

    #[test]
    fn revocation_refuses_tokens_issued_before_the_not_before_second_or_of_an_ended_session() {
        let c = claims(Uuid::new_v4(), Uuid::new_v4(), at(1_000_000), 900);
        let nb = |v: i64| Some(v.to_string());
        assert!(check_revocation(&c, &[None, None]).is_ok());
        assert!(check_revocation(&c, &[nb(1_000_000), None]).is_ok());
        let e = check_revocation(&c, &[nb(1_000_001), None]).unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (401, "token_revoked"));
        assert!(check_revocation(&c, &[None, Some("1".into())]).is_err());
        assert_eq!(revocation_keys(&c)[0], not_before_key(c.sub));
    }

    #[test]
    fn a_revocation_ends_the_tokens_of_its_own_second_and_later_ones_are_dated_after_it() {
        let account = Uuid::new_v4();
        let RedisCommand::Set { value, ms, .. } = end_account_tokens(account, at(1_000_000), 900)
        else {
            panic!("a SET");
        };
        assert!(ms > 930_000, "the key outlives every token it refuses");
        let not_before: i64 = value.parse().unwrap();
        let earlier = claims(account, Uuid::new_v4(), at(1_000_000), 900);
        assert!(check_revocation(&earlier, &[Some(value.clone()), None]).is_err());
        let later = claims(
            account,
            Uuid::new_v4(),
            issued_at(at(1_000_000), Some(not_before)),
            900,
        );
        assert!(check_revocation(&later, &[Some(value), None]).is_ok());
        assert_eq!(issued_at(at(2_000_000), Some(not_before)), at(2_000_000));
    }
}

//! Access tokens: compact JWS with HS256, signed by the account module and verified locally by
//! every module with the shared `jwt_signing_key` — no call to account per request.
//!
//! Claims: `sub` (account id), `sid` (the refresh-token family the token was issued from, so a
//! revoked family can be recognised), `iat`, `exp`, `iss = "souk"`. Only HS256 is accepted;
//! a token naming any other algorithm is refused before its signature is looked at.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use spin_sdk::http::Request;
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::config::Settings;
use crate::error::{ApiError, ApiResult};

/// The issuer every Souk token carries.
pub const ISSUER: &str = "souk";

/// Clock difference tolerated between the signer and a verifier.
pub const LEEWAY_SECS: i64 = 30;

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

fn mac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length")
}

/// Signs `claims` into a token.
pub fn sign(claims: &Claims, key: &[u8]) -> String {
    let header = B64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    // Serialising a struct of plain fields cannot fail.
    let payload = B64.encode(serde_json::to_vec(claims).expect("claims serialise"));
    let signing_input = format!("{header}.{payload}");
    let mut m = mac(key);
    m.update(signing_input.as_bytes());
    let signature = B64.encode(m.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

/// Issues claims for `account` in session `sid`, valid for `ttl_secs` from `now`.
pub fn claims(account: Uuid, sid: Uuid, now: DateTime<Utc>, ttl_secs: i64) -> Claims {
    Claims {
        sub: account,
        sid,
        iat: now.timestamp(),
        exp: now.timestamp() + ttl_secs,
        iss: ISSUER.into(),
    }
}

fn invalid() -> ApiError {
    ApiError::unauthorized("the access token is invalid")
}

/// Verifies a token's algorithm, signature, issuer and expiry.
pub fn verify(token: &str, key: &[u8], now: DateTime<Utc>) -> ApiResult<Claims> {
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
    if header.alg != "HS256" {
        return Err(invalid());
    }
    let signature = B64.decode(s).map_err(|_| invalid())?;
    let mut m = mac(key);
    m.update(h.as_bytes());
    m.update(b".");
    m.update(p.as_bytes());
    m.verify_slice(&signature).map_err(|_| invalid())?;
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

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    fn token(key: &[u8], exp_in: i64) -> (String, Claims) {
        let c = claims(Uuid::new_v4(), Uuid::new_v4(), at(1_000_000), exp_in);
        (sign(&c, key), c)
    }

    #[test]
    fn a_signed_token_verifies_to_its_claims() {
        let (t, c) = token(b"key", 900);
        assert_eq!(verify(&t, b"key", at(1_000_100)).unwrap(), c);
    }

    #[test]
    fn another_key_fails() {
        let (t, _) = token(b"key", 900);
        assert_eq!(verify(&t, b"other", at(1_000_100)).unwrap_err().status, 401);
    }

    #[test]
    fn a_tampered_payload_fails() {
        let (t, _) = token(b"key", 900);
        let mut parts: Vec<String> = t.split('.').map(str::to_string).collect();
        let forged = claims(Uuid::new_v4(), Uuid::new_v4(), at(1_000_000), 900);
        parts[1] = B64.encode(serde_json::to_vec(&forged).unwrap());
        assert!(verify(&parts.join("."), b"key", at(1_000_100)).is_err());
    }

    #[test]
    fn an_expired_token_says_so_after_the_leeway() {
        let (t, _) = token(b"key", 900);
        assert!(verify(&t, b"key", at(1_000_900 + LEEWAY_SECS)).is_ok());
        assert_eq!(
            verify(&t, b"key", at(1_000_901 + LEEWAY_SECS))
                .unwrap_err()
                .code,
            "token_expired"
        );
    }

    #[test]
    fn other_algorithms_are_refused() {
        let (t, _) = token(b"key", 900);
        let rest = t.split_once('.').unwrap().1;
        let none = format!("{}.{rest}", B64.encode(br#"{"alg":"none","typ":"JWT"}"#));
        assert!(verify(&none, b"key", at(1_000_100)).is_err());
        assert!(verify("garbage", b"key", at(1_000_100)).is_err());
        assert!(verify("a.b.c.d", b"key", at(1_000_100)).is_err());
    }
}

//! `souk-keys`: the key pair of Souk's access tokens, for operators and the scripts.
//!
//! - `souk-keys` prints a new pair as two lines, `jwt_signing_key=<hex>` (the private key's
//!   32-byte seed: account's alone) and `jwt_verify_key=<hex>` (the public key: every module).
//! - `souk-keys public <signing key>` prints the public key of an existing signing key.
//! - `souk-keys token <signing key> <account id> [seconds]` prints an access token for that
//!   account (a fresh session, valid 3600 seconds by default): benchmarks sign in with it.
//!
//! A signing key may come from anywhere that gives 32 random bytes as 64 hex characters
//! (`openssl rand -hex 32`); its public key is then `souk-keys public`'s.

use anyhow::{Context, bail};
use kit::auth::SigningKey;

fn signing_key(text: &str) -> anyhow::Result<SigningKey> {
    SigningKey::from_hex("jwt_signing_key", text)
        .map_err(|_| anyhow::anyhow!("a signing key is 64 hex characters (32 bytes)"))
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] => {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed)
                .map_err(|e| anyhow::anyhow!("the system gave no random bytes: {e}"))?;
            let key = SigningKey::from_seed(&seed);
            println!("jwt_signing_key={}", hex::encode(seed));
            println!("jwt_verify_key={}", key.verify_key().to_hex());
        }
        ["public", key] => println!("{}", signing_key(key)?.verify_key().to_hex()),
        ["token", key, account, rest @ ..] => {
            let account: uuid::Uuid = account.parse().context("the account is a UUID")?;
            let ttl = match rest {
                [] => 3600,
                [secs] => secs.parse().context("the lifetime is whole seconds")?,
                _ => bail!("usage: souk-keys token <signing key> <account id> [seconds]"),
            };
            let claims = kit::auth::claims(account, uuid::Uuid::new_v4(), chrono::Utc::now(), ttl);
            println!("{}", kit::auth::sign(&claims, &signing_key(key)?));
        }
        _ => bail!(
            "usage: souk-keys | souk-keys public <signing key> | \
             souk-keys token <signing key> <account id> [seconds]"
        ),
    }
    Ok(())
}

//! Client secrets: 32 random bytes shown once, kept only as an argon2id hash. The hash
//! parameters are OWASP's recommendation for argon2id (19 MiB of memory, 2 passes, 1 lane):
//! tens of milliseconds per check, paid at the token endpoint only, never per API request.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn random(bytes: usize) -> Vec<u8> {
    let mut buffer = vec![0; bytes];
    // The system generator does not fail on the platforms this runs on; if it ever did, an
    // all-zero secret would be refused by `verify` of any other secret, not accepted.
    let _ = SystemRandom::new().fill(&mut buffer);
    buffer
}

/// A new random secret (43 URL-safe characters) and its hash to store.
pub fn generate() -> (String, String) {
    let secret = URL_SAFE_NO_PAD.encode(random(32));
    let hash = hash(&secret);
    (secret, hash)
}

/// A random identifier part (16 hex characters) for client ids.
pub fn random_id() -> String {
    random(8).iter().map(|b| format!("{b:02x}")).collect()
}

/// The argon2id hash (PHC string) of a secret.
pub fn hash(secret: &str) -> String {
    let salt = SaltString::encode_b64(&random(16)).expect("16 bytes always make a valid salt");
    hasher().hash_password(secret.as_bytes(), &salt).map(|h| h.to_string()).unwrap_or_default()
}

/// Whether `secret` is the one `hash` was made from (constant-time comparison inside argon2).
pub fn verify(secret: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| hasher().verify_password(secret.as_bytes(), &parsed).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_verifies_against_its_hash_only() {
        let (secret, hash) = generate();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify(&secret, &hash));
        assert!(!verify("guess", &hash));
        assert!(!verify(&secret, "not a hash"));
        assert_ne!(generate().0, secret);
    }
}

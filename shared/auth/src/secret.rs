//! Client secrets: 32 random bytes shown once, kept only as an argon2id hash. The hash
//! parameters are OWASP's recommendation for argon2id (19 MiB of memory, 2 passes, 1 lane):
//! tens of milliseconds per check, paid at the token endpoint only, never per API request.
//!
//! Every random byte this crate uses (secrets, salts, client ids, signing keys) comes from
//! [`random`], which stops the process if the system's generator fails: a zero or short
//! secret would be guessable, and nothing else is safe to answer with.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// The argon2id memory cost, in KiB (19 MiB).
const MEMORY_KIB: u32 = 19 * 1024;
/// The argon2id passes.
const PASSES: u32 = 2;
/// The argon2id lanes.
const LANES: u32 = 1;

fn hasher() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash that no known secret matches (random salt and output, never made from a secret),
/// with the same parameters as every stored hash: the token endpoint checks a secret against
/// it when the client is unknown or disabled, so that such a client costs exactly one hash, as
/// a wrong secret does (no timing oracle on client ids, and no cheaper path for a guesser). A
/// test keeps its parameters equal to [`hash`]'s.
pub const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$cPtDt7s4HHGRnOmtO1O3cw$rN+CbudIsS8m+Ca+Jm9LB6GxZB3E5LafSuhBRpiN3JU";

/// A source of random bytes. The system's generator in production ([`SystemSource`]); a
/// test hands in one that fails, to see the process stop.
pub trait RandomSource {
    /// Fills `buffer` entirely, or fails.
    fn fill(&self, buffer: &mut [u8]) -> Result<(), RandomFailure>;
}

/// The random source failed to fill a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the system's random number generator failed")]
pub struct RandomFailure;

/// The operating system's generator (through aws-lc).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemSource;

impl RandomSource for SystemSource {
    fn fill(&self, buffer: &mut [u8]) -> Result<(), RandomFailure> {
        SystemRandom::new().fill(buffer).map_err(|_| RandomFailure)
    }
}

/// `bytes` random bytes from the system's generator; see [`random_from`].
pub(crate) fn random(bytes: usize) -> Vec<u8> {
    random_from(&SystemSource, bytes)
}

/// `bytes` random bytes from `source`. If the source fails, or hands back nothing but zeros
/// (a broken or stubbed generator: 2^-64 odds for the shortest buffer taken, 8 bytes), the
/// process stops at once: no secret, salt, id or key is ever made of zeros or of fewer bytes
/// than asked, and an answer built on one would be worse than none. In Lambda the runtime then
/// replaces the instance.
pub fn random_from(source: &dyn RandomSource, bytes: usize) -> Vec<u8> {
    let mut buffer = vec![0; bytes];
    match source.fill(&mut buffer) {
        Ok(()) if bytes == 0 || buffer.iter().any(|&b| b != 0) => buffer,
        Ok(()) => stop("the system's random number generator returned only zeros"),
        Err(failure) => stop(&failure.to_string()),
    }
}

/// Stops the process (no unwinding: a panic would be turned into an error answer by the
/// runtime, and the next request would try the broken generator again).
fn stop(why: &str) -> ! {
    eprintln!("fatal: {why}; stopping the process rather than making a weak secret");
    std::process::abort()
}

/// A client secret in the clear: shown once when it is made, or presented at the token
/// endpoint. It reads as text (`&*secret`) but never prints: `Debug` shows `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret(String);

impl ClientSecret {
    /// A secret presented by a client (to be checked, never stored).
    pub fn presented(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The secret's text, for showing it once or checking it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for ClientSecret {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientSecret([redacted])")
    }
}

/// A new random secret (43 URL-safe characters) and its hash to store.
pub fn generate() -> (ClientSecret, String) {
    let secret = random_secret();
    let hash = hash(&secret);
    (secret, hash)
}

/// A new random secret (256 bits, 43 URL-safe characters) kept only sealed, never hashed (a
/// webhook's signing key: the sender needs the secret itself).
pub fn random_secret() -> ClientSecret {
    ClientSecret(URL_SAFE_NO_PAD.encode(random(32)))
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
        assert_eq!(secret.len(), 43);
    }

    #[test]
    fn the_decoy_costs_what_a_stored_hash_costs() {
        let (_, stored) = generate();
        let params = |phc: &str| {
            let parsed = PasswordHash::new(phc).expect("a PHC string");
            (parsed.algorithm.to_string(), parsed.version, parsed.params.to_string(), parsed.hash.map(|h| h.len()))
        };
        assert_eq!(params(DECOY_HASH), params(&stored));
        assert!(!verify("", DECOY_HASH));
    }

    #[test]
    fn a_client_secret_never_prints() {
        let (secret, _) = generate();
        let shown = format!("{secret:?} {:?}", ClientSecret::presented("hunter2"));
        assert_eq!(shown, "ClientSecret([redacted]) ClientSecret([redacted])");
        assert_eq!(secret.expose().len(), 43);
    }

    struct Failing;

    impl RandomSource for Failing {
        fn fill(&self, _: &mut [u8]) -> Result<(), RandomFailure> {
            Err(RandomFailure)
        }
    }

    struct Zeros;

    impl RandomSource for Zeros {
        fn fill(&self, buffer: &mut [u8]) -> Result<(), RandomFailure> {
            buffer.fill(0);
            Ok(())
        }
    }

    /// What the child process runs (see the next test); does nothing in a normal run.
    #[test]
    fn random_failure_child() {
        match std::env::var("ONEROSTER_RANDOM_CHILD").as_deref() {
            Ok("fails") => drop(random_from(&Failing, 32)),
            Ok("zeros") => drop(random_from(&Zeros, 32)),
            _ => return,
        }
        // Reaching this line means a secret was made from a broken generator.
        std::process::exit(0);
    }

    /// A generator that fails, or answers only zeros, stops the process (checked in a child
    /// process running `random_failure_child`, since the stop is an abort).
    #[test]
    fn a_failing_random_source_stops_the_process() {
        let program = std::env::current_exe().expect("the test binary");
        for mode in ["fails", "zeros"] {
            let output = std::process::Command::new(&program)
                .args(["--exact", "secret::tests::random_failure_child", "--nocapture", "--test-threads=1"])
                .env("ONEROSTER_RANDOM_CHILD", mode)
                .output()
                .expect("the child runs");
            assert!(!output.status.success(), "{mode}: the process went on");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(stderr.contains("fatal: the system's random number generator"), "{mode}: {stderr}");
        }
        assert_eq!(random(32).len(), 32);
        assert!(random(32).iter().any(|&b| b != 0));
    }
}

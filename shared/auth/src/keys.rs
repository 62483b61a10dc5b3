//! Signing keys. The ring's configuration (kept in a secret) holds PKCS#8 private keys with
//! their key ids; the JWKS (public) holds the public halves and is all a verifier needs.

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::EncodingKey;
use serde::{Deserialize, Serialize};

/// A key ring that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The configuration is not the ring's JSON.
    #[error("the signing key configuration is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A private key is not base64 PKCS#8 Ed25519.
    #[error("signing key '{0}' is not an Ed25519 PKCS#8 key")]
    Key(String),
    /// No key at all.
    #[error("the key ring is empty")]
    Empty,
}

/// One signing key as configured. No `Debug`: it holds a private key.
#[derive(Clone, Serialize, Deserialize)]
struct StoredKey {
    kid: String,
    /// Base64 of the PKCS#8 document.
    private: String,
}

/// The configuration of a key ring: `{"keys":[{"kid":…,"private":…}]}`, newest first. No
/// `Debug`: it holds the private keys.
#[derive(Clone, Serialize, Deserialize)]
struct RingConfig {
    keys: Vec<StoredKey>,
}

/// Signing keys, newest first: the first signs, every one is published. `Debug` shows the key
/// ids only: the private keys print as `[redacted]`.
#[derive(Clone)]
pub struct KeyRing {
    keys: Vec<(String, Vec<u8>, Vec<u8>)>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<&str> = self.keys.iter().map(|(kid, _, _)| kid.as_str()).collect();
        f.debug_struct("KeyRing").field("kids", &kids).field("private", &format_args!("[redacted]")).finish()
    }
}

impl KeyRing {
    /// A ring of one new random key.
    pub fn generate(kid: &str) -> Result<Self, KeyError> {
        let mut ring = Self { keys: Vec::new() };
        ring.rotate(kid)?;
        Ok(ring)
    }

    /// Adds a new random key in front: it signs from now on, and the older keys stay published
    /// so tokens they signed keep verifying until they expire. Drop old keys with [`retire`].
    /// The key's seed comes from the system's generator through
    /// [`secret::random_from`](crate::secret::random_from), which stops the process rather than
    /// make a key of a failed generator.
    ///
    /// [`retire`]: KeyRing::retire
    pub fn rotate(&mut self, kid: &str) -> Result<(), KeyError> {
        let seed = crate::secret::random(32);
        let pair = Ed25519KeyPair::from_seed_unchecked(&seed).map_err(|_| KeyError::Key(kid.into()))?;
        let pkcs8 = pair.to_pkcs8().map_err(|_| KeyError::Key(kid.into()))?.as_ref().to_vec();
        let public = public_of(kid, &pkcs8)?;
        self.keys.insert(0, (kid.to_owned(), pkcs8, public));
        Ok(())
    }

    /// Keeps only the `keep` newest keys.
    pub fn retire(&mut self, keep: usize) {
        self.keys.truncate(keep.max(1));
    }

    /// Reads the ring's configuration.
    pub fn from_config(text: &str) -> Result<Self, KeyError> {
        let config: RingConfig = serde_json::from_str(text)?;
        let mut keys = Vec::with_capacity(config.keys.len());
        for key in config.keys {
            let pkcs8 = STANDARD.decode(&key.private).map_err(|_| KeyError::Key(key.kid.clone()))?;
            let public = public_of(&key.kid, &pkcs8)?;
            keys.push((key.kid, pkcs8, public));
        }
        if keys.is_empty() {
            return Err(KeyError::Empty);
        }
        Ok(Self { keys })
    }

    /// The ring's configuration (secret: it holds the private keys).
    pub fn to_config(&self) -> String {
        let keys =
            self.keys.iter().map(|(kid, pkcs8, _)| StoredKey { kid: kid.clone(), private: STANDARD.encode(pkcs8) });
        serde_json::to_string(&RingConfig { keys: keys.collect() }).unwrap_or_default()
    }

    /// The public keys as a JWKS document (`/.well-known/jwks.json`).
    pub fn jwks(&self) -> serde_json::Value {
        let keys: Vec<serde_json::Value> = self
            .keys
            .iter()
            .map(|(kid, _, public)| {
                serde_json::json!({
                    "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig",
                    "kid": kid, "x": URL_SAFE_NO_PAD.encode(public),
                })
            })
            .collect();
        serde_json::json!({ "keys": keys })
    }

    /// The key that signs, with its id.
    pub(crate) fn signer(&self) -> (&str, EncodingKey) {
        let (kid, pkcs8, _) = &self.keys[0];
        (kid, EncodingKey::from_ed_der(pkcs8))
    }
}

fn public_of(kid: &str, pkcs8: &[u8]) -> Result<Vec<u8>, KeyError> {
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|_| KeyError::Key(kid.into()))?;
    Ok(pair.public_key().as_ref().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ring_prints_its_key_ids_and_never_its_keys() {
        let mut ring = KeyRing::generate("k1").expect("keys");
        ring.rotate("k2").expect("rotate");
        let config: serde_json::Value = serde_json::from_str(&ring.to_config()).expect("json");
        let shown = format!("{ring:?} {ring:#?}");
        assert!(shown.contains("[redacted]") && shown.contains("\"k2\"") && shown.contains("\"k1\""), "{shown}");
        for key in config["keys"].as_array().expect("keys") {
            let private = key["private"].as_str().expect("private");
            assert!(!shown.contains(private), "{shown}");
            let raw = STANDARD.decode(private).expect("base64");
            assert!(!shown.contains(&format!("{:?}", &raw[raw.len() - 8..])), "{shown}");
        }
    }

    #[test]
    fn generated_keys_are_distinct_and_reload() {
        let a = KeyRing::generate("k").expect("keys");
        let b = KeyRing::generate("k").expect("keys");
        assert_ne!(a.jwks(), b.jwks());
        assert_eq!(KeyRing::from_config(&a.to_config()).expect("reload").jwks(), a.jwks());
    }
}

//! Static API keys, for server-to-server integrations that cannot run the client-credentials
//! flow: a key is `{tenant}.{32 hex}.{43 URL-safe characters}` (its id, then 256 random bits),
//! shown once when it is made. Only a SHA-256 of the random part is stored: a key holds 256
//! bits of entropy, so no slow hash is needed against guessing, and checking one costs
//! microseconds, not an argon2 run per request (argon2 protects short human secrets). The id
//! in front names the tenant, so the key's record is found from the key alone.

use crate::secret::random;
use crate::{Grant, Scopes};
use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{digest, SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use oneroster_model::ids::tenant_of_client;
use oneroster_model::TenantId;

/// The bytes of a key's random part.
const SECRET_BYTES: usize = 32;

/// The hex digits of the random part of a key's id (a client id has 16).
pub const ID_HEX: usize = 32;

/// A new key of `tenant`: its id, the key's text (shown once, never stored) and the hash to
/// store.
pub fn mint(tenant: &TenantId) -> (String, ApiKeyText, String) {
    // Twice a client id's random part: the id has a client id's shape (the tenant in front,
    // read by the same rule), and the two are told apart by its length.
    let id = format!("{tenant}.{}{}", crate::secret::random_id(), crate::secret::random_id());
    let secret = URL_SAFE_NO_PAD.encode(random(SECRET_BYTES));
    let hash = hash(&secret);
    (id.clone(), ApiKeyText(format!("{id}.{secret}")), hash)
}

/// The stored form of a key's random part: SHA-256, hex.
fn hash(secret: &str) -> String {
    digest(&SHA256, secret.as_bytes()).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// A key's text in the clear: shown once when it is made; never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeyText(String);

impl ApiKeyText {
    /// The text, to show once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKeyText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKeyText([redacted])")
    }
}

/// A key as a request presents it, read but not yet checked.
pub struct Presented {
    tenant: TenantId,
    id: String,
    secret: String,
}

impl std::fmt::Debug for Presented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Presented").field("id", &self.id).field("secret", &format_args!("[redacted]")).finish()
    }
}

impl Presented {
    /// Reads a presented key; `None` when it is not in the shape [`mint`] makes (so nothing is
    /// looked up for it).
    pub fn read(text: &str) -> Option<Self> {
        let (id, secret) = text.trim().rsplit_once('.')?;
        let (_, random_id) = id.split_once('.')?;
        let shaped = random_id.len() == ID_HEX
            && secret.len() == 43
            && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        let tenant = tenant_of_client(id).filter(|_| shaped)?;
        Some(Self { tenant, id: id.to_owned(), secret: secret.to_owned() })
    }

    /// The tenant the key names (whose partition holds its record).
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// The key's id (its record's, and the audit trail's name for it).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The grant of this key when `stored_hash` is its record's hash (compared in constant
    /// time), with the record's `scopes`; `None` when the key is not the one stored.
    pub fn check(&self, stored_hash: &str, scopes: Scopes) -> Option<Grant> {
        let matches = verify_slices_are_equal(hash(&self.secret).as_bytes(), stored_hash.as_bytes()).is_ok();
        matches.then(|| Grant::new(self.tenant.clone(), self.id.clone(), scopes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> TenantId {
        TenantId::parse("district-9").expect("a tenant")
    }

    #[test]
    fn a_minted_key_reads_back_and_checks_against_its_hash_only() {
        let (id, text, stored) = mint(&tenant());
        assert!(id.starts_with("district-9.") && text.expose().starts_with(&format!("{id}.")));
        assert_eq!(id.len(), "district-9.".len() + ID_HEX);
        assert_eq!(stored.len(), 64);
        assert!(!stored.contains(text.expose().rsplit_once('.').expect("a secret").1), "only a hash is kept");
        let presented = Presented::read(text.expose()).expect("a key");
        assert_eq!((presented.tenant(), presented.id()), (&tenant(), id.as_str()));
        let grant = presented.check(&stored, Scopes::all()).expect("the stored key");
        assert_eq!((grant.tenant(), grant.client()), (&tenant(), id.as_str()));
        let (_, other, other_hash) = mint(&tenant());
        assert!(Presented::read(other.expose()).expect("a key").check(&stored, Scopes::all()).is_none());
        assert!(presented.check(&other_hash, Scopes::all()).is_none());
        assert_eq!(format!("{text:?}"), "ApiKeyText([redacted])");
        assert!(!format!("{presented:?}").contains(text.expose().rsplit_once('.').expect("a secret").1));
    }

    #[test]
    fn only_keys_of_the_minted_shape_are_read() {
        let (_, text, _) = mint(&tenant());
        let key = text.expose();
        let (id, secret) = key.rsplit_once('.').expect("a key");
        for bad in [
            String::new(),
            "district-9.00112233aabbccdd".to_owned(),
            format!("{id}.{}", &secret[1..]),
            format!("{id}.{}!", &secret[1..]),
            format!("{}.{secret}", &id[..id.len() - 16]),
            format!("no-tenant-here.{secret}"),
        ] {
            assert!(Presented::read(&bad).is_none(), "{bad}");
        }
        assert!(Presented::read(&format!(" {key} ")).is_some(), "surrounding blanks are not the key's");
    }
}

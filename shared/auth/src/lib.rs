//! OAuth 2.0 client credentials for OneRoster 1.2, as the services need it, in one place:
//!
//! - [`KeyRing`]: Ed25519 signing keys with key ids; the newest signs, all are published in the
//!   JWKS, so a new key can be added (published first) and an old one retired without downtime;
//! - [`Issuer`] makes access tokens (JWT, `EdDSA`) carrying tenant, client and scopes;
//! - [`Verifier`] checks them with the algorithm pinned and issuer, audience and expiry
//!   checked, in microseconds (no I/O);
//! - [`scope`]: the OneRoster scope vocabulary (1.1's URIs read as 1.2's) and what a client
//!   may be granted;
//! - [`oauth1`]: OAuth 1.0a signed requests of legacy OneRoster 1.1 consumers, read and
//!   verified into the same [`Grant`] as a token;
//! - [`secret`]: client secrets, generated at random and kept only as argon2id hashes; every
//!   random byte (secrets, salts, ids, keys) comes from one place, which stops the process if
//!   the system's generator fails;
//! - [`api_key`]: static API keys for server-to-server integrations, kept as SHA-256 hashes
//!   of their 256 random bits (checked in microseconds) and read into the same [`Grant`].
//!
//! Types that hold a private key or a secret ([`KeyRing`], [`Issuer`],
//! [`ClientSecret`](secret::ClientSecret)) print `[redacted]` in `Debug`.

pub mod api_key;
mod keys;
pub mod oauth1;
pub mod scope;
pub mod secret;
mod token;

pub use keys::{KeyError, KeyRing};
/// The client id's shape is an identifier rule, kept beside the ids in the model.
pub use oneroster_model::ids::{tenant_of_client, MAX_CLIENT_ID_BYTES};
pub use scope::Scopes;
pub use secret::ClientSecret;
pub use token::{AuthError, Claims, Grant, Issuer, Verifier, LEEWAY_SECONDS};

/// The audience of the tokens: the OneRoster API of this deployment.
pub const AUDIENCE: &str = "oneroster-api";

use oneroster_model::TenantId;

/// A new client id of `tenant`: `{tenant}.{16 hex}`. The tenant in front lets the token
/// endpoint find the client's (tenant-keyed) record from the id alone.
pub fn new_client_id(tenant: &TenantId) -> String {
    format!("{tenant}.{}", secret::random_id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_id_names_its_tenant_only_in_the_shape_made() {
        let tenant = TenantId::parse("district-9").expect("tenant");
        let id = new_client_id(&tenant);
        assert_eq!(id.len(), "district-9.".len() + 16, "{id}");
        assert_eq!(tenant_of_client(&id), Some(tenant));
        let long = format!("district-9.{}", "a".repeat(MAX_CLIENT_ID_BYTES));
        for bad in [
            "district-9",
            "district-9.",
            "district-9.xyz",
            "district-9.0011223344556677.extra",
            "District-9.0011223344556677",
            "district-9.00112233445566",
            "district-9.00112233445566778899AABB",
            ".0011223344556677",
            long.as_str(),
        ] {
            assert_eq!(tenant_of_client(bad), None, "{bad}");
        }
    }
}

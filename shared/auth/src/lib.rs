//! OAuth 2.0 client credentials for OneRoster 1.2, as the services need it, in one place:
//!
//! - [`KeyRing`]: Ed25519 signing keys with key ids; the newest signs, all are published in the
//!   JWKS, so a new key can be added (published first) and an old one retired without downtime;
//! - [`Issuer`] makes access tokens (JWT, `EdDSA`) carrying tenant, client and scopes;
//! - [`Verifier`] checks them with the algorithm pinned and issuer, audience and expiry
//!   checked, in microseconds (no I/O);
//! - [`scope`]: the OneRoster scope vocabulary and what a client may be granted;
//! - [`secret`]: client secrets, generated at random and kept only as argon2id hashes.

mod keys;
pub mod scope;
pub mod secret;
mod token;

pub use keys::{KeyError, KeyRing};
pub use scope::Scopes;
pub use token::{AuthError, Claims, Grant, Issuer, Verifier};

/// The audience of the tokens: the OneRoster API of this deployment.
pub const AUDIENCE: &str = "oneroster-api";

use oneroster_model::TenantId;

/// A new client id of `tenant`: `{tenant}.{16 hex}`. The tenant in front lets the token
/// endpoint find the client's (tenant-keyed) record from the id alone.
pub fn new_client_id(tenant: &TenantId) -> String {
    format!("{tenant}.{}", secret::random_id())
}

/// The tenant a client id names, if it is one of [`new_client_id`]'s.
pub fn tenant_of_client(client_id: &str) -> Option<TenantId> {
    let (tenant, _) = client_id.split_once('.')?;
    TenantId::parse(tenant).ok()
}

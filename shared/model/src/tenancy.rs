//! Whom a store call acts for. Every method that reads or writes district data takes a
//! [`Tenant`], and a `Tenant` comes from one of five sources, each named by its constructor:
//! a verified access token ([`Tenant::of_verified_token`], called only by `oneroster-auth`'s
//! `Grant::tenant_access`, the API), the key of an uploaded object ([`Tenant::of_upload_key`],
//! the ingest), the client id presented at the token endpoint ([`Tenant::of_client_id`], to look
//! up the client whose secret it then checks), an item the table's change stream reports
//! ([`Tenant::of_stored_item`], read by the store alone, for change events), or an operator ([`Tenant::by_operator`]: the admin
//! CLI, the local server, tests). No function crate calls `by_operator` or `of_verified_token` (a
//! test in `tests/` checks), so API and ingest code cannot reach a tenant's data any other way.
//! It lives beside [`TenantId`] so that the store, which takes a `Tenant` in every call, does
//! not depend on the token crate.

use crate::ids::{tenant_of_client, IdError};
use crate::TenantId;

/// A tenant the holder may act for (see the module docs for where one comes from).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tenant(TenantId);

impl Tenant {
    /// The tenant of an access token whose signature, expiry and client were verified: for
    /// the token verifier only (`oneroster_auth::Grant::tenant_access`).
    pub fn of_verified_token(id: TenantId) -> Self {
        Self(id)
    }

    /// The tenant of an uploaded object: the first segment of its key (decoded, as S3 event
    /// notifications encode keys), `<tenant>/…/file.zip`.
    pub fn of_upload_key(key: &str) -> Result<Self, IdError> {
        let first = key.split('/').next().unwrap_or_default();
        TenantId::parse(first).map(Self)
    }

    /// The tenant a client id names (`{tenant}.{random}`), to look the client up at the token
    /// endpoint before its secret is checked; `None` if the id does not have the shape of a
    /// client id ([`tenant_of_client`]: over 1,024 bytes, a random part that is not hex, …), so
    /// that no such text ever reaches the store as a key.
    pub fn of_client_id(client_id: &str) -> Option<Self> {
        tenant_of_client(client_id).map(Self)
    }

    /// A tenant named by an operator, who may act for any tenant: for the operators' CLI, the
    /// local server and tests, never for code that serves API requests or uploads.
    pub fn by_operator(id: TenantId) -> Self {
        Self(id)
    }

    /// The tenant whose item the table's change stream reports: the first segment of the item's
    /// partition key, which only the store's key builders made, for the store's reading of the
    /// stream only (the change events stored under that same tenant).
    pub fn of_stored_item(id: TenantId) -> Self {
        Self(id)
    }

    /// The tenant a webhook delivery names: a message the events function put on the
    /// provider's own webhook queue for a tenant it had from the stream ([`Tenant::of_stored_item`]),
    /// read back by the webhooks function only.
    pub fn of_queued_delivery(id: TenantId) -> Self {
        Self(id)
    }

    /// The tenant's id.
    pub fn id(&self) -> &TenantId {
        &self.0
    }
}

impl std::ops::Deref for Tenant {
    type Target = TenantId;

    fn deref(&self) -> &TenantId {
        &self.0
    }
}

impl std::fmt::Display for Tenant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_belongs_to_the_first_segment_of_its_key() {
        assert_eq!(Tenant::of_upload_key("springfield/2026/bulk.zip").map(|t| t.to_string()), Ok("springfield".into()));
        assert!(Tenant::of_upload_key("Spring#field/bulk.zip").is_err());
        assert!(Tenant::of_upload_key("/bulk.zip").is_err());
    }
}

//! OAuth clients of a tenant: who may get tokens, for which scopes. The secret is only ever
//! stored as its argon2id hash. A client's id begins with its tenant (`springfield.3f9c…`), so
//! the token endpoint finds the client's partition from the id alone.

use crate::keys::clients_partition;
use crate::Tenant;
use crate::{Store, StoreError};
use oneroster_model::{TenantId, Timestamp};
use serde::{Deserialize, Serialize};

/// An OAuth client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthClient {
    /// The client id (`{tenant}.{random}`).
    pub id: String,
    /// The tenant.
    pub tenant: TenantId,
    /// A name for people (the app it is for).
    pub name: String,
    /// The scopes it may be granted, space-separated URIs.
    pub scopes: String,
    /// argon2id hash of the secret (PHC string).
    pub secret_hash: String,
    /// Disabled or revoked clients get no token and their tokens are refused.
    pub enabled: bool,
    /// When it was created.
    pub created: Timestamp,
    /// When its secret was last set.
    pub rotated: Timestamp,
}

impl Store {
    /// Saves a client (create or update).
    pub async fn put_client(&self, client: &OAuthClient) -> Result<(), StoreError> {
        self.put_json((clients_partition(&client.tenant), client.id.clone()), client).await
    }

    /// Gets a client of a tenant.
    pub async fn get_client(&self, tenant: &Tenant, id: &str) -> Result<Option<OAuthClient>, StoreError> {
        let item = self.get_item((clients_partition(tenant), id.to_owned())).await?;
        item.as_ref().map(client_from).transpose()
    }

    /// Lists a tenant's clients.
    pub async fn list_clients(&self, tenant: &Tenant) -> Result<Vec<OAuthClient>, StoreError> {
        let items = crate::records::query_partition(&self.client, &self.table, clients_partition(tenant), None).await?;
        items.iter().map(client_from).collect()
    }
}

fn client_from(item: &crate::batch::Item) -> Result<OAuthClient, StoreError> {
    crate::records::from_json_body(item, "a client")
}

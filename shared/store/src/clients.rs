//! OAuth clients of a tenant: who may get tokens, for which scopes. The secret is stored as
//! its argon2id hash; a client made to sign OAuth 1.0a requests also keeps it sealed (an HMAC
//! needs the secret itself). A client's id begins with its tenant (`springfield.3f9c…`), so
//! the token endpoint finds the client's partition from the id alone. The nonces its signed
//! requests used are kept beside, until their timestamps are stale. A tenant's static API keys
//! ([`ApiKey`]) are kept beside its clients, in a partition of their own.

use crate::keys::{api_key_key, api_keys_partition, client_key, clients_partition, nonce_key};
use crate::tenant::check_owner;
use crate::{attr, StoreError, TenantClients};
use aws_sdk_dynamodb::types::AttributeValue;
use oneroster_model::{Sharing, TenantId, Timestamp};
use serde::{Deserialize, Serialize};

/// An OAuth client. `Debug` prints its secret's hash as `[redacted]`: a hash is no secret,
/// but it is what a guesser would work against offline, and logs are kept for a year.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Its secret sealed under the deployment's key, for a client that signs OAuth 1.0a
    /// requests (`oneroster-admin client create --oauth1`); `None`: it cannot sign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_secret: Option<String>,
    /// What the district shares with it, beyond its scopes.
    #[serde(default)]
    pub sharing: Sharing,
}

impl OAuthClient {
    /// Whether it can sign OAuth 1.0a requests (its secret is kept sealed).
    pub fn can_sign(&self) -> bool {
        self.sealed_secret.is_some()
    }
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient")
            .field("id", &self.id)
            .field("tenant", &self.tenant)
            .field("name", &self.name)
            .field("scopes", &self.scopes)
            .field("secret_hash", &format_args!("[redacted]"))
            .field("enabled", &self.enabled)
            .field("created", &self.created)
            .field("rotated", &self.rotated)
            .field("sealed_secret", &self.sealed_secret.as_ref().map(|_| format_args!("[redacted]")))
            .field("sharing", &self.sharing)
            .finish()
    }
}

/// A static API key of a tenant (`oneroster-admin api-key create`), for server-to-server
/// integrations beside OAuth clients: its scopes as a client's, and only a SHA-256 of its
/// random part (`oneroster_auth::api_key`). `Debug` prints the hash as `[redacted]`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    /// The key's id (`{tenant}.{32 hex}`), the front of the key itself.
    pub id: String,
    /// The tenant.
    pub tenant: TenantId,
    /// A name for people (the integration it is for).
    pub name: String,
    /// The scopes it grants, space-separated URIs.
    pub scopes: String,
    /// SHA-256 of the key's random part, hex.
    pub hash: String,
    /// When it was made.
    pub created: Timestamp,
    /// When it was revoked (a revoked key is refused); `None` while it works.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Timestamp>,
    /// What the district shares through it, beyond its scopes (as a client's).
    #[serde(default)]
    pub sharing: Sharing,
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKey")
            .field("id", &self.id)
            .field("tenant", &self.tenant)
            .field("name", &self.name)
            .field("scopes", &self.scopes)
            .field("hash", &format_args!("[redacted]"))
            .field("created", &self.created)
            .field("revoked", &self.revoked)
            .field("sharing", &self.sharing)
            .finish()
    }
}

impl TenantClients<'_> {
    /// Saves a client (create or update); refused when it names another tenant.
    pub async fn put(&self, client: &OAuthClient) -> Result<(), StoreError> {
        check_owner(self.tenant, &client.tenant)?;
        self.store.put_json(client_key(self.tenant, &client.id), client).await
    }

    /// A client by id.
    pub async fn get(&self, id: &str) -> Result<Option<OAuthClient>, StoreError> {
        let item = self.store.get_item(client_key(self.tenant, id)).await?;
        item.as_ref().map(client_from).transpose()
    }

    /// Every client.
    pub async fn list(&self) -> Result<Vec<OAuthClient>, StoreError> {
        let (client, table) = (&self.store.client, &self.store.table);
        let items = crate::records::query_partition(client, table, clients_partition(self.tenant), None).await?;
        items.iter().map(client_from).collect()
    }

    /// Saves an API key (create, or revoke); refused when it names another tenant.
    pub async fn put_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        check_owner(self.tenant, &key.tenant)?;
        self.store.put_json(api_key_key(self.tenant, &key.id), key).await
    }

    /// An API key by id.
    pub async fn get_key(&self, id: &str) -> Result<Option<ApiKey>, StoreError> {
        let item = self.store.get_item(api_key_key(self.tenant, id)).await?;
        item.as_ref().map(|item| crate::records::from_json_body(item, "an API key")).transpose()
    }

    /// Every API key, revoked ones included.
    pub async fn list_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        let (client, table) = (&self.store.client, &self.store.table);
        let items = crate::records::query_partition(client, table, api_keys_partition(self.tenant), None).await?;
        items.iter().map(|item| crate::records::from_json_body(item, "an API key")).collect()
    }

    /// Records that `client` used `nonce` with `timestamp`, unless it did before: one
    /// conditional write, `false` for a nonce used already (a replay). The item expires (TTL)
    /// at `keep_until`, when the timestamp is stale anyway.
    pub async fn use_nonce(
        &self,
        client: &str,
        timestamp: u64,
        nonce: &str,
        keep_until: u64,
    ) -> Result<bool, StoreError> {
        let written = self
            .store
            .client
            .put_item()
            .table_name(&self.store.table)
            .set_item(Some(nonce_key(self.tenant, client, timestamp, nonce).into_item()))
            .item(attr::EXPIRES, AttributeValue::N(keep_until.to_string()))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", attr::PK)
            .send()
            .await;
        match written {
            Ok(_) => Ok(true),
            Err(error) => match aws_sdk_dynamodb::Error::from(error) {
                aws_sdk_dynamodb::Error::ConditionalCheckFailedException(_) => Ok(false),
                other => Err(StoreError::Dynamo(Box::new(other))),
            },
        }
    }
}

fn client_from(item: &crate::batch::Item) -> Result<OAuthClient, StoreError> {
    crate::records::from_json_body(item, "a client")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_or_api_key_never_prints_its_secret_hash() {
        let now = Timestamp::now();
        let client = OAuthClient {
            id: "district-7.00112233aabbccdd".into(),
            tenant: oneroster_model::ids::tenant_of_client("district-7.00112233aabbccdd").expect("a tenant"),
            name: "app".into(),
            scopes: String::new(),
            secret_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into(),
            enabled: true,
            created: now,
            rotated: now,
            sealed_secret: Some("c2VhbGVkIHNlY3JldA==".into()),
            sharing: Sharing::default(),
        };
        let shown = format!("{client:?}");
        assert!(shown.contains("[redacted]") && shown.contains("district-7.00112233aabbccdd"), "{shown}");
        assert!(!shown.contains("argon2id") && !shown.contains("c2VhbGVk"), "{shown}");
        let key = ApiKey {
            id: "district-7.00112233aabbccdd00112233aabbccdd".into(),
            tenant: client.tenant.clone(),
            name: "export".into(),
            scopes: String::new(),
            hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
            created: now,
            revoked: None,
            sharing: Sharing::default(),
        };
        let shown = format!("{key:?}");
        assert!(shown.contains("[redacted]") && !shown.contains("9f86d081"), "{shown}");
    }
}

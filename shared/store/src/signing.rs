//! The public keys that verify access tokens, published in the table by whoever rotates the
//! signing keys (`oneroster-admin keys`), so that API functions, which may read the table but
//! not the secret holding the private keys, learn of a new key without a redeploy.

use crate::keys::published_keys_key;
use crate::{Store, StoreError};

/// The published key set, as `/.well-known/jwks.json` serves it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PublishedKeys {
    /// The JWKS (`{"keys": […]}`).
    pub jwks: serde_json::Value,
}

impl Store {
    /// Publishes the public keys tokens are verified with.
    pub async fn publish_keys(&self, keys: &PublishedKeys) -> Result<(), StoreError> {
        self.put_json(published_keys_key(), keys).await
    }

    /// The published public keys, if any were published.
    pub async fn published_keys(&self) -> Result<Option<PublishedKeys>, StoreError> {
        let item = self.get_item(published_keys_key()).await?;
        item.as_ref().map(|item| crate::records::from_json_body(item, "the published keys")).transpose()
    }
}

//! Where a district's SIS serves its own OneRoster API, for the provider to pull the district's
//! data from (`oneroster-admin source set`): one item per tenant (`{tenant}#source`, `sis`),
//! its secret only sealed under the deployment's key, bound to the tenant.

use crate::keys::source_key;
use crate::records::from_json_body;
use crate::tenant::check_owner;
use crate::{StoreError, TenantSource};
use oneroster_model::{TenantId, Timestamp};
use serde::{Deserialize, Serialize};

/// A district's SIS as a source: its OneRoster API, how to sign in to it, when to pull and
/// what. `Debug` prints the sealed secret as `[redacted]`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// The tenant the pulled data goes to.
    pub tenant: TenantId,
    /// The origin (and any prefix) under which the SIS serves `/ims/oneroster/…`.
    pub url: String,
    /// The OneRoster version it speaks: `1.2` or `1.1`.
    pub version: String,
    /// How requests are signed in.
    pub auth: SourceAuth,
    /// The client's id at the SIS.
    pub client_id: String,
    /// The client's secret at the SIS, sealed under the deployment's key (bound to the tenant).
    pub sealed_secret: String,
    /// When to pull on its own (`cron(…)`, `daily`, `monthly`); `None`: only when asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// Pull the gradebook's collections too.
    #[serde(default)]
    pub gradebook: bool,
    /// Pull the resources' collection too.
    #[serde(default)]
    pub resources: bool,
    /// When it was last set.
    pub updated: Timestamp,
}

/// How the provider signs in to a source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "method")]
pub enum SourceAuth {
    /// OAuth 2.0 client credentials: a bearer token from `token_url`, for `scope` when given.
    #[serde(rename = "oauth2")]
    OAuth2 {
        /// Where tokens are asked for.
        token_url: String,
        /// The scopes asked for (space-separated); `None`: what the client holds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scope: Option<String>,
    },
    /// OAuth 1.0a: each request signed with the client's secret (HMAC-SHA256).
    #[serde(rename = "oauth1")]
    OAuth1,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("tenant", &self.tenant)
            .field("url", &self.url)
            .field("version", &self.version)
            .field("auth", &self.auth)
            .field("client_id", &self.client_id)
            .field("sealed_secret", &format_args!("[redacted]"))
            .field("schedule", &self.schedule)
            .field("gradebook", &self.gradebook)
            .field("resources", &self.resources)
            .field("updated", &self.updated)
            .finish()
    }
}

impl TenantSource<'_> {
    /// Saves the tenant's source, replacing any; refused when it names another tenant.
    pub async fn put(&self, source: &Source) -> Result<(), StoreError> {
        check_owner(self.tenant, &source.tenant)?;
        self.store.put_json(source_key(self.tenant), source).await
    }

    /// The tenant's source, if one is set.
    pub async fn get(&self) -> Result<Option<Source>, StoreError> {
        let item = self.store.get_item(source_key(self.tenant)).await?;
        item.as_ref().map(|item| from_json_body(item, "a district's source")).transpose()
    }

    /// Removes the tenant's source; `false` when there was none.
    pub async fn remove(&self) -> Result<bool, StoreError> {
        let output = self
            .store
            .client
            .delete_item()
            .table_name(&self.store.table)
            .set_key(Some(source_key(self.tenant).into_item()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await?;
        Ok(output.attributes.is_some())
    }
}

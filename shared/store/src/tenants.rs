//! The operators' registry of tenants (districts): which exist, their names, whether they are
//! enabled. It is the one partition whose key does not begin with a tenant (it lists them);
//! it holds no district data and no API request reads it.

use crate::keys::{tenant_registry_key, TENANT_REGISTRY};
use crate::{Store, StoreError};
use oneroster_model::{TenantId, Timestamp};
use serde::{Deserialize, Serialize};

/// A tenant as registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantRecord {
    /// The tenant id (first segment of upload keys, prefix of client ids).
    pub id: TenantId,
    /// The district's name.
    pub name: String,
    /// Disabled tenants' clients get no tokens.
    pub enabled: bool,
    /// When it was registered.
    pub created: Timestamp,
}

impl Store {
    /// Registers or updates a tenant.
    pub async fn put_tenant(&self, tenant: &TenantRecord) -> Result<(), StoreError> {
        self.put_json(tenant_registry_key(&tenant.id), tenant).await
    }

    /// A registered tenant.
    pub async fn get_tenant(&self, tenant: &TenantId) -> Result<Option<TenantRecord>, StoreError> {
        self.get_item(tenant_registry_key(tenant)).await?.as_ref().map(tenant_from).transpose()
    }

    /// Every registered tenant.
    pub async fn list_tenants(&self) -> Result<Vec<TenantRecord>, StoreError> {
        let items =
            crate::records::query_partition(&self.client, &self.table, TENANT_REGISTRY.to_owned(), None).await?;
        items.iter().map(tenant_from).collect()
    }
}

fn tenant_from(item: &crate::batch::Item) -> Result<TenantRecord, StoreError> {
    crate::records::from_json_body(item, "a tenant")
}

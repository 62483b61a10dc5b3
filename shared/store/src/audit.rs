//! A tenant's audit events: durable records, in the tenant's own partition
//! (`{tenant}#audit`), of what operators did to its data that no upload or API write shows: who
//! erased which user and how many records went with them, what a retention purge removed. They
//! name records by sourcedId only, never their content.

use crate::keys::{audit_key, audit_partition};
use crate::records::{from_json_body, query_partition};
use crate::{StoreError, TenantAudit};
use oneroster_model::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One audit event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    /// When it happened.
    pub at: Timestamp,
    /// What was done (`erase`, `purge`).
    pub action: String,
    /// Who did it (an operator's name, or the scheduled purge).
    pub by: String,
    /// What it was about: the erased user's sourcedId, or the purge's cut-off time.
    pub subject: String,
    /// Records changed, by collection.
    pub records: BTreeMap<String, u64>,
}

impl TenantAudit<'_> {
    /// Keeps `event` (for good: audit events are not purged with the records they name).
    pub async fn record(&self, event: &AuditEvent) -> Result<(), StoreError> {
        let key = audit_key(self.tenant, &event.at.to_string(), &event.action, &event.subject);
        self.store.put_json(key, event).await
    }

    /// Every audit event of the tenant, oldest first.
    pub async fn list(&self) -> Result<Vec<AuditEvent>, StoreError> {
        let (client, table) = (&self.store.client, &self.store.table);
        let items = query_partition(client, table, audit_partition(self.tenant), None).await?;
        items.iter().map(|item| from_json_body(item, "an audit event")).collect()
    }
}

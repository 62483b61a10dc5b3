//! Retention: a tenant's deleted records (`tobedeleted`: dropped by a bulk or a delta, deleted
//! through the API, erased) whose `dateLastModified` is older than the district's retention
//! period are removed for good: their items, every entry and lookup they made, the packs of
//! their parents rebuilt and the kept counts measured again, so that listings, counts and change
//! feeds no longer show them. Active records are never touched, whatever their age.
//!
//! They are found through the `by_modified` index, whose oldest part per shard is exactly what
//! has not changed since the cut-off, so a purge reads that part and nothing newer. It runs on a
//! schedule (the purge function, daily) or by an operator (`oneroster-admin purge`), never on a
//! request's path. DynamoDB's TTL cannot do it: an expired item would leave its entries, packs
//! and counts naming a record that is gone.

use crate::{locked, PrivacyError};
use oneroster_model::{Collection, Timestamp};
use oneroster_store::{AuditEvent, Store, Tenant};
use serde::Serialize;
use std::collections::BTreeMap;
use tracing::info;

/// What one tenant's purge did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Purge {
    /// The tenant.
    pub tenant: String,
    /// The retention period in days; `None`: the district keeps deleted records for ever, and
    /// nothing was purged.
    pub retention_days: Option<u32>,
    /// Records deleted before this were purged.
    pub before: Option<Timestamp>,
    /// The records purged, by collection (collections with none left out).
    pub removed: BTreeMap<String, u64>,
    /// Items deleted in the table (records, entries, lookups).
    pub items: u64,
}

/// Purges `tenant`'s deleted records older than its district's retention period at `now`
/// (see the module docs), under the tenant's ingest lock; an audit event says what went, when
/// anything did.
pub async fn purge(store: &Store, tenant: &Tenant, now: Timestamp) -> Result<Purge, PrivacyError> {
    let settings = store.tenant(tenant).settings().await?;
    let mut purge = Purge {
        tenant: tenant.to_string(),
        retention_days: settings.retention_days,
        before: settings.purge_before(now),
        removed: BTreeMap::new(),
        items: 0,
    };
    let Some(before) = purge.before else { return Ok(purge) };
    // Boxed: the pack rebuilds and recounts make a large future.
    Box::pin(locked(store, tenant, "retention-purge", async {
        let records = store.tenant(tenant).records();
        let mut removals = Vec::new();
        for collection in Collection::ALL {
            let old = records.deleted_before(collection, before).await?;
            if !old.is_empty() {
                purge.removed.insert(collection.name().to_owned(), old.len() as u64);
            }
            removals.extend(old);
        }
        if removals.is_empty() {
            return Ok(());
        }
        purge.items = store.tenant(tenant).upkeep().purge(removals).await?;
        let event = AuditEvent {
            at: now,
            action: "purge".to_owned(),
            by: "retention".to_owned(),
            subject: before.to_string(),
            records: purge.removed.clone(),
        };
        store.tenant(tenant).audit().record(&event).await?;
        info!(
            target: "audit",
            tenant = %tenant,
            action = "purge",
            before = %before,
            records = purge.removed.values().sum::<u64>(),
            items = purge.items,
            "deleted records past the retention period purged"
        );
        Ok(())
    }))
    .await?;
    Ok(purge)
}

/// Purges every enabled tenant (the scheduled function's run): each as [`purge`] does, one
/// after the other. A tenant that fails (or is busy applying an upload) is logged and left for
/// the next run; the others go on. Returns what was done, and the tenants that failed.
pub async fn purge_all(store: &Store, now: Timestamp) -> Result<(Vec<Purge>, Vec<String>), PrivacyError> {
    let (mut done, mut failed) = (Vec::new(), Vec::new());
    for record in store.list_tenants().await?.into_iter().filter(|t| t.enabled) {
        let tenant = Tenant::by_operator(record.id);
        match purge(store, &tenant, now).await {
            Ok(purged) => done.push(purged),
            Err(error) => {
                tracing::error!(tenant = %tenant, error = %error, "purging the tenant failed; the next run tries again");
                failed.push(tenant.to_string());
            }
        }
    }
    Ok((done, failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purge_reads_as_json_with_its_collections_named() {
        let purge = Purge {
            tenant: "district-7".into(),
            retention_days: Some(30),
            before: Timestamp::parse("2026-01-01T00:00:00.000Z").ok(),
            removed: BTreeMap::from([("users".to_owned(), 2)]),
            items: 7,
        };
        assert_eq!(
            serde_json::to_value(&purge).expect("JSON"),
            serde_json::json!({"tenant": "district-7", "retentionDays": 30, "before": "2026-01-01T00:00:00.000Z",
                               "removed": {"users": 2}, "items": 7})
        );
    }
}

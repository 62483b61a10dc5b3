//! Erasure on request: a user removed with every record that is only about them — their
//! enrollments, their demographics (same sourcedId), the results and assessment results where
//! they are the student, their user resource links, their attendance marks. Each is written over
//! with a tombstone holding only its sourcedId (`tobedeleted`, modified now), which drops every
//! entry and lookup it made (`Mutation::erase`): the API lists it nowhere, and change feeds list
//! the tombstone, so that apps delete their copies. The tombstones are marked erased, so that
//! erasing again does nothing and says so, and an upload that still carries the user (who is
//! then back, as the SIS says) is reported. Records that merely name the user among others (a
//! parent's `agents`) keep the sourcedId, which is all they hold of them.
//!
//! The user is erased last, so that an erasure cut short is finished by running it again. An
//! audit event (in the tenant's audit partition, and a log event with target `audit`) names who
//! erased whom and how many records of each collection went; nothing else about the user.

use crate::{locked, PrivacyError};
use oneroster_model::{Collection, Record, Relation, SourcedId, Timestamp};
use oneroster_store::{AuditEvent, Commit, Mutation, Store, StoredRecord, Tenant};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use tracing::info;

/// The collections whose records can be only about one user, by the reference that names them.
const ABOUT_A_USER: [Collection; 5] = [
    Collection::Enrollments,
    Collection::Results,
    Collection::AssessmentResults,
    Collection::Attendance,
    Collection::UserResources,
];

/// The properties by which a record of [`ABOUT_A_USER`] is about its user (an enrollment's
/// `user`, a result's or an attendance mark's `student`).
const WHOSE: [&str; 2] = ["user", "student"];

/// Records erased per commit (each a batched write of its item and its entries' deletions).
const CHUNK: usize = 500;

/// What an erasure did (printed by `oneroster-admin erase` as JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Erasure {
    /// The tenant.
    pub tenant: String,
    /// The erased user's sourcedId.
    pub user: String,
    /// Who asked for it.
    pub by: String,
    /// When the user was erased (by an earlier erasure, when `already_erased`).
    pub at: Timestamp,
    /// Whether the user had been erased already: nothing was done.
    pub already_erased: bool,
    /// The records erased, by collection, the user's own included (none when already erased).
    pub erased: BTreeMap<String, u64>,
}

/// Erases `user` of `tenant` at `now`, as asked by `by` (see the module docs), under the
/// tenant's ingest lock. A user erased already is left as is ([`Erasure::already_erased`]).
pub async fn erase(
    store: &Store,
    tenant: &Tenant,
    user: &SourcedId,
    by: &str,
    now: Timestamp,
) -> Result<Erasure, PrivacyError> {
    let records = store.tenant(tenant).records();
    let stored = records.get(Collection::Users, user.as_str()).await?;
    let stored = stored.ok_or_else(|| PrivacyError::UnknownUser(user.to_string()))?;
    let mut erasure = Erasure {
        tenant: tenant.to_string(),
        user: user.to_string(),
        by: by.to_owned(),
        at: now,
        already_erased: false,
        erased: BTreeMap::new(),
    };
    if let Some(at) = stored.erased {
        erasure.at = at;
        erasure.already_erased = true;
        return Ok(erasure);
    }
    // Boxed: the pack rebuilds and recounts make a large future.
    Box::pin(locked(store, tenant, &format!("erasure-{user}"), async {
        let mut erasing = Erasing { store, tenant, now, stale: BTreeSet::new(), erased: BTreeMap::new() };
        for collection in ABOUT_A_USER {
            let about: Vec<StoredRecord> = records
                .naming(collection, user.as_str())
                .await?
                .into_iter()
                .filter(|record| record.erased.is_none())
                .map(|record| Ok((is_about(&parsed(collection, &record)?, user), record)))
                .collect::<Result<Vec<_>, PrivacyError>>()?
                .into_iter()
                .filter_map(|(about, record)| about.then_some(record))
                .collect();
            erasing.erase(collection, about).await?;
        }
        let demographics = records.get(Collection::Demographics, user.as_str()).await?;
        erasing
            .erase(Collection::Demographics, demographics.into_iter().filter(|d| d.erased.is_none()).collect())
            .await?;
        // Last: until it is erased, running the erasure again finishes it.
        erasing.erase(Collection::Users, vec![stored]).await?;
        let Erasing { stale, erased, .. } = erasing;
        let upkeep = store.tenant(tenant).upkeep();
        upkeep.rebuild_packs(stale, &BTreeSet::new()).await?;
        for collection in erased.keys() {
            upkeep.refresh_counts(*collection).await?;
        }
        erasure.erased = erased.into_iter().map(|(collection, n)| (collection.name().to_owned(), n)).collect();
        Ok(())
    }))
    .await?;
    let event = AuditEvent {
        at: now,
        action: "erase".to_owned(),
        by: by.to_owned(),
        subject: user.to_string(),
        records: erasure.erased.clone(),
    };
    store.tenant(tenant).audit().record(&event).await?;
    info!(
        target: "audit",
        tenant = %tenant,
        action = "erase",
        by = by,
        user = %user,
        records = erasure.erased.values().sum::<u64>(),
        "user erased on request with every record only about them"
    );
    Ok(erasure)
}

/// Whether `record` is about `user`: names them as its user or student.
fn is_about(record: &Record, user: &SourcedId) -> bool {
    let whose = |field: &str| WHOSE.contains(&field);
    record.references().iter().any(|r| r.collection == Collection::Users && whose(r.field) && r.id == user)
}

/// A stored record of `collection` read back.
fn parsed(collection: Collection, stored: &StoredRecord) -> Result<Record, PrivacyError> {
    Record::from_json(collection, &stored.body).map_err(|e| PrivacyError::BadRecord {
        collection: collection.name(),
        id: stored.id.clone(),
        reason: e.to_string(),
    })
}

/// An erasure under way: what it has erased, and the packs it made stale.
struct Erasing<'a> {
    store: &'a Store,
    tenant: &'a Tenant,
    now: Timestamp,
    stale: BTreeSet<(Relation, String)>,
    erased: BTreeMap<Collection, u64>,
}

impl Erasing<'_> {
    /// Writes the erasure's tombstone over each of `records` of `collection`.
    async fn erase(&mut self, collection: Collection, records: Vec<StoredRecord>) -> Result<(), PrivacyError> {
        for chunk in records.chunks(CHUNK) {
            let mut writes = Vec::with_capacity(chunk.len());
            for stored in chunk {
                let id = SourcedId::parse(&stored.id).map_err(|e| PrivacyError::BadRecord {
                    collection: collection.name(),
                    id: stored.id.clone(),
                    reason: e.to_string(),
                })?;
                writes.push(Mutation::erase(collection, id, self.now).over(Some(stored)));
            }
            let committed = self.store.tenant(self.tenant).records().commit(Commit::Batched(writes)).await?;
            self.stale.extend(committed.stale_packs);
            *self.erased.entry(collection).or_default() += chunk.len() as u64;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn id(text: &str) -> SourcedId {
        SourcedId::parse(text).expect("an id")
    }

    fn guid(id: &str, kind: &str) -> serde_json::Value {
        json!({"sourcedId": id, "type": kind})
    }

    fn record(collection: Collection, mut body: serde_json::Value) -> Record {
        body["status"] = json!("active");
        body["dateLastModified"] = json!("2026-01-01T00:00:00.000Z");
        Record::from_json(collection, &body.to_string()).expect("a record")
    }

    #[test]
    fn a_record_is_about_the_user_it_names_as_its_user_or_student_only() {
        let enrollment = |user: &str| {
            record(
                Collection::Enrollments,
                json!({"sourcedId": "e-1", "class": guid("k-1", "class"), "school": guid("s-1", "org"),
                       "user": guid(user, "user"), "role": "student"}),
            )
        };
        let link = |user: &str| {
            record(
                Collection::UserResources,
                json!({"sourcedId": "l-1", "user": guid(user, "user"), "resource": guid("r-1", "resource")}),
            )
        };
        let parent = record(
            Collection::Users,
            json!({"sourcedId": "p-1", "enabledUser": "true", "username": "p", "givenName": "P", "familyName": "Q",
                   "roles": [], "agents": [guid("u-1", "user")]}),
        );
        let cases = [
            ("their enrollment", enrollment("u-1"), true),
            ("another's enrollment", enrollment("u-2"), false),
            ("their resource link", link("u-1"), true),
            ("another's resource link", link("u-2"), false),
            ("a parent naming them as a child", parent, false),
        ];
        for (name, record, about) in cases {
            assert_eq!(is_about(&record, &id("u-1")), about, "{name}");
        }
    }
}

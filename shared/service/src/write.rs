//! Writing through the API: the [`Writer`] checks what a write hangs off (a POST's parents)
//! and hands the body to `oneroster-writes`, which reads it by the record's OpenAPI shape and
//! stores it in one conditional transaction; what it did comes back typed ([`Written`]) for the
//! front end to answer and to audit.

use crate::read::Reader;
use crate::routes::{PostUnder, Write};
use crate::ServiceError;
use oneroster_model::Collection;
use oneroster_openapi::Version;
use oneroster_store::{Store, Tenant};
use oneroster_writes::{Change, ChangeKind, Origin, Within};

/// What a write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// A PUT created the record.
    Created(Change),
    /// A PUT replaced the record.
    Replaced(Change),
    /// A DELETE left the record's tombstone.
    Deleted(Change),
    /// A POST created records under its parents.
    Posted {
        /// Each record's sourcedId as supplied and as stored (`sourcedIdPairs`).
        pairs: Vec<(String, String)>,
        /// What it did to each record.
        changes: Vec<Change>,
    },
}

impl Written {
    /// Every record the write changed, for the audit trail.
    pub fn changes(&self) -> &[Change] {
        match self {
            Written::Created(change) | Written::Replaced(change) | Written::Deleted(change) => {
                std::slice::from_ref(change)
            }
            Written::Posted { changes, .. } => changes,
        }
    }
}

/// Writes for one API client of one tenant.
#[derive(Debug, Clone)]
pub struct Writer<'a> {
    store: &'a Store,
    tenant: &'a Tenant,
    origin: Origin,
    version: Version,
}

impl<'a> Writer<'a> {
    /// Writes `tenant`'s records through `store` as `origin` (the client, kept on each record so
    /// that a bulk file never tombstones what an API client wrote).
    pub fn new(store: &'a Store, tenant: &'a Tenant, origin: Origin) -> Self {
        Self { store, tenant, origin, version: Version::V1p2 }
    }

    /// The same, reading bodies of `version` (1.1's put in 1.2's terms before they are stored).
    pub fn speaking(self, version: Version) -> Self {
        Self { version, ..self }
    }

    /// Does `write` with the path's `ids` (checked) and the request `body` (unread for a
    /// DELETE).
    pub async fn write(&self, write: Write, ids: &[String], body: &[u8]) -> Result<Written, ServiceError> {
        let id = ids.first().map(String::as_str).unwrap_or_default();
        match write {
            Write::Put(collection) => self.put(collection, id, body).await,
            Write::Delete(collection) => self.delete(collection, id).await,
            Write::Post(collection, under) => self.post(collection, under, ids, body).await,
        }
    }

    /// Creates or replaces record `id` of `collection` from `body`.
    pub async fn put(&self, collection: Collection, id: &str, body: &[u8]) -> Result<Written, ServiceError> {
        let (store, tenant, origin) = (self.store, self.tenant, &self.origin);
        let change = oneroster_writes::put(store, tenant, origin, self.version, collection, id, body).await?;
        Ok(match change.kind {
            ChangeKind::Created => Written::Created(change),
            _ => Written::Replaced(change),
        })
    }

    /// Deletes record `id` of `collection` (a tombstone).
    pub async fn delete(&self, collection: Collection, id: &str) -> Result<Written, ServiceError> {
        let change = oneroster_writes::delete(self.store, self.tenant, &self.origin, collection, id).await?;
        Ok(Written::Deleted(change))
    }

    /// Creates the records of `body` under the parents `under` names, whose ids are `ids` in the
    /// path's order: each parent must exist (not found) before anything is read from the body.
    pub async fn post(
        &self,
        collection: Collection,
        under: PostUnder,
        ids: &[String],
        body: &[u8],
    ) -> Result<Written, ServiceError> {
        let id = |i: usize| ids.get(i).map(String::as_str).unwrap_or_default();
        let reader = Reader::new(self.store, self.tenant);
        for (i, parent) in under.parents().iter().enumerate() {
            reader.get(parent.collection, parent.view, id(i), parent.name).await?;
        }
        let within = match under {
            PostUnder::Class => Within::Class(id(0)),
            PostUnder::School => Within::School(id(0)),
            PostUnder::LineItem => Within::LineItem(id(0)),
            PostUnder::ClassSession => Within::ClassSession(id(0), id(1)),
        };
        let (pairs, changes) =
            oneroster_writes::post(self.store, self.tenant, &self.origin, collection, within, body).await?;
        Ok(Written::Posted { pairs, changes })
    }
}

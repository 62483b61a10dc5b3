//! Writing through the API: the [`Writer`] checks what a write hangs off (a POST's parents)
//! and hands the body to `oneroster-writes`, which reads it by the record's OpenAPI shape and
//! stores it in one conditional transaction; what it did comes back typed ([`Written`]) for the
//! front end to answer and to audit.

use crate::read::Reader;
use crate::routes::{link_parents, Creates, Parent, PostUnder, Write};
use crate::ServiceError;
use oneroster_model::vocab::EnrollmentRole;
use oneroster_model::{Collection, View};
use oneroster_openapi::Version;
use oneroster_store::{Store, StoredRecord, Tenant};
use oneroster_writes::{Change, ChangeKind, Origin, Placed, Within};

/// What a write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// A PUT created the record.
    Created(Change),
    /// A PUT replaced the record.
    Replaced(Change),
    /// A DELETE left the record's tombstone.
    Deleted(Change),
    /// A POST made the record where its path puts it (an enrollment in a class), answered
    /// with the record.
    Made(Change),
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
            Written::Created(change) | Written::Replaced(change) | Written::Deleted(change) | Written::Made(change) => {
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
        let id = |i: usize| ids.get(i).map(String::as_str).unwrap_or_default();
        let (store, tenant, origin) = (self.store, self.tenant, &self.origin);
        match write {
            Write::Put(collection, view) => self.put(collection, view, id(0), body).await,
            Write::Delete(collection, view) => {
                let change = oneroster_writes::delete(store, tenant, origin, collection, view, id(0)).await?;
                Ok(Written::Deleted(change))
            }
            Write::Post(collection, under) => self.post(collection, under, ids, body).await,
            Write::Create(collection, creates) => self.create(collection, creates, ids, body).await,
            Write::Link(collection) => {
                self.parents(&link_parents(collection), ids).await?;
                let change = oneroster_writes::link(store, tenant, origin, collection, id(0), id(1)).await?;
                Ok(created_or_replaced(change))
            }
            Write::Unlink(collection) => {
                self.parents(&link_parents(collection), ids).await?;
                let change = oneroster_writes::unlink(store, tenant, origin, collection, id(0), id(1)).await?;
                Ok(Written::Deleted(change))
            }
        }
    }

    /// Creates or replaces record `id` of `collection` (in `view`, when given) from `body`.
    pub async fn put(
        &self,
        collection: Collection,
        view: Option<View>,
        id: &str,
        body: &[u8],
    ) -> Result<Written, ServiceError> {
        let (store, tenant, origin) = (self.store, self.tenant, &self.origin);
        let change = oneroster_writes::put(store, tenant, origin, self.version, collection, view, id, body).await?;
        Ok(created_or_replaced(change))
    }

    /// Creates the one record of `body` where `creates` puts it, under the parents its path
    /// names (`ids`), which must exist.
    async fn create(
        &self,
        collection: Collection,
        creates: Creates,
        ids: &[String],
        body: &[u8],
    ) -> Result<Written, ServiceError> {
        let parents = self.parents(creates.parents(), ids).await?;
        let parent = ids.first().map(String::as_str).unwrap_or_default();
        // The class an enrolment is made in, as the parent check read it (its school is the
        // enrollment's).
        let class =
            || parents.first().ok_or_else(|| ServiceError::NotFound { what: "class".into(), id: parent.into() });
        let placed = match creates {
            Creates::In(view) => Placed::In(view),
            Creates::GradingPeriodOfTerm => Placed::GradingPeriodOf(parent),
            Creates::Student => Placed::EnrolledIn(class()?, EnrollmentRole::Student),
            Creates::Teacher => Placed::EnrolledIn(class()?, EnrollmentRole::Teacher),
        };
        let (pair, change) =
            oneroster_writes::create(self.store, self.tenant, &self.origin, collection, placed, body).await?;
        Ok(match creates {
            Creates::Student | Creates::Teacher => Written::Made(change),
            _ => Written::Posted { pairs: vec![pair], changes: vec![change] },
        })
    }

    /// Checks that each parent the path names exists (not found otherwise), in the path's order;
    /// returns them as read.
    async fn parents(&self, parents: &[Parent], ids: &[String]) -> Result<Vec<StoredRecord>, ServiceError> {
        let reader = Reader::new(self.store, self.tenant);
        let mut read = Vec::with_capacity(parents.len());
        for (parent, id) in parents.iter().zip(ids) {
            read.push(reader.get(parent.collection, parent.view, id, parent.name).await?);
        }
        Ok(read)
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
        self.parents(under.parents(), ids).await?;
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

/// A PUT's outcome: 201 when it created the record, 200 when it replaced it.
fn created_or_replaced(change: Change) -> Written {
    match change.kind {
        ChangeKind::Created => Written::Created(change),
        _ => Written::Replaced(change),
    }
}

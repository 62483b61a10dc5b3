//! Every change to a record — a row of an upload, a record an API client writes, an API
//! deletion — is a [`Mutation`], and only its constructors work out what a write stores besides
//! the body: the content hash ([`Encoded`]), the relation entries the record makes (given the
//! record they depend on), and its view. [`Store::commit`](crate::Store::commit) writes them.

use crate::layout;
use crate::records::{Prior, StoredRecord};
use oneroster_model::{Collection, Link, Record, Relation, SourcedId, Status, Timestamp, View};
use std::collections::HashMap;

/// Stored records by (collection, sourcedId), as [`Store::get_named`](crate::Store::get_named)
/// reads them: what a record's links depend on (an enrollment's class, for its school).
pub type Named = HashMap<(Collection, String), Record>;

/// A record with its body and content hash, made in one serialisation: the ingest compares the
/// hash with the stored one before it decides to write, and the write reuses both.
#[derive(Debug, Clone)]
pub struct Encoded {
    record: Record,
    body: String,
    hash: u64,
}

impl Encoded {
    /// Encodes `record` as it stands (status and `dateLastModified` included in the body, not
    /// in the hash).
    pub fn new(mut record: Record) -> Self {
        let (body, hash) = record.to_json_with_hash();
        Self { record, body, hash }
    }

    /// The record.
    pub fn record(&self) -> &Record {
        &self.record
    }

    /// Its JSON body, as stored and served.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// Its content hash (without status and `dateLastModified`).
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// Its sourcedId.
    pub fn id(&self) -> &SourcedId {
        &self.record.base().sourced_id
    }

    /// Its status.
    pub fn status(&self) -> &Status {
        &self.record.base().status
    }
}

/// A change to one record, ready to commit: the record item and the relation entries it makes
/// now, against what is stored.
#[derive(Debug, Clone)]
pub struct Mutation {
    pub(crate) collection: Collection,
    pub(crate) id: SourcedId,
    pub(crate) body: String,
    pub(crate) status: Status,
    pub(crate) modified: Timestamp,
    pub(crate) hash: u64,
    /// The relation entries it makes.
    pub(crate) links: Vec<Link>,
    /// The record it replaces, `None` for a new record.
    pub(crate) previous: Option<Prior>,
    /// Sub-records kept beside the body (a user's roles and profiles), as JSON.
    pub(crate) parts: Option<String>,
    /// The typed view it belongs to (indexed by `by_view`).
    pub(crate) view: Option<View>,
    /// Who writes it: `None` for the SIS feed, else the API client.
    pub(crate) origin: Option<String>,
    /// Whether this is the tombstone of a deletion through the API (see [`StoredRecord::gone`]).
    pub(crate) gone: bool,
}

/// What a committed mutation did to its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// There was no record (or only the tombstone of one deleted through the API).
    Created,
    /// A record was replaced.
    Updated,
    /// A record became `tobedeleted`, or was deleted through the API.
    Deleted,
}

impl Mutation {
    /// The write of `record` as encoded, with the entries it makes (its link dependency looked
    /// up in `named`) and its view; as a new record until [`Mutation::over`] says what it
    /// replaces.
    pub fn put(encoded: Encoded, named: &Named) -> Self {
        let Encoded { record, body, hash } = encoded;
        let dependency = record.link_dependency().and_then(|(collection, id)| named.get(&(collection, id.to_string())));
        let base = record.base();
        Self {
            collection: record.collection(),
            id: base.sourced_id.clone(),
            status: base.status.clone(),
            modified: base.date_last_modified,
            body,
            hash,
            links: record.links(dependency),
            view: record.view(),
            previous: None,
            parts: None,
            origin: None,
            gone: false,
        }
    }

    /// The deletion of `stored` through the API: a tombstone (`tobedeleted`, modified now)
    /// under no parent and in no view, which only change feeds list; its content, hash and
    /// parts are the stored ones.
    pub fn delete(mut record: Record, stored: &StoredRecord, origin: &str) -> Self {
        let base = record.base_mut();
        base.status = Status::ToBeDeleted;
        base.date_last_modified = Timestamp::now();
        let Encoded { record, body, .. } = Encoded::new(record);
        Self {
            collection: record.collection(),
            id: record.base().sourced_id.clone(),
            body,
            status: Status::ToBeDeleted,
            modified: record.base().date_last_modified,
            hash: stored.hash,
            links: Vec::new(),
            previous: Some(stored.prior()),
            parts: stored.parts.clone(),
            view: None,
            origin: Some(origin.to_owned()),
            gone: true,
        }
    }

    /// The same write over `stored` (`None`: there is none): the entries the stored record made
    /// and no longer makes are removed.
    pub fn over(self, stored: Option<&StoredRecord>) -> Self {
        Self { previous: stored.map(StoredRecord::prior), ..self }
    }

    /// The same write made by the API client `origin` (not the SIS feed).
    pub fn by(self, origin: &str) -> Self {
        Self { origin: Some(origin.to_owned()), ..self }
    }

    /// The same write with the sub-records kept beside the body.
    pub fn with_parts(self, parts: Option<String>) -> Self {
        Self { parts, ..self }
    }

    /// The same write keeping `hash` as its content hash: a record the ingest marks
    /// `tobedeleted` says what the stored one said.
    pub fn keeping_hash(self, hash: u64) -> Self {
        Self { hash, ..self }
    }

    /// The record's collection.
    pub fn collection(&self) -> Collection {
        self.collection
    }

    /// The record's sourcedId.
    pub fn id(&self) -> &SourcedId {
        &self.id
    }

    /// What the write does to its record.
    pub fn action(&self) -> Action {
        match &self.previous {
            None => Action::Created,
            Some(prior) if prior.gone => Action::Created,
            Some(prior) if self.gone || (self.status == Status::ToBeDeleted && prior.status != Status::ToBeDeleted) => {
                Action::Deleted
            }
            Some(_) => Action::Updated,
        }
    }

    /// The packs whose heads copy this record's view, when the write changes it (a user whose
    /// primary role turns from teacher to student): the packs of its children.
    pub(crate) fn view_change_packs(&self) -> Vec<(Relation, String)> {
        match &self.previous {
            Some(prior) if prior.view != self.view => Relation::ALL
                .into_iter()
                .filter(|relation| layout::of(*relation).packed && relation.parent() == self.collection)
                .map(|relation| (relation, self.id.to_string()))
                .collect(),
            _ => Vec::new(),
        }
    }
}

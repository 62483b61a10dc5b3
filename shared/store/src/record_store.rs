//! The seam between the ingest's apply and the table: the seven calls an apply makes, as a
//! trait, so that unit tests run the apply against the in-memory store (feature `memory`)
//! in milliseconds while [`TenantStore`] serves every deployment and the end-to-end tests
//! unchanged. Narrow on purpose: it names what an apply reads and writes, nothing a request
//! does; and it is one tenant's, as an apply is.

use crate::keys::ShardPart;
use crate::{Committed, Digest, Mutation, Named, StoreError, StoredRecord};
#[cfg(doc)]
use crate::{TenantRecords, TenantStore, TenantUpkeep};
use oneroster_model::{Collection, Relation};
use std::collections::BTreeSet;
use std::future::Future;

/// What an apply needs of one tenant's records: digests to diff a bulk file, the stored records
/// to diff a delta and to find old entries, the records links depend on, one batched commit,
/// and the upkeep after the writes (packs, kept counts). Each method means what the
/// [`TenantRecords`] or [`TenantUpkeep`] method of the same name means.
pub trait RecordStore: Sync {
    /// [`TenantRecords::digests`]: every record of `collection` in `part` of its shards, reduced
    /// to what decides a write.
    fn digests(
        &self,
        collection: Collection,
        part: ShardPart,
    ) -> impl Future<Output = Result<Vec<Digest>, StoreError>> + Send;

    /// [`TenantRecords::get_many`]: the stored records of `ids`, in their order, missing ones
    /// left out.
    fn get_many(
        &self,
        collection: Collection,
        ids: &[String],
    ) -> impl Future<Output = Result<Vec<StoredRecord>, StoreError>> + Send;

    /// [`TenantRecords::get_named`]: the live records `names` name, parsed.
    fn get_named(&self, names: Vec<(Collection, String)>) -> impl Future<Output = Result<Named, StoreError>> + Send;

    /// [`TenantRecords::commit`] of [`Commit::Batched`](crate::Commit::Batched): the ingest's
    /// only way of writing.
    fn commit_batched(&self, mutations: Vec<Mutation>) -> impl Future<Output = Result<Committed, StoreError>> + Send;

    /// [`TenantUpkeep::rebuild_packs`]: the packs of the parents whose entries changed.
    fn rebuild_packs(
        &self,
        parents: BTreeSet<(Relation, String)>,
        first_records: &BTreeSet<Collection>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// [`TenantUpkeep::rebuild_all_packs`]: every pack `collection`'s records make or hang off
    /// whose parent falls in `parents`.
    fn rebuild_all_packs(
        &self,
        collection: Collection,
        parents: ShardPart,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// [`TenantUpkeep::refresh_counts`]: the kept counts of `collection` and its views.
    fn refresh_counts(&self, collection: Collection) -> impl Future<Output = Result<(), StoreError>> + Send;
}

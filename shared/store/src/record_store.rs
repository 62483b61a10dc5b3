//! The seam between the ingest's apply and the table: the seven calls an apply makes, as a
//! trait, so that unit tests run the apply against the in-memory store (feature `memory`)
//! in milliseconds while [`Store`] serves every deployment and the end-to-end tests unchanged.
//! Narrow on purpose: it names what an apply reads and writes, nothing a request does.

use crate::{Committed, Digest, Mutation, Named, Store, StoreError, StoredRecord, Tenant};
use oneroster_model::{Collection, Relation};
use std::collections::BTreeSet;
use std::future::Future;

/// What an apply needs of the records' store: digests to diff a bulk file, the stored records
/// to diff a delta and to find old entries, the records links depend on, one batched commit,
/// and the upkeep after the writes (packs, kept counts). Each method means what the
/// [`Store`] method of the same name means.
pub trait RecordStore: Sync {
    /// [`Store::digests`]: every record of `collection`, reduced to what decides a write.
    fn digests(
        &self,
        tenant: &Tenant,
        collection: Collection,
    ) -> impl Future<Output = Result<Vec<Digest>, StoreError>> + Send;

    /// [`Store::get_many`]: the stored records of `ids`, in their order, missing ones left out.
    fn get_many(
        &self,
        tenant: &Tenant,
        collection: Collection,
        ids: &[String],
    ) -> impl Future<Output = Result<Vec<StoredRecord>, StoreError>> + Send;

    /// [`Store::get_named`]: the live records `names` name, parsed.
    fn get_named(
        &self,
        tenant: &Tenant,
        names: Vec<(Collection, String)>,
    ) -> impl Future<Output = Result<Named, StoreError>> + Send;

    /// [`Store::commit`] of [`Commit::Batched`](crate::Commit::Batched): the ingest's only
    /// way of writing.
    fn commit_batched(
        &self,
        tenant: &Tenant,
        mutations: Vec<Mutation>,
    ) -> impl Future<Output = Result<Committed, StoreError>> + Send;

    /// [`Store::rebuild_packs`]: the packs of the parents whose entries changed.
    fn rebuild_packs(
        &self,
        tenant: &Tenant,
        parents: BTreeSet<(Relation, String)>,
        first_records: &BTreeSet<Collection>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// [`Store::rebuild_all_packs`]: every pack `collection`'s records make or hang off.
    fn rebuild_all_packs(
        &self,
        tenant: &Tenant,
        collection: Collection,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// [`Store::refresh_counts`]: the kept counts of `collection` and its views.
    fn refresh_counts(
        &self,
        tenant: &Tenant,
        collection: Collection,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

impl RecordStore for Store {
    async fn digests(&self, tenant: &Tenant, collection: Collection) -> Result<Vec<Digest>, StoreError> {
        Store::digests(self, tenant, collection).await
    }

    async fn get_many(
        &self,
        tenant: &Tenant,
        collection: Collection,
        ids: &[String],
    ) -> Result<Vec<StoredRecord>, StoreError> {
        Store::get_many(self, tenant, collection, ids).await
    }

    async fn get_named(&self, tenant: &Tenant, names: Vec<(Collection, String)>) -> Result<Named, StoreError> {
        Store::get_named(self, tenant, names).await
    }

    async fn commit_batched(&self, tenant: &Tenant, mutations: Vec<Mutation>) -> Result<Committed, StoreError> {
        self.commit(tenant, crate::Commit::Batched(mutations)).await
    }

    async fn rebuild_packs(
        &self,
        tenant: &Tenant,
        parents: BTreeSet<(Relation, String)>,
        first_records: &BTreeSet<Collection>,
    ) -> Result<(), StoreError> {
        Store::rebuild_packs(self, tenant, parents, first_records).await
    }

    async fn rebuild_all_packs(&self, tenant: &Tenant, collection: Collection) -> Result<(), StoreError> {
        Store::rebuild_all_packs(self, tenant, collection).await
    }

    async fn refresh_counts(&self, tenant: &Tenant, collection: Collection) -> Result<(), StoreError> {
        Store::refresh_counts(self, tenant, collection).await
    }
}

//! One tenant's part of the table: [`Store::tenant`] gives a [`TenantStore`], and its
//! sub-handles group the access patterns by what they are about (records, listings, ingest jobs,
//! OAuth clients, the upkeep after an ingest). The tenant is given once, when the handle is made,
//! so no call can name another; what is not per tenant (the tenant registry, the published keys,
//! the failure counts, the table itself) stays on [`Store`].
//!
//! The handles of jobs and clients are implemented in [`crate::jobs`] and [`crate::clients`],
//! which nothing else in the crate calls. The access patterns of records, listings and upkeep are
//! implemented beside the items they read (`records`, `commit`, `listing`, `packs`, `measure`) as
//! crate-internal methods of [`Store`] that take the tenant, since they call one another and hand
//! the tenant to the tasks they spawn; their handles here are the only way to them from outside
//! the crate.

use crate::commit::{Commit, Committed};
use crate::keys::{settings_key, ShardPart};
use crate::listing::{Cursor, Listing, Page};
use crate::record_store::RecordStore;
use crate::records::{Digest, Removal, StoredRecord};
use crate::{Named, Store, StoreError, Tenant};
use oneroster_model::{Collection, DistrictSettings, Record, Relation, TenantId, Timestamp, View};
use std::collections::{BTreeSet, HashMap, HashSet};

/// One tenant's part of the table (see the module docs). Cheap to copy: a store and a tenant
/// borrowed.
#[derive(Debug, Clone, Copy)]
pub struct TenantStore<'a> {
    store: &'a Store,
    tenant: &'a Tenant,
}

impl Store {
    /// The handle to `tenant`'s part of the table, through which every access to district data
    /// goes.
    pub fn tenant<'a>(&'a self, tenant: &'a Tenant) -> TenantStore<'a> {
        TenantStore { store: self, tenant }
    }
}

impl<'a> TenantStore<'a> {
    /// The tenant's records: read by id or name, diffed, committed.
    pub fn records(self) -> TenantRecords<'a> {
        TenantRecords { store: self.store, tenant: self.tenant }
    }

    /// The tenant's listings: paged, skipped into, counted.
    pub fn lists(self) -> TenantLists<'a> {
        TenantLists { store: self.store, tenant: self.tenant }
    }

    /// The tenant's ingest jobs and its ingest lock.
    pub fn jobs(self) -> TenantJobs<'a> {
        TenantJobs { store: self.store, tenant: self.tenant }
    }

    /// The tenant's OAuth clients.
    pub fn clients(self) -> TenantClients<'a> {
        TenantClients { store: self.store, tenant: self.tenant }
    }

    /// What the ingest keeps up after writing: packs and kept counts; and removing records for
    /// good (retention).
    pub fn upkeep(self) -> TenantUpkeep<'a> {
        TenantUpkeep { store: self.store, tenant: self.tenant }
    }

    /// The tenant's audit events (erasures, retention purges).
    pub fn audit(self) -> TenantAudit<'a> {
        TenantAudit { store: self.store, tenant: self.tenant }
    }

    /// The tenant's change events (the feed), made of the table's stream.
    pub fn events(self) -> TenantEvents<'a> {
        TenantEvents { store: self.store, tenant: self.tenant }
    }

    /// The tenant's webhooks, their delivery counts and dead letters.
    pub fn webhooks(self) -> TenantWebhooks<'a> {
        TenantWebhooks { store: self.store, tenant: self.tenant }
    }

    /// The district's SIS, when the provider pulls from it.
    pub fn source(self) -> TenantSource<'a> {
        TenantSource { store: self.store, tenant: self.tenant }
    }

    /// Where the tenant's grade write-back stands.
    pub fn outbox(self) -> TenantOutbox<'a> {
        TenantOutbox { store: self.store, tenant: self.tenant }
    }

    /// The district's settings; the defaults when none were ever set. Read at each upload and at
    /// each request that needs one, so a change takes effect at the next.
    pub async fn settings(self) -> Result<DistrictSettings, StoreError> {
        match self.store.get_item(settings_key(self.tenant)).await? {
            Some(item) => crate::records::from_json_body(&item, "a district's settings"),
            None => Ok(DistrictSettings::default()),
        }
    }

    /// Saves the district's settings (an operator's change).
    pub async fn put_settings(self, settings: &DistrictSettings) -> Result<(), StoreError> {
        self.store.put_json(settings_key(self.tenant), settings).await
    }
}

/// Refuses a value that names another tenant than the handle's (a job, a client), before it is
/// written into the handle's tenant's partition.
pub(crate) fn check_owner(tenant: &Tenant, owner: &TenantId) -> Result<(), StoreError> {
    if owner == tenant.id() {
        return Ok(());
    }
    Err(StoreError::OtherTenant { tenant: tenant.to_string(), named: owner.to_string() })
}

/// A tenant's records: one method per read access pattern, and the one way they are written.
#[derive(Debug, Clone, Copy)]
pub struct TenantRecords<'a> {
    store: &'a Store,
    tenant: &'a Tenant,
}

impl TenantRecords<'_> {
    /// One record by sourcedId (`GET /{collection}/{id}`): one read.
    pub async fn get(&self, collection: Collection, id: &str) -> Result<Option<StoredRecord>, StoreError> {
        self.store.get(self.tenant, collection, id).await
    }

    /// Many records of one collection by sourcedId (relation reads, ingest diffs), in the order
    /// of `ids`, missing ones left out.
    pub async fn get_many(&self, collection: Collection, ids: &[String]) -> Result<Vec<StoredRecord>, StoreError> {
        self.store.get_many(self.tenant, collection, ids).await
    }

    /// The live records `names` name, parsed and keyed by (collection, sourcedId): what
    /// references and link dependencies resolve to.
    pub async fn get_named(
        &self,
        names: impl IntoIterator<Item = (Collection, String)>,
    ) -> Result<HashMap<(Collection, String), Record>, StoreError> {
        self.store.get_named(self.tenant, names).await
    }

    /// Which of `ids` exist in `collection` (reference checks of delta packages).
    pub async fn existing_ids(&self, collection: Collection, ids: &[String]) -> Result<HashSet<String>, StoreError> {
        self.store.existing_ids(self.tenant, collection, ids).await
    }

    /// Every record of a collection in `part` of its shards, reduced to what decides whether
    /// the ingest writes it.
    pub async fn digests(&self, collection: Collection, part: ShardPart) -> Result<Vec<Digest>, StoreError> {
        self.store.digests(self.tenant, collection, part).await
    }

    /// Commits `commit`: the one way records are written (see [`crate::commit`]).
    pub async fn commit(&self, commit: Commit<'_>) -> Result<Committed, StoreError> {
        self.store.commit(self.tenant, commit).await
    }

    /// The records of `collection` deleted (`tobedeleted`) and last modified before `before`,
    /// found through the oldest part of the `by_modified` index: what a retention purge
    /// removes with [`TenantUpkeep::purge`]. Not for requests.
    pub async fn deleted_before(&self, collection: Collection, before: Timestamp) -> Result<Vec<Removal>, StoreError> {
        self.store.deleted_before(self.tenant, collection, before).await
    }

    /// The records of `collection` whose body names `id` as a sourcedId (their own or a
    /// reference's), tombstones included: what an erasure of `id` looks through. Reads the whole
    /// collection (filtered by DynamoDB): an operator's call, never a request's.
    pub async fn naming(&self, collection: Collection, id: &str) -> Result<Vec<StoredRecord>, StoreError> {
        self.store.naming(self.tenant, collection, id).await
    }
}

/// A tenant's listings, read page by page from an opaque cursor (see the `walk` module).
#[derive(Debug, Clone, Copy)]
pub struct TenantLists<'a> {
    store: &'a Store,
    tenant: &'a Tenant,
}

impl TenantLists<'_> {
    /// One page of `limit` records of `listing` from `cursor`.
    pub async fn page(&self, listing: &Listing, limit: usize, cursor: Cursor) -> Result<Page, StoreError> {
        self.store.page(self.tenant, listing, limit, cursor).await
    }

    /// The cursor `offset` records into `listing` (`offset=` without a cursor), or `None` past
    /// its end.
    pub async fn skip(&self, listing: &Listing, offset: u64) -> Result<Option<Cursor>, StoreError> {
        self.store.skip(self.tenant, listing, offset).await
    }

    /// How many records `listing` holds (`X-Total-Count`).
    pub async fn count(&self, listing: &Listing) -> Result<u64, StoreError> {
        self.store.count(self.tenant, listing).await
    }

    /// The first `limit` entries of `parent` in `relation`, each as its child and the record
    /// that makes it (an enrollment for a class's students, the class itself for a school's
    /// classes), and whether more follow: what deleting the parent deletes with it or is
    /// refused over.
    pub async fn makers(
        &self,
        relation: Relation,
        parent: &str,
        limit: usize,
    ) -> Result<(Vec<(String, String)>, bool), StoreError> {
        let listing = Listing::Related { relation, parent: parent.to_owned() };
        self.store.entry_makers(self.tenant, &listing, limit).await
    }

    /// The view of a relation's parent as its pack recorded it (`None`: no pack, or in no
    /// view), so that a route wanting its parent in a view checks it at no extra read.
    pub async fn parent_view(&self, relation: Relation, parent: &str) -> Result<Option<View>, StoreError> {
        self.store.parent_view(self.tenant, relation, parent).await
    }
}

/// A tenant's ingest jobs (one per uploaded object) and its ingest lock (so two uploads of one
/// tenant never interleave).
#[derive(Debug, Clone, Copy)]
pub struct TenantJobs<'a> {
    pub(crate) store: &'a Store,
    pub(crate) tenant: &'a Tenant,
}

/// A tenant's OAuth clients.
#[derive(Debug, Clone, Copy)]
pub struct TenantClients<'a> {
    pub(crate) store: &'a Store,
    pub(crate) tenant: &'a Tenant,
}

/// What the ingest keeps up once a package is written: the packs of the parents whose entries
/// changed, and the kept counts of the collections written to.
#[derive(Debug, Clone, Copy)]
pub struct TenantUpkeep<'a> {
    store: &'a Store,
    tenant: &'a Tenant,
}

impl TenantUpkeep<'_> {
    /// Rebuilds the packs of `parents` (see [`crate::packs`]); `first_records` names the
    /// collections that held no record before the writes (a first load).
    pub async fn rebuild_packs(
        &self,
        parents: impl IntoIterator<Item = (Relation, String)>,
        first_records: &BTreeSet<Collection>,
    ) -> Result<(), StoreError> {
        self.store.rebuild_packs(self.tenant, parents, first_records).await
    }

    /// Rebuilds every pack `collection`'s records make or hang off whose parent falls in
    /// `parents` (a resumed ingest).
    pub async fn rebuild_all_packs(&self, collection: Collection, parents: ShardPart) -> Result<(), StoreError> {
        self.store.rebuild_all_packs(self.tenant, collection, parents).await
    }

    /// Re-measures the kept counts of `collection` and its views.
    pub async fn refresh_counts(&self, collection: Collection) -> Result<(), StoreError> {
        self.store.refresh_counts(self.tenant, collection).await
    }

    /// Removes records for good (a retention purge of old tombstones), however many: each
    /// record's item and every entry and lookup it made; then the packs of the parents it was
    /// listed under (and its own) rebuilt from the entries left, and the kept counts of its
    /// collection measured again, so that listings, counts and change feeds no longer show it.
    /// Returns the items deleted. Run again after a failure, it finishes the job.
    pub async fn purge(&self, removals: Vec<Removal>) -> Result<u64, StoreError> {
        let collections: BTreeSet<Collection> = removals.iter().map(|r| r.collection).collect();
        let (items, stale) = self.store.remove(self.tenant, removals).await?;
        self.store.rebuild_packs(self.tenant, stale, &BTreeSet::new()).await?;
        for collection in collections {
            self.store.refresh_counts(self.tenant, collection).await?;
        }
        Ok(items)
    }
}

/// A tenant's audit events: who erased whom, what a retention purge removed (see
/// [`crate::audit`]).
#[derive(Debug, Clone, Copy)]
pub struct TenantAudit<'a> {
    pub(crate) store: &'a Store,
    pub(crate) tenant: &'a Tenant,
}

impl RecordStore for TenantStore<'_> {
    async fn digests(&self, collection: Collection, part: ShardPart) -> Result<Vec<Digest>, StoreError> {
        self.store.digests(self.tenant, collection, part).await
    }

    async fn get_many(&self, collection: Collection, ids: &[String]) -> Result<Vec<StoredRecord>, StoreError> {
        self.store.get_many(self.tenant, collection, ids).await
    }

    async fn get_named(&self, names: Vec<(Collection, String)>) -> Result<Named, StoreError> {
        self.store.get_named(self.tenant, names).await
    }

    async fn commit_batched(&self, mutations: Vec<crate::Mutation>) -> Result<Committed, StoreError> {
        self.store.commit(self.tenant, Commit::Batched(mutations)).await
    }

    async fn rebuild_packs(
        &self,
        parents: BTreeSet<(Relation, String)>,
        first_records: &BTreeSet<Collection>,
    ) -> Result<(), StoreError> {
        self.store.rebuild_packs(self.tenant, parents, first_records).await
    }

    async fn rebuild_all_packs(&self, collection: Collection, parents: ShardPart) -> Result<(), StoreError> {
        self.store.rebuild_all_packs(self.tenant, collection, parents).await
    }

    async fn refresh_counts(&self, collection: Collection) -> Result<(), StoreError> {
        self.store.refresh_counts(self.tenant, collection).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_takes_only_values_of_its_own_tenant() {
        let tenant = Tenant::by_operator(TenantId::parse("district-7").expect("a tenant"));
        let cases =
            [("its own", "district-7", true), ("another", "district-8", false), ("a prefix", "district", false)];
        for (name, owner, taken) in cases {
            let checked = check_owner(&tenant, &TenantId::parse(owner).expect("a tenant"));
            assert_eq!(checked.is_ok(), taken, "{name}");
            if let Err(error) = checked {
                assert!(
                    matches!(&error, StoreError::OtherTenant { tenant, named } if tenant == "district-7" && named == owner)
                );
                assert!(!error.is_retryable(), "{name}: a bug, not a passing failure");
            }
        }
    }
}

/// A district's SIS as a pull source (implemented in [`crate::sources`]).
#[derive(Debug, Clone, Copy)]
pub struct TenantSource<'a> {
    pub(crate) store: &'a Store,
    pub(crate) tenant: &'a Tenant,
}

/// Where a tenant's grade write-back stands (implemented in [`crate::outbox`]).
#[derive(Debug, Clone, Copy)]
pub struct TenantOutbox<'a> {
    pub(crate) store: &'a Store,
    pub(crate) tenant: &'a Tenant,
}

/// A tenant's change events (implemented in [`crate::events`]).
#[derive(Debug, Clone, Copy)]
pub struct TenantEvents<'a> {
    pub(crate) store: &'a Store,
    pub(crate) tenant: &'a Tenant,
}

/// A tenant's webhooks (implemented in [`crate::webhooks`]).
#[derive(Debug, Clone, Copy)]
pub struct TenantWebhooks<'a> {
    pub(crate) store: &'a Store,
    pub(crate) tenant: &'a Tenant,
}

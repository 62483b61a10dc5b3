//! An in-memory [`RecordStore`] for unit tests (feature `memory`, enabled only in the
//! dev-dependencies of the crates whose tests use it): [`MemoryStore::tenant`] gives one
//! tenant's, as [`Store::tenant`](crate::Store::tenant) does. A batched commit is planned exactly
//! as [`Store`](crate::Store) plans it ([`Batch::plan`]) and its items kept in a map keyed like the
//! table, so the records (body, hash, status, parts, origin, the keys of their entries) and the
//! relation entries are what DynamoDB would hold, and reads decode them with the store's own
//! decoding. Pack and count upkeep, which only re-reads entries into other items, is recorded
//! instead ([`Upkeep`]), so that a test can assert what an apply asked for.

use crate::attr;
use crate::batch::{Item, Write};
use crate::commit::{keep_births, unkept_births, Batch};
use crate::keys::{record_key, record_partition, relation_partition, relation_shards, Key, ShardPart, RECORD_SHARDS};
use crate::records::{named_record, s, to_record};
use crate::{Committed, Digest, Mutation, Named, RecordStore, StoreError, StoredRecord, Tenant, Written};
use aws_sdk_dynamodb::types::AttributeValue;
use oneroster_model::{Collection, Relation};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The table's items by key, and the upkeep asked for, behind one lock (no call holds it
/// across an await).
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    items: BTreeMap<Key, Item>,
    upkeep: Upkeep,
}

/// The upkeep asked of the store since the last [`MemoryStore::take_upkeep`]: what an apply
/// must leave right (packs of changed parents, counts of written collections).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Upkeep {
    /// Parents whose packs were to be rebuilt ([`RecordStore::rebuild_packs`]).
    pub packs: BTreeSet<(Relation, String)>,
    /// Collections said to have held no record before those writes (a first load).
    pub first_records: BTreeSet<Collection>,
    /// Collections all of whose packs were to be rebuilt, and for which parents
    /// ([`RecordStore::rebuild_all_packs`]).
    pub all_packs: BTreeSet<(Collection, ShardPart)>,
    /// Collections whose kept counts were to be refreshed ([`RecordStore::refresh_counts`]).
    pub counts: BTreeSet<Collection>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A test that panicked while holding the lock left whole items: the map is still sound.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every record of `collection`, tombstones included, by sourcedId: what a test checks an
    /// apply left.
    pub fn records(&self, tenant: &Tenant, collection: Collection) -> Result<Vec<StoredRecord>, StoreError> {
        let state = self.state();
        let partitions = (0..RECORD_SHARDS).map(|shard| record_partition(tenant, collection, shard));
        let mut records = partitions
            .flat_map(|pk| partition(&state.items, pk).map(to_record).collect::<Vec<_>>())
            .collect::<Result<Vec<_>, _>>()?;
        records.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(records)
    }

    /// The children of `parent` in `relation`, by their relation entries, each once and sorted:
    /// what a test checks the entries of an apply's writes are.
    pub fn children(&self, tenant: &Tenant, relation: Relation, parent: &str) -> Vec<String> {
        let state = self.state();
        let partitions =
            (0..relation_shards(relation)).map(|shard| relation_partition(tenant, relation, parent, shard));
        let children: BTreeSet<String> = partitions
            .flat_map(|pk| partition(&state.items, pk).filter_map(|item| s(item, attr::SK)).collect::<Vec<_>>())
            .map(|sk| Key::entry_child(&sk).to_owned())
            .collect();
        children.into_iter().collect()
    }

    /// The upkeep asked for since the last call, which starts afresh.
    pub fn take_upkeep(&self) -> Upkeep {
        std::mem::take(&mut self.state().upkeep)
    }

    /// `tenant`'s records in this store, as an apply reads and writes them.
    pub fn tenant<'a>(&'a self, tenant: &'a Tenant) -> MemoryTenant<'a> {
        MemoryTenant { store: self, tenant }
    }

    /// The stored record at `collection`/`id`, if any.
    fn stored(&self, tenant: &Tenant, collection: Collection, id: &str) -> Result<Option<StoredRecord>, StoreError> {
        self.state().items.get(&record_key(tenant, collection, id)).map(to_record).transpose()
    }
}

/// The items of one partition.
fn partition(items: &BTreeMap<Key, Item>, pk: String) -> impl Iterator<Item = &Item> {
    let start = Key { pk: pk.clone(), sk: String::new() };
    items.range(start..).take_while(move |(key, _)| key.pk == pk).map(|(_, item)| item)
}

/// One tenant's records in a [`MemoryStore`]: the [`RecordStore`] an apply of that tenant's
/// package is given in unit tests.
#[derive(Debug, Clone, Copy)]
pub struct MemoryTenant<'a> {
    store: &'a MemoryStore,
    tenant: &'a Tenant,
}

impl RecordStore for MemoryTenant<'_> {
    async fn digests(&self, collection: Collection, part: ShardPart) -> Result<Vec<Digest>, StoreError> {
        let mut records = self.store.records(self.tenant, collection)?;
        records.retain(|r| part.holds(&r.id));
        let digest = |r: StoredRecord| Digest {
            id: r.id,
            hash: r.hash,
            status: r.status,
            origin: r.origin,
            erased: r.erased.is_some(),
        };
        Ok(records.into_iter().map(digest).collect())
    }

    async fn get_many(&self, collection: Collection, ids: &[String]) -> Result<Vec<StoredRecord>, StoreError> {
        let mut seen = HashSet::new();
        let mut found = Vec::with_capacity(ids.len());
        for id in ids.iter().filter(|id| seen.insert(id.as_str())) {
            found.extend(self.store.stored(self.tenant, collection, id)?);
        }
        Ok(found)
    }

    async fn get_named(&self, names: Vec<(Collection, String)>) -> Result<Named, StoreError> {
        let mut found = Named::new();
        for (collection, id) in names {
            if let Some(stored) = self.store.stored(self.tenant, collection, &id)?.filter(|s| !s.gone) {
                found.insert((collection, id), named_record(collection, &stored)?);
            }
        }
        Ok(found)
    }

    async fn commit_batched(&self, mut mutations: Vec<Mutation>) -> Result<Committed, StoreError> {
        let demographics = self.get_many(Collection::Demographics, &unkept_births(&mutations)).await?;
        keep_births(&mut mutations, &demographics);
        let Batch { entries, records, stale_packs, changes, births } = Batch::plan(self.tenant, mutations)?;
        let mut state = self.store.state();
        let mut items = 0;
        for (id, born) in births {
            let user = state.items.get_mut(&record_key(self.tenant, Collection::Users, id.as_str()));
            if let Some(user) = user.filter(|user| s(user, attr::BORN) != born.attribute()) {
                match born.attribute() {
                    Some(value) => user.insert(attr::BORN.to_owned(), AttributeValue::S(value)),
                    None => user.remove(attr::BORN),
                };
                items += 1;
            }
        }
        for write in entries.into_iter().chain(records) {
            match write {
                Write::Put(item) => {
                    let key =
                        Key { pk: s(&item, attr::PK).unwrap_or_default(), sk: s(&item, attr::SK).unwrap_or_default() };
                    state.items.insert(key, item);
                }
                Write::Delete(key) => {
                    state.items.remove(&key);
                }
            }
            items += 1;
        }
        Ok(Committed { written: Written::Done, items, stale_packs, changes })
    }

    async fn rebuild_packs(
        &self,
        parents: BTreeSet<(Relation, String)>,
        first_records: &BTreeSet<Collection>,
    ) -> Result<(), StoreError> {
        let mut state = self.store.state();
        state.upkeep.packs.extend(parents);
        state.upkeep.first_records.extend(first_records);
        Ok(())
    }

    async fn rebuild_all_packs(&self, collection: Collection, parents: ShardPart) -> Result<(), StoreError> {
        self.store.state().upkeep.all_packs.insert((collection, parents));
        Ok(())
    }

    async fn refresh_counts(&self, collection: Collection) -> Result<(), StoreError> {
        self.store.state().upkeep.counts.insert(collection);
        Ok(())
    }
}

//! Committing [`Mutation`]s: the one way records are written, with their relation entries,
//! the packs of the parents whose entries change, the kept counts and the kept modification
//! times. Two ways, one upkeep:
//!
//! - [`Commit::Batched`] (the ingest): entries first, then the records, in batches, no
//!   conditions. A record item is written only after its entries, so an apply that dies midway
//!   and is run again finds every unwritten record still different and writes it. The packs of
//!   parents whose entries changed are handed back stale, to rebuild once the package is
//!   written; counts and times are measured again after each file.
//! - [`Commit::Conditional`] (API writes): every record of the set and its entries in one
//!   transaction, each on the condition that its stored record is still the one the writer
//!   read, so two writers never leave a mix of their bodies or entries, and a set is stored
//!   whole or not at all. The same transaction deletes the pack heads of the parents whose
//!   entries change (a parent without a pack is listed from its entries, so every route that
//!   lists the record shows it at once); after it, the kept counts are adjusted and the kept
//!   modification times of the collection dropped (time filters are then counted by query).
//!   Counts are adjusted after the transaction, not in it: every write of a tenant's results
//!   would otherwise hold the same counts item, and concurrent transactions on one item fail.
//!
//! What cannot be stored is refused before anything is written: a record whose largest item
//! passes DynamoDB's 400 KB ([`StoreError::ItemTooLarge`]), and a set whose items pass what one
//! transaction takes ([`StoreError::TransactionTooLarge`]).

use crate::attr;
use crate::batch::{get_all, write_all, Item, Write};
use crate::keys::{pack_key, record_key, relation_stats_name, shard_of, stats_key, Key, RECORD_SHARDS};
use crate::layout;
use crate::mutation::{Action, Mutation};
use crate::records::{entry_changes, item_bytes, largest, record_item, s, Born, EntryChanges, Removal, MAX_ITEM_BYTES};
use crate::{Store, StoreError, StoredRecord, Tenant};
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use futures::{StreamExt, TryStreamExt};
use oneroster_model::{Collection, Relation, SourcedId, Status};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Items one DynamoDB transaction may hold.
pub const MAX_TRANSACTION_ITEMS: usize = 100;
/// Bytes one DynamoDB transaction may hold, its items together (4 MB).
pub const MAX_TRANSACTION_BYTES: usize = 4 * 1024 * 1024;

/// How mutations are committed (see the module docs).
pub enum Commit<'a> {
    /// In batches, without conditions: the ingest.
    Batched(Vec<Mutation>),
    /// All or none in one transaction, each on the condition that its stored record is still
    /// the one given (`None`: there is none): API writes. The records must be distinct.
    Conditional(Vec<(Mutation, Option<&'a StoredRecord>)>),
}

/// How a commit ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The records and their entries were written.
    Done,
    /// Someone else changed a record since it was read (or created one that was to be new):
    /// nothing was written; read again and decide again.
    Conflict,
}

/// What a commit did.
#[derive(Debug)]
pub struct Committed {
    /// Whether it was written.
    pub written: Written,
    /// Items written or deleted.
    pub items: u64,
    /// The parents whose packs are stale now (a batched commit changed their entries):
    /// rebuild them with [`TenantUpkeep::rebuild_packs`](crate::TenantUpkeep::rebuild_packs) once the writes of a package are done.
    pub stale_packs: BTreeSet<(Relation, String)>,
    /// One change per record written (none when nothing was), for the audit trail and reports.
    pub changes: Vec<Changed>,
}

/// What a commit did to one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    /// Its collection.
    pub collection: Collection,
    /// Its sourcedId.
    pub id: SourcedId,
    /// What happened to it.
    pub action: Action,
}

impl Changed {
    fn of(mutation: &Mutation) -> Self {
        Self { collection: mutation.collection, id: mutation.id.clone(), action: mutation.action() }
    }
}

/// A batched commit worked out before anything is written, so that DynamoDB and the in-memory
/// store of unit tests (feature `memory`) write the same items and report the same stale packs.
pub(crate) struct Batch {
    /// The relation entries' puts and deletes, written first.
    pub(crate) entries: Vec<Write>,
    /// The record items, written after every entry (see the module docs).
    pub(crate) records: Vec<Write>,
    /// The parents whose packs the entries make stale.
    pub(crate) stale_packs: BTreeSet<(Relation, String)>,
    /// One change per record.
    pub(crate) changes: Vec<Changed>,
    /// The birth dates the demographics records hold, copied onto their users' items after
    /// the entries and before the records (an apply run again after dying between the two
    /// finds the demographics record still different and copies its date again).
    pub(crate) births: Vec<(SourcedId, Born)>,
}

impl Batch {
    /// The writes of `mutations`; refused whole when one record would make an item too large,
    /// which DynamoDB would refuse on every try.
    pub(crate) fn plan(tenant: &Tenant, mutations: Vec<Mutation>) -> Result<Self, StoreError> {
        let mut batch = Batch {
            entries: Vec::new(),
            records: Vec::with_capacity(mutations.len()),
            stale_packs: BTreeSet::new(),
            changes: Vec::with_capacity(mutations.len()),
            births: Vec::new(),
        };
        for mutation in mutations {
            let mut entries = entry_changes(tenant, &mutation);
            let packs = packs_changed(&mutation, &entries);
            let item = record_item(tenant, &mutation, std::mem::take(&mut entries.encoded));
            let bytes = largest(&entries.writes, &item);
            if bytes > MAX_ITEM_BYTES {
                return Err(StoreError::ItemTooLarge { id: mutation.id.to_string(), bytes, limit: MAX_ITEM_BYTES });
            }
            batch.stale_packs.extend(packs);
            batch.births.extend(birth_copied(&mutation));
            batch.changes.push(Changed::of(&mutation));
            batch.entries.extend(entries.writes);
            batch.records.push(Write::Put(item));
        }
        Ok(batch)
    }
}

/// An addition to a kept count: its stats name, to all, and to active records when kept.
type CountChange = (String, i64, Option<i64>);

/// A record's share of a transaction, and what to adjust once it has committed: worked out
/// before anything is sent ([`plan`]), so that what a write stores is known without a table.
struct Planned {
    /// The writes of its entries.
    entries: Vec<Write>,
    /// Its record item.
    record: Item,
    /// The stored record the put is conditioned on (`None`: there must be no record).
    expected: Option<Expected>,
    /// Its items' bytes together.
    bytes: usize,
    /// What it does to its record.
    change: Changed,
    /// The parents whose pack heads it makes stale.
    packs: Vec<(Relation, String)>,
    /// Kept counts of relations to add to: (stats name, all, active when kept).
    counts: Vec<CountChange>,
    /// Kept counts of the record's collection and views, each with the size of the record's
    /// shard in them (the walk plans its reads on those sizes).
    listings: Vec<CountChange>,
    /// The record's shard, in its collection and in its views alike.
    shard: u64,
}

impl Store {
    /// Commits `commit` (see the module docs).
    pub(crate) async fn commit(&self, tenant: &Tenant, commit: Commit<'_>) -> Result<Committed, StoreError> {
        match commit {
            Commit::Batched(mutations) => self.commit_batched(tenant, mutations).await,
            Commit::Conditional(writes) => self.commit_conditional(tenant, writes).await,
        }
    }

    async fn commit_batched(&self, tenant: &Tenant, mut mutations: Vec<Mutation>) -> Result<Committed, StoreError> {
        self.read_births(tenant, &mut mutations).await?;
        let Batch { entries, records, stale_packs, changes, births } = Batch::plan(tenant, mutations)?;
        let mut items = write_all(&self.client, &self.table, entries).await?;
        items += self.copy_births(tenant, births).await?;
        items += write_all(&self.client, &self.table, records).await?;
        Ok(Committed { written: Written::Done, items, stale_packs, changes })
    }

    /// Gives each user of `mutations` whose birth date is not kept yet (a new user, or one
    /// stored before dates were kept) the one its stored demographics hold: one batch read.
    async fn read_births(&self, tenant: &Tenant, mutations: &mut [Mutation]) -> Result<(), StoreError> {
        let ids = unkept_births(mutations);
        if ids.is_empty() {
            return Ok(());
        }
        let demographics = self.get_many(tenant, Collection::Demographics, &ids).await?;
        keep_births(mutations, &demographics);
        Ok(())
    }

    /// Copies each birth date onto its user's item, if there is one and it keeps another (a
    /// demographics record may come before its user, which then reads it: see
    /// [`Store::read_births`]): the users' dates are read first, 100 to a call, so that only
    /// the items to change are updated, one call each. Returns the items updated.
    async fn copy_births(&self, tenant: &Tenant, births: Vec<(SourcedId, Born)>) -> Result<u64, StoreError> {
        if births.is_empty() {
            return Ok(0);
        }
        let keys = births.iter().map(|(id, _)| record_key(tenant, Collection::Users, id.as_str())).collect();
        let kept: HashMap<String, Option<String>> = get_all(&self.client, &self.table, keys, Some("sk, born"))
            .await?
            .iter()
            .filter_map(|item| Some((s(item, attr::SK)?, s(item, attr::BORN))))
            .collect();
        let changed =
            births.into_iter().filter(|(id, born)| kept.get(id.as_str()).is_some_and(|k| *k != born.attribute()));
        let updates = changed.map(|(id, born)| async move {
            let key = record_key(tenant, Collection::Users, id.as_str());
            let update = self.client.update_item().table_name(&self.table).set_key(Some(key.into_item()));
            let update = match born.attribute() {
                Some(value) => update
                    .update_expression("SET #born = :born")
                    .expression_attribute_values(":born", AttributeValue::S(value)),
                None => update.update_expression("REMOVE #born"),
            };
            let sent = update
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_names("#born", attr::BORN)
                .send()
                .await;
            match sent {
                Ok(_) => Ok(1),
                Err(error) => match aws_sdk_dynamodb::Error::from(error) {
                    aws_sdk_dynamodb::Error::ConditionalCheckFailedException(_) => Ok(0),
                    other => Err(StoreError::Dynamo(Box::new(other))),
                },
            }
        });
        let counts: Vec<u64> = futures::stream::iter(updates).buffer_unordered(BIRTH_COPIES).try_collect().await?;
        Ok(counts.into_iter().sum())
    }

    async fn commit_conditional(
        &self,
        tenant: &Tenant,
        writes: Vec<(Mutation, Option<&StoredRecord>)>,
    ) -> Result<Committed, StoreError> {
        let mut mutations: Vec<Mutation> = Vec::with_capacity(writes.len());
        let mut expected = Vec::with_capacity(writes.len());
        for (mutation, stored) in writes {
            mutations.push(mutation);
            expected.push(stored);
        }
        self.read_births(tenant, &mut mutations).await?;
        let births: Vec<(SourcedId, Born)> = mutations.iter().filter_map(birth_copied).collect();
        let planned = mutations
            .into_iter()
            .zip(expected)
            .map(|(mutation, expected)| plan(tenant, mutation, expected))
            .collect::<Result<Vec<_>, _>>()?;
        let heads = stale_heads(&planned);
        let items = transaction_items(&planned, &heads)?;
        let mut transaction = Vec::with_capacity(items);
        let mut after = Vec::with_capacity(planned.len());
        for plan in planned {
            for write in plan.entries {
                transaction.push(transact(&self.table, write)?);
            }
            transaction.push(conditional_put(&self.table, plan.record, plan.expected)?);
            after.push((plan.change, plan.counts, plan.listings, plan.shard));
        }
        for (relation, parent) in &heads {
            transaction.push(transact(&self.table, Write::Delete(pack_key(tenant, *relation, parent, 0)))?);
        }
        if let Err(error) = self.client.transact_write_items().set_transact_items(Some(transaction)).send().await {
            return match aws_sdk_dynamodb::Error::from(error) {
                // A condition failed (a record changed) or another transaction held an item:
                // either way the writer reads again.
                aws_sdk_dynamodb::Error::TransactionCanceledException(_)
                | aws_sdk_dynamodb::Error::TransactionConflictException(_) => Ok(Committed {
                    written: Written::Conflict,
                    items: 0,
                    stale_packs: BTreeSet::new(),
                    changes: Vec::new(),
                }),
                other => Err(StoreError::Dynamo(Box::new(other))),
            };
        }
        let mut changes = Vec::with_capacity(after.len());
        for (change, counts, listings, shard) in after {
            for (name, all, active) in counts {
                self.add_to_count(tenant, &name, all, active, None).await?;
            }
            for (name, all, active) in listings {
                self.add_to_count(tenant, &name, all, active, Some(shard)).await?;
            }
            changes.push(change);
        }
        self.copy_births(tenant, births).await?;
        let moved: BTreeSet<Collection> = changes.iter().map(|c| c.collection).filter(|c| keeps_times(*c)).collect();
        for collection in moved {
            self.forget_times(tenant, collection).await?;
        }
        Ok(Committed { written: Written::Done, items: items as u64, stale_packs: BTreeSet::new(), changes })
    }

    /// Removes records for good (a retention purge): the entries and lookups each made, then
    /// the record items, in batches, so that a purge cut short and run again finds the records
    /// still there and finishes them. Returns the items deleted and the parents whose packs are
    /// stale now: those the records were listed under, and the records' own packs.
    pub(crate) async fn remove(
        &self,
        tenant: &Tenant,
        removals: Vec<Removal>,
    ) -> Result<(u64, BTreeSet<(Relation, String)>), StoreError> {
        let (entries, records, stale) = removal_writes(tenant, removals);
        let mut items = write_all(&self.client, &self.table, entries).await?;
        items += write_all(&self.client, &self.table, records).await?;
        Ok((items, stale))
    }

    /// An update of the kept stats item `name`.
    fn update_stats(&self, tenant: &Tenant, name: &str) -> UpdateItemFluentBuilder {
        self.client.update_item().table_name(&self.table).set_key(Some(stats_key(tenant, name).into_item()))
    }

    /// Adds to a kept count (and to its active count, and to the size of a shard, when given).
    async fn add_to_count(
        &self,
        tenant: &Tenant,
        name: &str,
        n: i64,
        active: Option<i64>,
        shard: Option<u64>,
    ) -> Result<(), StoreError> {
        let mut adds = vec![format!("{} :n", attr::COUNT)];
        adds.extend(active.map(|_| format!("{} :active", attr::ACTIVE)));
        adds.extend(shard.map(|shard| format!("{} :n", attr::shard_size(shard))));
        let mut update = self
            .update_stats(tenant, name)
            .update_expression(format!("ADD {}", adds.join(", ")))
            .expression_attribute_values(":n", AttributeValue::N(n.to_string()));
        if let Some(active) = active {
            update = update.expression_attribute_values(":active", AttributeValue::N(active.to_string()));
        }
        update.send().await?;
        Ok(())
    }

    /// Drops the kept modification times of `collection` (a record moved in time): its time
    /// filters are counted by query until the ingest measures it again. (An outline is not
    /// used once its listing's kept count differs from its sizes: see
    /// [`TenantLists::skip`](crate::TenantLists::skip).) A stats item not kept is left absent.
    async fn forget_times(&self, tenant: &Tenant, collection: Collection) -> Result<(), StoreError> {
        let update = self
            .update_stats(tenant, collection.name())
            .condition_expression("attribute_exists(pk)")
            .update_expression("REMOVE #times")
            .expression_attribute_names("#times", attr::TIMES);
        match update.send().await {
            Ok(_) => Ok(()),
            Err(error) => match aws_sdk_dynamodb::Error::from(error) {
                aws_sdk_dynamodb::Error::ConditionalCheckFailedException(_) => Ok(()),
                other => Err(StoreError::Dynamo(Box::new(other))),
            },
        }
    }
}

/// The deletes that remove `removals` for good (their entries, then their items) and the
/// packs they make stale.
fn removal_writes(tenant: &Tenant, removals: Vec<Removal>) -> (Vec<Write>, Vec<Write>, BTreeSet<(Relation, String)>) {
    let (mut entries, mut records, mut stale) = (Vec::new(), Vec::with_capacity(removals.len()), BTreeSet::new());
    for Removal { collection, id, links } in removals {
        for key in links.0.iter().filter_map(|text| Key::decode(text)) {
            stale.extend(key.entry_parent().filter(|(relation, _)| layout::of(*relation).packed));
            entries.push(Write::Delete(key));
        }
        let own = Relation::ALL.into_iter().filter(|r| layout::of(*r).packed && r.parent() == collection);
        stale.extend(own.map(|relation| (relation, id.clone())));
        records.push(Write::Delete(record_key(tenant, collection, &id)));
    }
    (entries, records, stale)
}

/// One record's share of a conditional commit: its entries, its record item and the condition
/// on the stored one, checked against [`MAX_ITEM_BYTES`].
fn plan(tenant: &Tenant, mutation: Mutation, expected: Option<&StoredRecord>) -> Result<Planned, StoreError> {
    let entries = entry_changes(tenant, &mutation);
    let packs = packs_changed(&mutation, &entries);
    let counts = kept_count_changes(&entries);
    let listings = listing_count_changes(&mutation, expected);
    let shard = shard_of(mutation.id.as_str(), RECORD_SHARDS);
    let record = record_item(tenant, &mutation, entries.encoded);
    let sizes = entries.writes.iter().map(write_bytes).chain([item_bytes(&record)]);
    let (largest, bytes) = sizes.fold((0, 0), |(largest, all), size| (largest.max(size), all + size));
    if largest > MAX_ITEM_BYTES {
        return Err(StoreError::ItemTooLarge { id: mutation.id.to_string(), bytes: largest, limit: MAX_ITEM_BYTES });
    }
    let expected = expected.map(|stored| Expected {
        modified: stored.modified.to_string(),
        hash: stored.hash,
        born: stored.born.attribute(),
    });
    let change = Changed::of(&mutation);
    Ok(Planned { entries: entries.writes, record, expected, bytes, change, packs, counts, listings, shard })
}

/// The pack heads a set's transaction deletes: one per stale parent, however many records of
/// the set make it stale (a transaction names an item once).
fn stale_heads(planned: &[Planned]) -> BTreeSet<(Relation, String)> {
    planned.iter().flat_map(|plan| plan.packs.iter().cloned()).collect()
}

/// The items of one transaction of `planned` and the pack heads it deletes; refused when they,
/// or their bytes, pass what one transaction takes.
fn transaction_items(planned: &[Planned], heads: &BTreeSet<(Relation, String)>) -> Result<usize, StoreError> {
    let items = planned.iter().map(|plan| plan.entries.len() + 1).sum::<usize>() + heads.len();
    let bytes = planned.iter().map(|plan| plan.bytes).sum();
    if items > MAX_TRANSACTION_ITEMS || bytes > MAX_TRANSACTION_BYTES {
        return Err(StoreError::TransactionTooLarge { records: planned.len(), items, bytes });
    }
    Ok(items)
}

/// What a conditional put expects of the stored record: its modification time, its hash, and
/// the birth date its item keeps, which a demographics write may have copied onto a user since
/// the writer read it (the put, which carries the date it read, must not undo that).
#[derive(Debug, PartialEq, Eq)]
struct Expected {
    modified: String,
    hash: u64,
    born: Option<String>,
}

/// The put of a record item on the condition that the stored record is still `expected`, or
/// that there is none.
fn conditional_put(table: &str, item: Item, expected: Option<Expected>) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder().table_name(table).set_item(Some(item));
    let put = match expected {
        None => put.condition_expression("attribute_not_exists(pk)"),
        Some(Expected { modified, hash, born }) => {
            let put = put
                .expression_attribute_values(":dlm", AttributeValue::S(modified))
                .expression_attribute_values(":h", AttributeValue::S(format!("{hash:016x}")))
                .expression_attribute_names("#born", attr::BORN);
            match born {
                Some(born) => put
                    .condition_expression("dlm = :dlm AND h = :h AND #born = :born")
                    .expression_attribute_values(":born", AttributeValue::S(born)),
                None => put.condition_expression("dlm = :dlm AND h = :h AND attribute_not_exists(#born)"),
            }
        }
    };
    Ok(TransactWriteItem::builder().put(put.build()?).build())
}

/// Concurrent updates copying birth dates onto users' items.
const BIRTH_COPIES: usize = 16;

/// The birth date a demographics mutation copies onto its user's item.
fn birth_copied(mutation: &Mutation) -> Option<(SourcedId, Born)> {
    (mutation.collection == Collection::Demographics).then(|| (mutation.id.clone(), mutation.born))
}

/// Whether `mutation` is of a user whose birth date is not kept yet.
fn birth_unkept(mutation: &Mutation) -> bool {
    mutation.collection == Collection::Users && mutation.born == Born::Unkept
}

/// The users among `mutations` whose birth date is not kept yet.
pub(crate) fn unkept_births(mutations: &[Mutation]) -> Vec<String> {
    mutations.iter().filter(|m| birth_unkept(m)).map(|m| m.id.to_string()).collect()
}

/// Gives each user of `mutations` whose birth date is not kept the one of its stored
/// `demographics` (none recorded when it has none).
pub(crate) fn keep_births(mutations: &mut [Mutation], demographics: &[StoredRecord]) {
    let born = Born::of_users(demographics);
    for mutation in mutations.iter_mut().filter(|m| birth_unkept(m)) {
        mutation.born = born(mutation.id.as_str());
    }
}

/// The parents whose packs a mutation makes stale: those of the packed relations whose entries
/// it adds or removes, and those whose heads copy its view when that changes.
fn packs_changed(mutation: &Mutation, entries: &EntryChanges) -> Vec<(Relation, String)> {
    let joined_or_left = entries.joined.iter().chain(&entries.left);
    let mut packs: Vec<(Relation, String)> =
        joined_or_left.filter(|(relation, _)| layout::of(*relation).packed).cloned().collect();
    packs.extend(mutation.view_change_packs());
    packs
}

/// Whether the ingest keeps the modification times of `collection` (those API clients write
/// keep none), which a write through the API then makes wrong.
fn keeps_times(collection: Collection) -> bool {
    !layout::is_written_through_api(collection)
}

/// The changes to the kept counts of the record's collection and of its views: (all, active)
/// before and after, a view counting a record only while the record is in it.
fn listing_count_changes(mutation: &Mutation, expected: Option<&StoredRecord>) -> Vec<CountChange> {
    let counted = |status: &Status, gone: bool| if gone { (0, 0) } else { (1, i64::from(*status == Status::Active)) };
    let before = expected.map_or((0, 0), |stored| counted(&stored.status, stored.gone));
    let after = counted(&mutation.status, mutation.gone);
    let mut deltas: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut add = |name: &str, (all, active): (i64, i64), sign: i64| {
        let delta = deltas.entry(name.to_owned()).or_default();
        *delta = (delta.0 + sign * all, delta.1 + sign * active);
    };
    add(mutation.collection.name(), before, -1);
    add(mutation.collection.name(), after, 1);
    if let Some(view) = expected.and_then(|stored| stored.view) {
        add(view.name(), before, -1);
    }
    if let Some(view) = mutation.view {
        add(view.name(), after, 1);
    }
    deltas
        .into_iter()
        .filter(|(_, delta)| *delta != (0, 0))
        .map(|(name, (all, active))| (name, all, Some(active)))
        .collect()
}

/// What a write counts for in a transaction's size: the item put, or the key deleted.
fn write_bytes(write: &Write) -> usize {
    match write {
        Write::Put(item) => item_bytes(item),
        Write::Delete(key) => 2 + 2 + key.pk.len() + key.sk.len(),
    }
}

/// The kept counts of relations (a class's results) that a record's write changes: +1 under a
/// parent it joins, -1 under one it leaves.
fn kept_count_changes(changes: &EntryChanges) -> Vec<CountChange> {
    let counted = |(relation, parent): &(Relation, String), change| {
        layout::of(*relation).counted.then(|| (relation_stats_name(*relation, parent), change, None))
    };
    let joined = changes.joined.iter().filter_map(|entry| counted(entry, 1));
    joined.chain(changes.left.iter().filter_map(|entry| counted(entry, -1))).collect()
}

fn transact(table: &str, write: Write) -> Result<TransactWriteItem, StoreError> {
    let item = match write {
        Write::Put(item) => {
            TransactWriteItem::builder().put(Put::builder().table_name(table).set_item(Some(item)).build()?)
        }
        Write::Delete(key) => TransactWriteItem::builder()
            .delete(Delete::builder().table_name(table).set_key(Some(key.into_item())).build()?),
    };
    Ok(item.build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mutation::fixtures::{self, class, enrollment, line_item, org, put, tenant, user, with_status};
    use crate::records::largest_item;
    use oneroster_model::{Link, Record, SourcedId, TenantId, Timestamp, View};

    fn id(text: &str) -> SourcedId {
        SourcedId::parse(text).expect("an id")
    }

    fn result(title_bytes: usize) -> Mutation {
        let link = |relation, parent: &str| Link { relation, parent: id(parent), child: id("r-1"), via: None };
        Mutation {
            collection: Collection::Results,
            id: id("r-1"),
            body: format!("{{\"comment\":\"{}\"}}", "x".repeat(title_bytes)),
            status: Status::Active,
            modified: Timestamp::now(),
            hash: 7,
            links: vec![link(Relation::LineItemResults, "li-1"), link(Relation::ClassResults, "k-1")],
            previous: None,
            parts: None,
            view: None,
            origin: Some("client".into()),
            job: None,
            gone: false,
            erased: None,
            born: Born::Unkept,
        }
    }

    fn stored(status: Status, gone: bool, view: Option<View>) -> StoredRecord {
        StoredRecord {
            id: "r-1".into(),
            body: "{}".into(),
            status,
            modified: Timestamp::now(),
            hash: 7,
            links: Default::default(),
            parts: None,
            view,
            origin: None,
            gone,
            erased: None,
            born: Born::Unkept,
        }
    }

    #[test]
    fn a_mutation_says_what_it_does_to_its_record() {
        use Status::{Active, ToBeDeleted};
        let over = |status: Status, previous: Option<StoredRecord>| {
            Mutation { status, ..result(1) }.over(previous.as_ref()).action()
        };
        let cases = [
            (over(Active, None), Action::Created),
            (over(Active, Some(stored(Active, true, None))), Action::Created),
            (over(Active, Some(stored(Active, false, None))), Action::Updated),
            (over(ToBeDeleted, Some(stored(Active, false, None))), Action::Deleted),
            (over(ToBeDeleted, Some(stored(ToBeDeleted, false, None))), Action::Updated),
            (over(Active, Some(stored(ToBeDeleted, false, None))), Action::Updated),
        ];
        for (i, (action, expected)) in cases.into_iter().enumerate() {
            assert_eq!(action, expected, "case {i}");
        }
        let record = Record::from_json(Collection::Results, r#"{"sourcedId":"r-1","status":"active","dateLastModified":"2026-01-01T00:00:00.000Z","lineItem":{"href":"x","sourcedId":"li-1","type":"lineItem"},"student":{"href":"x","sourcedId":"u-1","type":"user"},"scoreStatus":"fully graded","scoreDate":"2026-01-01"}"#)
            .expect("a result");
        let deleted = Mutation::delete(record, &stored(Active, false, None), "lms");
        assert_eq!((deleted.action(), deleted.gone, deleted.links.len(), deleted.hash), (Action::Deleted, true, 0, 7));
    }

    #[test]
    fn a_write_counts_in_its_collection_and_in_the_views_it_leaves_and_joins() {
        let user =
            |status: Status, view: Option<View>| Mutation { collection: Collection::Users, status, view, ..result(1) };
        let cases: [(Mutation, Option<StoredRecord>, Vec<CountChange>); 5] = [
            (
                user(Status::Active, Some(View::Students)),
                None,
                vec![("students".into(), 1, Some(1)), ("users".into(), 1, Some(1))],
            ),
            (
                user(Status::Active, Some(View::Students)),
                Some(stored(Status::Active, false, Some(View::Students))),
                vec![],
            ),
            (
                user(Status::Active, Some(View::Teachers)),
                Some(stored(Status::Active, false, Some(View::Students))),
                vec![("students".into(), -1, Some(-1)), ("teachers".into(), 1, Some(1))],
            ),
            (
                user(Status::ToBeDeleted, Some(View::Students)),
                Some(stored(Status::Active, false, Some(View::Students))),
                vec![("students".into(), 0, Some(-1)), ("users".into(), 0, Some(-1))],
            ),
            (
                Mutation { gone: true, ..user(Status::ToBeDeleted, None) },
                Some(stored(Status::Active, false, Some(View::Students))),
                vec![("students".into(), -1, Some(-1)), ("users".into(), -1, Some(-1))],
            ),
        ];
        for (i, (mutation, previous, expected)) in cases.into_iter().enumerate() {
            assert_eq!(listing_count_changes(&mutation, previous.as_ref()), expected, "case {i}");
        }
    }

    #[test]
    fn a_write_to_a_collection_the_ingest_keeps_times_for_drops_them() {
        assert!(!keeps_times(result(1).collection));
        assert!(keeps_times(Collection::Enrollments));
    }

    #[test]
    fn the_largest_item_is_the_record_or_an_entry_carrying_it() {
        let tenant = Tenant::by_operator(TenantId::parse("district-7").expect("a tenant"));
        let small = largest_item(&tenant, &result(10));
        assert!((100..600).contains(&small), "{small}");
        let large = largest_item(&tenant, &result(MAX_ITEM_BYTES));
        assert!(large > MAX_ITEM_BYTES, "{large}");
        assert!(large < MAX_ITEM_BYTES + 1000, "{large}");
    }

    /// What planning one write of a record gives: the parents whose packs it makes stale (each
    /// once) and the counts it adds to.
    fn planned(
        mutation: Mutation,
        previous: Option<&StoredRecord>,
    ) -> (BTreeSet<(Relation, String)>, Vec<CountChange>) {
        let plan = plan(&tenant(), mutation, previous).expect("a write that fits");
        assert_eq!(plan.shard, shard_of(plan.change.id.as_str(), RECORD_SHARDS), "the record's own shard");
        (plan.packs.into_iter().collect(), plan.counts.into_iter().chain(plan.listings).collect())
    }

    fn packs(parents: &[(Relation, &str)]) -> BTreeSet<(Relation, String)> {
        parents.iter().map(|(relation, parent)| (*relation, (*parent).to_owned())).collect()
    }

    fn count(name: &str, all: i64, active: Option<i64>) -> CountChange {
        (name.to_owned(), all, active)
    }

    #[test]
    fn each_kind_of_write_makes_its_parents_packs_stale_and_adds_to_its_counts() {
        use Relation::*;
        let enrolled = put(enrollment("e-1", "k-1", "u-1", "student"));
        let teacher = put(user("u-1", &[("teacher", "s-1")]));
        let graded = put(fixtures::result("r-1", "li-1", "u-1", Some("k-1")));
        let cases = vec![
            (
                "a new student enrollment",
                enrolled.clone(),
                None,
                packs(&[
                    (ClassEnrollments, "k-1"),
                    (ClassStudents, "k-1"),
                    (SchoolEnrollments, "s-1"),
                    (UserClasses, "u-1"),
                ]),
                vec![count("enrollments", 1, Some(1))],
            ),
            (
                "a new teacher enrollment",
                put(enrollment("e-2", "k-1", "u-2", "teacher")),
                None,
                packs(&[
                    (ClassEnrollments, "k-1"),
                    (ClassTeachers, "k-1"),
                    (SchoolEnrollments, "s-1"),
                    (UserClasses, "u-2"),
                ]),
                vec![count("enrollments", 1, Some(1))],
            ),
            ("an enrollment written again", enrolled.clone(), Some(fixtures::stored(&enrolled)), packs(&[]), vec![]),
            (
                "an enrollment moved to another class",
                put(enrollment("e-1", "k-2", "u-1", "student")),
                Some(fixtures::stored(&enrolled)),
                packs(&[
                    (ClassEnrollments, "k-1"),
                    (ClassEnrollments, "k-2"),
                    (ClassStudents, "k-1"),
                    (ClassStudents, "k-2"),
                    (UserClasses, "u-1"),
                ]),
                vec![],
            ),
            (
                "an enrollment the ingest marks tobedeleted",
                put(with_status(enrollment("e-1", "k-1", "u-1", "student"), Status::ToBeDeleted)),
                Some(fixtures::stored(&enrolled)),
                packs(&[(ClassStudents, "k-1"), (UserClasses, "u-1")]),
                vec![count("enrollments", 0, Some(-1))],
            ),
            (
                "a new class in a term",
                put(class("k-1", "s-1", &["t-1"])),
                None,
                packs(&[(SchoolClasses, "s-1"), (SchoolTerms, "s-1"), (TermClasses, "t-1"), (CourseClasses, "c-1")]),
                vec![count("classes", 1, Some(1))],
            ),
            (
                "a new student of two schools",
                put(user("u-1", &[("student", "s-1"), ("student", "s-2")])),
                None,
                packs(&[(SchoolStudents, "s-1"), (SchoolStudents, "s-2"), (SchoolUsers, "s-1"), (SchoolUsers, "s-2")]),
                vec![count("students", 1, Some(1)), count("users", 1, Some(1))],
            ),
            (
                "a teacher turned student",
                put(user("u-1", &[("student", "s-1")])),
                Some(fixtures::stored(&teacher)),
                packs(&[
                    (SchoolStudents, "s-1"),
                    (SchoolTeachers, "s-1"),
                    (UserClasses, "u-1"),
                    (UserResources, "u-1"),
                    (StudentAttendance, "u-1"),
                ]),
                vec![count("students", 1, Some(1)), count("teachers", -1, Some(-1))],
            ),
            (
                "a new result",
                graded.clone(),
                None,
                packs(&[]),
                vec![count("rel#class-results#k-1", 1, None), count("results", 1, Some(1))],
            ),
            ("a result written again", graded.clone(), Some(fixtures::stored(&graded)), packs(&[]), vec![]),
            (
                "a result deleted through the API",
                Mutation::delete(
                    fixtures::result("r-1", "li-1", "u-1", Some("k-1")),
                    &fixtures::stored(&graded),
                    "lms",
                ),
                Some(fixtures::stored(&graded)),
                packs(&[]),
                vec![count("rel#class-results#k-1", -1, None), count("results", -1, Some(-1))],
            ),
            (
                "a new line item",
                put(line_item("li-1", "k-1", "cat-1")),
                None,
                packs(&[]),
                vec![count("lineItems", 1, Some(1))],
            ),
            (
                "a new school",
                put(org("s-1", "school")),
                None,
                packs(&[]),
                vec![count("orgs", 1, Some(1)), count("schools", 1, Some(1))],
            ),
        ];
        for (name, mutation, previous, stale, counts) in cases {
            let mutation = mutation.over(previous.as_ref());
            assert_eq!(planned(mutation, previous.as_ref()), (stale, counts), "{name}");
        }
    }

    #[test]
    fn only_counted_relations_keep_counts_of_the_parents_joined_and_left() {
        let first = put(fixtures::result("r-1", "li-1", "u-1", Some("k-1")));
        let moved = put(fixtures::result("r-1", "li-1", "u-1", Some("k-2"))).over(Some(&fixtures::stored(&first)));
        let counts = kept_count_changes(&entry_changes(&tenant(), &moved));
        assert_eq!(counts, [count("rel#class-results#k-2", 1, None), count("rel#class-results#k-1", -1, None)]);
        let enrolled = put(enrollment("e-1", "k-1", "u-1", "student"));
        assert!(kept_count_changes(&entry_changes(&tenant(), &enrolled)).is_empty(), "no counted relation");
    }

    #[test]
    fn a_record_reappearing_over_its_tombstone_counts_again() {
        let graded = put(fixtures::result("r-1", "li-1", "u-1", Some("k-1")));
        let tombstone = fixtures::stored(&Mutation::delete(
            fixtures::result("r-1", "li-1", "u-1", Some("k-1")),
            &fixtures::stored(&graded),
            "lms",
        ));
        let again = graded.clone().over(Some(&tombstone));
        assert_eq!(again.action(), Action::Created);
        assert_eq!(
            planned(again, Some(&tombstone)).1,
            [count("rel#class-results#k-1", 1, None), count("results", 1, Some(1))]
        );
    }

    #[test]
    fn a_conditional_put_expects_the_record_it_read_or_none() {
        let graded = put(fixtures::result("r-1", "li-1", "u-1", Some("k-1")));
        let previous = fixtures::stored(&graded);
        let new = plan(&tenant(), graded.clone(), None).expect("planned");
        assert_eq!(new.expected, None, "a new record expects none");
        let over = plan(&tenant(), graded.clone().over(Some(&previous)), Some(&previous)).expect("planned");
        let read = Expected { modified: previous.modified.to_string(), hash: previous.hash, born: None };
        assert_eq!(over.expected, Some(read), "the stored one");
        assert_eq!((over.entries.len(), over.change.action), (3, Action::Updated), "its entries, then its record");
    }

    #[test]
    fn a_record_with_an_item_past_400_kb_is_refused_before_anything_is_written() {
        let too_large = result(MAX_ITEM_BYTES);
        match plan(&tenant(), too_large.clone(), None) {
            Err(StoreError::ItemTooLarge { id, bytes, limit }) => {
                assert_eq!((id.as_str(), limit), ("r-1", MAX_ITEM_BYTES));
                assert!(bytes > MAX_ITEM_BYTES, "{bytes}");
            }
            other => panic!("conditional: {:?}", other.map(|p| p.bytes)),
        }
        let set = vec![put(enrollment("e-1", "k-1", "u-1", "student")), too_large];
        assert!(
            matches!(Batch::plan(&tenant(), set), Err(StoreError::ItemTooLarge { .. })),
            "batched: the whole batch"
        );
    }

    #[test]
    fn a_batch_writes_entries_before_records_and_hands_back_every_stale_pack() {
        use Relation::*;
        let set = vec![
            put(enrollment("e-1", "k-1", "u-1", "student")),
            put(enrollment("e-2", "k-1", "u-2", "student")),
            put(org("s-1", "school")),
        ];
        let Batch { entries, records, stale_packs, changes, .. } = Batch::plan(&tenant(), set).expect("a batch");
        assert_eq!(entries.len(), 8, "four entries per enrollment");
        let record_ids: Vec<Option<String>> = records
            .iter()
            .map(|write| match write {
                Write::Put(item) => item.get(attr::SK).and_then(|v| v.as_s().ok()).cloned(),
                Write::Delete(..) => None,
            })
            .collect();
        assert_eq!(record_ids, [Some("e-1".into()), Some("e-2".into()), Some("s-1".into())], "records in order");
        let expected = packs(&[
            (ClassEnrollments, "k-1"),
            (ClassStudents, "k-1"),
            (SchoolEnrollments, "s-1"),
            (UserClasses, "u-1"),
            (UserClasses, "u-2"),
        ]);
        assert_eq!(stale_packs, expected, "each stale parent once");
        let actions: Vec<(&str, Action)> = changes.iter().map(|c| (c.id.as_str(), c.action)).collect();
        assert_eq!(actions, [("e-1", Action::Created), ("e-2", Action::Created), ("s-1", Action::Created)]);
    }

    #[test]
    fn a_batch_copies_each_demographics_birth_date_onto_its_user() {
        let set = vec![
            put(fixtures::demographics("u-1", Some("2015-03-01"))),
            put(fixtures::demographics("u-2", None)),
            put(user("u-3", &[("student", "s-1")])),
        ];
        let Batch { births, .. } = Batch::plan(&tenant(), set).expect("a batch");
        let born = Born::On(oneroster_model::Date::parse("2015-03-01").expect("a date"));
        assert_eq!(births, [(id("u-1"), born), (id("u-2"), Born::Unrecorded)]);
    }

    #[test]
    fn a_transaction_deletes_each_stale_pack_head_once_and_counts_it_as_an_item() {
        let set = [put(enrollment("e-1", "k-1", "u-1", "student")), put(enrollment("e-2", "k-1", "u-2", "teacher"))];
        let planned: Vec<Planned> = set.into_iter().map(|m| plan(&tenant(), m, None).expect("planned")).collect();
        let heads = stale_heads(&planned);
        // k-1's enrollments and school s-1's once; k-1's students and teachers; each user's classes.
        assert_eq!(heads.len(), 6, "{heads:?}");
        assert_eq!(transaction_items(&planned, &heads).expect("fits"), 2 * (4 + 1) + 6, "entries, records, heads");
    }

    #[test]
    fn a_set_is_refused_when_it_passes_one_transactions_items_or_bytes() {
        // A result makes two entries carrying its body: three items each.
        let results = |n: usize, bytes: usize| -> Vec<Planned> {
            (0..n)
                .map(|i| Mutation { id: id(&format!("r-{i}")), ..result(bytes) })
                .map(|m| plan(&tenant(), m, None).expect("planned"))
                .collect()
        };
        let cases = [
            ("one result", results(1, 10), Some(3)),
            ("the most items", results(MAX_TRANSACTION_ITEMS / 3, 10), Some(MAX_TRANSACTION_ITEMS / 3 * 3)),
            ("one record too many", results(MAX_TRANSACTION_ITEMS / 3 + 1, 10), None),
            ("large records within 4 MB", results(4, 300_000), Some(12)),
            ("large records past 4 MB", results(5, 300_000), None),
        ];
        for (name, planned, expected) in cases {
            let heads = stale_heads(&planned);
            match (transaction_items(&planned, &heads), expected) {
                (Ok(items), Some(expected)) => assert_eq!(items, expected, "{name}"),
                (Err(StoreError::TransactionTooLarge { records, .. }), None) => {
                    assert_eq!(records, planned.len(), "{name}: the records named")
                }
                (other, _) => panic!("{name}: {:?}", other.map_err(|e| e.to_string())),
            }
        }
    }

    #[test]
    fn only_collections_api_clients_do_not_write_keep_modification_times() {
        for collection in Collection::ALL {
            assert_eq!(keeps_times(collection), !layout::WRITTEN_THROUGH_API.contains(&collection), "{collection:?}");
        }
    }

    #[test]
    fn a_removal_deletes_its_entries_before_its_item_and_stales_the_packs_it_was_in_and_its_own() {
        use Relation::*;
        let enrolled = fixtures::stored(&put(enrollment("e-1", "k-1", "u-1", "student")));
        let student = fixtures::stored(&put(user("u-1", &[("student", "s-1")])));
        let removals = vec![
            Removal { collection: Collection::Enrollments, id: "e-1".into(), links: enrolled.links.clone() },
            Removal { collection: Collection::Users, id: "u-1".into(), links: student.links.clone() },
        ];
        let (entries, records, stale) = removal_writes(&tenant(), removals);
        let deleted = |writes: &[Write]| -> Vec<Key> {
            writes
                .iter()
                .filter_map(|write| match write {
                    Write::Delete(key) => Some(key.clone()),
                    Write::Put(_) => None,
                })
                .collect()
        };
        let expected: Vec<Key> =
            enrolled.links.0.iter().chain(&student.links.0).filter_map(|text| Key::decode(text)).collect();
        assert_eq!(deleted(&entries), expected, "every entry and lookup, deleted");
        assert_eq!(
            entries.len(),
            4 + 3,
            "an enrollment's four entries, a student's two school entries and e-mail lookup"
        );
        assert_eq!(
            deleted(&records),
            [record_key(&tenant(), Collection::Enrollments, "e-1"), record_key(&tenant(), Collection::Users, "u-1")],
            "the items after"
        );
        let expected = packs(&[
            (ClassEnrollments, "k-1"),
            (ClassStudents, "k-1"),
            (SchoolEnrollments, "s-1"),
            (UserClasses, "u-1"),
            (SchoolStudents, "s-1"),
            (SchoolUsers, "s-1"),
            (UserResources, "u-1"),
            (StudentAttendance, "u-1"),
        ]);
        assert_eq!(stale, expected, "the packs it was in, and its own");
    }

    #[test]
    fn a_delete_counts_its_key_in_a_transactions_bytes() {
        let delete = Write::Delete(pack_key(&tenant(), Relation::ClassStudents, "k-1", 0));
        assert_eq!(write_bytes(&delete), 2 + 2 + 34 + 5);
    }

    #[test]
    fn an_item_counts_names_and_values() {
        let item = std::collections::HashMap::from([
            ("pk".to_owned(), AttributeValue::S("abc".into())),
            ("n".to_owned(), AttributeValue::N("12".into())),
            ("links".to_owned(), AttributeValue::L(vec![AttributeValue::S("ab".into())])),
            ("gone".to_owned(), AttributeValue::Bool(true)),
        ]);
        assert_eq!(item_bytes(&item), (2 + 3) + (1 + 21) + (5 + 3 + 1 + 2) + (4 + 1));
    }
}

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
use crate::batch::{write_all, Write};
use crate::keys::{pack_key, relation_stats_name, stats_key};
use crate::layout;
use crate::mutation::{Action, Mutation};
use crate::records::{entry_changes, item_bytes, largest, record_item, EntryChanges, MAX_ITEM_BYTES};
use crate::{Store, StoreError, StoredRecord, Tenant};
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use oneroster_model::{Collection, Relation, SourcedId, Status};
use std::collections::{BTreeMap, BTreeSet};

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
    /// rebuild them with [`Store::rebuild_packs`] once the writes of a package are done.
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
            batch.changes.push(Changed::of(&mutation));
            batch.entries.extend(entries.writes);
            batch.records.push(Write::Put(item));
        }
        Ok(batch)
    }
}

/// An addition to a kept count: its stats name, to all, and to active records when kept.
type CountChange = (String, i64, Option<i64>);

/// A record's share of a transaction, and what to adjust once it has committed.
struct Planned {
    items: Vec<TransactWriteItem>,
    bytes: usize,
    change: Changed,
    /// The parents whose pack heads it makes stale.
    packs: Vec<(Relation, String)>,
    /// Kept counts to add to: (stats name, all, active when kept).
    counts: Vec<CountChange>,
}

impl Store {
    /// Commits `commit` (see the module docs).
    pub async fn commit(&self, tenant: &Tenant, commit: Commit<'_>) -> Result<Committed, StoreError> {
        match commit {
            Commit::Batched(mutations) => self.commit_batched(tenant, mutations).await,
            Commit::Conditional(writes) => self.commit_conditional(tenant, writes).await,
        }
    }

    async fn commit_batched(&self, tenant: &Tenant, mutations: Vec<Mutation>) -> Result<Committed, StoreError> {
        let Batch { entries, records, stale_packs, changes } = Batch::plan(tenant, mutations)?;
        let mut items = write_all(&self.client, &self.table, entries).await?;
        items += write_all(&self.client, &self.table, records).await?;
        Ok(Committed { written: Written::Done, items, stale_packs, changes })
    }

    async fn commit_conditional(
        &self,
        tenant: &Tenant,
        writes: Vec<(Mutation, Option<&StoredRecord>)>,
    ) -> Result<Committed, StoreError> {
        let records = writes.len();
        let planned = writes
            .into_iter()
            .map(|(mutation, expected)| self.plan(tenant, mutation, expected))
            .collect::<Result<Vec<_>, _>>()?;
        // One delete per stale pack head, however many records of the set make it stale (a
        // transaction names an item once).
        let packs: BTreeSet<&(Relation, String)> = planned.iter().flat_map(|p| &p.packs).collect();
        let pack_deletes = packs
            .into_iter()
            .map(|(relation, parent)| {
                let (pk, sk) = pack_key(tenant, *relation, parent, 0);
                transact(&self.table, Write::Delete(pk, sk))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let items: usize = planned.iter().map(|p| p.items.len()).sum::<usize>() + pack_deletes.len();
        let bytes: usize = planned.iter().map(|p| p.bytes).sum();
        if items > MAX_TRANSACTION_ITEMS || bytes > MAX_TRANSACTION_BYTES {
            return Err(StoreError::TransactionTooLarge { records, items, bytes });
        }
        let mut transaction = Vec::with_capacity(items);
        let mut after = Vec::with_capacity(planned.len());
        for plan in planned {
            transaction.extend(plan.items);
            after.push((plan.change, plan.counts));
        }
        transaction.extend(pack_deletes);
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
        for (change, counts) in after {
            for (name, all, active) in counts {
                self.add_to_count(tenant, &name, all, active).await?;
            }
            changes.push(change);
        }
        let moved: BTreeSet<Collection> = changes.iter().map(|c| c.collection).filter(|c| keeps_times(*c)).collect();
        for collection in moved {
            self.forget_times(tenant, collection).await?;
        }
        Ok(Committed { written: Written::Done, items: items as u64, stale_packs: BTreeSet::new(), changes })
    }

    /// The transaction items of one record's write (its entries, then the conditional put of the
    /// record), checked against [`MAX_ITEM_BYTES`].
    fn plan(
        &self,
        tenant: &Tenant,
        mutation: Mutation,
        expected: Option<&StoredRecord>,
    ) -> Result<Planned, StoreError> {
        let entries = entry_changes(tenant, &mutation);
        let packs = packs_changed(&mutation, &entries);
        let mut counts = kept_count_changes(&entries);
        let listings = listing_count_changes(&mutation, expected);
        counts.extend(listings);
        let record_item = record_item(tenant, &mutation, entries.encoded);
        let sizes = entries.writes.iter().map(write_bytes).chain([item_bytes(&record_item)]);
        let (largest, bytes) = sizes.fold((0, 0), |(largest, all), size| (largest.max(size), all + size));
        if largest > MAX_ITEM_BYTES {
            return Err(StoreError::ItemTooLarge {
                id: mutation.id.to_string(),
                bytes: largest,
                limit: MAX_ITEM_BYTES,
            });
        }
        let mut items: Vec<TransactWriteItem> =
            entries.writes.into_iter().map(|write| transact(&self.table, write)).collect::<Result<_, _>>()?;
        let mut put = Put::builder().table_name(&self.table).set_item(Some(record_item));
        put = match expected {
            None => put.condition_expression("attribute_not_exists(pk)"),
            Some(stored) => put
                .condition_expression("dlm = :dlm AND h = :h")
                .expression_attribute_values(":dlm", AttributeValue::S(stored.modified.to_string()))
                .expression_attribute_values(":h", AttributeValue::S(format!("{:016x}", stored.hash))),
        };
        items.push(TransactWriteItem::builder().put(put.build()?).build());
        Ok(Planned { items, bytes, change: Changed::of(&mutation), packs, counts })
    }

    /// An update of the kept stats item `name`.
    fn update_stats(&self, tenant: &Tenant, name: &str) -> UpdateItemFluentBuilder {
        let (pk, sk) = stats_key(tenant, name);
        self.client
            .update_item()
            .table_name(&self.table)
            .key(attr::PK, AttributeValue::S(pk))
            .key(attr::SK, AttributeValue::S(sk))
    }

    /// Adds to a kept count (and to its active count, when given).
    async fn add_to_count(&self, tenant: &Tenant, name: &str, n: i64, active: Option<i64>) -> Result<(), StoreError> {
        let mut update = self
            .update_stats(tenant, name)
            .update_expression(if active.is_some() { "ADD n :n, active :active" } else { "ADD n :n" })
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
    /// [`Store::skip`](crate::Store::skip).) A stats item not kept is left absent.
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
        Write::Delete(pk, sk) => 2 + 2 + pk.len() + sk.len(),
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
        Write::Delete(pk, sk) => TransactWriteItem::builder().delete(
            Delete::builder()
                .table_name(table)
                .key(attr::PK, AttributeValue::S(pk))
                .key(attr::SK, AttributeValue::S(sk))
                .build()?,
        ),
    };
    Ok(item.build())
}

#[cfg(test)]
mod tests {
    use super::*;
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
            gone: false,
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

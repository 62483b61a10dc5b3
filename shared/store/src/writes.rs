//! Writes of records through the API (the gradebook's PUT, POST and DELETE): each record and its
//! relation entries, and every record of a POSTed set, in one transaction, on the condition that
//! each stored record is still the one the writer read. Two clients writing one record at once
//! never leave a mix of their bodies or entries: one transaction wins, the other finds the
//! record changed and is told to read it again; and a set is stored whole or not at all.
//!
//! What cannot be stored is refused before anything is written: a record whose largest item
//! passes DynamoDB's 400 KB ([`StoreError::ItemTooLarge`]), and a set whose items pass what one
//! transaction takes ([`StoreError::TransactionTooLarge`]).

use crate::batch::Write;
use crate::keys::{relation_stats_name, stats_key};
use crate::records::{entry_changes, item_bytes, record_item, EntryChanges, MAX_ITEM_BYTES};
use crate::{RecordWrite, Store, StoreError, StoredRecord, Tenant};
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use oneroster_model::{Collection, Relation, Status};

/// Items one DynamoDB transaction may hold.
pub const MAX_TRANSACTION_ITEMS: usize = 100;
/// Bytes one DynamoDB transaction may hold, its items together (4 MB).
pub const MAX_TRANSACTION_BYTES: usize = 4 * 1024 * 1024;

/// How a write ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The records and their entries were written.
    Done,
    /// Someone else changed a record since it was read (or created one that was to be new):
    /// nothing was written; read again and decide again.
    Conflict,
}

/// A record's share of a transaction, and the kept counts to adjust once it has committed.
struct Planned {
    items: Vec<TransactWriteItem>,
    bytes: usize,
    collection: Collection,
    /// (all, active) before and after, for the collection's kept counts.
    counted: ((i64, i64), (i64, i64)),
    kept_counts: Vec<(String, i64)>,
}

impl Store {
    /// Writes `record` with its entries if the stored record is still `expected` (`None`: there
    /// is none), then adjusts its collection's kept counts when it came or went. The counts are
    /// updated after the transaction, not in it: every write of a tenant's results would
    /// otherwise hold the same counts item, and concurrent transactions on one item fail.
    pub async fn write_record(
        &self,
        tenant: &Tenant,
        record: RecordWrite,
        expected: Option<&StoredRecord>,
    ) -> Result<Written, StoreError> {
        self.write_together(tenant, vec![(record, expected)]).await
    }

    /// Writes every record with its entries in one transaction, each on the condition that its
    /// stored record is still the one given (`None`: there is none), then adjusts the kept
    /// counts (as [`Store::write_record`]). All are written or none: a POSTed set. Refused before
    /// anything is written when an item would pass [`MAX_ITEM_BYTES`], or the transaction
    /// [`MAX_TRANSACTION_ITEMS`] or [`MAX_TRANSACTION_BYTES`]. The records must be distinct.
    pub async fn write_together(
        &self,
        tenant: &Tenant,
        writes: Vec<(RecordWrite, Option<&StoredRecord>)>,
    ) -> Result<Written, StoreError> {
        let records = writes.len();
        let planned = writes
            .into_iter()
            .map(|(record, expected)| self.plan(tenant, record, expected))
            .collect::<Result<Vec<_>, _>>()?;
        let items: usize = planned.iter().map(|p| p.items.len()).sum();
        let bytes: usize = planned.iter().map(|p| p.bytes).sum();
        if items > MAX_TRANSACTION_ITEMS || bytes > MAX_TRANSACTION_BYTES {
            return Err(StoreError::TransactionTooLarge { records, items, bytes });
        }
        let mut transaction = Vec::with_capacity(items);
        let mut after = Vec::with_capacity(planned.len());
        for plan in planned {
            transaction.extend(plan.items);
            after.push((plan.collection, plan.counted, plan.kept_counts));
        }
        if let Err(error) = self.client.transact_write_items().set_transact_items(Some(transaction)).send().await {
            return match aws_sdk_dynamodb::Error::from(error) {
                // A condition failed (a record changed) or another transaction held an item:
                // either way the writer reads again.
                aws_sdk_dynamodb::Error::TransactionCanceledException(_)
                | aws_sdk_dynamodb::Error::TransactionConflictException(_) => Ok(Written::Conflict),
                other => Err(StoreError::Dynamo(Box::new(other))),
            };
        }
        for (collection, (before, after), kept_counts) in after {
            if before != after {
                self.add_to_count(tenant, collection.name(), after.0 - before.0, Some(after.1 - before.1)).await?;
            }
            for (name, change) in kept_counts {
                self.add_to_count(tenant, &name, change, None).await?;
            }
        }
        Ok(Written::Done)
    }

    /// The transaction items of one record's write (its entries, then the conditional put of the
    /// record), checked against [`MAX_ITEM_BYTES`].
    fn plan(
        &self,
        tenant: &Tenant,
        record: RecordWrite,
        expected: Option<&StoredRecord>,
    ) -> Result<Planned, StoreError> {
        let changes = entry_changes(tenant, &record);
        let kept_counts = kept_count_changes(&changes);
        let record_item = record_item(tenant, &record, changes.encoded);
        let sizes = changes.writes.iter().map(write_bytes).chain([item_bytes(&record_item)]);
        let (largest, bytes) = sizes.fold((0, 0), |(largest, all), size| (largest.max(size), all + size));
        if largest > MAX_ITEM_BYTES {
            return Err(StoreError::ItemTooLarge { id: record.id.to_string(), bytes: largest, limit: MAX_ITEM_BYTES });
        }
        let mut items: Vec<TransactWriteItem> =
            changes.writes.into_iter().map(|write| transact(&self.table, write)).collect::<Result<_, _>>()?;
        let counted =
            |status: &Status, gone: bool| if gone { (0, 0) } else { (1, i64::from(*status == Status::Active)) };
        let before = expected.map_or((0, 0), |stored| counted(&stored.status, stored.gone));
        let after = counted(&record.status, record.gone);
        let mut put = Put::builder().table_name(&self.table).set_item(Some(record_item));
        put = match expected {
            None => put.condition_expression("attribute_not_exists(pk)"),
            Some(stored) => put
                .condition_expression("dlm = :dlm AND h = :h")
                .expression_attribute_values(":dlm", AttributeValue::S(stored.modified.to_string()))
                .expression_attribute_values(":h", AttributeValue::S(format!("{:016x}", stored.hash))),
        };
        items.push(TransactWriteItem::builder().put(put.build()?).build());
        Ok(Planned { items, bytes, collection: record.collection, counted: (before, after), kept_counts })
    }

    /// Adds to a kept count (and to its active count, when given).
    async fn add_to_count(&self, tenant: &Tenant, name: &str, n: i64, active: Option<i64>) -> Result<(), StoreError> {
        let (pk, sk) = stats_key(tenant, name);
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk))
            .key("sk", AttributeValue::S(sk))
            .update_expression(if active.is_some() { "ADD n :n, active :active" } else { "ADD n :n" })
            .expression_attribute_values(":n", AttributeValue::N(n.to_string()));
        if let Some(active) = active {
            update = update.expression_attribute_values(":active", AttributeValue::N(active.to_string()));
        }
        update.send().await?;
        Ok(())
    }
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
fn kept_count_changes(changes: &EntryChanges) -> Vec<(String, i64)> {
    let counted = |(relation, parent): &(Relation, String), change| {
        relation.keeps_counts().then(|| (relation_stats_name(*relation, parent), change))
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
                .key("pk", AttributeValue::S(pk))
                .key("sk", AttributeValue::S(sk))
                .build()?,
        ),
    };
    Ok(item.build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::largest_item;
    use oneroster_model::{Link, SourcedId, TenantId, Timestamp};

    fn id(text: &str) -> SourcedId {
        SourcedId::parse(text).expect("an id")
    }

    fn result(title_bytes: usize) -> RecordWrite {
        let link = |relation, parent: &str| Link { relation, parent: id(parent), child: id("r-1"), via: None };
        RecordWrite {
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

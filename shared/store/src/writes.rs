//! Writes of one record through the API (the gradebook's PUT, POST and DELETE): the record and
//! its relation entries in one transaction, on the condition that the stored record is still
//! the one the writer read. Two clients writing one record at
//! once never leave a mix of their bodies or entries: one transaction wins, the other finds the
//! record changed and is told to read it again.

use crate::batch::Write;
use crate::keys::{relation_stats_name, stats_key};
use crate::records::{entry_changes, record_item, EntryChanges};
use crate::{RecordWrite, Store, StoreError, StoredRecord, Tenant};
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use oneroster_model::{Relation, Status};

/// Items one DynamoDB transaction may hold.
const MAX_TRANSACTION_ITEMS: usize = 100;

/// How a single-record write ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The record and its entries were written.
    Done,
    /// Someone else changed the record since it was read: read it again and decide again.
    Conflict,
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
        let changes = entry_changes(tenant, &record);
        let kept_counts = kept_count_changes(&changes);
        let mut items: Vec<TransactWriteItem> =
            changes.writes.into_iter().map(|write| transact(&self.table, write)).collect::<Result<_, _>>()?;
        let counted =
            |status: &Status, gone: bool| if gone { (0, 0) } else { (1, i64::from(*status == Status::Active)) };
        let before = expected.map_or((0, 0), |stored| counted(&stored.status, stored.gone));
        let after = counted(&record.status, record.gone);

        let mut put =
            Put::builder().table_name(&self.table).set_item(Some(record_item(tenant, &record, changes.encoded)));
        put = match expected {
            None => put.condition_expression("attribute_not_exists(pk)"),
            Some(stored) => put
                .condition_expression("dlm = :dlm AND h = :h")
                .expression_attribute_values(":dlm", AttributeValue::S(stored.modified.to_string()))
                .expression_attribute_values(":h", AttributeValue::S(format!("{:016x}", stored.hash))),
        };
        items.push(TransactWriteItem::builder().put(put.build()?).build());
        if items.len() > MAX_TRANSACTION_ITEMS {
            return Err(StoreError::Corrupt(format!("a record with {} relation entries", items.len())));
        }
        if let Err(error) = self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            return match aws_sdk_dynamodb::Error::from(error) {
                // A condition failed (the record changed) or another transaction held an item:
                // either way the writer reads again.
                aws_sdk_dynamodb::Error::TransactionCanceledException(_)
                | aws_sdk_dynamodb::Error::TransactionConflictException(_) => Ok(Written::Conflict),
                other => Err(StoreError::Dynamo(Box::new(other))),
            };
        }
        if before != after {
            self.add_to_count(tenant, record.collection.name(), after.0 - before.0, Some(after.1 - before.1)).await?;
        }
        for (name, change) in kept_counts {
            self.add_to_count(tenant, &name, change, None).await?;
        }
        Ok(Written::Done)
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

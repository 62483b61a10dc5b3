//! The table's change stream (old and new images), as the change events are made of it: which
//! stream records are about record items, and what each image of one says (status, body,
//! parts, who wrote it). Lambda hands the records in a batch (`aws_lambda_events`, whose images
//! are `serde_dynamo` items); the local stack reads them from DynamoDB Local's streams API
//! ([`StreamReader`]), whose images become the same items, so one decoder reads both.

use crate::keys::{stream_mark_key, Key};
use crate::{attr, Store, StoreError};
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use oneroster_model::{Collection, Tenant, TenantId, Timestamp};
use serde_dynamo::{AttributeValue, Item};
use std::collections::BTreeMap;

/// A record as one image of a stream record shows it: what a change event compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordImage {
    /// The stored status (`active`, `tobedeleted`).
    pub status: String,
    /// The JSON body as served.
    pub body: String,
    /// The JSON of the parts folded into the record (a user's roles and profiles), if any.
    pub parts: Option<String>,
    /// The API client that wrote it, if one did.
    pub origin: Option<String>,
    /// The ingest job that wrote it, if one did.
    pub job: Option<String>,
    /// Whether it is the tombstone of an erasure on request.
    pub erased: bool,
}

/// What a stream record says happened to its item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemChange {
    /// The item was written where there was none.
    Insert,
    /// The item was written over.
    Modify,
    /// The item was deleted (a retention purge; TTL deletions of other items).
    Remove,
}

/// One stream record of a record item: its tenant, collection and sourcedId from its key, and
/// its images.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordChange {
    /// The tenant, from the item's partition key.
    pub tenant: Tenant,
    /// The record's collection.
    pub collection: Collection,
    /// The record's sourcedId.
    pub sourced_id: String,
    /// The stream record's own id, unique in the stream: a retried batch gives the same one.
    pub stream_id: String,
    /// What happened to the item.
    pub change: ItemChange,
    /// The item before (`None` for an insert).
    pub old: Option<RecordImage>,
    /// The item after (`None` for a removal).
    pub new: Option<RecordImage>,
    /// When the change was made (the stream record's approximate creation time).
    pub at: Timestamp,
}

/// One stream record as read, before it is known to be about a record item: what Lambda hands
/// the events function, whichever way it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamRecord {
    /// The stream record's id.
    pub stream_id: String,
    /// `INSERT`, `MODIFY` or `REMOVE`.
    pub name: String,
    /// The item's key attributes.
    pub keys: Item,
    /// The item before.
    pub old: Item,
    /// The item after.
    pub new: Item,
    /// When the change was made.
    pub at: Timestamp,
    /// Its place in its shard, the id a partial batch failure names.
    pub sequence: String,
}

impl StreamRecord {
    /// Whether this is the record of the mark `key` ([`StreamReader::mark`]).
    pub fn is_mark(&self, key: &Key) -> bool {
        text(&self.keys, attr::PK).as_deref() == Some(key.pk.as_str())
            && text(&self.keys, attr::SK).as_deref() == Some(key.sk.as_str())
    }
}

fn text(item: &Item, name: &str) -> Option<String> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Some(value.clone()),
        _ => None,
    }
}

impl RecordImage {
    /// Reads a record item's image; `None` for an image that is empty (an insert's old one) or
    /// that is not of a record of `collection` (its `kind` says what an item is).
    fn read(image: &Item, collection: Collection) -> Result<Option<Self>, StoreError> {
        if image.is_empty() || text(image, attr::KIND).as_deref() != Some(collection.name()) {
            return Ok(None);
        }
        let needed =
            |name: &str| text(image, name).ok_or_else(|| StoreError::BadItem(format!("a record image lacks {name}")));
        Ok(Some(Self {
            status: needed(attr::STATUS)?,
            body: needed(attr::BODY)?,
            parts: text(image, attr::PARTS),
            origin: text(image, attr::ORIGIN),
            job: text(image, attr::JOB),
            erased: image.contains_key(attr::ERASED),
        }))
    }
}

impl RecordChange {
    /// Reads `record`; `None` when it is not about a record item (relation entries, packs,
    /// counts, jobs, locks, audit and change events: every other item of the table), and an
    /// error for a record item whose image lacks what every record item holds.
    pub fn read(record: &StreamRecord) -> Result<Option<Self>, StoreError> {
        let (Some(pk), Some(sk)) = (text(&record.keys, attr::PK), text(&record.keys, attr::SK)) else {
            return Ok(None);
        };
        let key = Key { pk, sk };
        let Some((tenant, collection)) = key.record_of() else { return Ok(None) };
        let Ok(tenant) = TenantId::parse(tenant) else { return Ok(None) };
        let change = match record.name.as_str() {
            "INSERT" => ItemChange::Insert,
            "MODIFY" => ItemChange::Modify,
            "REMOVE" => ItemChange::Remove,
            other => return Err(StoreError::BadItem(format!("a stream record of kind {other}"))),
        };
        let (old, new) = (RecordImage::read(&record.old, collection)?, RecordImage::read(&record.new, collection)?);
        if old.is_none() && new.is_none() {
            return Ok(None);
        }
        Ok(Some(Self {
            tenant: Tenant::of_stored_item(tenant),
            collection,
            sourced_id: key.sk,
            stream_id: record.stream_id.clone(),
            change,
            old,
            new,
            at: record.at,
        }))
    }
}

/// Reads the table's stream from DynamoDB Local the way Lambda's event source mapping reads it
/// in AWS: every shard, in order, from where the reader started; new shards from their start.
#[derive(Debug)]
pub struct StreamReader {
    client: aws_sdk_dynamodbstreams::Client,
    stream: String,
    /// Each shard's next iterator (`None` once a closed shard is read to its end) and the last
    /// sequence number read from it, to start again after it when DynamoDB Local refuses an
    /// iterator (expired, or past its trim horizon).
    shards: BTreeMap<String, (Option<String>, Option<String>)>,
}

impl StreamReader {
    /// A reader of `store`'s table's stream from now on (the shards open now from their
    /// latest record, so a restarted local server does not make old events again), through a
    /// streams client made from `config` (`endpoint`: DynamoDB Local's).
    pub async fn connect(
        store: &Store,
        config: &aws_config::SdkConfig,
        endpoint: Option<&str>,
    ) -> Result<Self, StoreError> {
        let mut builder = aws_sdk_dynamodbstreams::config::Builder::from(config);
        if let Some(endpoint) = endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        let client = aws_sdk_dynamodbstreams::Client::from_conf(builder.build());
        let described = store.client.describe_table().table_name(&store.table).send().await?;
        let stream = described
            .table
            .and_then(|table| table.latest_stream_arn)
            .ok_or_else(|| StoreError::BadItem(format!("table {} has no stream", store.table)))?;
        let mut reader = Self { client, stream, shards: BTreeMap::new() };
        reader.discover(ShardIteratorType::Latest).await?;
        Ok(reader)
    }

    /// Adds the shards not known yet, each with an iterator of type `start`.
    async fn discover(&mut self, start: ShardIteratorType) -> Result<(), StoreError> {
        let described = self.client.describe_stream().stream_arn(&self.stream).send().await.map_err(stream_error)?;
        let shards = described.stream_description.and_then(|d| d.shards).unwrap_or_default();
        for shard in shards.into_iter().filter_map(|shard| shard.shard_id) {
            if self.shards.contains_key(&shard) {
                continue;
            }
            let iterator = self.iterator(&shard, start.clone(), None).await?;
            self.shards.insert(shard, (iterator, None));
        }
        Ok(())
    }

    /// An iterator of `shard` of type `start` (after `sequence`, for `AfterSequenceNumber`).
    async fn iterator(
        &self,
        shard: &str,
        start: ShardIteratorType,
        sequence: Option<String>,
    ) -> Result<Option<String>, StoreError> {
        let asked = self.client.get_shard_iterator().stream_arn(&self.stream).shard_id(shard);
        let answer = asked.shard_iterator_type(start).set_sequence_number(sequence).send().await;
        Ok(answer.map_err(stream_error)?.shard_iterator)
    }

    /// Puts a mark in the table: once [`StreamRecord::is_mark`] finds its record in a round,
    /// every change made before the mark was put has been read.
    pub async fn mark(&self, store: &Store) -> Result<Key, StoreError> {
        static MARKS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let nth = MARKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let key = stream_mark_key(&format!("{}.{}.{nth}", std::process::id(), Timestamp::now().0.timestamp_micros()));
        let mut item = key.clone().into_item();
        let expires = Timestamp::now().0.timestamp() + 3600;
        item.insert(attr::EXPIRES.to_owned(), aws_sdk_dynamodb::types::AttributeValue::N(expires.to_string()));
        store.client.put_item().table_name(&store.table).set_item(Some(item)).send().await?;
        Ok(key)
    }

    /// One round: every shard read once (new shards from their start), the records in shard
    /// order.
    pub async fn poll(&mut self) -> Result<Vec<StreamRecord>, StoreError> {
        self.discover(ShardIteratorType::TrimHorizon).await?;
        let mut records = Vec::new();
        let shards: Vec<String> = self.shards.keys().cloned().collect();
        for shard in shards {
            let Some((Some(current), last)) = self.shards.get(&shard).cloned() else { continue };
            let output = match self.client.get_records().shard_iterator(current).send().await {
                Ok(output) => output,
                Err(error) => {
                    use aws_sdk_dynamodbstreams::Error as E;
                    match aws_sdk_dynamodbstreams::Error::from(error) {
                        // Start again after the last record read (from the start of the shard
                        // if none was): nothing read twice, nothing skipped.
                        E::ExpiredIteratorException(_) | E::TrimmedDataAccessException(_) => {
                            let (start, after) = match &last {
                                Some(_) => (ShardIteratorType::AfterSequenceNumber, last.clone()),
                                None => (ShardIteratorType::TrimHorizon, None),
                            };
                            let iterator = self.iterator(&shard, start, after).await?;
                            self.shards.insert(shard, (iterator, last));
                            continue;
                        }
                        other => return Err(StoreError::Stream(Box::new(other))),
                    }
                }
            };
            let read = output.records.unwrap_or_default();
            let last = read.iter().rev().find_map(|r| r.dynamodb.as_ref()?.sequence_number.clone()).or(last);
            self.shards.insert(shard, (output.next_shard_iterator, last));
            records.extend(read.into_iter().filter_map(|record| {
                let change = record.dynamodb?;
                let at = change.approximate_creation_date_time.map_or(0, |t| t.to_millis().unwrap_or(0));
                Some(StreamRecord {
                    stream_id: record.event_id.unwrap_or_default(),
                    name: record.event_name.map(|name| name.as_str().to_owned()).unwrap_or_default(),
                    keys: change.keys.unwrap_or_default().into(),
                    old: change.old_image.unwrap_or_default().into(),
                    new: change.new_image.unwrap_or_default().into(),
                    at: Timestamp::from_millis(at),
                    sequence: change.sequence_number.unwrap_or_default(),
                })
            }));
        }
        Ok(records)
    }
}

fn stream_error<E, R>(error: aws_sdk_dynamodbstreams::error::SdkError<E, R>) -> StoreError
where
    aws_sdk_dynamodbstreams::Error: From<aws_sdk_dynamodbstreams::error::SdkError<E, R>>,
{
    StoreError::Stream(Box::new(error.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{link_key, record_key};
    use oneroster_model::{Link, Relation, SourcedId};

    fn s(value: &str) -> AttributeValue {
        AttributeValue::S(value.to_owned())
    }

    fn keys(key: Key) -> Item {
        Item::from(std::collections::HashMap::from([
            (attr::PK.to_owned(), s(&key.pk)),
            (attr::SK.to_owned(), s(&key.sk)),
        ]))
    }

    fn user_image(body: &str) -> Item {
        let mut item = keys(record_key(&TenantId::parse("d-1").unwrap(), Collection::Users, "u-1"));
        for (name, value) in [(attr::KIND, "users"), (attr::STATUS, "active"), (attr::BODY, body), (attr::JOB, "j-1")] {
            item.insert(name.to_owned(), s(value));
        }
        item
    }

    fn record(name: &str, keys: Item, old: Item, new: Item) -> StreamRecord {
        let (at, sequence) = (Timestamp::from_millis(0), "1".to_owned());
        StreamRecord { stream_id: "e-1".into(), name: name.into(), keys, old, new, at, sequence }
    }

    #[test]
    fn a_record_items_images_are_read_with_its_tenant_collection_and_id() {
        let key = record_key(&TenantId::parse("d-1").unwrap(), Collection::Users, "u-1");
        let read = RecordChange::read(&record("MODIFY", keys(key), user_image("{}"), user_image("{\"a\":1}")))
            .unwrap()
            .unwrap();
        assert_eq!(
            (read.tenant.as_str(), read.collection, read.sourced_id.as_str()),
            ("d-1", Collection::Users, "u-1")
        );
        assert_eq!(read.change, ItemChange::Modify);
        assert_eq!(
            read.new.as_ref().map(|image| (image.body.as_str(), image.job.as_deref())),
            Some(("{\"a\":1}", Some("j-1")))
        );
        assert_eq!(read.old.map(|image| image.body), Some("{}".to_owned()));
    }

    #[test]
    fn other_items_are_not_record_changes() {
        let tenant = TenantId::parse("d-1").unwrap();
        let id = |text: &str| SourcedId::parse(text).unwrap();
        let link = Link { relation: Relation::ClassStudents, parent: id("k-1"), child: id("u-1"), via: None };
        let entry = keys(link_key(&tenant, &link));
        assert_eq!(RecordChange::read(&record("INSERT", entry.clone(), Item::default(), entry)).unwrap(), None);
        // A record's key whose images are not of a record (no kind) is not one either.
        let key = keys(record_key(&tenant, Collection::Users, "u-1"));
        assert_eq!(RecordChange::read(&record("REMOVE", key.clone(), key, Item::default())).unwrap(), None);
    }

    #[test]
    fn a_record_image_without_a_body_is_refused() {
        let mut image = user_image("{}");
        image.remove(attr::BODY);
        let key = keys(record_key(&TenantId::parse("d-1").unwrap(), Collection::Users, "u-1"));
        assert!(RecordChange::read(&record("INSERT", key, Item::default(), image)).is_err());
    }
}

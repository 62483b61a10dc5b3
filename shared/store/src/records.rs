//! Records and their relation entries: one method per access pattern.

use crate::batch::{get_all, write_all, Item, Write};
use crate::keys::{
    decode_link_key, encode_link_key, link_key, modified_sort_key, record_key, record_partition, relation_of_entry,
    shard_of, view_partition, RECORD_SHARDS,
};
use crate::Tenant;
use crate::{Store, StoreError};
use aws_sdk_dynamodb::types::AttributeValue;
use oneroster_model::{Collection, Link, Record, Relation, SourcedId, Status, Timestamp, View};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// A record as stored: its JSON body (exactly what the API serves) and what the ingest needs.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    /// The sourcedId.
    pub id: String,
    /// The record's JSON, as the OpenAPI shapes it.
    pub body: String,
    /// Its status.
    pub status: Status,
    /// Its `dateLastModified`.
    pub modified: Timestamp,
    /// Hash of its content without status and dateLastModified (unchanged-record detection).
    pub hash: u64,
    /// The relation entries it made, to remove those that no longer hold.
    pub(crate) links: StoredLinks,
    /// Sub-records kept beside the body (a user's roles and profiles by sourcedId), as JSON.
    pub parts: Option<String>,
    /// The typed view it belongs to.
    pub view: Option<View>,
    /// Who wrote it: `None` for the SIS feed (the ingest), else the API client.
    pub origin: Option<String>,
    /// Whether it was deleted through the API: kept as a tombstone for change feeds, served by
    /// no other read.
    pub gone: bool,
}

/// The keys of the relation entries a record made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct StoredLinks(Vec<String>);

/// What a write needs of the record it replaces: the entries it made, to remove those that no
/// longer hold, and its view, which the pack heads of its children copy (see [`crate::packs`]);
/// opaque outside this crate.
#[derive(Debug, Clone)]
pub struct Prior {
    links: StoredLinks,
    view: Option<View>,
}

impl StoredRecord {
    /// What a write that replaces this record needs of it.
    pub fn prior(&self) -> Prior {
        Prior { links: self.links.clone(), view: self.view }
    }
}

/// What the ingest needs to know of a stored record to decide whether to write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    /// The sourcedId.
    pub id: String,
    /// Hash of the content without status and dateLastModified.
    pub hash: u64,
    /// The status.
    pub status: Status,
    /// Who wrote it (see [`StoredRecord::origin`]).
    pub origin: Option<String>,
}

/// A record to write, with the relation entries it makes now.
#[derive(Debug, Clone)]
pub struct RecordWrite {
    /// Its collection.
    pub collection: Collection,
    /// Its sourcedId.
    pub id: SourcedId,
    /// Its JSON body.
    pub body: String,
    /// Its status.
    pub status: Status,
    /// Its `dateLastModified`.
    pub modified: Timestamp,
    /// Hash of its content without status and dateLastModified.
    pub hash: u64,
    /// The relation entries it makes.
    pub links: Vec<Link>,
    /// The record it replaces, `None` for a new record.
    pub previous: Option<Prior>,
    /// Sub-records kept beside the body, as JSON.
    pub parts: Option<String>,
    /// The typed view it belongs to (indexed by `by_view`).
    pub view: Option<View>,
    /// Who writes it: `None` for the SIS feed, else the API client.
    pub origin: Option<String>,
    /// Whether this is the tombstone of a deletion through the API (see [`StoredRecord::gone`]).
    pub gone: bool,
}

impl RecordWrite {
    /// The packs whose heads copy this record's view, when the write changes it (a user whose
    /// primary role turns from teacher to student): the packs of its children.
    fn view_change_packs(&self) -> Vec<(Relation, String)> {
        match &self.previous {
            Some(prior) if prior.view != self.view => Relation::ALL
                .into_iter()
                .filter(|relation| relation.is_packed() && relation.parent() == self.collection)
                .map(|relation| (relation, self.id.to_string()))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// The largest item DynamoDB stores, in bytes (400 KB, attribute names and values counted).
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

/// An item's size as DynamoDB counts it against [`MAX_ITEM_BYTES`] and a transaction's limit:
/// each attribute's name and value (strings as UTF-8; numbers counted at their largest, 21
/// bytes; lists and maps 3 bytes plus 1 per element).
pub(crate) fn item_bytes(item: &Item) -> usize {
    item.iter().map(|(name, value)| name.len() + value_bytes(value)).sum()
}

fn value_bytes(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(text) => text.len(),
        AttributeValue::N(_) => 21,
        AttributeValue::B(bytes) => bytes.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::L(items) => 3 + items.iter().map(|v| 1 + value_bytes(v)).sum::<usize>(),
        AttributeValue::M(map) => 3 + map.iter().map(|(k, v)| 1 + k.len() + value_bytes(v)).sum::<usize>(),
        AttributeValue::Ss(texts) => texts.iter().map(String::len).sum(),
        AttributeValue::Ns(numbers) => 21 * numbers.len(),
        AttributeValue::Bs(blobs) => blobs.iter().map(|b| b.as_ref().len()).sum(),
        _ => 0,
    }
}

/// The size of the largest item a write of `record` makes: its record item, or a relation entry
/// carrying a copy of it (the gradebook's relations). A write whose largest item passes
/// [`MAX_ITEM_BYTES`] cannot be stored: [`Store::write_record`] refuses it before writing
/// anything; other writers (the ingest) can ask first.
pub fn largest_item(tenant: &Tenant, record: &RecordWrite) -> usize {
    let changes = entry_changes(tenant, record);
    let entries = changes.writes.iter().filter_map(|write| match write {
        Write::Put(item) => Some(item_bytes(item)),
        Write::Delete(..) => None,
    });
    entries.chain([item_bytes(&record_item(tenant, record, changes.encoded))]).max().unwrap_or(0)
}

/// (collection, sourcedId) pairs grouped by collection, each id once: batched reads go one
/// collection at a time.
pub(crate) fn by_collection<S: Ord>(
    names: impl IntoIterator<Item = (Collection, S)>,
) -> BTreeMap<Collection, BTreeSet<S>> {
    let mut grouped: BTreeMap<Collection, BTreeSet<S>> = BTreeMap::new();
    for (collection, id) in names {
        grouped.entry(collection).or_default().insert(id);
    }
    grouped
}

pub(crate) fn s(item: &Item, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}

pub(crate) fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

/// Reads back the value of an item written by [`Store::put_json`].
pub(crate) fn from_json_body<T: serde::de::DeserializeOwned>(item: &Item, what: &str) -> Result<T, StoreError> {
    let body = s(item, "body").ok_or_else(|| corrupt(&format!("{what} without body")))?;
    serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

pub(crate) fn to_record(item: &Item) -> Result<StoredRecord, StoreError> {
    let status = s(item, "st").ok_or_else(|| corrupt("record without st"))?;
    let modified = s(item, "dlm").ok_or_else(|| corrupt("record without dlm"))?;
    Ok(StoredRecord {
        id: s(item, "sk").ok_or_else(|| corrupt("record without sk"))?,
        body: s(item, "body").ok_or_else(|| corrupt("record without body"))?,
        status: Status::parse(&status).map_err(|_| corrupt("record with a bad st"))?,
        modified: Timestamp::parse(&modified).map_err(|_| corrupt("record with a bad dlm"))?,
        hash: s(item, "h").and_then(|h| u64::from_str_radix(&h, 16).ok()).ok_or_else(|| corrupt("record without h"))?,
        links: StoredLinks(
            item.get("links")
                .and_then(|v| v.as_l().ok())
                .map(|l| l.iter().filter_map(|v| v.as_s().ok().cloned()).collect())
                .unwrap_or_default(),
        ),
        parts: s(item, "parts"),
        view: s(item, "vw").and_then(|v| View::from_name(&v)),
        origin: s(item, "origin"),
        gone: item.contains_key("gone"),
    })
}

impl Store {
    /// Gets one record by sourcedId (`GET /{collection}/{id}`): one read.
    pub async fn get(
        &self,
        tenant: &Tenant,
        collection: Collection,
        id: &str,
    ) -> Result<Option<StoredRecord>, StoreError> {
        self.get_item(record_key(tenant, collection, id)).await?.as_ref().map(to_record).transpose()
    }

    /// Puts an item whose content is `value` as JSON in `body` (jobs, clients, tenants).
    pub(crate) async fn put_json<T: serde::Serialize>(
        &self,
        (pk, sk): (String, String),
        value: &T,
    ) -> Result<(), StoreError> {
        let body = serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", AttributeValue::S(pk))
            .item("sk", AttributeValue::S(sk))
            .item("body", AttributeValue::S(body))
            .send()
            .await?;
        Ok(())
    }

    /// One item by its key: one read.
    pub(crate) async fn get_item(&self, (pk, sk): (String, String)) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk))
            .key("sk", AttributeValue::S(sk))
            .send()
            .await?;
        self.count_reads(1);
        Ok(output.item)
    }

    /// Gets many records of one collection by sourcedId (relation reads, ingest diffs):
    /// one read per record, 100 to a request. Missing ids are left out; order is by `ids`.
    pub async fn get_many(
        &self,
        tenant: &Tenant,
        collection: Collection,
        ids: &[String],
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let mut unique: Vec<&String> = Vec::with_capacity(ids.len());
        let mut seen = HashSet::new();
        unique.extend(ids.iter().filter(|id| seen.insert(id.as_str())));
        let keys = unique.iter().map(|id| record_key(tenant, collection, id)).collect();
        let items = get_all(&self.client, &self.table, keys, None).await?;
        self.count_reads(items.len());
        let mut by_id: HashMap<String, StoredRecord> =
            items.iter().map(to_record).map(|r| r.map(|r| (r.id.clone(), r))).collect::<Result<_, _>>()?;
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    /// The live records that `names` name by (collection, sourcedId), parsed and keyed by that
    /// pair: what references and link dependencies resolve to, for the ingest and API writes.
    /// A name not stored, or deleted through the API ([`StoredRecord::gone`]), is absent.
    pub async fn get_named(
        &self,
        tenant: &Tenant,
        names: impl IntoIterator<Item = (Collection, String)>,
    ) -> Result<HashMap<(Collection, String), Record>, StoreError> {
        let mut found = HashMap::new();
        for (collection, ids) in by_collection(names) {
            let ids: Vec<String> = ids.into_iter().collect();
            for stored in self.get_many(tenant, collection, &ids).await?.into_iter().filter(|s| !s.gone) {
                let record = Record::from_json(collection, &stored.body)
                    .map_err(|e| corrupt(&format!("a stored {}: {e}", collection.ref_type())))?;
                found.insert((collection, stored.id), record);
            }
        }
        Ok(found)
    }

    /// Which of `ids` exist in `collection` (reference checks of delta packages).
    pub async fn existing_ids(
        &self,
        tenant: &Tenant,
        collection: Collection,
        ids: &[String],
    ) -> Result<HashSet<String>, StoreError> {
        let keys = ids.iter().map(|id| record_key(tenant, collection, id)).collect();
        let items = get_all(&self.client, &self.table, keys, Some("sk")).await?;
        Ok(items.iter().filter_map(|i| s(i, "sk")).collect())
    }

    /// The views of the records of `collection` among `ids` that are in one (pack heads copy
    /// them): 100 keys to a request, the views only.
    pub(crate) async fn views(
        &self,
        tenant: &Tenant,
        collection: Collection,
        ids: &[&str],
    ) -> Result<HashMap<String, View>, StoreError> {
        let keys = ids.iter().map(|id| record_key(tenant, collection, id)).collect();
        let items = get_all(&self.client, &self.table, keys, Some("sk, vw")).await?;
        Ok(items.iter().filter_map(|i| Some((s(i, "sk")?, View::from_name(&s(i, "vw")?)?))).collect())
    }

    /// Every record of a collection, reduced to what the ingest needs to decide whether to
    /// write (a full read of the collection, done once per bulk file, 16 shards in parallel).
    pub async fn digests(&self, tenant: &Tenant, collection: Collection) -> Result<Vec<Digest>, StoreError> {
        let mut tasks = tokio::task::JoinSet::new();
        for shard in 0..RECORD_SHARDS {
            let (client, table, pk) =
                (self.client.clone(), self.table.clone(), record_partition(tenant, collection, shard));
            tasks.spawn(async move {
                let items = query_partition(&client, &table, pk, Some("sk, h, st, origin")).await?;
                items
                    .iter()
                    .map(|item| {
                        let (Some(id), Some(h), Some(st)) = (s(item, "sk"), s(item, "h"), s(item, "st")) else {
                            return Err(corrupt("record digest"));
                        };
                        Ok(Digest {
                            id,
                            hash: u64::from_str_radix(&h, 16).map_err(|_| corrupt("record hash"))?,
                            status: Status::parse(&st).map_err(|_| corrupt("record status"))?,
                            origin: s(item, "origin"),
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()
            });
        }
        let mut all = Vec::new();
        while let Some(done) = tasks.join_next().await {
            all.extend(done.map_err(|e| StoreError::Task(e.to_string()))??);
        }
        Ok(all)
    }

    /// Writes records and keeps their relation entries in step: first the entries that are new
    /// and the deletions of those that no longer hold, then the records. A record item is
    /// written only after its entries, so an apply that dies midway and is run again finds
    /// every unwritten record still different and writes it: nothing is left half done.
    pub async fn write_records(&self, tenant: &Tenant, records: Vec<RecordWrite>) -> Result<Wrote, StoreError> {
        let mut entry_writes = Vec::new();
        let mut record_writes = Vec::with_capacity(records.len());
        let mut packs = BTreeSet::new();
        for record in records {
            let changes = entry_changes(tenant, &record);
            packs.extend(changes.joined.into_iter().chain(changes.left).filter(|(relation, _)| relation.is_packed()));
            packs.extend(record.view_change_packs());
            entry_writes.extend(changes.writes);
            record_writes.push(Write::Put(record_item(tenant, &record, changes.encoded)));
        }
        let mut items = write_all(&self.client, &self.table, entry_writes).await?;
        items += write_all(&self.client, &self.table, record_writes).await?;
        Ok(Wrote { items, packs })
    }
}

/// What [`Store::write_records`] did.
#[derive(Debug, Default)]
pub struct Wrote {
    /// Items written or deleted.
    pub items: u64,
    /// The parents whose packs are stale now (their entries changed): rebuild them with
    /// [`Store::rebuild_packs`] once the writes of a package are done.
    pub packs: BTreeSet<(Relation, String)>,
}

/// What a record's write does to relation entries.
pub(crate) struct EntryChanges {
    /// The puts of entries that are new (and of entries carrying the record's body, rewritten
    /// with every write) and the deletions of those that no longer hold.
    pub(crate) writes: Vec<Write>,
    /// The keys of all its entries now, kept in the record item.
    pub(crate) encoded: Vec<String>,
    /// The (relation, parent) of each entry it gains.
    pub(crate) joined: Vec<(Relation, String)>,
    /// The (relation, parent) of each entry it loses.
    pub(crate) left: Vec<(Relation, String)>,
}

/// The entry writes of a record's write, and the parents it joins and leaves.
pub(crate) fn entry_changes(tenant: &Tenant, record: &RecordWrite) -> EntryChanges {
    let keys: Vec<(String, String)> = record.links.iter().map(|l| link_key(tenant, l)).collect();
    let encoded: Vec<String> = keys.iter().map(encode_link_key).collect();
    let before: HashSet<&str> =
        record.previous.as_ref().map(|p| p.links.0.iter().map(String::as_str).collect()).unwrap_or_default();
    let now: HashSet<&str> = encoded.iter().map(String::as_str).collect();
    let (mut writes, mut joined, mut left) = (Vec::new(), Vec::new(), Vec::new());
    for ((key, text), link) in keys.iter().zip(&encoded).zip(&record.links) {
        let new = !before.contains(text.as_str());
        if new {
            joined.push((link.relation, link.parent.to_string()));
        }
        // An entry carrying its child's body is rewritten with every write of the child.
        if link.relation.carries_bodies() && link.via.is_none() {
            let mut item = record_item(tenant, record, Vec::new());
            for (name, value) in [("pk", &key.0), ("sk", &key.1)] {
                item.insert(name.to_owned(), AttributeValue::S(value.clone()));
            }
            // Not in the record's own indexes: the entry is found through its parent only.
            for index_key in ["mod", "vpk"] {
                item.remove(index_key);
            }
            writes.push(Write::Put(item));
        } else if new {
            writes.push(Write::Put(entry_item(key, record.collection, record.id.as_str())));
        }
    }
    for old in before.difference(&now) {
        if let Some((pk, sk)) = decode_link_key(old) {
            left.extend(relation_of_entry(&pk));
            writes.push(Write::Delete(pk, sk));
        }
    }
    EntryChanges { writes, encoded, joined, left }
}

fn entry_item((pk, sk): &(String, String), collection: Collection, source: &str) -> Item {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(pk.clone())),
        ("sk".to_owned(), AttributeValue::S(sk.clone())),
        ("kind".to_owned(), AttributeValue::S("link".to_owned())),
        ("src".to_owned(), AttributeValue::S(format!("{}/{source}", collection.name()))),
    ])
}

pub(crate) fn record_item(tenant: &Tenant, record: &RecordWrite, links: Vec<String>) -> Item {
    let (pk, sk) = record_key(tenant, record.collection, record.id.as_str());
    let modified = record.modified.to_string();
    let mut item = HashMap::from([
        ("mod".to_owned(), AttributeValue::S(modified_sort_key(&modified, &sk))),
        ("pk".to_owned(), AttributeValue::S(pk)),
        ("sk".to_owned(), AttributeValue::S(sk)),
        ("kind".to_owned(), AttributeValue::S(record.collection.name().to_owned())),
        ("body".to_owned(), AttributeValue::S(record.body.clone())),
        ("st".to_owned(), AttributeValue::S(record.status.as_str().to_owned())),
        ("dlm".to_owned(), AttributeValue::S(modified)),
        ("h".to_owned(), AttributeValue::S(format!("{:016x}", record.hash))),
    ]);
    if !links.is_empty() {
        item.insert("links".to_owned(), AttributeValue::L(links.into_iter().map(AttributeValue::S).collect()));
    }
    if let Some(parts) = &record.parts {
        item.insert("parts".to_owned(), AttributeValue::S(parts.clone()));
    }
    if let Some(origin) = &record.origin {
        item.insert("origin".to_owned(), AttributeValue::S(origin.clone()));
    }
    if record.gone {
        item.insert("gone".to_owned(), AttributeValue::Bool(true));
    }
    if let Some(view) = record.view {
        let shard = shard_of(record.id.as_str(), RECORD_SHARDS);
        item.insert("vw".to_owned(), AttributeValue::S(view.name().to_owned()));
        item.insert("vpk".to_owned(), AttributeValue::S(view_partition(tenant, view, shard)));
    }
    item
}

/// Items a query asks for per page when it walks a partition. DynamoDB stops a page at 1 MB
/// anyway; DynamoDB Local, without a limit, reads all the rest of the partition for every page,
/// so that a walk costs the square of the partition's size (a 39,000-record shard of
/// enrollments: 10 s unlimited, 2.7 s at 1,000 a page).
pub(crate) const PAGE_ITEMS: i32 = 1000;

/// Sends a query page after page until DynamoDB has no more, handing each page to `on_page`.
pub(crate) async fn query_pages(
    request: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    mut on_page: impl FnMut(aws_sdk_dynamodb::operation::query::QueryOutput),
) -> Result<(), StoreError> {
    let request = request.limit(PAGE_ITEMS);
    let mut start: Option<Item> = None;
    loop {
        let output = request.clone().set_exclusive_start_key(start.take()).send().await?;
        let next = output.last_evaluated_key.clone().filter(|key| !key.is_empty());
        on_page(output);
        match next {
            Some(key) => start = Some(key),
            None => return Ok(()),
        }
    }
}

/// The query of every item of one partition, for [`query_pages`].
pub(crate) fn partition_query(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    pk: String,
    projection: Option<&str>,
) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
    client
        .query()
        .table_name(table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(pk))
        .set_projection_expression(projection.map(str::to_owned))
}

/// Every item of one partition, page after page (digests of a shard, a tenant's jobs).
pub(crate) async fn query_partition(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    pk: String,
    projection: Option<&str>,
) -> Result<Vec<Item>, StoreError> {
    let mut items = Vec::new();
    query_pages(partition_query(client, table, pk, projection), |page| items.extend(page.items.unwrap_or_default()))
        .await?;
    Ok(items)
}

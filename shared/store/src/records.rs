//! Records and their relation entries: one method per access pattern.

use crate::attr;
use crate::batch::{get_all, Item, Write};
use crate::keys::{
    link_key, modified_sort_key, record_key, record_partition, shard_of, view_partition, Key, ShardPart, RECORD_SHARDS,
};
use crate::layout;
use crate::mutation::Mutation;
use crate::Tenant;
use crate::{Store, StoreError};
use aws_sdk_dynamodb::types::AttributeValue;
use oneroster_model::{Collection, Date, Record, Relation, Status, Timestamp, View};
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
    /// When it was erased on request (its tombstone holds only its sourcedId), if it was.
    pub erased: Option<Timestamp>,
    /// The birth date a demographics record holds, kept on its item and on its user's.
    pub born: Born,
}

/// The birth date a demographics record holds, kept on its own item and copied onto the item
/// of its user (the same sourcedId) by every commit, so that a page of users tells which are
/// children (the under-13 rule) without reading their demographics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Born {
    /// Not kept: a record of another collection, or an item written before birth dates were
    /// kept (its demographics say).
    #[default]
    Unkept,
    /// No birth date recorded (no demographics, or none holding one).
    Unrecorded,
    /// Born on this date.
    On(Date),
}

impl Born {
    /// The birth date of a demographics record's `record`: `Unrecorded` unless it is active.
    pub(crate) fn of(record: &Record) -> Self {
        match record {
            Record::Demographics(demographics) if demographics.base.status == Status::Active => {
                demographics.birth_date.map_or(Born::Unrecorded, Born::On)
            }
            _ => Born::Unrecorded,
        }
    }

    /// What a stored demographics record says: the date kept on its item or, on an item
    /// written before those were kept, the one its body holds.
    pub fn of_demographics(stored: &StoredRecord) -> Self {
        match stored.born {
            Born::Unkept if stored.status == Status::Active => {
                Record::from_json(Collection::Demographics, &stored.body)
                    .map_or(Born::Unrecorded, |record| Born::of(&record))
            }
            Born::Unkept => Born::Unrecorded,
            kept => kept,
        }
    }

    /// The birth date of each user by the stored demographics records read for them, as a
    /// lookup by sourcedId: a user without any has none recorded.
    pub fn of_users(demographics: &[StoredRecord]) -> impl Fn(&str) -> Born + '_ {
        let births: HashMap<&str, Born> =
            demographics.iter().map(|d| (d.id.as_str(), Born::of_demographics(d))).collect();
        move |id| births.get(id).copied().unwrap_or(Born::Unrecorded)
    }

    /// The item attribute's value (`-` for no birth date); `None` when not kept.
    pub(crate) fn attribute(self) -> Option<String> {
        match self {
            Born::Unkept => None,
            Born::Unrecorded => Some("-".to_owned()),
            Born::On(date) => Some(date.to_string()),
        }
    }

    /// Read back from the item attribute's value.
    fn from_attribute(value: Option<String>) -> Self {
        match value.as_deref() {
            None => Born::Unkept,
            Some(text) => Date::parse(text).map_or(Born::Unrecorded, Born::On),
        }
    }
}

/// The keys of the relation entries a record made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct StoredLinks(pub(crate) Vec<String>);

/// What a write needs of the record it replaces: the entries it made, to remove those that no
/// longer hold, and its view, which the pack heads of its children copy (see [`crate::packs`]);
/// opaque outside this crate.
#[derive(Debug, Clone)]
pub struct Prior {
    pub(crate) links: StoredLinks,
    pub(crate) born: Born,
    pub(crate) view: Option<View>,
    pub(crate) status: Status,
    pub(crate) gone: bool,
}

impl StoredRecord {
    /// What a write that replaces this record needs of it.
    pub fn prior(&self) -> Prior {
        Prior {
            links: self.links.clone(),
            born: self.born,
            view: self.view,
            status: self.status.clone(),
            gone: self.gone,
        }
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
    /// Whether it was erased on request (see [`StoredRecord::erased`]): an upload that writes
    /// it again says so.
    pub erased: bool,
}

/// A deleted record found old enough to purge ([`TenantRecords::deleted_before`](crate::TenantRecords::deleted_before)):
/// its id and the keys of the entries it made, all that removing it for good needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    /// Its collection.
    pub collection: Collection,
    /// Its sourcedId.
    pub id: String,
    /// The relation entries it made.
    pub(crate) links: StoredLinks,
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
/// [`MAX_ITEM_BYTES`] cannot be stored: [`TenantRecords::commit`](crate::TenantRecords::commit) refuses it before writing anything.
pub fn largest_item(tenant: &Tenant, record: &Mutation) -> usize {
    let changes = entry_changes(tenant, record);
    largest(&changes.writes, &record_item(tenant, record, changes.encoded))
}

/// The largest of a record's item and the entries its write puts.
pub(crate) fn largest(entries: &[Write], record_item: &Item) -> usize {
    let puts = entries.iter().filter_map(|write| match write {
        Write::Put(item) => Some(item_bytes(item)),
        Write::Delete(..) => None,
    });
    puts.chain([item_bytes(record_item)]).max().unwrap_or(0)
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

/// A number attribute of an item (a count, a size, a time), `None` when absent or not a `u64`.
pub(crate) fn number(item: &Item, name: &str) -> Option<u64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

pub(crate) fn bad_item(what: &str) -> StoreError {
    StoreError::BadItem(what.to_owned())
}

/// Reads back the value of an item written by [`Store::put_json`].
pub(crate) fn from_json_body<T: serde::de::DeserializeOwned>(item: &Item, what: &str) -> Result<T, StoreError> {
    let body = s(item, attr::BODY).ok_or_else(|| bad_item(&format!("{what} without body")))?;
    serde_json::from_str(&body).map_err(|e| StoreError::BadItem(format!("{what}: {e}")))
}

/// A stored record read back as what a name resolves to ([`TenantRecords::get_named`](crate::TenantRecords::get_named)).
pub(crate) fn named_record(collection: Collection, stored: &StoredRecord) -> Result<Record, StoreError> {
    Record::from_json(collection, &stored.body)
        .map_err(|e| bad_item(&format!("a stored {}: {e}", collection.ref_type())))
}

pub(crate) fn to_record(item: &Item) -> Result<StoredRecord, StoreError> {
    let status = s(item, attr::STATUS).ok_or_else(|| bad_item("record without st"))?;
    let modified = s(item, attr::DATE_LAST_MODIFIED).ok_or_else(|| bad_item("record without dlm"))?;
    Ok(StoredRecord {
        id: s(item, attr::SK).ok_or_else(|| bad_item("record without sk"))?,
        body: s(item, attr::BODY).ok_or_else(|| bad_item("record without body"))?,
        status: Status::parse(&status).map_err(|_| bad_item("record with a bad st"))?,
        modified: Timestamp::parse(&modified).map_err(|_| bad_item("record with a bad dlm"))?,
        hash: s(item, attr::HASH)
            .and_then(|h| u64::from_str_radix(&h, 16).ok())
            .ok_or_else(|| bad_item("record without h"))?,
        links: stored_links(item),
        parts: s(item, attr::PARTS),
        view: s(item, attr::VIEW).and_then(|v| View::from_name(&v)),
        origin: s(item, attr::ORIGIN),
        gone: item.contains_key(attr::GONE),
        erased: s(item, attr::ERASED).and_then(|at| Timestamp::parse(&at).ok()),
        born: Born::from_attribute(s(item, attr::BORN)),
    })
}

/// The keys of the relation entries an item says its record made.
fn stored_links(item: &Item) -> StoredLinks {
    StoredLinks(
        item.get(attr::LINKS)
            .and_then(|v| v.as_l().ok())
            .map(|l| l.iter().filter_map(|v| v.as_s().ok().cloned()).collect())
            .unwrap_or_default(),
    )
}

impl Store {
    /// Gets one record by sourcedId (`GET /{collection}/{id}`): one read.
    pub(crate) async fn get(
        &self,
        tenant: &Tenant,
        collection: Collection,
        id: &str,
    ) -> Result<Option<StoredRecord>, StoreError> {
        self.get_item(record_key(tenant, collection, id)).await?.as_ref().map(to_record).transpose()
    }

    /// Puts an item whose content is `value` as JSON in `body` (jobs, clients, tenants).
    pub(crate) async fn put_json<T: serde::Serialize>(&self, key: Key, value: &T) -> Result<(), StoreError> {
        let body = serde_json::to_string(value)?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(key.into_item()))
            .item(attr::BODY, AttributeValue::S(body))
            .send()
            .await?;
        Ok(())
    }

    /// One item by its key: one read.
    pub(crate) async fn get_item(&self, key: Key) -> Result<Option<Item>, StoreError> {
        let output = self.client.get_item().table_name(&self.table).set_key(Some(key.into_item())).send().await?;
        self.count_reads(1);
        Ok(output.item)
    }

    /// Gets many records of one collection by sourcedId (relation reads, ingest diffs):
    /// one read per record, 100 to a request. Missing ids are left out; order is by `ids`.
    pub(crate) async fn get_many(
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
    pub(crate) async fn get_named(
        &self,
        tenant: &Tenant,
        names: impl IntoIterator<Item = (Collection, String)>,
    ) -> Result<HashMap<(Collection, String), Record>, StoreError> {
        let mut found = HashMap::new();
        for (collection, ids) in by_collection(names) {
            let ids: Vec<String> = ids.into_iter().collect();
            for stored in self.get_many(tenant, collection, &ids).await?.into_iter().filter(|s| !s.gone) {
                let record = named_record(collection, &stored)?;
                found.insert((collection, stored.id), record);
            }
        }
        Ok(found)
    }

    /// Which of `ids` exist in `collection` (reference checks of delta packages).
    pub(crate) async fn existing_ids(
        &self,
        tenant: &Tenant,
        collection: Collection,
        ids: &[String],
    ) -> Result<HashSet<String>, StoreError> {
        let keys = ids.iter().map(|id| record_key(tenant, collection, id)).collect();
        let items = get_all(&self.client, &self.table, keys, Some(attr::SK)).await?;
        Ok(items.iter().filter_map(|i| s(i, attr::SK)).collect())
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
        Ok(items.iter().filter_map(|i| Some((s(i, attr::SK)?, View::from_name(&s(i, attr::VIEW)?)?))).collect())
    }

    /// Every record of a collection, reduced to what the ingest needs to decide whether to
    /// write (a full read of the collection, done once per bulk file, 16 shards in parallel).
    pub(crate) async fn digests(
        &self,
        tenant: &Tenant,
        collection: Collection,
        part: ShardPart,
    ) -> Result<Vec<Digest>, StoreError> {
        let mut tasks = tokio::task::JoinSet::new();
        for shard in part.shards() {
            let (client, table, pk) =
                (self.client.clone(), self.table.clone(), record_partition(tenant, collection, shard));
            tasks.spawn(async move {
                let items = query_partition(&client, &table, pk, Some("sk, h, st, origin, erased")).await?;
                items
                    .iter()
                    .map(|item| {
                        let (Some(id), Some(h), Some(st)) =
                            (s(item, attr::SK), s(item, attr::HASH), s(item, attr::STATUS))
                        else {
                            return Err(bad_item("record digest"));
                        };
                        Ok(Digest {
                            id,
                            hash: u64::from_str_radix(&h, 16).map_err(|_| bad_item("record hash"))?,
                            status: Status::parse(&st).map_err(|_| bad_item("record status"))?,
                            origin: s(item, attr::ORIGIN),
                            erased: item.contains_key(attr::ERASED),
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()
            });
        }
        let mut all = Vec::new();
        while let Some(done) = tasks.join_next().await {
            all.extend(done.map_err(|e| StoreError::Task(e.to_string()))??);
        }
        if part.slices_shards() {
            all.retain(|digest| part.holds(&digest.id));
        }
        Ok(all)
    }
}

impl Store {
    /// The records of `collection` deleted (`tobedeleted`: by a bulk, a delta, the API, an
    /// erasure) and last modified before `before`: what a retention purge removes. Reads only
    /// the part of each shard's `by_modified` index older than `before` (the oldest part of the
    /// change feed), never the rest; the active records in it are filtered out by DynamoDB.
    pub(crate) async fn deleted_before(
        &self,
        tenant: &Tenant,
        collection: Collection,
        before: Timestamp,
    ) -> Result<Vec<Removal>, StoreError> {
        let bound = modified_sort_key(&before.to_string(), "");
        let mut tasks = tokio::task::JoinSet::new();
        for shard in 0..RECORD_SHARDS {
            let request = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(BY_MODIFIED)
                .key_condition_expression("pk = :pk AND #mod < :before")
                .filter_expression("#st = :deleted")
                .projection_expression("sk, links")
                .expression_attribute_names("#mod", attr::MODIFIED_KEY)
                .expression_attribute_names("#st", attr::STATUS)
                .expression_attribute_values(":pk", AttributeValue::S(record_partition(tenant, collection, shard)))
                .expression_attribute_values(":before", AttributeValue::S(bound.clone()))
                .expression_attribute_values(":deleted", AttributeValue::S(Status::ToBeDeleted.as_str().to_owned()));
            tasks.spawn(async move {
                let mut found = Vec::new();
                query_pages(request, |page| {
                    found.extend(page.items.unwrap_or_default().iter().filter_map(|item| {
                        Some(Removal { collection, id: s(item, attr::SK)?, links: stored_links(item) })
                    }))
                })
                .await?;
                Ok::<_, StoreError>(found)
            });
        }
        let mut all = Vec::new();
        while let Some(done) = tasks.join_next().await {
            all.extend(done.map_err(|e| StoreError::Task(e.to_string()))??);
        }
        all.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(all)
    }

    /// The records of `collection` whose body names `id` as a sourcedId (their own, or a
    /// reference's): every shard read whole and filtered by DynamoDB, for an operator's
    /// erasure, never a request. The caller checks which property names it.
    pub(crate) async fn naming(
        &self,
        tenant: &Tenant,
        collection: Collection,
        id: &str,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        // As the body is stored: compact JSON, the id a JSON string.
        let needle = format!("\"sourcedId\":{}", serde_json::to_string(id)?);
        let mut tasks = tokio::task::JoinSet::new();
        for shard in 0..RECORD_SHARDS {
            let request = partition_query(&self.client, &self.table, record_partition(tenant, collection, shard), None)
                .filter_expression("contains(#body, :needle)")
                .expression_attribute_names("#body", attr::BODY)
                .expression_attribute_values(":needle", AttributeValue::S(needle.clone()));
            tasks.spawn(async move {
                let mut items = Vec::new();
                query_pages(request, |page| items.extend(page.items.unwrap_or_default())).await?;
                items.iter().map(to_record).collect::<Result<Vec<_>, _>>()
            });
        }
        let mut all = Vec::new();
        while let Some(done) = tasks.join_next().await {
            all.extend(done.map_err(|e| StoreError::Task(e.to_string()))??);
        }
        all.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(all)
    }
}

/// The index of records by modification time (partition `pk`, sort `mod`).
const BY_MODIFIED: &str = "by_modified";

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
pub(crate) fn entry_changes(tenant: &Tenant, record: &Mutation) -> EntryChanges {
    let keys: Vec<Key> = record.links.iter().map(|l| link_key(tenant, l)).collect();
    let encoded: Vec<String> = keys.iter().map(Key::encode).collect();
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
        if layout::of(link.relation).bodies && link.via.is_none() {
            let mut item = record_item(tenant, record, Vec::new());
            item.extend(key.clone().into_item());
            // Not in the record's own indexes: the entry is found through its parent only.
            for index_key in [attr::MODIFIED_KEY, attr::VIEW_KEY] {
                item.remove(index_key);
            }
            writes.push(Write::Put(item));
        } else if new {
            writes.push(Write::Put(entry_item(key, record.collection, record.id.as_str())));
        }
    }
    for old in before.difference(&now) {
        if let Some(key) = Key::decode(old) {
            left.extend(key.entry_parent());
            writes.push(Write::Delete(key));
        }
    }
    EntryChanges { writes, encoded, joined, left }
}

fn entry_item(key: &Key, collection: Collection, source: &str) -> Item {
    let mut item = key.clone().into_item();
    item.extend([
        (attr::KIND.to_owned(), AttributeValue::S("link".to_owned())),
        ("src".to_owned(), AttributeValue::S(format!("{}/{source}", collection.name()))),
    ]);
    item
}

pub(crate) fn record_item(tenant: &Tenant, record: &Mutation, links: Vec<String>) -> Item {
    let key = record_key(tenant, record.collection, record.id.as_str());
    let modified = record.modified.to_string();
    let modified_key = modified_sort_key(&modified, &key.sk);
    let mut item = key.into_item();
    item.extend([
        (attr::MODIFIED_KEY.to_owned(), AttributeValue::S(modified_key)),
        (attr::KIND.to_owned(), AttributeValue::S(record.collection.name().to_owned())),
        (attr::BODY.to_owned(), AttributeValue::S(record.body.clone())),
        (attr::STATUS.to_owned(), AttributeValue::S(record.status.as_str().to_owned())),
        (attr::DATE_LAST_MODIFIED.to_owned(), AttributeValue::S(modified)),
        (attr::HASH.to_owned(), AttributeValue::S(format!("{:016x}", record.hash))),
    ]);
    if !links.is_empty() {
        item.insert(attr::LINKS.to_owned(), AttributeValue::L(links.into_iter().map(AttributeValue::S).collect()));
    }
    if let Some(parts) = &record.parts {
        item.insert(attr::PARTS.to_owned(), AttributeValue::S(parts.clone()));
    }
    if let Some(origin) = &record.origin {
        item.insert(attr::ORIGIN.to_owned(), AttributeValue::S(origin.clone()));
    }
    if let Some(job) = &record.job {
        item.insert(attr::JOB.to_owned(), AttributeValue::S(job.clone()));
    }
    if record.gone {
        item.insert(attr::GONE.to_owned(), AttributeValue::Bool(true));
    }
    if let Some(at) = record.erased {
        item.insert(attr::ERASED.to_owned(), AttributeValue::S(at.to_string()));
    }
    if let Some(born) = record.born.attribute() {
        item.insert(attr::BORN.to_owned(), AttributeValue::S(born));
    }
    if let Some(view) = record.view {
        let shard = shard_of(record.id.as_str(), RECORD_SHARDS);
        item.insert(attr::VIEW.to_owned(), AttributeValue::S(view.name().to_owned()));
        item.insert(attr::VIEW_KEY.to_owned(), AttributeValue::S(view_partition(tenant, view, shard)));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{link_key, view_partition};
    use crate::mutation::fixtures::{class, enrollment, line_item, org, put, result, stored, tenant, user};
    use crate::mutation::Mutation;

    fn text(item: &Item, name: &str) -> Option<String> {
        s(item, name)
    }

    /// The keys a write puts and deletes, each sorted.
    fn keys(writes: &[Write]) -> (Vec<Key>, Vec<Key>) {
        let (mut puts, mut deletes) = (Vec::new(), Vec::new());
        for write in writes {
            match write {
                Write::Put(item) => puts
                    .push(Key { pk: s(item, attr::PK).unwrap_or_default(), sk: s(item, attr::SK).unwrap_or_default() }),
                Write::Delete(key) => deletes.push(key.clone()),
            }
        }
        puts.sort();
        deletes.sort();
        (puts, deletes)
    }

    fn entry_keys(mutation: &Mutation) -> Vec<Key> {
        let mut keys: Vec<Key> = mutation.links.iter().map(|link| link_key(&tenant(), link)).collect();
        keys.sort();
        keys
    }

    #[test]
    fn a_record_item_has_its_keys_in_the_collection_the_indexes_and_its_view() {
        let mutation = put(user("u-1", &[("student", "s-1")]));
        let item = record_item(&tenant(), &mutation, vec!["a|b".into()]);
        let Key { pk, sk } = record_key(&tenant(), Collection::Users, "u-1");
        let shard = shard_of("u-1", RECORD_SHARDS);
        let dlm = "2026-01-01T00:00:00.000Z";
        let cases = [
            (attr::PK, Some(pk.clone())),
            (attr::SK, Some(sk)),
            (attr::KIND, Some("users".into())),
            (attr::STATUS, Some("active".into())),
            (attr::DATE_LAST_MODIFIED, Some(dlm.into())),
            (attr::MODIFIED_KEY, Some(format!("{dlm}#u-1"))),
            (attr::HASH, Some(format!("{:016x}", mutation.hash))),
            (attr::BODY, Some(mutation.body.clone())),
            (attr::VIEW, Some("students".into())),
            (attr::VIEW_KEY, Some(view_partition(&tenant(), View::Students, shard))),
            (attr::PARTS, None),
            (attr::ORIGIN, None),
        ];
        for (name, expected) in cases {
            assert_eq!(text(&item, name), expected, "{name}");
        }
        assert!(pk.ends_with(&format!("#{shard:02}")), "the view's shard is the record's: {pk}");
        assert_eq!(item.get(attr::LINKS), Some(&AttributeValue::L(vec![AttributeValue::S("a|b".into())])));
        assert!(!item.contains_key(attr::GONE), "not a tombstone");
    }

    #[test]
    fn a_record_item_holds_what_is_set_and_nothing_else() {
        let district = put(org("d-1", "district"));
        let cases = [
            ("plain", district.clone(), [false, false, false, false, false]),
            ("with parts", district.clone().with_parts(Some("{}".into())), [true, false, false, false, false]),
            ("by a client", district.clone().by("lms"), [false, true, false, false, false]),
            ("tombstone", Mutation { gone: true, ..district.clone() }, [false, false, true, false, false]),
            ("in a view", put(org("s-1", "school")), [false, false, false, true, true]),
        ];
        let names = [attr::PARTS, attr::ORIGIN, attr::GONE, attr::VIEW, attr::VIEW_KEY];
        for (name, mutation, expected) in cases {
            let item = record_item(&tenant(), &mutation, Vec::new());
            let held = names.map(|attribute| item.contains_key(attribute));
            assert_eq!(held, expected, "{name}: {names:?}");
            assert!(!item.contains_key(attr::LINKS), "{name}: no links, no list");
        }
    }

    #[test]
    fn a_stored_record_reads_back_what_its_write_stored() {
        let mutation = put(enrollment("e-1", "k-1", "u-1", "student")).with_parts(Some("[1]".into())).by("lms");
        let back = stored(&mutation);
        let expected_links: Vec<String> =
            mutation.links.iter().map(|link| link_key(&tenant(), link).encode()).collect();
        assert_eq!(
            (back.id.as_str(), back.body.as_str(), back.status.clone(), back.modified, back.hash),
            ("e-1", mutation.body.as_str(), Status::Active, mutation.modified, mutation.hash)
        );
        assert_eq!(
            (back.parts.as_deref(), back.origin.as_deref(), back.view, back.gone),
            (Some("[1]"), Some("lms"), None, false)
        );
        assert_eq!(back.links, StoredLinks(expected_links));
        let tombstone = stored(&Mutation { gone: true, ..put(user("u-1", &[("student", "s-1")])) });
        assert_eq!((tombstone.gone, tombstone.view), (true, Some(View::Students)));
    }

    #[test]
    fn a_record_item_missing_what_every_record_has_is_a_bad_item() {
        let good = record_item(&tenant(), &put(org("d-1", "district")), Vec::new());
        let without = |name: &str| {
            let mut item = good.clone();
            item.remove(name);
            item
        };
        let with = |name: &str, value: &str| {
            let mut item = good.clone();
            item.insert(name.to_owned(), AttributeValue::S(value.to_owned()));
            item
        };
        let cases = [
            ("no status", without(attr::STATUS)),
            ("no modification time", without(attr::DATE_LAST_MODIFIED)),
            ("no hash", without(attr::HASH)),
            ("no body", without(attr::BODY)),
            ("no id", without(attr::SK)),
            ("a bad status", with(attr::STATUS, "gone")),
            ("a bad time", with(attr::DATE_LAST_MODIFIED, "yesterday")),
            ("a bad hash", with(attr::HASH, "xyz")),
        ];
        assert!(to_record(&good).is_ok(), "the good item");
        for (name, item) in cases {
            assert!(matches!(to_record(&item), Err(StoreError::BadItem(_))), "{name}");
        }
    }

    #[test]
    fn a_new_record_puts_an_entry_per_link_naming_its_source() {
        let mutation = put(enrollment("e-1", "k-1", "u-1", "student"));
        let changes = entry_changes(&tenant(), &mutation);
        let (puts, deletes) = keys(&changes.writes);
        assert_eq!(puts, entry_keys(&mutation), "an entry per link");
        assert!(deletes.is_empty(), "nothing to delete");
        assert_eq!(changes.joined.len(), 4, "joins every parent");
        assert!(changes.left.is_empty());
        for write in &changes.writes {
            let Write::Put(item) = write else { continue };
            assert_eq!(text(item, attr::KIND).as_deref(), Some("link"));
            assert_eq!(text(item, "src").as_deref(), Some("enrollments/e-1"));
            assert!(!item.contains_key(attr::BODY), "an enrollment's entries carry no body");
        }
        let mut encoded = changes.encoded.clone();
        encoded.sort();
        let expected: Vec<String> = entry_keys(&mutation).iter().map(Key::encode).collect();
        assert_eq!(encoded, expected, "the record keeps its entries' keys");
    }

    #[test]
    fn a_rewrite_puts_only_the_entries_it_gains_and_deletes_those_it_loses() {
        let first = put(enrollment("e-1", "k-1", "u-1", "student"));
        let moved = put(enrollment("e-1", "k-2", "u-1", "student"));
        let cases = [
            ("unchanged", first.clone(), 0, 0),
            // The school's entry stays; the class's, the student's and the user's class change.
            ("another class", moved.clone(), 3, 3),
            ("no longer a student", put(enrollment("e-1", "k-1", "u-1", "administrator")), 0, 1),
        ];
        for (name, mutation, gained, lost) in cases {
            let changes = entry_changes(&tenant(), &mutation.over(Some(&stored(&first))));
            let (puts, deletes) = keys(&changes.writes);
            assert_eq!((puts.len(), deletes.len()), (gained, lost), "{name}: puts and deletes");
            assert_eq!((changes.joined.len(), changes.left.len()), (gained, lost), "{name}: joined and left");
        }
    }

    #[test]
    fn entries_carrying_their_childs_body_are_rewritten_with_every_write() {
        let first = put(result("r-1", "li-1", "u-1", Some("k-1")));
        let again = put(result("r-1", "li-1", "u-1", Some("k-1"))).over(Some(&stored(&first)));
        let changes = entry_changes(&tenant(), &again);
        let (puts, _) = keys(&changes.writes);
        assert_eq!(puts, entry_keys(&again), "all three entries rewritten");
        assert!(changes.joined.is_empty(), "no parent joined again");
        for write in &changes.writes {
            let Write::Put(item) = write else { panic!("no delete") };
            assert_eq!(text(item, attr::BODY), Some(again.body.clone()), "the body copied");
            assert_eq!(text(item, attr::KIND).as_deref(), Some("results"));
            for index in [attr::MODIFIED_KEY, attr::VIEW_KEY] {
                assert!(!item.contains_key(index), "an entry is in no index of records: {index}");
            }
        }
        // A line item's category is linked through it: that entry carries no body.
        let item = put(line_item("li-1", "k-1", "cat-1"));
        let bodies: Vec<bool> = entry_changes(&tenant(), &item)
            .writes
            .iter()
            .map(|write| matches!(write, Write::Put(item) if item.contains_key(attr::BODY)))
            .collect();
        assert_eq!(bodies.iter().filter(|b| **b).count(), 1, "only the class's line item entry: {bodies:?}");
    }

    #[test]
    fn a_tombstone_deletes_every_entry_its_record_made() {
        let first = put(class("k-1", "s-1", &["t-1"]));
        let previous = stored(&first);
        let tombstone = Mutation::delete(class("k-1", "s-1", &["t-1"]), &previous, "lms");
        let changes = entry_changes(&tenant(), &tombstone);
        let (puts, deletes) = keys(&changes.writes);
        assert!(puts.is_empty(), "no entry put");
        assert_eq!(deletes, entry_keys(&first), "every entry deleted");
        assert_eq!(changes.left.len(), 4, "leaves every parent");
        assert!(changes.encoded.is_empty(), "the tombstone keeps no entry keys");
    }

    #[test]
    fn names_are_grouped_by_collection_each_id_once() {
        let grouped = by_collection([
            (Collection::Users, "u-2"),
            (Collection::Classes, "k-1"),
            (Collection::Users, "u-1"),
            (Collection::Users, "u-2"),
        ]);
        let flat: Vec<(Collection, Vec<&str>)> =
            grouped.into_iter().map(|(collection, ids)| (collection, ids.into_iter().collect())).collect();
        assert_eq!(flat, [(Collection::Classes, vec!["k-1"]), (Collection::Users, vec!["u-1", "u-2"])]);
    }
}

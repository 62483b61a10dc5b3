//! The listings the REST binding reads in O(page): a collection, a typed view, the records of a
//! collection changed since a time, and the children of one parent in a relation. Each is a
//! walk over a fixed set of partitions (shards) in a fixed order, resumable from a [`Cursor`],
//! and each can be counted without reading the records it lists.

use crate::batch::Item;
use crate::keys::{
    child_of_link_sort_key, modified_after, record_partition, relation_partition, relation_shards, shard_of, stats_key,
    view_partition, RECORD_SHARDS,
};
use crate::records::{s, to_record};
use crate::{Store, StoreError, StoredRecord};
use aws_sdk_dynamodb::types::{AttributeValue, Select};
use oneroster_model::{Collection, Relation, TenantId, Timestamp, View};
use std::collections::HashMap;

/// What a list endpoint reads when the store can serve it page by page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// Every record of a collection (`GET /users`), in shard then sourcedId order.
    Collection(Collection),
    /// The records of a typed view (`GET /students`), from the `by_view` index.
    View(View),
    /// The records of a collection modified after a time (`filter=dateLastModified>'…'`), or at
    /// or after it when `inclusive`, from the `by_modified` index in time order per shard.
    ModifiedSince {
        /// The collection.
        collection: Collection,
        /// The time.
        since: Timestamp,
        /// Whether records modified at exactly `since` count (`>=`).
        inclusive: bool,
    },
    /// The children of `parent` in a relation (`/classes/{id}/students`), from its entries.
    Related {
        /// The relation.
        relation: Relation,
        /// The parent's sourcedId.
        parent: String,
    },
}

/// Where a listing stopped: the shard and the last sort key returned. Opaque to API clients.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cursor {
    shard: u64,
    after: Option<String>,
}

impl Cursor {
    /// The start of a listing.
    pub fn start() -> Self {
        Self::default()
    }

    /// The cursor as text, for a `Link` URL.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.shard, self.after.as_deref().unwrap_or(""))
    }

    /// Reads a cursor back from [`Cursor::encode`]; `None` if it is not one.
    pub fn decode(text: &str) -> Option<Self> {
        let (shard, after) = text.split_once('.')?;
        Some(Self { shard: shard.parse().ok()?, after: (!after.is_empty()).then(|| after.to_owned()) })
    }
}

/// One page of a listing.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// The records, in the listing's stable order.
    pub records: Vec<StoredRecord>,
    /// Where the next page starts, `None` at the end.
    pub next: Option<Cursor>,
    /// Items DynamoDB returned to build the page (entries and records), for cost figures.
    pub items_read: u64,
}

/// One partition (or index partition) of a listing, as a `Query` reads it.
struct Partition {
    index: Option<&'static str>,
    key_attribute: &'static str,
    key: String,
    sort_attribute: &'static str,
    /// Sort keys strictly greater than this (the `by_modified` bound).
    after_bound: Option<String>,
}

impl Listing {
    fn shards(&self) -> u64 {
        match self {
            Listing::Related { relation, .. } => relation_shards(*relation),
            _ => RECORD_SHARDS,
        }
    }

    fn partition(&self, tenant: &TenantId, shard: u64) -> Partition {
        let base = |key| Partition { index: None, key_attribute: "pk", key, sort_attribute: "sk", after_bound: None };
        match self {
            Listing::Collection(collection) => base(record_partition(tenant, *collection, shard)),
            Listing::Related { relation, parent } => base(relation_partition(tenant, *relation, parent, shard)),
            Listing::View(view) => Partition {
                index: Some("by_view"),
                key_attribute: "vpk",
                key: view_partition(tenant, *view, shard),
                sort_attribute: "sk",
                after_bound: None,
            },
            Listing::ModifiedSince { collection, since, inclusive } => Partition {
                index: Some("by_modified"),
                key_attribute: "pk",
                key: record_partition(tenant, *collection, shard),
                sort_attribute: "mod",
                after_bound: Some(if *inclusive { since.to_string() } else { modified_after(&since.to_string()) }),
            },
        }
    }

    /// The `ExclusiveStartKey` after the item whose listing sort key is `after`: index queries
    /// need the table's key as well as the index's.
    fn start_key(&self, tenant: &TenantId, partition: &Partition, after: &str) -> Item {
        let text = |v: &str| AttributeValue::S(v.to_owned());
        match self {
            Listing::Collection(_) | Listing::Related { .. } => {
                HashMap::from([("pk".to_owned(), text(&partition.key)), ("sk".to_owned(), text(after))])
            }
            Listing::View(view) => HashMap::from([
                ("vpk".to_owned(), text(&partition.key)),
                ("sk".to_owned(), text(after)),
                ("pk".to_owned(), text(&record_partition(tenant, view.collection(), shard_of(after, RECORD_SHARDS)))),
            ]),
            Listing::ModifiedSince { .. } => {
                let id = after.split_once('#').map_or(after, |(_, id)| id);
                HashMap::from([
                    ("pk".to_owned(), text(&partition.key)),
                    ("sk".to_owned(), text(id)),
                    ("mod".to_owned(), text(after)),
                ])
            }
        }
    }

    fn repeats_children(&self) -> bool {
        matches!(self, Listing::Related { relation, .. } if relation.may_repeat_children())
    }

    /// The name its count is kept under, for the listings whose count is kept.
    fn stats_name(&self) -> Option<&'static str> {
        match self {
            Listing::Collection(collection) => Some(collection.name()),
            Listing::View(view) => Some(view.name()),
            _ => None,
        }
    }
}

impl Partition {
    fn condition(&self) -> &'static str {
        match (self.key_attribute, self.after_bound.is_some()) {
            ("vpk", _) => "vpk = :pk",
            (_, true) => "pk = :pk AND #sort > :bound",
            _ => "pk = :pk",
        }
    }
}

impl Store {
    fn query_partition_request(
        &self,
        partition: &Partition,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(partition.index.map(str::to_owned))
            .key_condition_expression(partition.condition())
            .expression_attribute_values(":pk", AttributeValue::S(partition.key.clone()));
        if let Some(bound) = &partition.after_bound {
            request = request
                .expression_attribute_names("#sort", partition.sort_attribute)
                .expression_attribute_values(":bound", AttributeValue::S(bound.clone()));
        }
        request
    }

    /// Walks the listing's shards in order from `cursor`, reading at most `limit` items
    /// (`projection` limits what comes back). Returns the items and where the walk stopped.
    async fn walk_items(
        &self,
        tenant: &TenantId,
        listing: &Listing,
        limit: usize,
        cursor: Cursor,
        projection: Option<&str>,
    ) -> Result<(Vec<Item>, Option<Cursor>), StoreError> {
        let limit = limit.max(1);
        let shards = listing.shards();
        let mut cursor = cursor;
        let mut items: Vec<Item> = Vec::new();
        while cursor.shard < shards {
            let partition = listing.partition(tenant, cursor.shard);
            let start = cursor.after.as_deref().map(|after| listing.start_key(tenant, &partition, after));
            let output = self
                .query_partition_request(&partition)
                .limit(i32::try_from(limit - items.len()).unwrap_or(i32::MAX))
                .set_projection_expression(projection.map(str::to_owned))
                .set_exclusive_start_key(start)
                .send()
                .await?;
            let more_in_shard = output.last_evaluated_key.as_ref().is_some_and(|k| !k.is_empty());
            items.extend(output.items.unwrap_or_default());
            let last = items.last().and_then(|i| s(i, partition.sort_attribute));
            let next = if more_in_shard {
                Cursor { shard: cursor.shard, after: last }
            } else {
                Cursor { shard: cursor.shard + 1, after: None }
            };
            if items.len() >= limit {
                return Ok((items, (next.shard < shards).then_some(next)));
            }
            cursor = next;
        }
        Ok((items, None))
    }

    /// One page of `limit` records of a listing from `cursor`: `limit` items read for a
    /// collection, a view or a time filter; for a relation, `limit` entries and the records
    /// they name (a child linked twice, by two enrollments in one class, is listed once).
    pub async fn page(
        &self,
        tenant: &TenantId,
        listing: &Listing,
        limit: usize,
        cursor: Cursor,
    ) -> Result<Page, StoreError> {
        let Listing::Related { relation, .. } = listing else {
            let (items, next) = self.walk_items(tenant, listing, limit, cursor, None).await?;
            let records = items.iter().map(to_record).collect::<Result<Vec<_>, _>>()?;
            return Ok(Page { items_read: records.len() as u64, records, next });
        };
        let previous_child = cursor.after.as_deref().map(|sk| child_of_link_sort_key(sk).to_owned());
        let (entries, next) = self.walk_items(tenant, listing, limit, cursor, Some("sk")).await?;
        let mut ids: Vec<String> = Vec::with_capacity(entries.len());
        for sk in entries.iter().filter_map(|entry| s(entry, "sk")) {
            let child = child_of_link_sort_key(&sk);
            let last = ids.last().map(String::as_str).or(previous_child.as_deref());
            if last != Some(child) {
                ids.push(child.to_owned());
            }
        }
        let records = self.get_many(tenant, relation.child(), &ids).await?;
        Ok(Page { items_read: entries.len() as u64 + records.len() as u64, records, next })
    }

    /// The cursor `offset` records into a listing (`offset=` without a cursor), or `None` if
    /// the listing has no more than `offset` records. Reads the keys of the skipped items.
    pub async fn skip(&self, tenant: &TenantId, listing: &Listing, offset: u64) -> Result<Option<Cursor>, StoreError> {
        if offset == 0 {
            return Ok(Some(Cursor::start()));
        }
        if listing.repeats_children() {
            let mut found = None;
            self.walk_distinct_children(tenant, listing, |seen, cursor| {
                if seen == offset {
                    found = Some(cursor);
                }
                found.is_none()
            })
            .await?;
            return Ok(found);
        }
        let offset = usize::try_from(offset).unwrap_or(usize::MAX);
        let projection = match listing {
            Listing::ModifiedSince { .. } => "pk, sk, #sort",
            _ => "pk, sk",
        };
        let (items, next) = self.walk_items(tenant, listing, offset, Cursor::start(), Some(projection)).await?;
        Ok(if items.len() < offset { None } else { next })
    }

    /// Walks the entries of a relation whose children may repeat, calling `visit` with the
    /// number of distinct children seen so far and a cursor at the entry that completed it,
    /// until `visit` returns false or the entries end. Reads keys only. Returns the count.
    async fn walk_distinct_children(
        &self,
        tenant: &TenantId,
        listing: &Listing,
        mut visit: impl FnMut(u64, Cursor) -> bool,
    ) -> Result<u64, StoreError> {
        let mut seen = 0;
        let mut last: Option<String> = None;
        let mut cursor = Cursor::start();
        loop {
            let (entries, next) = self.walk_items(tenant, listing, 1000, cursor, Some("sk")).await?;
            for sk in entries.iter().filter_map(|entry| s(entry, "sk")) {
                let child = child_of_link_sort_key(&sk).to_owned();
                if last.as_deref() != Some(child.as_str()) {
                    seen += 1;
                    let at = Cursor { shard: shard_of(&child, listing.shards()), after: Some(sk.clone()) };
                    if !visit(seen, at) {
                        return Ok(seen);
                    }
                    last = Some(child);
                }
            }
            match next {
                Some(next) => cursor = next,
                None => return Ok(seen),
            }
        }
    }

    /// How many records a listing holds (`X-Total-Count`): the kept count of a collection or
    /// view (refreshed after every ingest), a `Select=COUNT` over the index or entries, or, where
    /// children may repeat, the distinct children of a keys-only walk.
    pub async fn count(&self, tenant: &TenantId, listing: &Listing) -> Result<u64, StoreError> {
        if listing.repeats_children() {
            return self.walk_distinct_children(tenant, listing, |_, _| true).await;
        }
        if let Some(name) = listing.stats_name() {
            let (pk, sk) = stats_key(tenant, name);
            let output = self
                .client
                .get_item()
                .table_name(&self.table)
                .key("pk", AttributeValue::S(pk))
                .key("sk", AttributeValue::S(sk))
                .send()
                .await?;
            if let Some(n) = output.item.as_ref().and_then(|i| i.get("n")).and_then(|v| v.as_n().ok()) {
                return n.parse().map_err(|_| StoreError::Corrupt("a record count".into()));
            }
        }
        self.count_items(tenant, listing).await
    }

    /// Counts a listing's items with `Select=COUNT`, its shards in parallel.
    async fn count_items(&self, tenant: &TenantId, listing: &Listing) -> Result<u64, StoreError> {
        let mut tasks = tokio::task::JoinSet::new();
        for shard in 0..listing.shards() {
            let request = self.query_partition_request(&listing.partition(tenant, shard)).select(Select::Count);
            tasks.spawn(async move {
                let mut count = 0u64;
                let mut start = None;
                loop {
                    let output = request.clone().set_exclusive_start_key(start.take()).send().await?;
                    count += u64::try_from(output.count).unwrap_or(0);
                    match output.last_evaluated_key {
                        Some(key) if !key.is_empty() => start = Some(key),
                        _ => return Ok::<u64, StoreError>(count),
                    }
                }
            });
        }
        let mut total = 0;
        while let Some(done) = tasks.join_next().await {
            total += done.map_err(|e| StoreError::Task(e.to_string()))??;
        }
        Ok(total)
    }

    /// Recounts a collection and its views and keeps the counts, so that `X-Total-Count` of
    /// `GET /users` costs one read. The ingest calls it after writing to the collection.
    pub async fn refresh_counts(&self, tenant: &TenantId, collection: Collection) -> Result<(), StoreError> {
        let listings = std::iter::once(Listing::Collection(collection))
            .chain(View::ALL.into_iter().filter(|v| v.collection() == collection).map(Listing::View));
        for listing in listings {
            let count = self.count_items(tenant, &listing).await?;
            let (pk, sk) = stats_key(tenant, listing.stats_name().unwrap_or_default());
            self.client
                .put_item()
                .table_name(&self.table)
                .item("pk", AttributeValue::S(pk))
                .item("sk", AttributeValue::S(sk))
                .item("n", AttributeValue::N(count.to_string()))
                .send()
                .await?;
        }
        Ok(())
    }
}

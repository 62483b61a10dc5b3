//! Measuring what the ingest wrote: the kept counts, shard sizes, outlines and modification
//! times of collections and views, the counts of the relations that keep them, and the key walks
//! behind them and behind pack rebuilds. Read by no API request: the walks read every key of a
//! listing.

use crate::attr;
use crate::keys::stats_key;
use crate::layout;
use crate::listing::Listing;
use crate::records::{query_pages, s};
use crate::stats::stats_name;
use crate::walk::{Outline, Times};
use crate::Tenant;
use crate::{Store, StoreError};
use aws_sdk_dynamodb::types::AttributeValue;
use oneroster_model::{Collection, Relation, Status, View};
use std::collections::hash_map::Entry;
use std::collections::HashMap;

impl Store {
    /// Re-measures a collection and its views and keeps what was found (see [`Outline`]), so
    /// that `X-Total-Count` of `GET /users` costs one read and `offset=` jumps near its target;
    /// and recounts the wide relations its records make. The ingest calls it after writing to
    /// the collection; it reads the listings' keys.
    pub(crate) async fn refresh_counts(&self, tenant: &Tenant, collection: Collection) -> Result<(), StoreError> {
        let listings = std::iter::once(Listing::Collection(collection))
            .chain(View::ALL.into_iter().filter(|v| v.collection() == collection).map(Listing::View));
        for listing in listings {
            let started = std::time::Instant::now();
            let mut tasks = tokio::task::JoinSet::new();
            for shard in 0..listing.shards() {
                let (store, tenant, listing) = (self.clone(), tenant.clone(), listing.clone());
                tasks.spawn(async move { store.shard_keys(&tenant, &listing, shard).await.map(|keys| (shard, keys)) });
            }
            let mut shards = vec![Vec::new(); usize::try_from(listing.shards()).unwrap_or(0)];
            let mut active = 0;
            // Modification times are kept for the collection (its views' time filters go
            // through it), unless API clients write it: each write would move a record in time,
            // so its time filters are counted by query instead.
            let mut times =
                matches!(listing, Listing::Collection(c) if !layout::is_written_through_api(c)).then(Times::new);
            while let Some(done) = tasks.join_next().await {
                let (shard, keys) = done.map_err(|e| StoreError::Task(e.to_string()))??;
                for key in &keys {
                    if let Some(times) = times.as_mut() {
                        let at = times.entry(key.modified.clone()).or_default();
                        *at = (at.0 + 1, at.1 + u64::from(key.active));
                    }
                    active += u64::from(key.active && !key.gone);
                }
                shards[usize::try_from(shard).unwrap_or(0)] =
                    keys.into_iter().filter(|key| !key.gone).map(|key| key.sort_key).collect();
            }
            let outline = Outline::of(&shards);
            let counts = Counts {
                total: outline.sizes.iter().sum::<u64>(),
                active: Some(active),
                times: times.filter(|times| times.len() <= MAX_TIMES),
            };
            let total = counts.total;
            self.put_stats(tenant, &listing, counts, Some(&outline)).await?;
            let ms = started.elapsed().as_millis() as u64;
            tracing::info!(listing = stats_name(&listing).unwrap_or_default(), total, ms, "listing recounted");
        }
        self.refresh_relation_counts(tenant, collection).await
    }

    /// Keeps the counts (and outline) of a listing that has a stats item.
    async fn put_stats(
        &self,
        tenant: &Tenant,
        listing: &Listing,
        counts: Counts,
        outline: Option<&Outline>,
    ) -> Result<(), StoreError> {
        let mut item = stats_key(tenant, &stats_name(listing).unwrap_or_default()).into_item();
        item.insert(attr::COUNT.to_owned(), AttributeValue::N(counts.total.to_string()));
        if let Some(active) = counts.active {
            item.insert(attr::ACTIVE.to_owned(), AttributeValue::N(active.to_string()));
        }
        if let Some(times) = counts.times {
            item.insert(attr::TIMES.to_owned(), AttributeValue::S(serde_json::to_string(&times).unwrap_or_default()));
        }
        if let Some(outline) = outline {
            item.insert(
                attr::OUTLINE.to_owned(),
                AttributeValue::S(serde_json::to_string(outline).unwrap_or_default()),
            );
            for (shard, size) in (0..).zip(&outline.sizes) {
                item.insert(attr::shard_size(shard), AttributeValue::N(size.to_string()));
            }
        }
        self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await?;
        Ok(())
    }

    /// Recounts the relations that keep counts whose children are records of `collection` (a
    /// class's results), for every parent, so that their `X-Total-Count` costs one read. None of
    /// them repeats a child. (Packed relations, a school's students among them, count in their
    /// pack head, which the ingest rebuilds.)
    async fn refresh_relation_counts(&self, tenant: &Tenant, collection: Collection) -> Result<(), StoreError> {
        let mut parents: HashMap<Collection, Vec<String>> = HashMap::new();
        let mut listings = Vec::new();
        for relation in Relation::ALL.into_iter().filter(|r| layout::of(*r).counted && r.child() == collection) {
            let ids = match parents.entry(relation.parent()) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(slot) => slot.insert(self.all_ids(tenant, relation.parent()).await?),
            };
            listings.extend(ids.iter().map(|parent| Listing::Related { relation, parent: parent.clone() }));
        }
        let mut tasks = tokio::task::JoinSet::new();
        for listing in listings {
            if tasks.len() >= 16 {
                if let Some(done) = tasks.join_next().await {
                    done.map_err(|e| StoreError::Task(e.to_string()))??;
                }
            }
            let (store, tenant) = (self.clone(), tenant.clone());
            tasks.spawn(async move {
                let total = store.count_items(&tenant, &listing).await?;
                store.put_stats(&tenant, &listing, Counts { total, active: None, times: None }, None).await
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.map_err(|e| StoreError::Task(e.to_string()))??;
        }
        Ok(())
    }

    /// The sourcedIds of every record of a collection (keys only).
    pub(crate) async fn all_ids(&self, tenant: &Tenant, collection: Collection) -> Result<Vec<String>, StoreError> {
        self.listing_keys(tenant, &Listing::Collection(collection)).await
    }

    /// Every sort key of a listing, shard after shard (keys only).
    pub(crate) async fn listing_keys(&self, tenant: &Tenant, listing: &Listing) -> Result<Vec<String>, StoreError> {
        let mut keys = Vec::new();
        for shard in 0..listing.shards() {
            keys.extend(self.shard_keys(tenant, listing, shard).await?.into_iter().map(|key| key.sort_key));
        }
        Ok(keys)
    }

    /// Every sort key of one shard of a listing, in order, with its record's status and
    /// modification time (nothing else is read).
    async fn shard_keys(&self, tenant: &Tenant, listing: &Listing, shard: u64) -> Result<Vec<KeyInfo>, StoreError> {
        // Tombstones are read too: they count in the modification times (change feeds list them).
        let mut partition = listing.partition(tenant, shard);
        partition.hide_gone = false;
        let request = self
            .query_partition_request(&partition)
            .projection_expression(format!("{}, #status, dlm, gone", partition.sort_attribute))
            .expression_attribute_names("#status", attr::STATUS);
        let mut keys = Vec::new();
        query_pages(request, |page| {
            keys.extend(page.items.unwrap_or_default().iter().filter_map(|item| {
                Some(KeyInfo {
                    sort_key: s(item, partition.sort_attribute)?,
                    active: s(item, attr::STATUS).is_none_or(|status| status == Status::Active.as_str()),
                    modified: s(item, attr::DATE_LAST_MODIFIED).unwrap_or_default(),
                    gone: item.contains_key(attr::GONE),
                })
            }));
        })
        .await?;
        Ok(keys)
    }
}

/// A sort key of a listing with what the kept counts need of its record.
struct KeyInfo {
    sort_key: String,
    active: bool,
    modified: String,
    /// A tombstone of an API deletion: in the time counts only.
    gone: bool,
}

/// Modification times kept at most per collection; past that, time counts are queried.
const MAX_TIMES: usize = 2000;

/// What a stats item keeps: every record of the listing, the active ones, and (collections)
/// their modification times.
struct Counts {
    total: u64,
    active: Option<u64>,
    times: Option<Times>,
}

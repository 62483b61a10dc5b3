//! Packs: the children of one parent in a relation, kept as id lists in listing order beside
//! the relation's entries, so that a page of `/classes/{id}/students` reads one pack item and
//! its records, not an entry per record and then the records. The ingest rebuilds the packs of
//! the parents whose entries it changed, after writing them; a parent without a pack (none
//! built yet, or no children) is listed from its entries, as every relation was before.
//!
//! A pack is cut into chunks of 1,000 ids (a chunk stays near 40 KB); the head chunk also
//! holds the total and the first id of every chunk, so that a page from a cursor reads the head
//! and at most the chunks it spans.
//!
//! The head also copies the parent's view (a user's `teachers`, an org's `schools`), so that
//! `/teachers/{id}/classes` checks its parent in the item it reads anyway: the ingest rebuilds
//! the packs of a parent whose view changes. A store made for one request
//! ([`Store::for_request`]) remembers the heads it read, so the check, the count and the page
//! of one request read the head once.

use crate::batch::{write_all, Item, Write};
use crate::keys::{pack_key, relation_shards, shard_of};
use crate::listing::{Cursor, Listing};
use crate::records::{by_collection, s};
use crate::{Store, StoreError, Tenant};
use aws_sdk_dynamodb::types::AttributeValue;
use oneroster_model::{Collection, Relation, View};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Child ids per chunk.
const CHUNK: usize = 1000;

/// The head chunk of a pack.
#[derive(Debug, Clone)]
pub(crate) struct Pack {
    /// Children in all.
    pub(crate) total: u64,
    /// The first child of every chunk.
    starts: Vec<String>,
    /// The children of the head chunk.
    first: Vec<String>,
    /// The parent's view when the pack was built.
    parent_view: Option<View>,
}

/// The pack heads one request has read, by relation and parent (`None`: the parent has none).
pub(crate) type Heads = Arc<Mutex<HashMap<(Relation, String), Option<Arc<Pack>>>>>;

fn split(text: Option<String>) -> Vec<String> {
    text.filter(|t| !t.is_empty()).map(|t| t.split('\n').map(str::to_owned).collect()).unwrap_or_default()
}

impl Store {
    /// Rebuilds the packs of `parents` from their entries, several at a time.
    pub async fn rebuild_packs(
        &self,
        tenant: &Tenant,
        parents: impl IntoIterator<Item = (Relation, String)>,
    ) -> Result<(), StoreError> {
        let parents: Vec<(Relation, String)> = parents.into_iter().collect();
        let views = self.parent_views(tenant, &parents).await?;
        let mut tasks = tokio::task::JoinSet::new();
        for (relation, parent) in parents {
            if tasks.len() >= 16 {
                if let Some(done) = tasks.join_next().await {
                    done.map_err(|e| StoreError::Task(e.to_string()))??;
                }
            }
            let view = views.get(&(relation.parent(), parent.clone())).copied();
            let (store, tenant) = (self.clone(), tenant.clone());
            tasks.spawn(async move { store.rebuild_pack(&tenant, relation, &parent, view).await });
        }
        while let Some(done) = tasks.join_next().await {
            done.map_err(|e| StoreError::Task(e.to_string()))??;
        }
        Ok(())
    }

    /// The views of the parents that are in one, read in batches (the views only).
    async fn parent_views(
        &self,
        tenant: &Tenant,
        parents: &[(Relation, String)],
    ) -> Result<HashMap<(Collection, String), View>, StoreError> {
        let in_views = |collection: &Collection| View::ALL.iter().any(|view| view.collection() == *collection);
        let names = parents.iter().map(|(relation, parent)| (relation.parent(), parent.as_str()));
        let mut views = HashMap::new();
        for (collection, ids) in by_collection(names.filter(|(collection, _)| in_views(collection))) {
            let ids: Vec<&str> = ids.into_iter().collect();
            views.extend(
                self.views(tenant, collection, &ids).await?.into_iter().map(|(id, view)| ((collection, id), view)),
            );
        }
        Ok(views)
    }

    /// Rebuilds every pack of the relations whose entries records of `collection` make or whose
    /// parents they are, for every parent (an ingest resumed after dying between its writes and
    /// its packs).
    pub async fn rebuild_all_packs(
        &self,
        tenant: &Tenant,
        collection: oneroster_model::Collection,
    ) -> Result<(), StoreError> {
        let mut parents = Vec::new();
        // A parent's view may have changed too: its packs copy it.
        let stale = |r: &Relation| r.is_packed() && (r.made_by() == collection || r.parent() == collection);
        for relation in Relation::ALL.into_iter().filter(stale) {
            parents.extend(self.all_ids(tenant, relation.parent()).await?.into_iter().map(|id| (relation, id)));
        }
        self.rebuild_packs(tenant, parents).await
    }

    async fn rebuild_pack(
        &self,
        tenant: &Tenant,
        relation: Relation,
        parent: &str,
        parent_view: Option<View>,
    ) -> Result<(), StoreError> {
        let listing = Listing::Related { relation, parent: parent.to_owned() };
        let children: Vec<String> = self
            .distinct_children(tenant, &listing, Cursor::start(), None)
            .await?
            .0
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let old_chunks = self.pack_head(tenant, relation, parent).await?.map_or(0, |head| head.starts.len());
        let chunks: Vec<&[String]> = children.chunks(CHUNK).collect();
        let mut writes = Vec::new();
        for (i, ids) in chunks.iter().enumerate() {
            let (pk, sk) = pack_key(tenant, relation, parent, i);
            let mut item: Item = HashMap::from([
                ("pk".to_owned(), AttributeValue::S(pk)),
                ("sk".to_owned(), AttributeValue::S(sk)),
                ("ids".to_owned(), AttributeValue::S(ids.join("\n"))),
            ]);
            if i == 0 {
                let starts: Vec<&str> = chunks.iter().map(|c| c[0].as_str()).collect();
                item.insert("n".to_owned(), AttributeValue::N(children.len().to_string()));
                item.insert("starts".to_owned(), AttributeValue::S(starts.join("\n")));
                if let Some(view) = parent_view {
                    item.insert("pv".to_owned(), AttributeValue::S(view.name().to_owned()));
                }
            }
            writes.push(Write::Put(item));
        }
        for stale in chunks.len()..old_chunks {
            let (pk, sk) = pack_key(tenant, relation, parent, stale);
            writes.push(Write::Delete(pk, sk));
        }
        write_all(&self.client, &self.table, writes).await?;
        Ok(())
    }

    /// The head of a parent's pack, if it has one: one read, none when this request's store
    /// has read it already.
    pub(crate) async fn pack_head(
        &self,
        tenant: &Tenant,
        relation: Relation,
        parent: &str,
    ) -> Result<Option<Arc<Pack>>, StoreError> {
        if !relation.is_packed() {
            return Ok(None);
        }
        let remembered = |heads: &Heads| heads.lock().ok()?.get(&(relation, parent.to_owned())).cloned();
        if let Some(head) = self.heads.as_ref().and_then(remembered) {
            return Ok(head);
        }
        let head = self.get_item(pack_key(tenant, relation, parent, 0)).await?.map(|item| {
            let total = item.get("n").and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok()).unwrap_or(0);
            let parent_view = s(&item, "pv").and_then(|name| View::from_name(&name));
            Arc::new(Pack { total, starts: split(s(&item, "starts")), first: split(s(&item, "ids")), parent_view })
        });
        if let Some(mut heads) = self.heads.as_ref().and_then(|heads| heads.lock().ok()) {
            heads.insert((relation, parent.to_owned()), head.clone());
        }
        Ok(head)
    }

    /// The view of a relation's parent as its pack recorded it; `None` when the parent has no
    /// pack or is in no view. A route that wants its parent in a view checks it here before
    /// reading the parent, at no extra read when the page is read next through this store.
    pub async fn parent_view(
        &self,
        tenant: &Tenant,
        relation: Relation,
        parent: &str,
    ) -> Result<Option<View>, StoreError> {
        Ok(self.pack_head(tenant, relation, parent).await?.and_then(|head| head.parent_view))
    }

    async fn pack_chunk(
        &self,
        tenant: &Tenant,
        relation: Relation,
        parent: &str,
        head: &Pack,
        chunk: usize,
    ) -> Result<Vec<String>, StoreError> {
        if chunk == 0 {
            return Ok(head.first.clone());
        }
        let item = self.get_item(pack_key(tenant, relation, parent, chunk)).await?;
        Ok(split(item.as_ref().and_then(|item| s(item, "ids"))))
    }

    /// Up to `limit` children from the one after `cursor`, and the cursor after them unless
    /// the pack ends there.
    pub(crate) async fn pack_page(
        &self,
        tenant: &Tenant,
        listing: (Relation, &str),
        head: &Pack,
        limit: usize,
        cursor: &Cursor,
    ) -> Result<(Vec<String>, Option<Cursor>), StoreError> {
        let (relation, parent) = listing;
        let shards = relation_shards(relation);
        // Children sort by (shard, id), as the entries walk lists them.
        let order = |id: &str| (shard_of(id, shards), id.to_owned());
        let bound = (cursor.shard, cursor.child().unwrap_or_default().to_owned());
        let after = |id: &String| {
            let key = order(id);
            if cursor.after.is_some() {
                key <= bound
            } else {
                key < bound
            }
        };
        let chunk = head.starts.iter().take_while(|start| after(start)).count().saturating_sub(1);
        let ids = self.pack_chunk(tenant, relation, parent, head, chunk).await?;
        let mut position = chunk * CHUNK + ids.partition_point(after);
        let mut page = Vec::with_capacity(limit);
        let mut current = (chunk, ids);
        while page.len() < limit && (position as u64) < head.total {
            let wanted = position / CHUNK;
            if wanted != current.0 {
                current = (wanted, self.pack_chunk(tenant, relation, parent, head, wanted).await?);
            }
            let Some(id) = current.1.get(position % CHUNK) else { break };
            page.push(id.clone());
            position += 1;
        }
        let next = ((position as u64) < head.total)
            .then(|| page.last().map(|last| Cursor { shard: shard_of(last, shards), after: Some(last.clone()) }))
            .flatten();
        Ok((page, next))
    }

    /// The cursor `offset` children into a pack, or `None` past its end.
    pub(crate) async fn pack_skip(
        &self,
        tenant: &Tenant,
        listing: (Relation, &str),
        head: &Pack,
        offset: u64,
    ) -> Result<Option<Cursor>, StoreError> {
        let (relation, parent) = listing;
        if offset >= head.total {
            return Ok(None);
        }
        let last = usize::try_from(offset - 1).unwrap_or(usize::MAX);
        let ids = self.pack_chunk(tenant, relation, parent, head, last / CHUNK).await?;
        Ok(ids
            .get(last % CHUNK)
            .map(|id| Cursor { shard: shard_of(id, relation_shards(relation)), after: Some(id.clone()) }))
    }
}

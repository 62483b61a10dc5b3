//! Packs: the children of one parent in a relation, kept as id lists in listing order beside
//! the relation's entries, so that a page of `/classes/{id}/students` reads one pack item and
//! its records, not an entry per record and then the records. The ingest rebuilds the packs of
//! the parents whose entries it changed, after writing them; an API commit that changes a
//! parent's entries deletes its pack head in the same transaction ([`crate::commit`]); a parent
//! without a pack (none built yet, stale, or no children) is listed from its entries, as every
//! relation was before.
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

use crate::attr;
use crate::batch::{get_all, write_all, Write};
use crate::keys::{pack_key, record_partition, relation_shards, shard_of, Key, ShardPart, RECORD_SHARDS};
use crate::layout;
use crate::listing::{Cursor, Listing};
use crate::records::{by_collection, number, partition_query, query_pages, s};
use crate::{Store, StoreError, Tenant};
use aws_sdk_dynamodb::types::AttributeValue;
use oneroster_model::{Collection, Relation, View};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::info;

/// Child ids per chunk.
const CHUNK: usize = 1000;
/// Parents whose packs are rebuilt together: their old heads read in batches, their new chunks
/// written in batches.
const PARENTS_PER_GROUP: usize = 2000;
/// Parents whose entries are read at once while rebuilding.
const READS_IN_FLIGHT: usize = 32;
/// What a query of one parent's entries costs, in records of a walk of a whole collection
/// (about: DynamoDB Local answers some 1,000 small queries and 25,000 walked records a second):
/// more parents than a 25th of the collection are found by walking it.
const QUERY_COST_IN_RECORDS: u64 = 25;

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

/// Where a pack rebuild spent its time, for its log line.
#[derive(Default)]
struct Phases {
    children: Duration,
    heads: Duration,
    writes: Duration,
    items: usize,
}

/// Children found by walking the records that make them ([`Store::children_from_links`]): the
/// interned order keys and the (parent, key) pairs sorted by parent in pack order, handed out a
/// group of parents at a time.
struct Walked {
    /// Order keys by number: `{child}#` (entries with a via) or `{child}`.
    keys: Vec<String>,
    /// (parent's place among the parents walked for, order key), sorted.
    entries: Vec<(u32, u32)>,
    /// The first entry not handed out yet.
    at: usize,
}

impl Walked {
    fn child(&self, name: u32) -> &str {
        self.keys[name as usize].trim_end_matches('#')
    }

    /// The children of the parents at `places` (which follow those asked for before).
    fn children(&mut self, places: std::ops::Range<usize>) -> Vec<Vec<String>> {
        let mut children = vec![Vec::new(); places.len()];
        while let Some(&(place, name)) = self.entries.get(self.at) {
            let place = place as usize;
            if place >= places.end {
                break;
            }
            if let Some(list) = place.checked_sub(places.start).and_then(|i| children.get_mut(i)) {
                list.push(self.child(name).to_owned());
            }
            self.at += 1;
        }
        children
    }
}

/// The pack heads one request has read, by relation and parent (`None`: the parent has none).
pub(crate) type Heads = Arc<Mutex<HashMap<(Relation, String), Option<Arc<Pack>>>>>;

/// The writes that make `parent`'s pack of `children`: its chunks, and deletes of the chunks
/// an older, longer pack had beyond them.
fn pack_writes(
    tenant: &Tenant,
    (relation, parent): (Relation, &str),
    children: &[String],
    parent_view: Option<View>,
    old_chunks: usize,
) -> Vec<Write> {
    let chunks: Vec<&[String]> = children.chunks(CHUNK).collect();
    let mut writes = Vec::with_capacity(chunks.len().max(old_chunks));
    for (i, ids) in chunks.iter().enumerate() {
        let mut item = pack_key(tenant, relation, parent, i).into_item();
        item.insert(attr::IDS.to_owned(), AttributeValue::S(ids.join("\n")));
        if i == 0 {
            let starts: Vec<&str> = chunks.iter().map(|c| c[0].as_str()).collect();
            item.insert(attr::COUNT.to_owned(), AttributeValue::N(children.len().to_string()));
            item.insert(attr::STARTS.to_owned(), AttributeValue::S(starts.join("\n")));
            if let Some(view) = parent_view {
                item.insert(attr::PARENT_VIEW.to_owned(), AttributeValue::S(view.name().to_owned()));
            }
        }
        writes.push(Write::Put(item));
    }
    for stale in chunks.len()..old_chunks {
        writes.push(Write::Delete(pack_key(tenant, relation, parent, stale)));
    }
    writes
}

fn split(text: Option<String>) -> Vec<String> {
    text.filter(|t| !t.is_empty()).map(|t| t.split('\n').map(str::to_owned).collect()).unwrap_or_default()
}

/// Whether a child of a pack comes before the page that starts at `cursor`: children sort by
/// (shard, id), as the entries walk lists them, so a cursor after a child passes it and those
/// before, and a cursor at the start of a shard passes the shards before it.
fn passed(cursor: &Cursor, shards: u64) -> impl Fn(&String) -> bool {
    let bound = (cursor.shard, cursor.child().unwrap_or_default().to_owned());
    let inclusive = cursor.after.is_some();
    move |id: &String| {
        let key = (shard_of(id, shards), id.clone());
        if inclusive {
            key <= bound
        } else {
            key < bound
        }
    }
}

/// The chunk a page begins in, from the first child of every chunk: the last chunk whose first
/// child the cursor has `passed` (the head when it has passed none), so a page reads the head
/// and at most the chunks it spans.
fn first_chunk(starts: &[String], passed: impl Fn(&String) -> bool) -> usize {
    starts.iter().take_while(|start| passed(start)).count().saturating_sub(1)
}

/// The cursor after `child` in a pack of a relation of `shards` shards: where the next page, or
/// a page `offset=` children in, starts.
fn cursor_after(child: &str, shards: u64) -> Cursor {
    Cursor { shard: shard_of(child, shards), after: Some(child.to_owned()) }
}

/// The chunk and the place in it of the last child that an `offset` above 0 skips.
fn last_skipped(offset: u64) -> (usize, usize) {
    let last = usize::try_from(offset - 1).unwrap_or(usize::MAX);
    (last / CHUNK, last % CHUNK)
}

impl Store {
    /// Rebuilds the packs of `parents` from their entries. Parents go in groups: the old heads
    /// of a group are read in batches (to know how many chunks to delete), its children are
    /// found, and the new chunks of the whole group are written in batches.
    ///
    /// Children are found per parent with a query of its entries, or, where the parents are
    /// many for the size of the collection whose records make their entries (a first load: every
    /// user's classes), in one walk of that collection's records, reading the entry keys each
    /// record keeps (`links`) instead of tens of thousands of small queries. Both give the
    /// children in the entries' order.
    ///
    /// `first_records` names the collections that held no record at all before the writes
    /// that made these parents stale (a first load): the relations their records make had no
    /// entries, hence no packs, so their parents' old heads are not read.
    pub(crate) async fn rebuild_packs(
        &self,
        tenant: &Tenant,
        parents: impl IntoIterator<Item = (Relation, String)>,
        first_records: &BTreeSet<Collection>,
    ) -> Result<(), StoreError> {
        let parents: Vec<(Relation, String)> = parents.into_iter().collect();
        let started = Instant::now();
        let views = self.parent_views(tenant, &parents).await?;
        info!(parents = parents.len(), ms = started.elapsed().as_millis() as u64, "parents' views read");
        let mut by_maker: BTreeMap<Collection, Vec<(Relation, String)>> = BTreeMap::new();
        for (relation, parent) in parents {
            by_maker.entry(relation.made_by()).or_default().push((relation, parent));
        }
        for (maker, parents) in by_maker {
            let mut phases = Phases::default();
            let started = Instant::now();
            let mut walked = if self.walk_is_cheaper(tenant, maker, parents.len()).await? {
                Some(self.children_from_links(tenant, maker, &parents).await?)
            } else {
                None
            };
            phases.children += started.elapsed();
            for (i, group) in parents.chunks(PARENTS_PER_GROUP).enumerate() {
                let started = Instant::now();
                let old_chunks = if first_records.contains(&maker) {
                    vec![0; group.len()]
                } else {
                    self.old_chunk_counts(tenant, group).await?
                };
                phases.heads += started.elapsed();
                let started = Instant::now();
                let children = match walked.as_mut() {
                    Some(walked) => walked.children(i * PARENTS_PER_GROUP..i * PARENTS_PER_GROUP + group.len()),
                    None => self.children_of(tenant, group).await?,
                };
                phases.children += started.elapsed();
                let started = Instant::now();
                let mut writes = Vec::new();
                for (((relation, parent), children), old_chunks) in group.iter().zip(children).zip(old_chunks) {
                    let view = views.get(&(relation.parent(), parent.clone())).copied();
                    writes.extend(pack_writes(tenant, (*relation, parent), &children, view, old_chunks));
                }
                phases.items += writes.len();
                write_all(&self.client, &self.table, writes).await?;
                phases.writes += started.elapsed();
            }
            info!(
                maker = maker.name(),
                parents = parents.len(),
                walked = walked.is_some(),
                children_ms = phases.children.as_millis() as u64,
                heads_ms = phases.heads.as_millis() as u64,
                writes_ms = phases.writes.as_millis() as u64,
                items = phases.items,
                "packs of one maker rebuilt"
            );
        }
        Ok(())
    }

    /// The children of `parents` (of relations that records of `maker` make), from the entry
    /// keys every record of `maker` keeps; each parent's in its entries' order: by shard, then
    /// by sort key (`{child}` or `{child}#{via}`), each child once. Ids are interned while
    /// walking, so that a first load's million entries cost a few bytes each until their
    /// parents' packs are made.
    async fn children_from_links(
        &self,
        tenant: &Tenant,
        maker: Collection,
        parents: &[(Relation, String)],
    ) -> Result<Walked, StoreError> {
        let places: HashMap<(Relation, &str), u32> = parents
            .iter()
            .enumerate()
            .map(|(i, (relation, parent))| ((*relation, parent.as_str()), u32::try_from(i).unwrap_or(u32::MAX)))
            .collect();
        // A child's order key is its sort key up to the via: `{child}#` or `{child}`.
        let mut names: HashMap<String, u32> = HashMap::new();
        let mut entries: Vec<(u32, u32)> = Vec::new();
        for shard in 0..RECORD_SHARDS {
            let pk = record_partition(tenant, maker, shard);
            query_pages(partition_query(&self.client, &self.table, pk, Some("links")), |page| {
                for item in page.items.unwrap_or_default() {
                    let Some(AttributeValue::L(links)) = item.get(attr::LINKS) else { continue };
                    for text in links.iter().filter_map(|link| link.as_s().ok()) {
                        let Some(entry) = Key::decode(text) else { continue };
                        let Some((relation, parent)) = entry.entry_parent() else { continue };
                        let Some(&place) = places.get(&(relation, parent.as_str())) else { continue };
                        let sk = &entry.sk;
                        let key = sk.find('#').map_or(sk.as_str(), |at| &sk[..=at]);
                        let name = match names.get(key) {
                            Some(&name) => name,
                            None => {
                                let name = u32::try_from(names.len()).unwrap_or(u32::MAX);
                                names.insert(key.to_owned(), name);
                                name
                            }
                        };
                        entries.push((place, name));
                    }
                }
            })
            .await?;
        }
        let mut keys = vec![String::new(); names.len()];
        for (key, i) in names {
            keys[i as usize] = key;
        }
        let mut walked = Walked { keys, entries: Vec::new(), at: 0 };
        let order = |&(place, name): &(u32, u32)| {
            let shards = relation_shards(parents[place as usize].0);
            (place, shard_of(walked.child(name), shards), walked.keys[name as usize].as_str())
        };
        entries.sort_unstable_by(|a, b| order(a).cmp(&order(b)));
        entries.dedup();
        walked.entries = entries;
        Ok(walked)
    }

    /// Whether one walk of `collection` costs less than `lookups` reads of one parent each
    /// ([`QUERY_COST_IN_RECORDS`]), judged by the records it held at its last count (0 before
    /// the first).
    async fn walk_is_cheaper(
        &self,
        tenant: &Tenant,
        collection: Collection,
        lookups: usize,
    ) -> Result<bool, StoreError> {
        let stats = self.stats(tenant, &Listing::Collection(collection)).await?;
        let total = stats.and_then(|item| number(&item, attr::COUNT)).unwrap_or(0);
        Ok(lookups as u64 * QUERY_COST_IN_RECORDS > total)
    }

    /// How many chunks the stored pack of each parent of `group` has (0: none), in its order.
    async fn old_chunk_counts(&self, tenant: &Tenant, group: &[(Relation, String)]) -> Result<Vec<usize>, StoreError> {
        let keys: Vec<Key> = group.iter().map(|(relation, parent)| pack_key(tenant, *relation, parent, 0)).collect();
        let position: HashMap<&str, usize> = keys.iter().enumerate().map(|(i, key)| (key.pk.as_str(), i)).collect();
        let mut counts = vec![0; group.len()];
        for head in get_all(&self.client, &self.table, keys.clone(), Some("pk, starts")).await? {
            if let Some(&i) = s(&head, attr::PK).as_deref().and_then(|pk| position.get(pk)) {
                counts[i] = split(s(&head, attr::STARTS)).len();
            }
        }
        Ok(counts)
    }

    /// The children of each parent of `group` from its entries, in listing order, several
    /// parents at a time; in the group's order.
    async fn children_of(&self, tenant: &Tenant, group: &[(Relation, String)]) -> Result<Vec<Vec<String>>, StoreError> {
        let mut children = vec![Vec::new(); group.len()];
        let mut waiting = group.iter().enumerate();
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            while tasks.len() < READS_IN_FLIGHT {
                let Some((i, (relation, parent))) = waiting.next() else { break };
                let (store, tenant) = (self.clone(), tenant.clone());
                let listing = Listing::Related { relation: *relation, parent: parent.clone() };
                tasks.spawn(async move {
                    let (found, _) = store.distinct_children(&tenant, &listing, Cursor::start(), None).await?;
                    Ok::<_, StoreError>((i, found.into_iter().map(|(id, _)| id).collect::<Vec<String>>()))
                });
            }
            let Some(done) = tasks.join_next().await else { break };
            let (i, ids) = done.map_err(|e| StoreError::Task(e.to_string()))??;
            children[i] = ids;
        }
        Ok(children)
    }

    /// The views of the parents that are in one: read in batches (the views only), or, for
    /// many parents, from a walk of the views.
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
            if !self.walk_is_cheaper(tenant, collection, ids.len()).await? {
                views.extend(
                    self.views(tenant, collection, &ids).await?.into_iter().map(|(id, view)| ((collection, id), view)),
                );
                continue;
            }
            // Many parents (a first load: every user): the views' members are walked, keys
            // only, instead of a read of each parent.
            let wanted: HashSet<&str> = ids.into_iter().collect();
            for view in View::ALL.into_iter().filter(|view| view.collection() == collection) {
                for id in self.listing_keys(tenant, &Listing::View(view)).await? {
                    if wanted.contains(id.as_str()) {
                        views.insert((collection, id), view);
                    }
                }
            }
        }
        Ok(views)
    }

    /// Rebuilds every pack of the relations whose entries records of `collection` make or whose
    /// parents they are, for every parent (an ingest resumed after dying between its writes and
    /// its packs).
    pub(crate) async fn rebuild_all_packs(
        &self,
        tenant: &Tenant,
        collection: oneroster_model::Collection,
        part: ShardPart,
    ) -> Result<(), StoreError> {
        let mut parents = Vec::new();
        // A parent's view may have changed too: its packs copy it.
        let stale = |r: &Relation| layout::of(*r).packed && (r.made_by() == collection || r.parent() == collection);
        for relation in Relation::ALL.into_iter().filter(stale) {
            let ids = self.all_ids(tenant, relation.parent()).await?.into_iter().filter(|id| part.holds(id));
            parents.extend(ids.map(|id| (relation, id)));
        }
        self.rebuild_packs(tenant, parents, &BTreeSet::new()).await
    }

    /// The head of a parent's pack, if it has one: one read, none when this request's store
    /// has read it already.
    pub(crate) async fn pack_head(
        &self,
        tenant: &Tenant,
        relation: Relation,
        parent: &str,
    ) -> Result<Option<Arc<Pack>>, StoreError> {
        if !layout::of(relation).packed {
            return Ok(None);
        }
        let remembered = |heads: &Heads| heads.lock().ok()?.get(&(relation, parent.to_owned())).cloned();
        if let Some(head) = self.heads.as_ref().and_then(remembered) {
            return Ok(head);
        }
        let head = self.get_item(pack_key(tenant, relation, parent, 0)).await?.map(|item| {
            let total = number(&item, attr::COUNT).unwrap_or(0);
            let parent_view = s(&item, attr::PARENT_VIEW).and_then(|name| View::from_name(&name));
            Arc::new(Pack {
                total,
                starts: split(s(&item, attr::STARTS)),
                first: split(s(&item, attr::IDS)),
                parent_view,
            })
        });
        if let Some(mut heads) = self.heads.as_ref().and_then(|heads| heads.lock().ok()) {
            heads.insert((relation, parent.to_owned()), head.clone());
        }
        Ok(head)
    }

    /// The view of a relation's parent as its pack recorded it; `None` when the parent has no
    /// pack or is in no view. A route that wants its parent in a view checks it here before
    /// reading the parent, at no extra read when the page is read next through this store.
    pub(crate) async fn parent_view(
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
        Ok(split(item.as_ref().and_then(|item| s(item, attr::IDS))))
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
        let passed = passed(cursor, shards);
        let chunk = first_chunk(&head.starts, &passed);
        let ids = self.pack_chunk(tenant, relation, parent, head, chunk).await?;
        let mut position = chunk * CHUNK + ids.partition_point(&passed);
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
        let next =
            ((position as u64) < head.total).then(|| page.last().map(|last| cursor_after(last, shards))).flatten();
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
        let (chunk, place) = last_skipped(offset);
        let ids = self.pack_chunk(tenant, relation, parent, head, chunk).await?;
        Ok(ids.get(place).map(|id| cursor_after(id, relation_shards(relation))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::Item;
    use crate::mutation::fixtures::tenant;

    /// `n` children of a relation of `shards` shards, in pack order: by (shard, id).
    fn children(n: usize, shards: u64) -> Vec<String> {
        let mut ids: Vec<String> = (0..n).map(|i| format!("u-{i}")).collect();
        ids.sort_by_key(|id| (shard_of(id, shards), id.clone()));
        ids
    }

    fn text(item: &Item, name: &str) -> Option<String> {
        item.get(name).and_then(|value| value.as_s().ok()).cloned()
    }

    fn number(item: &Item, name: &str) -> Option<String> {
        item.get(name).and_then(|value| value.as_n().ok()).cloned()
    }

    #[test]
    fn a_parents_children_are_cut_into_chunks_and_the_longer_old_packs_rest_is_deleted() {
        // (name, children, chunks the old pack had, chunks put, chunks deleted)
        let cases = [
            ("no children, no old pack", 0, 0, 0, 0),
            ("no children left", 0, 2, 0, 2),
            ("one child", 1, 0, 1, 0),
            ("a full chunk", CHUNK, 0, 1, 0),
            ("one past a chunk", CHUNK + 1, 1, 2, 0),
            ("shrunk from five chunks", 2 * CHUNK + 500, 5, 3, 2),
            ("grown from one chunk", 3 * CHUNK, 1, 3, 0),
        ];
        for (name, n, old, puts, deletes) in cases {
            let writes = pack_writes(&tenant(), (Relation::ClassStudents, "k-1"), &children(n, 1), None, old);
            let keys: Vec<(bool, String, String)> = writes
                .iter()
                .map(|write| match write {
                    Write::Put(item) => {
                        (true, text(item, attr::PK).unwrap_or_default(), text(item, attr::SK).unwrap_or_default())
                    }
                    Write::Delete(key) => (false, key.pk.clone(), key.sk.clone()),
                })
                .collect();
            let expected: Vec<(bool, String, String)> = (0..puts)
                .map(|chunk| (true, chunk))
                .chain((puts..puts + deletes).map(|chunk| (false, chunk)))
                .map(|(put, chunk)| (put, "district-7#pack#class-students#k-1".to_owned(), format!("{chunk:05}")))
                .collect();
            assert_eq!(keys, expected, "{name}");
        }
    }

    #[test]
    fn the_head_chunk_holds_the_total_the_first_child_of_every_chunk_and_the_parents_view() {
        let ids = children(2 * CHUNK + 1, WIDE);
        let writes = pack_writes(&tenant(), (Relation::SchoolStudents, "s-1"), &ids, Some(View::Schools), 0);
        let items: Vec<&Item> = writes
            .iter()
            .map(|write| match write {
                Write::Put(item) => item,
                Write::Delete(..) => panic!("no old chunks to delete"),
            })
            .collect();
        let starts = [ids[0].as_str(), ids[CHUNK].as_str(), ids[2 * CHUNK].as_str()].join("\n");
        assert_eq!(number(items[0], attr::COUNT).as_deref(), Some("2001"), "head: total");
        assert_eq!(text(items[0], attr::STARTS), Some(starts), "head: starts");
        assert_eq!(text(items[0], attr::PARENT_VIEW).as_deref(), Some("schools"), "head: parent's view");
        for (chunk, item) in items.iter().enumerate() {
            let expected = ids[chunk * CHUNK..ids.len().min((chunk + 1) * CHUNK)].join("\n");
            assert_eq!(text(item, attr::IDS), Some(expected), "chunk {chunk}: ids in pack order");
            if chunk > 0 {
                let extra: Vec<&str> = [attr::COUNT, attr::STARTS, attr::PARENT_VIEW]
                    .into_iter()
                    .filter(|name| item.contains_key(*name))
                    .collect();
                assert!(extra.is_empty(), "chunk {chunk} holds {extra:?}");
            }
        }
        let without_view = pack_writes(&tenant(), (Relation::CourseClasses, "c-1"), &ids[..1], None, 0);
        let Some(Write::Put(head)) = without_view.first() else { panic!("a head") };
        assert!(!head.contains_key(attr::PARENT_VIEW), "a parent in no view");
    }

    /// Shards of a wide relation's parent.
    const WIDE: u64 = layout::WIDE_RELATION_SHARDS;

    #[test]
    fn a_packs_lists_are_read_back_as_written() {
        let cases = [
            ("absent", None, vec![]),
            ("empty", Some(""), vec![]),
            ("one", Some("u-1"), vec!["u-1"]),
            ("several", Some("u-1\nu-2\nu-3"), vec!["u-1", "u-2", "u-3"]),
        ];
        for (name, stored, expected) in cases {
            assert_eq!(split(stored.map(str::to_owned)), expected, "{name}");
        }
    }

    /// Where a page from `cursor` begins in `pack`, as [`Store::pack_page`] finds it: the chunk
    /// from the heads' starts, then the place in that chunk.
    fn page_start(pack: &[String], cursor: &Cursor, shards: u64) -> usize {
        let starts: Vec<String> = pack.chunks(CHUNK).map(|chunk| chunk[0].clone()).collect();
        let passed = passed(cursor, shards);
        let chunk = first_chunk(&starts, &passed);
        let ids = pack.chunks(CHUNK).nth(chunk).unwrap_or_default();
        chunk * CHUNK + ids.partition_point(&passed)
    }

    #[test]
    fn a_page_after_a_child_starts_at_the_next_one_in_any_chunk() {
        for (name, shards) in [("one partition", 1), ("wide", WIDE)] {
            let pack = children(2 * CHUNK + 500, shards);
            assert_eq!(page_start(&pack, &Cursor::start(), shards), 0, "{name}: from the start");
            for i in [0, 1, CHUNK - 2, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK - 1, 2 * CHUNK, pack.len() - 1] {
                let cursor = cursor_after(&pack[i], shards);
                assert_eq!(page_start(&pack, &cursor, shards), i + 1, "{name}: after child {i}");
            }
        }
    }

    #[test]
    fn a_cursor_at_the_start_of_a_shard_passes_the_shards_before_it() {
        let pack = children(3 * CHUNK, WIDE);
        for shard in 0..WIDE {
            let before = pack.iter().filter(|id| shard_of(id, WIDE) < shard).count();
            let cursor = Cursor { shard, after: None };
            assert_eq!(page_start(&pack, &cursor, WIDE), before, "shard {shard}");
        }
    }

    #[test]
    fn a_cursor_after_an_entry_that_names_its_via_passes_its_child() {
        let pack = children(10, 1);
        let entry = Cursor { shard: 0, after: Some(format!("{}#e-9", pack[3])) };
        assert_eq!(page_start(&pack, &entry, 1), 4, "after the child of `child#via`");
    }

    #[test]
    fn an_offset_skips_to_the_chunk_and_place_of_its_last_child() {
        let cases = [
            ("the first child", 1, (0, 0)),
            ("the end of the head", CHUNK as u64, (0, CHUNK - 1)),
            ("the first of the second chunk", CHUNK as u64 + 1, (1, 0)),
            ("far in", 2 * CHUNK as u64 + 500, (2, 499)),
        ];
        for (name, offset, expected) in cases {
            assert_eq!(last_skipped(offset), expected, "{name}");
        }
    }

    #[test]
    fn a_cursor_after_a_child_names_the_childs_shard() {
        for (name, shards) in [("one partition", 1), ("wide", WIDE)] {
            for child in ["u-1", "u-2", "enr/3@x"] {
                let cursor = cursor_after(child, shards);
                assert_eq!((cursor.shard, cursor.child()), (shard_of(child, shards), Some(child)), "{name}: {child}");
                assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor), "{name}: {child} as text");
            }
        }
    }

    #[test]
    fn a_walk_hands_out_each_groups_children_in_order_and_once() {
        let keys = ["u-1#", "u-2", "u-3#"].map(str::to_owned).to_vec();
        // (parent's place, order key), sorted: parents 0 and 2 have children, 1 and 3 none.
        let entries = vec![(0, 1), (0, 0), (2, 2), (2, 1), (4, 0)];
        let mut walked = Walked { keys, entries, at: 0 };
        let first = walked.children(0..2);
        assert_eq!(first, [vec!["u-2".to_owned(), "u-1".to_owned()], vec![]], "places 0 and 1");
        let second = walked.children(2..4);
        assert_eq!(second, [vec!["u-3".to_owned(), "u-2".to_owned()], vec![]], "places 2 and 3, `#` trimmed");
        assert_eq!(walked.children(4..5), [vec!["u-1".to_owned()]], "place 4");
        assert_eq!(walked.children(5..6), [Vec::<String>::new()], "past the last entry");
    }
}

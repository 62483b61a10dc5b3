//! How a page of a [`Listing`] is read: a walk over its shards from a [`Cursor`] in at most two
//! rounds of calls (the stats item with the first shard says where the rest of the page is),
//! an offset skipped through the kept outline, and a listing counted without reading it.

use crate::attr;
use crate::batch::Item;
use crate::keys::{shard_of, Key};
use crate::layout;
use crate::listing::{Cursor, Listing, Page, Partition, TimeFilter, PAGE_BYTES};
use crate::records::{number, query_pages, s, to_record, PAGE_ITEMS};
use crate::Tenant;
use crate::{Store, StoreError};
use aws_sdk_dynamodb::types::{AttributeValue, Select};
use oneroster_model::Status;

/// Where a walk stopped, and what it learnt on the way.
struct Walked {
    /// Items handed over.
    taken: usize,
    /// Where the next walk starts, `None` at the end.
    next: Option<Cursor>,
    /// The listing's kept count, when it read the stats item.
    total: Option<u64>,
}

/// What a listing's stats item says of it, for a walk: the size of each shard (for a time
/// filter, an estimate from its count), and its count.
#[derive(Default)]
struct Kept {
    sizes: Option<Vec<u64>>,
    total: Option<u64>,
}

impl Store {
    pub(crate) fn query_partition_request(
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
        if partition.active_only {
            // Tombstones of API deletions are `tobedeleted`: this leaves them out too.
            request = request
                .filter_expression("#st = :active")
                .expression_attribute_names("#st", attr::STATUS)
                .expression_attribute_values(":active", AttributeValue::S(Status::Active.as_str().to_owned()));
        } else if partition.hide_gone {
            request = request.filter_expression("attribute_not_exists(gone)");
        }
        if let Some(bound) = &partition.after_bound {
            request = request
                .expression_attribute_names("#sort", partition.sort_attribute)
                .expression_attribute_values(":bound", AttributeValue::S(bound.clone()));
        }
        request
    }

    /// Walks the listing's shards in order from `cursor`, reading at most `limit` items
    /// (`projection` limits what comes back) or, where they carry bodies, about [`PAGE_BYTES`]
    /// of them. Returns the items and where the walk stopped.
    async fn walk_items(
        &self,
        tenant: &Tenant,
        listing: &Listing,
        limit: usize,
        cursor: Cursor,
        projection: Option<&str>,
    ) -> Result<(Vec<Item>, Walked), StoreError> {
        let mut items: Vec<Item> = Vec::new();
        let walked = self.walk(tenant, listing, limit, cursor, projection, |page| items.extend(page)).await?;
        Ok((items, walked))
    }

    /// [`Store::walk_items`], handing each DynamoDB answer's items to `take` instead of keeping
    /// them (a walk that only counts, to skip an offset, holds one answer at a time). Returns how
    /// many items were handed over, where the walk stopped, and the kept count if it read it.
    ///
    /// A page costs at most two rounds of calls, whatever the shard count: the cursor's shard,
    /// with the stats item that says how many records each shard holds; then, if the page is
    /// not full, every later shard it reaches at once, as [`plan_reads`] sizes them. (An answer
    /// cut short, at 1 MB or by tombstones, goes on in a further round.) A time filter's shard
    /// sizes are estimated from its kept count ([`estimated_sizes`]). A relation's shards, and
    /// those of a time filter without kept times, whose sizes are not known, go one by one:
    /// reading ahead could read many times what the page returns.
    async fn walk(
        &self,
        tenant: &Tenant,
        listing: &Listing,
        limit: usize,
        cursor: Cursor,
        projection: Option<&str>,
        mut take: impl FnMut(Vec<Item>),
    ) -> Result<Walked, StoreError> {
        let limit = limit.max(1);
        let shards = listing.shards();
        let mut cursor = cursor;
        let (mut taken, mut bytes) = (0, 0);
        let mut kept = Kept::default();
        let mut first = true;
        while cursor.shard < shards {
            // The cursor's shard alone (with the sizes, the first time).
            let read = self.read_shard(tenant, listing, &cursor, limit - taken, projection);
            let answer = if first {
                let (answer, known) = tokio::try_join!(read, self.kept(tenant, listing))?;
                kept = known;
                first = false;
                answer
            } else {
                read.await?
            };
            let next = self.take_answer(answer, &cursor, limit - taken, &mut taken, &mut bytes, &mut take);
            if taken >= limit || bytes >= PAGE_BYTES {
                return Ok(Walked { taken, next: (next.shard < shards).then_some(next), total: kept.total });
            }
            let unsized_time_filter = kept.sizes.is_none() && listing.time_filter().is_some();
            if next.shard == cursor.shard || matches!(listing, Listing::Related { .. }) || unsized_time_filter {
                // The answer stopped short (1 MB, or items a filter dropped), or the listing
                // goes shard by shard.
                cursor = next;
                continue;
            }
            // Every later shard the page reaches at once.
            let estimated = listing.time_filter().is_some();
            let Planned { reads, to_end } =
                plan_reads(kept.sizes.as_deref(), next.shard..shards, limit - taken, estimated);
            let Some(last) = reads.last().map(|read| read.shard) else { break };
            let starts: Vec<Cursor> = reads.iter().map(|read| Cursor { shard: read.shard, after: None }).collect();
            let queries = starts
                .iter()
                .zip(&reads)
                .map(|(at, read)| self.read_shard(tenant, listing, at, read.limit, projection));
            let answers = futures::future::try_join_all(queries).await?;
            cursor = Cursor { shard: last + 1, after: None };
            for (at, answer) in starts.iter().zip(answers) {
                let next = self.take_answer(answer, at, limit - taken, &mut taken, &mut bytes, &mut take);
                if taken >= limit || bytes >= PAGE_BYTES {
                    return Ok(Walked { taken, next: (next.shard < shards).then_some(next), total: kept.total });
                }
                if next.shard == at.shard {
                    // The answer stopped short: the walk goes on from there, and what was read
                    // ahead of it is read again in order.
                    cursor = next;
                    break;
                }
            }
            if to_end && cursor.shard == last + 1 {
                // Every shard left was read whole (or is known to be empty).
                break;
            }
        }
        Ok(Walked { taken, next: None, total: kept.total })
    }

    /// One query of the shard `at` points into, from `at`, for at most `ask` items.
    async fn read_shard(
        &self,
        tenant: &Tenant,
        listing: &Listing,
        at: &Cursor,
        ask: usize,
        projection: Option<&str>,
    ) -> Result<(Partition, aws_sdk_dynamodb::operation::query::QueryOutput), StoreError> {
        let partition = listing.partition(tenant, at.shard);
        let start = at.after.as_deref().map(|after| listing.start_key(tenant, &partition, after));
        let output = self
            .query_partition_request(&partition)
            .limit(i32::try_from(ask).unwrap_or(i32::MAX).min(PAGE_ITEMS))
            .set_projection_expression(projection.map(str::to_owned))
            .set_exclusive_start_key(start)
            .send()
            .await?;
        self.count_reads(usize::try_from(output.scanned_count).unwrap_or(0));
        Ok((partition, output))
    }

    /// Hands an answer's items to `take`, at most `room` of them, counting them (and their
    /// body bytes); returns where the walk goes on: after the last item DynamoDB looked at in
    /// the shard (with a status filter, it may be one the filter dropped), after the last item
    /// taken when the answer held more than `room`, or the next shard's start.
    fn take_answer(
        &self,
        (partition, output): (Partition, aws_sdk_dynamodb::operation::query::QueryOutput),
        at: &Cursor,
        room: usize,
        taken: &mut usize,
        bytes: &mut usize,
        take: &mut impl FnMut(Vec<Item>),
    ) -> Cursor {
        let mut last_evaluated = output.last_evaluated_key.filter(|k| !k.is_empty());
        let mut items = output.items.unwrap_or_default();
        if items.len() > room {
            items.truncate(room);
            last_evaluated = items.last().cloned();
        }
        *taken += items.len();
        *bytes += items.iter().filter_map(|item| item.get(attr::BODY)?.as_s().ok()).map(String::len).sum::<usize>();
        take(items);
        match last_evaluated {
            Some(key) => Cursor { shard: at.shard, after: s(&key, partition.sort_attribute) },
            None => Cursor { shard: at.shard + 1, after: None },
        }
    }

    /// What the stats item of a collection or view (or of an `active` filter on one) says:
    /// how many records each shard holds (at most, for the filter), and its count; nothing for
    /// other listings, or when not kept.
    async fn kept(&self, tenant: &Tenant, listing: &Listing) -> Result<Kept, StoreError> {
        if let Some(filter) = listing.time_filter() {
            let stats = self.stats(tenant, &Listing::Collection(filter.collection)).await?;
            let Some(stats) = stats else { return Ok(Kept::default()) };
            let counted = matching_since(&stats, filter)?;
            let sizes = match (counted, kept_sizes(&stats, listing.shards()), number(&stats, attr::COUNT)) {
                (Some((looked_at, _)), Some(sizes), Some(count)) => Some(estimated_sizes(&sizes, looked_at, count)),
                _ => None,
            };
            return Ok(Kept { sizes, total: counted.map(|(_, listed)| listed) });
        }
        let measured = match listing {
            Listing::Active(inner) => inner,
            other => other,
        };
        if !matches!(measured, Listing::Collection(_) | Listing::View(_)) {
            return Ok(Kept::default());
        }
        let Some(stats) = self.stats(tenant, measured).await? else { return Ok(Kept::default()) };
        let counted = if matches!(listing, Listing::Active(_)) { attr::ACTIVE } else { attr::COUNT };
        Ok(Kept { sizes: kept_sizes(&stats, measured.shards()), total: number(&stats, counted) })
    }

    /// One page of `limit` records of a listing from `cursor`: `limit` items read for a
    /// collection, a view or a time filter; for a relation, the entries of `limit` children and
    /// the records they name (a child linked twice, by two enrollments in one class, is listed
    /// once).
    pub(crate) async fn page(
        &self,
        tenant: &Tenant,
        listing: &Listing,
        limit: usize,
        cursor: Cursor,
    ) -> Result<Page, StoreError> {
        let Listing::Related { relation, parent } = listing else {
            let (items, walked) = self.walk_items(tenant, listing, limit, cursor, None).await?;
            let records = items.iter().map(to_record).collect::<Result<Vec<_>, _>>()?;
            return Ok(Page { records, next: walked.next, total: walked.total });
        };
        if let Some(head) = self.pack_head(tenant, *relation, parent).await? {
            let (ids, next) = self.pack_page(tenant, (*relation, parent), &head, limit.max(1), &cursor).await?;
            let records = self.get_many(tenant, relation.child(), &ids).await?;
            return Ok(Page { records, next, total: Some(head.total) });
        }
        if layout::of(*relation).bodies {
            let (entries, walked) = self.walk_items(tenant, listing, limit, cursor, None).await?;
            let records = entries.iter().map(to_record).collect::<Result<Vec<_>, _>>()?;
            return Ok(Page { records, next: walked.next, total: None });
        }
        let (ids, next) = if listing.repeats_children() {
            let (children, more) = self.distinct_children(tenant, listing, cursor, Some(limit)).await?;
            let next = if more { children.last().map(|(_, at)| at.clone()) } else { None };
            (children.into_iter().map(|(id, _)| id).collect::<Vec<_>>(), next)
        } else {
            let (entries, walked) = self.walk_items(tenant, listing, limit, cursor, Some(attr::SK)).await?;
            (entries.iter().filter_map(|entry| s(entry, attr::SK)).collect(), walked.next)
        };
        let records = self.get_many(tenant, relation.child(), &ids).await?;
        Ok(Page { records, next, total: None })
    }

    /// The cursor `offset` records into a listing (`offset=` without a cursor), or `None` if
    /// the listing has no more than `offset` records. A collection or view starts from the
    /// nearest mark of its [`Outline`] (fewer than `every` keys read); other listings read the
    /// keys of the skipped items.
    pub(crate) async fn skip(
        &self,
        tenant: &Tenant,
        listing: &Listing,
        offset: u64,
    ) -> Result<Option<Cursor>, StoreError> {
        if offset == 0 {
            return Ok(Some(Cursor::start()));
        }
        if let Listing::Related { relation, parent } = listing {
            if let Some(head) = self.pack_head(tenant, *relation, parent).await? {
                return self.pack_skip(tenant, (*relation, parent), &head, offset).await;
            }
        }
        if listing.repeats_children() {
            // The cursor at the `offset`-th child, holding no more than it.
            let (mut passed, mut at) = (0, None);
            let chunk = usize::try_from(offset).unwrap_or(usize::MAX).saturating_add(8).min(1000);
            self.each_distinct_child(tenant, listing, Cursor::start(), chunk, |_, cursor| {
                passed += 1;
                at = Some(cursor.clone());
                passed < offset
            })
            .await?;
            return Ok(at.filter(|_| passed == offset));
        }
        // Marks count every record; among active ones positions differ, so those walk keys. An
        // outline is used only while it is exact.
        let outline = match listing {
            Listing::Active(_) => None,
            _ => self.stats(tenant, listing).await?.as_ref().and_then(exact_outline),
        };
        if let Some(outline) = outline {
            let Some((shard, after, left)) = outline.locate(offset) else { return Ok(None) };
            let from = Cursor { shard, after };
            if left == 0 {
                return Ok(Some(from));
            }
            let left = usize::try_from(left).unwrap_or(usize::MAX);
            let Walked { taken: passed, next, .. } =
                self.walk(tenant, listing, left, from, Some("pk, sk"), drop).await?;
            return Ok(if passed < left { None } else { next });
        }
        let offset = usize::try_from(offset).unwrap_or(usize::MAX);
        let projection = match listing {
            Listing::ModifiedSince { .. } => "pk, sk, #sort",
            _ => "pk, sk",
        };
        let Walked { taken: passed, next, .. } =
            self.walk(tenant, listing, offset, Cursor::start(), Some(projection), drop).await?;
        Ok(if passed < offset { None } else { next })
    }

    /// The first `limit` entries of a relation listing as (child, the record that makes the
    /// entry: the `via` of `{child}#{via}`, else the child itself), and whether more entries
    /// follow: what a deletion must delete with its parent (a class's enrollments) or refuses
    /// over (a school's classes). Reads keys only.
    pub(crate) async fn entry_makers(
        &self,
        tenant: &Tenant,
        listing: &Listing,
        limit: usize,
    ) -> Result<(Vec<(String, String)>, bool), StoreError> {
        let mut makers = Vec::new();
        let walked = self
            .walk(tenant, listing, limit, Cursor::start(), Some(attr::SK), |page| {
                for sk in page.iter().filter_map(|entry| s(entry, attr::SK)) {
                    makers.push((Key::entry_child(&sk).to_owned(), Key::entry_maker(&sk).to_owned()));
                }
            })
            .await?;
        Ok((makers, walked.next.is_some()))
    }

    /// The distinct children of a relation's entries from `start` (entries of one child are
    /// adjacent: same shard, sort keys `{child}#{via}`), each with a cursor at an entry of it,
    /// up to `limit` of them; and whether entries may follow. Reads keys only.
    pub(crate) async fn distinct_children(
        &self,
        tenant: &Tenant,
        listing: &Listing,
        start: Cursor,
        limit: Option<usize>,
    ) -> Result<(Vec<(String, Cursor)>, bool), StoreError> {
        let mut children: Vec<(String, Cursor)> = Vec::new();
        if limit == Some(0) {
            return Ok((children, true));
        }
        let chunk = limit.map_or(1000, |limit| limit.saturating_add(8).min(1000));
        let stopped = self
            .each_distinct_child(tenant, listing, start, chunk, |child, at| {
                children.push((child.to_owned(), at.clone()));
                limit.is_none_or(|limit| children.len() < limit)
            })
            .await?;
        // Stopped at the limit: entries may follow (as a walk that read one more would say).
        Ok((children, stopped))
    }

    /// Hands each distinct child of a relation's entries from `start` to `on_child` (reading
    /// `chunk` entries per walk), with a cursor at an entry of it, until `on_child` says to stop (then `true`) or the entries end
    /// (`false`). Holds one DynamoDB answer at a time, however many children there are.
    async fn each_distinct_child(
        &self,
        tenant: &Tenant,
        listing: &Listing,
        start: Cursor,
        chunk: usize,
        mut on_child: impl FnMut(&str, &Cursor) -> bool,
    ) -> Result<bool, StoreError> {
        let mut last = start.after.as_deref().map(|sk| Key::entry_child(sk).to_owned());
        let mut cursor = start;
        let mut stopped = false;
        loop {
            let mut entries = Vec::new();
            let Walked { next, .. } =
                self.walk(tenant, listing, chunk, cursor, Some(attr::SK), |page| entries.extend(page)).await?;
            for sk in entries.iter().filter_map(|entry| s(entry, attr::SK)) {
                let child = Key::entry_child(&sk);
                if last.as_deref() == Some(child) {
                    continue;
                }
                if stopped {
                    // A child after the last one wanted: entries follow.
                    return Ok(true);
                }
                let at = Cursor { shard: shard_of(child, listing.shards()), after: Some(sk.clone()) };
                last = Some(child.to_owned());
                stopped = !on_child(child, &at);
            }
            match next {
                Some(next) => cursor = next,
                None => return Ok(false),
            }
        }
    }

    /// How many records a listing holds (`X-Total-Count`): the kept count of a collection or
    /// view (refreshed after every ingest), a `Select=COUNT` over the index or entries, or, where
    /// children may repeat, the distinct children of a keys-only walk.
    pub(crate) async fn count(&self, tenant: &Tenant, listing: &Listing) -> Result<u64, StoreError> {
        if let Listing::Related { relation, parent } = listing {
            if let Some(head) = self.pack_head(tenant, *relation, parent).await? {
                return Ok(head.total);
            }
        }
        if listing.repeats_children() {
            let mut children = 0u64;
            self.each_distinct_child(tenant, listing, Cursor::start(), 1000, |_, _| {
                children += 1;
                true
            })
            .await?;
            return Ok(children);
        }
        if listing.time_filter().is_some() {
            if let Some(n) = self.kept(tenant, listing).await?.total {
                return Ok(n);
            }
        }
        if let Some(stats) = self.stats(tenant, listing).await? {
            let kept = if matches!(listing, Listing::Active(_)) { "active" } else { "n" };
            if let Some(n) = stats.get(kept).and_then(|v| v.as_n().ok()) {
                return n.parse().map_err(|_| StoreError::BadItem("a record count".into()));
            }
        }
        self.count_items(tenant, listing).await
    }

    /// Counts a listing's items with `Select=COUNT`, its shards in parallel.
    pub(crate) async fn count_items(&self, tenant: &Tenant, listing: &Listing) -> Result<u64, StoreError> {
        let mut tasks = tokio::task::JoinSet::new();
        for shard in 0..listing.shards() {
            let request = self.query_partition_request(&listing.partition(tenant, shard)).select(Select::Count);
            let store = self.clone();
            tasks.spawn(async move {
                let mut count = 0u64;
                query_pages(request, |page| {
                    count += u64::try_from(page.count).unwrap_or(0);
                    store.count_reads(usize::try_from(page.scanned_count).unwrap_or(0));
                })
                .await?;
                Ok::<u64, StoreError>(count)
            });
        }
        let mut total = 0;
        while let Some(done) = tasks.join_next().await {
            total += done.map_err(|e| StoreError::Task(e.to_string()))??;
        }
        Ok(total)
    }
}

/// How many records a collection's stats item says were modified after the filter's time (at
/// or after, when inclusive): all of them (what the walk's queries look at) and those the
/// filter lists; `None` when no times are kept.
fn matching_since(stats: &Item, filter: TimeFilter) -> Result<Option<(u64, u64)>, StoreError> {
    let Some(times) = s(stats, attr::TIMES) else { return Ok(None) };
    let times: Times = serde_json::from_str(&times).map_err(|_| StoreError::BadItem("kept times".into()))?;
    let since = filter.since.to_string();
    let after = |at: &String| if filter.inclusive { *at >= since } else { *at > since };
    let (all, active) =
        times.iter().filter(|(at, _)| after(at)).fold((0, 0), |(all, active), (_, (a, b))| (all + a, active + b));
    Ok(Some((all, if filter.active_only { active } else { all })))
}

/// A collection's records by modification time: (all, active) per `dateLastModified`. Every
/// record an ingest writes carries the job's start time, so a collection has one entry per job
/// whose records are still unchanged: `dateLastModified>` counts in one read, summing entries.
pub(crate) type Times = std::collections::BTreeMap<String, (u64, u64)>;

/// What the store keeps of a collection or view after each ingest: its size per shard and, per
/// shard, the sort key of every `every`-th item. `offset=` then starts from the nearest mark
/// and reads fewer than `every` keys, instead of every key before the offset. Writes after the
/// last ingest shift positions by as many records as they add or remove, as with any offset
/// paging over changing data.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Outline {
    pub(crate) sizes: Vec<u64>,
    every: u64,
    marks: Vec<Vec<String>>,
}

/// The outline a stats item keeps, while the listing holds as many records as when it was
/// measured: a record created or deleted through the API since would shift the positions after
/// it, and hide the last ones.
fn exact_outline(stats: &Item) -> Option<Outline> {
    let outline: Outline = serde_json::from_str(&s(stats, attr::OUTLINE)?).ok()?;
    let kept = number(stats, attr::COUNT)?;
    (outline.sizes.iter().sum::<u64>() == kept).then_some(outline)
}

/// The size of each of a listing's `shards` shards, kept by the ingest's measure and by every
/// write since ([`attr::SHARD_SIZE`]), while they add up to its kept count. A stats item that
/// no measure wrote (the counts of records written before their collection was first measured)
/// says nothing of where its records are.
fn kept_sizes(stats: &Item, shards: u64) -> Option<Vec<u64>> {
    stats.get(attr::OUTLINE)?;
    let sizes: Vec<u64> = (0..shards).map(|shard| number(stats, &attr::shard_size(shard)).unwrap_or(0)).collect();
    (sizes.iter().sum::<u64>() == number(stats, attr::COUNT)?).then_some(sizes)
}

/// What each shard is taken to hold of the `matching` records of a time filter, whose count
/// is kept but not its spread over the shards: the shard's share of them (its `sizes` entry
/// times `matching` over the collection's `count`) plus one standard deviation of a random
/// draw of that share, within the shard's size. Exact when every record matches or none does;
/// otherwise the estimates choose which shards a round reads: a shard holding more than its
/// estimate adds them (it is asked for the page's rest, [`plan_reads`]), and one holding less
/// leaves the page short, costing a further round but no extra reads. A shard that holds
/// records is taken to hold one at least, so that none is passed over on an estimate.
fn estimated_sizes(sizes: &[u64], matching: u64, count: u64) -> Vec<u64> {
    let share = if count == 0 { 1.0 } else { (matching as f64 / count as f64).min(1.0) };
    sizes
        .iter()
        .map(|&size| {
            let mean = size as f64 * share;
            let estimate = (mean + (mean * (1.0 - share)).sqrt()).ceil() as u64;
            estimate.clamp(size.min(1), size)
        })
        .collect()
}

/// One query of a walk's second round: a shard from its start, for at most `limit` items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ShardRead {
    shard: u64,
    limit: usize,
}

/// A walk's second round: its queries, and whether they read every shard left that holds
/// anything (so that, unless an answer stops short, the listing ends with them).
#[derive(Debug, PartialEq, Eq)]
struct Planned {
    reads: Vec<ShardRead>,
    to_end: bool,
}

/// The queries that fill the `need` items left of a page from the shards `from` on, all sent
/// at once. With the shards' `sizes`, only the shards the page reaches, each for what it adds,
/// so no more is read than a shard-by-shard walk reads; a shard wanted whole is asked for one
/// more than it holds, so that DynamoDB ends its answer at the shard's end instead of handing
/// back a key to go on from (one more round for nothing). Without sizes (a collection not
/// measured yet, a time filter), every shard for `need`: reads grow with the shard count, round
/// trips do not. With `estimated` sizes (a time filter's, [`estimated_sizes`]), whose queries
/// end at the shard's matching records whatever their limit, each shard planned is asked for the
/// page's rest: one holding more than its estimate then adds them, instead of cutting its answer
/// short and having the shards read ahead of it read again.
fn plan_reads(sizes: Option<&[u64]>, from: std::ops::Range<u64>, need: usize, estimated: bool) -> Planned {
    let Some(sizes) = sizes else {
        return Planned { reads: from.map(|shard| ShardRead { shard, limit: need }).collect(), to_end: true };
    };
    let mut reads = Vec::new();
    let mut planned = 0;
    for shard in from {
        if planned >= need {
            return Planned { reads, to_end: false };
        }
        let held = sizes.get(usize::try_from(shard).unwrap_or(usize::MAX)).copied().unwrap_or(0);
        let held = usize::try_from(held).unwrap_or(usize::MAX);
        let wanted = held.min(need - planned);
        if wanted == 0 {
            continue;
        }
        let limit = match (estimated, wanted == held) {
            (true, _) => need - planned,
            (false, true) => held.saturating_add(1),
            (false, false) => wanted,
        };
        reads.push(ShardRead { shard, limit });
        planned += wanted;
    }
    Planned { reads, to_end: planned < need }
}

/// Marks per listing at most (the outline stays a small item), and items between marks at least.
const MAX_MARKS: u64 = 8000;
const MIN_EVERY: u64 = 32;

impl Outline {
    pub(crate) fn of(shards: &[Vec<String>]) -> Self {
        let total: u64 = shards.iter().map(|keys| keys.len() as u64).sum();
        let every = total.div_ceil(MAX_MARKS).max(MIN_EVERY);
        let step = usize::try_from(every).unwrap_or(usize::MAX);
        Self {
            sizes: shards.iter().map(|keys| keys.len() as u64).collect(),
            every,
            marks: shards.iter().map(|keys| keys.iter().skip(step - 1).step_by(step).cloned().collect()).collect(),
        }
    }

    /// Where item `offset` of the listing is: its shard, the mark to start after, and how many
    /// items are left to skip from there; `None` past the end.
    fn locate(&self, offset: u64) -> Option<(u64, Option<String>, u64)> {
        let mut left = offset;
        for (shard, size) in self.sizes.iter().enumerate() {
            if left < *size {
                let passed = left / self.every;
                let mark = passed.checked_sub(1).and_then(|i| self.marks.get(shard)?.get(usize::try_from(i).ok()?));
                let (mark, passed) = match mark {
                    Some(mark) => (Some(mark.clone()), passed),
                    None => (None, 0),
                };
                return Some((shard as u64, mark, left - passed * self.every));
            }
            left -= size;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outline_locates_an_offset_from_the_nearest_mark() {
        let shard = |n: usize, p: &str| (0..n).map(|i| format!("{p}{i:04}")).collect::<Vec<_>>();
        let outline = Outline::of(&[shard(100, "a"), Vec::new(), shard(70, "c")]);
        assert_eq!(outline.every, 32);
        assert_eq!(outline.marks[0], ["a0031", "a0063", "a0095"]);
        assert_eq!(outline.locate(0), Some((0, None, 0)));
        assert_eq!(outline.locate(31), Some((0, None, 31)));
        assert_eq!(outline.locate(32), Some((0, Some("a0031".into()), 0)));
        assert_eq!(outline.locate(99), Some((0, Some("a0095".into()), 3)));
        assert_eq!(outline.locate(100), Some((2, None, 0)));
        assert_eq!(outline.locate(165), Some((2, Some("c0063".into()), 1)));
        assert_eq!(outline.locate(170), None);
    }

    type Shards = std::ops::Range<u64>;

    fn read(shard: u64, limit: usize) -> ShardRead {
        ShardRead { shard, limit }
    }

    #[test]
    fn a_second_round_reads_only_the_shards_the_page_reaches() {
        let sizes: [u64; 6] = [0, 3, 0, 5, 2, 40];
        #[rustfmt::skip]
        let cases: [(&str, Shards, usize, Vec<ShardRead>, bool); 10] = [
            ("a small collection: every non-empty shard, whole", 0..6, 100, vec![read(1, 4), read(3, 6), read(4, 3), read(5, 41)], true),
            ("a page that ends inside a shard asks it for what is left", 0..6, 9, vec![read(1, 4), read(3, 6), read(4, 1)], false),
            ("a page that ends at a shard's end reads no further", 0..6, 8, vec![read(1, 4), read(3, 6)], false),
            ("a page that takes the last item", 0..6, 50, vec![read(1, 4), read(3, 6), read(4, 3), read(5, 41)], false),
            ("from a later shard", 4..6, 10, vec![read(4, 3), read(5, 8)], false),
            ("empty shards are not read", 0..3, 10, vec![read(1, 4)], true),
            ("nothing left to read", 0..1, 10, vec![], true),
            ("nothing needed", 0..6, 0, vec![], false),
            ("a page of one", 0..6, 1, vec![read(1, 1)], false),
            ("past the known shards: nothing", 6..16, 10, vec![], true),
        ];
        for (name, from, need, reads, to_end) in cases {
            assert_eq!(plan_reads(Some(&sizes), from, need, false), Planned { reads, to_end }, "{name}");
        }
    }

    #[test]
    fn a_time_filters_shards_are_asked_for_the_pages_rest_beyond_their_estimates() {
        let estimates: [u64; 4] = [3, 0, 5, 2];
        let reads = vec![read(0, 100), read(2, 97), read(3, 92)];
        assert_eq!(plan_reads(Some(&estimates), 0..4, 100, true), Planned { reads, to_end: true });
        let reads = vec![read(0, 6), read(2, 3)];
        assert_eq!(plan_reads(Some(&estimates), 0..4, 6, true), Planned { reads, to_end: false }, "the same shards");
    }

    #[test]
    fn a_second_round_reads_no_more_than_the_page_needs_from_known_shards() {
        let sizes: Vec<u64> = (0..16).map(|shard| (shard * 7) % 11).collect();
        for need in [1, 5, 17, 60, 500] {
            for from in 0..16 {
                let Planned { reads, to_end } = plan_reads(Some(&sizes), from..16, need, false);
                let wanted: u64 = reads.iter().map(|r| (r.limit as u64).min(sizes[r.shard as usize])).sum();
                let there: u64 = sizes[from as usize..].iter().sum();
                assert_eq!(wanted, there.min(need as u64), "need {need} from {from}");
                assert_eq!(to_end, there < need as u64, "need {need} from {from}");
                assert!(reads.windows(2).all(|w| w[0].shard < w[1].shard), "in shard order: {reads:?}");
                assert!(reads.iter().all(|r| r.shard >= from && r.limit > 0), "{reads:?}");
            }
        }
    }

    #[test]
    fn without_sizes_every_later_shard_is_read_at_once_for_the_page() {
        let reads = vec![read(13, 25), read(14, 25), read(15, 25)];
        assert_eq!(plan_reads(None, 13..16, 25, false), Planned { reads, to_end: true });
        assert_eq!(plan_reads(None, 16..16, 25, true), Planned { reads: vec![], to_end: true });
    }

    #[test]
    fn a_time_filter_takes_each_shard_to_hold_its_share_of_what_matches() {
        let sizes = [100, 0, 40, 1];
        #[rustfmt::skip]
        let cases: [(&str, u64, u64, [u64; 4]); 5] = [
            ("every record matches: the sizes", 141, 141, [100, 0, 40, 1]),
            ("none does: one where there are records", 0, 141, [1, 0, 1, 1]),
            ("half: the share and a deviation", 70, 141, [55, 0, 24, 1]),
            ("a count behind the times: the sizes", 150, 141, [100, 0, 40, 1]),
            ("no count", 5, 0, [100, 0, 40, 1]),
        ];
        for (name, matching, count, expected) in cases {
            assert_eq!(estimated_sizes(&sizes, matching, count), expected, "{name}");
        }
    }

    fn stats(attributes: &[(&str, &str)]) -> Item {
        attributes.iter().map(|(name, n)| ((*name).to_owned(), AttributeValue::N((*n).to_owned()))).collect()
    }

    #[test]
    fn shard_sizes_are_trusted_only_from_a_measure_and_while_they_add_up() {
        let outline = (attr::OUTLINE, "0");
        #[rustfmt::skip]
        let cases: [(&str, Item, Option<Vec<u64>>); 6] = [
            ("measured", stats(&[outline, ("n", "5"), ("z0", "2"), ("z1", "0"), ("z2", "3")]), Some(vec![2, 0, 3])),
            ("an absent shard holds none", stats(&[outline, ("n", "5"), ("z0", "2"), ("z2", "3")]), Some(vec![2, 0, 3])),
            ("a write since, counted in both", stats(&[outline, ("n", "6"), ("z0", "3"), ("z2", "3")]), Some(vec![3, 0, 3])),
            ("sizes that do not add up", stats(&[outline, ("n", "7"), ("z0", "2"), ("z2", "3")]), None),
            ("counts no measure wrote", stats(&[("n", "1"), ("z2", "1")]), None),
            ("no count", stats(&[outline, ("z2", "1")]), None),
        ];
        for (name, item, expected) in cases {
            let mut item = item;
            if item.contains_key(attr::OUTLINE) {
                item.insert(attr::OUTLINE.to_owned(), AttributeValue::S("{}".to_owned()));
            }
            assert_eq!(kept_sizes(&item, 3), expected, "{name}");
        }
    }

    #[test]
    fn an_outline_is_exact_only_while_the_count_is_the_one_it_measured() {
        let outline = Outline::of(&[vec!["a".to_owned(), "b".to_owned()], vec!["c".to_owned()]]);
        let item = |n: &str| {
            let mut item = stats(&[("n", n)]);
            item.insert(attr::OUTLINE.to_owned(), AttributeValue::S(serde_json::to_string(&outline).expect("json")));
            item
        };
        assert_eq!(exact_outline(&item("3")), Some(outline.clone()));
        assert_eq!(exact_outline(&item("4")), None, "a record created through the API since");
        assert_eq!(exact_outline(&stats(&[("n", "3")])), None, "never measured");
    }
}

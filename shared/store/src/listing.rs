//! The listings the REST binding reads in O(page): a collection, a typed view, the records of a
//! collection changed since a time, and the children of one parent in a relation. Each is a
//! walk over a fixed set of partitions (shards) in a fixed order, resumable from a [`Cursor`],
//! and each can be counted without reading the records it lists. What a listing is lives here;
//! how a page of one is read, skipped into and counted, in the store's `walk` module.

use crate::attr;
use crate::batch::Item;
use crate::keys::{
    modified_after, modified_sort_key, record_key, record_partition, relation_partition, relation_shards, shard_of,
    view_partition, Key, RECORD_SHARDS,
};
use crate::StoredRecord;
use crate::Tenant;
use aws_sdk_dynamodb::types::AttributeValue;
use oneroster_model::ids::check_sourced_id;
use oneroster_model::{Collection, Relation, Timestamp, View};

/// The record bodies one page holds at most, in bytes: a page stops at `limit` records or at the
/// first DynamoDB answer (at most 1 MB) that takes it past this, whichever comes first, so that
/// reading a page of large records (a gradebook's 300 KB line items) holds some MB, not `limit`
/// times their size. Well above what one API answer carries (under 6 MB, however few `fields`
/// it keeps of 10,000 users). A page cut short says where to go on, as any.
pub const PAGE_BYTES: usize = 16_000_000;

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
    /// The `active` records of a collection, view or time listing (`filter=status='active'`,
    /// what Microsoft SDS sends): DynamoDB drops the others before they leave the table, the
    /// walk goes on until the page is full, and collections and views keep their active count.
    /// Relations are not wrapped (their entries carry no status; they are read whole).
    Active(Box<Listing>),
}

/// Where a listing stopped: the shard and the last sort key returned. Opaque to API clients.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cursor {
    pub(crate) shard: u64,
    pub(crate) after: Option<String>,
}

impl Cursor {
    /// The start of a listing.
    pub fn start() -> Self {
        Self::default()
    }

    /// The child id the cursor stands after (an entry's sort key may name the linking record
    /// too: `{child}#{via}`).
    pub(crate) fn child(&self) -> Option<&str> {
        self.after.as_deref().map(Key::entry_child)
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
    /// The listing's kept count, when the walk read it (a collection's or view's stats item
    /// also says where its records are): a first page then needs no count of its own.
    pub total: Option<u64>,
}

/// A `dateLastModified` filter on a collection, all records or only the active ones.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimeFilter {
    pub(crate) collection: Collection,
    pub(crate) since: Timestamp,
    pub(crate) inclusive: bool,
    pub(crate) active_only: bool,
}

/// One partition (or index partition) of a listing, as a `Query` reads it.
pub(crate) struct Partition {
    pub(crate) index: Option<&'static str>,
    pub(crate) key_attribute: &'static str,
    pub(crate) key: String,
    pub(crate) sort_attribute: &'static str,
    /// Sort keys strictly greater than this (the `by_modified` bound).
    pub(crate) after_bound: Option<String>,
    /// Only items whose status is `active`.
    pub(crate) active_only: bool,
    /// Leave out the tombstones of records deleted through the API ([`StoredRecord::gone`]).
    pub(crate) hide_gone: bool,
}

impl Listing {
    pub(crate) fn shards(&self) -> u64 {
        match self {
            Listing::Related { relation, .. } => relation_shards(*relation),
            Listing::Active(inner) => inner.shards(),
            _ => RECORD_SHARDS,
        }
    }

    /// Where a walk resumes right after `record`, one that this listing returned: for a page
    /// cut short (a body that would pass the payload limit).
    pub fn cursor_after(&self, record: &StoredRecord) -> Cursor {
        let id = record.id.clone();
        match self {
            Listing::Collection(_) | Listing::View(_) => {
                Cursor { shard: shard_of(&id, RECORD_SHARDS), after: Some(id) }
            }
            Listing::ModifiedSince { .. } => Cursor {
                shard: shard_of(&id, RECORD_SHARDS),
                after: Some(modified_sort_key(&record.modified.to_string(), &id)),
            },
            // Entries of a child sort as `{child}` or `{child}#{via}`: resuming after `{child}`
            // passes over the child's other entries, which the walk skips as repeats.
            Listing::Related { .. } => Cursor { shard: shard_of(&id, self.shards()), after: Some(id) },
            Listing::Active(inner) => inner.cursor_after(record),
        }
    }

    /// The time filter this listing is (with or without a status filter), counted from the
    /// collection's kept times rather than its kept count.
    pub(crate) fn time_filter(&self) -> Option<TimeFilter> {
        match self {
            Listing::ModifiedSince { collection, since, inclusive } => {
                Some(TimeFilter { collection: *collection, since: *since, inclusive: *inclusive, active_only: false })
            }
            Listing::Active(inner) => match **inner {
                Listing::ModifiedSince { .. } => Some(TimeFilter { active_only: true, ..inner.time_filter()? }),
                _ => None,
            },
            _ => None,
        }
    }

    /// The collection whose records the listing lists (a relation's children's).
    pub fn collection(&self) -> Collection {
        match self {
            Listing::Collection(collection) | Listing::ModifiedSince { collection, .. } => *collection,
            Listing::View(view) => view.collection(),
            Listing::Related { relation, .. } => relation.child(),
            Listing::Active(inner) => inner.collection(),
        }
    }

    /// Whether `cursor` is one this listing can resume from: a shard it has, after a sort key
    /// of the shape its items have (a sourcedId, `{child}#{via}`, `{time}#{sourcedId}` past the
    /// time bound). A cursor comes back from a client, so anything else (forged, or another
    /// listing's) is refused here rather than reaching DynamoDB as a start key.
    pub fn admits(&self, cursor: &Cursor) -> bool {
        if cursor.shard >= self.shards() {
            return false;
        }
        let Some(after) = cursor.after.as_deref() else { return true };
        let id = |text: &str| check_sourced_id(text).is_ok();
        match self {
            Listing::Active(inner) => inner.admits(cursor),
            Listing::Collection(_) | Listing::View(_) => id(after),
            Listing::Related { .. } => match after.split_once('#') {
                Some((child, via)) => id(child) && id(via),
                None => id(after),
            },
            Listing::ModifiedSince { since, inclusive, .. } => {
                let bound = if *inclusive { since.to_string() } else { modified_after(&since.to_string()) };
                after.split_once('#').is_some_and(|(time, child)| Timestamp::parse(time).is_ok() && id(child))
                    && after > bound.as_str()
            }
        }
    }

    pub(crate) fn partition(&self, tenant: &Tenant, shard: u64) -> Partition {
        let base = |key| Partition {
            index: None,
            key_attribute: attr::PK,
            key,
            sort_attribute: attr::SK,
            after_bound: None,
            active_only: false,
            hide_gone: false,
        };
        match self {
            Listing::Active(inner) => Partition { active_only: true, ..inner.partition(tenant, shard) },
            Listing::Collection(collection) => {
                Partition { hide_gone: true, ..base(record_partition(tenant, *collection, shard)) }
            }
            Listing::Related { relation, parent } => base(relation_partition(tenant, *relation, parent, shard)),
            Listing::View(view) => Partition {
                index: Some("by_view"),
                key_attribute: attr::VIEW_KEY,
                key: view_partition(tenant, *view, shard),
                sort_attribute: attr::SK,
                after_bound: None,
                active_only: false,
                hide_gone: false,
            },
            Listing::ModifiedSince { collection, since, inclusive } => Partition {
                index: Some("by_modified"),
                key_attribute: attr::PK,
                key: record_partition(tenant, *collection, shard),
                sort_attribute: attr::MODIFIED_KEY,
                after_bound: Some(if *inclusive { since.to_string() } else { modified_after(&since.to_string()) }),
                active_only: false,
                hide_gone: false,
            },
        }
    }

    /// The `ExclusiveStartKey` after the item whose listing sort key is `after`: index queries
    /// need the table's key as well as the index's.
    pub(crate) fn start_key(&self, tenant: &Tenant, partition: &Partition, after: &str) -> Item {
        let text = |v: &str| AttributeValue::S(v.to_owned());
        let in_partition = |sk: &str| Key { pk: partition.key.clone(), sk: sk.to_owned() }.into_item();
        match self {
            Listing::Active(inner) => inner.start_key(tenant, partition, after),
            Listing::Collection(_) | Listing::Related { .. } => in_partition(after),
            Listing::View(view) => {
                let mut key = record_key(tenant, view.collection(), after).into_item();
                key.insert(attr::VIEW_KEY.to_owned(), text(&partition.key));
                key
            }
            Listing::ModifiedSince { .. } => {
                let mut key = in_partition(after.split_once('#').map_or(after, |(_, id)| id));
                key.insert(attr::MODIFIED_KEY.to_owned(), text(after));
                key
            }
        }
    }

    pub(crate) fn repeats_children(&self) -> bool {
        matches!(self, Listing::Related { relation, .. } if relation.may_repeat_children())
    }
}

impl Partition {
    pub(crate) fn condition(&self) -> &'static str {
        match (self.key_attribute, self.after_bound.is_some()) {
            (attr::VIEW_KEY, _) => "vpk = :pk",
            (_, true) => "pk = :pk AND #sort > :bound",
            _ => "pk = :pk",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_is_admitted_only_with_a_sort_key_of_its_listing() {
        let at = |shard, after: &str| Cursor { shard, after: Some(after.to_owned()) };
        let users = Listing::Collection(Collection::Users);
        assert!(users.admits(&Cursor::start()) && users.admits(&at(15, "usr/001@lu")));
        for bad in [at(16, "u-1"), at(0, &"u".repeat(300)), at(0, "u#1"), at(0, "")] {
            assert!(!users.admits(&bad), "{bad:?}");
        }
        let related = Listing::Related { relation: Relation::ClassStudents, parent: "k-1".into() };
        assert!(related.admits(&at(0, "u-1#e-1")) && !related.admits(&at(0, "u-1#e 1")));
        let since = Timestamp::parse("2026-01-15T00:00:00.000Z").expect("a time");
        let changed = Listing::ModifiedSince { collection: Collection::Users, since, inclusive: false };
        assert!(changed.admits(&at(3, "2026-01-16T00:00:00.000Z#u-1")));
        for bad in ["2026-01-15T00:00:00.000Z#u-1", "2025-01-01T00:00:00.000Z#u-1", "yesterday#u-1", "u-1"] {
            assert!(!changed.admits(&at(3, bad)), "{bad}");
        }
        assert!(Listing::Active(Box::new(changed)).admits(&at(3, "2026-01-16T00:00:00.000Z#u-1")));
    }
}

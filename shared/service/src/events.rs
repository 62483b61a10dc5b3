//! The change events feed as a client is served it (and, by [`visible`], what its webhooks are
//! sent): a page of the tenant's stored events
//! (`oneroster_store::TenantEvents::page`) with what the client may not see taken out, by the
//! district's sharing rules for it: events of collections it may not reach (or did not ask
//! for) are left out, and so are events of records outside its schools (read in one batch per
//! collection per page, as listings are: a record removed for good or erased, whose schools
//! can no longer be told, is not shown to a client limited to schools); hidden field names are
//! absent from `changed`, and an update of hidden fields alone is left out. A page whose events are mostly left out reads the store again, a
//! bounded number of times; the cursor then moves past what was read, so a page may hold fewer
//! events than asked for while more follow.

use crate::schools::Schools;
use crate::ServiceError;
use oneroster_model::{Collection, Sharing, Timestamp};
use oneroster_store::{ChangeEvent, EventAction, EventPosition, TenantStore};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Store pages one request reads at most while its events are left out.
const MAX_READS: usize = 4;

/// What a client asks of the feed, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRequest {
    /// Read after this place (`None`: from the oldest event kept).
    pub after: Option<EventPosition>,
    /// At most this many events.
    pub limit: usize,
    /// Only these collections (`None`: all it may reach).
    pub collections: Option<BTreeSet<Collection>>,
}

/// A page of the feed as served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPage {
    /// The events the client may see.
    pub events: Vec<ChangeEvent>,
    /// Where the next page starts.
    pub next: EventPosition,
}

/// The page of the feed `request` asks for, as a client shared as `sharing` sees it, of events
/// stored before `until` (the settle horizon).
pub async fn page(
    store: TenantStore<'_>,
    sharing: &Sharing,
    request: &FeedRequest,
    until: Timestamp,
) -> Result<FeedPage, ServiceError> {
    let mut served = Vec::new();
    let mut after = request.after.clone();
    for _ in 0..MAX_READS {
        let read = store.events().page(after.as_ref(), until, request.limit).await?;
        let full = read.events.len() == request.limit;
        for (position, event) in visible(store, sharing, request.collections.as_ref(), read.events).await? {
            served.push(event);
            if served.len() == request.limit {
                return Ok(FeedPage { events: served, next: position });
            }
        }
        after = Some(read.next.clone());
        if !full {
            break;
        }
    }
    Ok(FeedPage { events: served, next: after.unwrap_or_else(|| EventPosition::before(until)) })
}

/// The events of `events` (each with what the caller keeps beside it: a feed position, or
/// nothing) that a client shared as `sharing` may see, of `collections` only (`None`: every
/// collection it reaches), in their order, hidden field names taken out of `changed`: what the
/// feed serves it and what its webhooks are sent.
pub async fn visible<P>(
    store: TenantStore<'_>,
    sharing: &Sharing,
    collections: Option<&BTreeSet<Collection>>,
    events: Vec<(P, ChangeEvent)>,
) -> Result<Vec<(P, ChangeEvent)>, ServiceError> {
    let candidates: Vec<(P, ChangeEvent, Collection)> = events
        .into_iter()
        .filter_map(|(position, event)| {
            let collection = Collection::from_name(&event.collection)?;
            let asked = collections.is_none_or(|asked| asked.contains(&collection));
            (asked && sharing.reaches(collection)).then_some((position, event, collection))
        })
        .collect();
    let seen = seen(store, sharing, &candidates).await?;
    let mut shown = Vec::with_capacity(candidates.len());
    for (position, mut event, collection) in candidates {
        if !seen.as_ref().is_none_or(|seen| seen.contains(&(collection, event.sourced_id.clone()))) {
            continue;
        }
        event.changed.retain(|name| !sharing.hides(name));
        // An update of hidden fields alone would tell that they changed.
        if event.action == EventAction::Updated && event.changed.is_empty() {
            continue;
        }
        shown.push((position, event));
    }
    Ok(shown)
}

/// The records of `events` the client sees, when it is limited to schools (`None`: it sees
/// every record): their current records read in one batch per collection.
async fn seen<P>(
    store: TenantStore<'_>,
    sharing: &Sharing,
    events: &[(P, ChangeEvent, Collection)],
) -> Result<Option<HashSet<(Collection, String)>>, ServiceError> {
    let Some(schools) = sharing.schools.as_ref() else { return Ok(None) };
    let mut ids: BTreeMap<Collection, BTreeSet<String>> = BTreeMap::new();
    for (_, event, collection) in events {
        ids.entry(*collection).or_default().insert(event.sourced_id.clone());
    }
    let mut seen = HashSet::new();
    for (collection, ids) in ids {
        let ids: Vec<String> = ids.into_iter().collect();
        let records = store.records().get_many(collection, &ids).await?;
        let sees = Schools(schools).see(store, collection, &records).await?;
        seen.extend(
            records.iter().zip(sees).filter(|(_, sees)| *sees).map(|(record, _)| (collection, record.id.clone())),
        );
    }
    Ok(Some(seen))
}

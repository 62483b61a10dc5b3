//! Reading lists and records from the store with the REST binding's query semantics: which
//! store walk answers a request ([`plan`]), the walk itself, and the parent rules of nested
//! routes ([`Reader::list_route`]). The answer is records, a total and a next cursor
//! ([`Listed`]); rendering them is the front end's.
//!
//! # What a list request costs
//! - **Paged** (O(`limit`) reads): no `sort`, and no `filter` or only `dateLastModified>'…'` /
//!   `>=`, `status='active'`, or both joined by `AND`, on a collection (`status='active'` also on
//!   a typed view). The store walks the listing from the `Link` `next` cursor (or skips
//!   `offset` keys when the caller jumps), and the total comes from the kept count or a
//!   `Select=COUNT` query.
//! - **Looked up** (O(result) reads): `email`, `username` or `identifier` `='…'` on users,
//!   students or teachers, alone or in an `AND` chain: the store's lookup entries name the
//!   matching users, and the rest of the filter is applied to them. `date='…'` on attendance
//!   alone pages that day's index (O(`limit`): a district marks every student every day);
//!   in an `AND` chain, the day's marks are read and the rest of the filter applied to them.
//! - **Scanned** (reads the whole listing): any other filter or a sort. The answer is the same,
//!   only slower for big listings; an `AND` chain holding `dateLastModified>` scans only the
//!   records changed since then.
//!
//! # Memory
//! A scan streams: it filters each store page as it arrives and keeps only the answer's page
//! and a count. A sort keeps only the first `offset + limit` places ([`Window`]: each record's
//! sort value and sourcedId), then reads the page's records again by sourcedId; so `offset` is
//! bounded with `sort` ([`oneroster_query::MAX_SORTED_OFFSET`]). A page keeps records only
//! while their bodies fit [`MAX_BODY_BYTES`]; a front end that cuts the page shorter still
//! (its rendering is larger) says so through [`Listed::cut`], which moves the next cursor.

use crate::routes::{Parent, Read, Write};
use crate::schools::Schools;
use crate::ServiceError;
use oneroster_model::{lookup_key, Collection, Relation, SourcedId, Status, Timestamp, View};
use oneroster_query::{Join, ListParams, Op, Predicate, QueryError, Window};
use oneroster_store::{Cursor, Listing, Page, Store, StoredRecord, Tenant, TenantStore};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// Records read per store call while scanning a listing.
const SCAN_PAGE: usize = 1000;

/// The largest list body sent, in bytes as the Lambda response event carries it (each `"` and
/// `\` escaped): Lambda's synchronous response limit is 6 MB (6,291,456 bytes) for the whole
/// event, headers and `Link` included, so this leaves them room. A scan keeps no more record
/// bodies than this for one page.
pub const MAX_BODY_BYTES: usize = 5_800_000;

/// What a list endpoint lists: a store listing, optionally narrowed to one typed view (the
/// grading periods among a term's child sessions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    /// The listing.
    pub listing: Listing,
    /// Only records of this view.
    pub only_view: Option<View>,
}

impl From<Listing> for ListRequest {
    fn from(listing: Listing) -> Self {
        Self { listing, only_view: None }
    }
}

impl ListRequest {
    /// Refuses a `cursor` that is not one this service issued for the listing the request reads
    /// (as planned: a time filter lists from its index): checked before anything is read.
    pub fn check_cursor(&self, params: &ListParams) -> Result<(), ServiceError> {
        let Some(text) = &params.cursor else { return Ok(()) };
        let (Plan::Paged(listing) | Plan::Scan(listing, _)) = plan(self, params);
        decode_cursor(text, &listing)?;
        Ok(())
    }
}

/// How a list request is answered: see the module's costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Page by page from the store.
    Paged(Listing),
    /// Read the listing (only records of the view, when given), then filter and sort in memory.
    Scan(Listing, Option<View>),
}

/// The `dateLastModified>` (or `>=`) predicate of a filter, as a store listing bound.
fn modified_since(collection: Collection, predicate: &Predicate) -> Option<Listing> {
    let inclusive = match predicate.op {
        Op::Gt => false,
        Op::Ge => true,
        _ => return None,
    };
    (predicate.field == "dateLastModified").then(|| predicate.instant()).flatten().map(|since| Listing::ModifiedSince {
        collection,
        since: Timestamp(since),
        inclusive,
    })
}

fn is_active_status(predicate: &Predicate) -> bool {
    predicate.field == "status" && predicate.op == Op::Eq && predicate.value == Status::Active.as_str()
}

/// The lookup listing of a predicate on an indexed field of `collection` (a users'
/// `email='…'`, `username`, `identifier`; an attendance mark's `date`).
fn lookup(collection: Collection, predicate: &Predicate) -> Option<Listing> {
    let relation = Relation::lookup(collection, &predicate.field).filter(|_| predicate.op == Op::Eq)?;
    Some(Listing::Related { relation, parent: lookup_key(&predicate.value).to_string() })
}

/// Which store walk answers `request` with `params`: paged where the store can page the filter
/// itself, else a scan of the narrowest listing that holds every match.
pub fn plan(request: &ListRequest, params: &ListParams) -> Plan {
    let listing = request.listing.clone();
    let scan = Plan::Scan(listing.clone(), request.only_view);
    let Some(filter) = &params.filter else {
        return if request.only_view.is_some() || params.order.is_some() { scan } else { Plan::Paged(listing) };
    };
    if filter.join != Join::And && filter.predicates.len() > 1 {
        return scan;
    }
    let (collection, view) = match listing {
        Listing::Collection(collection) => (collection, None),
        Listing::View(view) => (view.collection(), Some(view)),
        _ => return scan,
    };
    if let Some(found) = filter.predicates.iter().find_map(|p| lookup(collection, p)) {
        // One predicate alone is the whole filter: its index pages (one user, or one day's
        // marks of a whole district); with others, its entries are read and filtered.
        let alone = filter.predicates.len() == 1 && params.order.is_none() && view.is_none();
        return if alone { Plan::Paged(found) } else { Plan::Scan(found, view) };
    }
    let times: Vec<Listing> = filter.predicates.iter().filter_map(|p| modified_since(collection, p)).collect();
    let actives = filter.predicates.iter().filter(|p| is_active_status(p)).count();
    let active = actives > 0;
    let understood = params.order.is_none() && times.len() <= 1 && times.len() + actives == filter.predicates.len();
    match (times.into_iter().next(), view) {
        // What the store pages by itself: `dateLastModified>` on a collection, `status='active'`
        // on a collection or view, and the two together on a collection.
        (Some(since), None) if understood => Plan::Paged(if active { Listing::Active(Box::new(since)) } else { since }),
        (None, _) if understood => Plan::Paged(Listing::Active(Box::new(listing))),
        // Otherwise the records changed since, or the whole listing, filtered in memory.
        (Some(since), view) => Plan::Scan(since, view),
        (None, _) => scan,
    }
}

/// The `cursor` of a `Link` `next`: the store's cursor and the total counted on the walk's
/// first page, so that following pages neither count again nor change the total midway.
fn encode_cursor(total: u64, cursor: &Cursor) -> String {
    format!("{total}~{}", cursor.encode())
}

/// Reads a `cursor` back, if it is one `listing` can resume from (a client may send anything).
fn decode_cursor(text: &str, listing: &Listing) -> Result<(u64, Cursor), QueryError> {
    text.split_once('~')
        .and_then(|(total, cursor)| Some((total.parse().ok()?, Cursor::decode(cursor)?)))
        .filter(|(_, cursor)| listing.admits(cursor))
        .ok_or_else(|| QueryError::Parameter {
            name: "cursor",
            reason: "it is not one this service issued for this listing (take it from a Link header)".into(),
        })
}

/// A list page as read: its records in order, how many match in all, where the next page
/// starts, and how many places the page spans.
#[derive(Debug)]
pub struct Listed {
    /// The page's records, in the listing's (or the sort's) order.
    pub records: Vec<StoredRecord>,
    /// How many records the whole listing holds under the filter.
    pub total: u64,
    /// The cursor of the next page (a paged walk that did not end), for `Link` `next`.
    pub next_cursor: Option<String>,
    /// The places the page spans, where they can differ from the records it holds (a sorted
    /// page leaves out a record that changed meanwhile); 0 when they cannot.
    spanned: usize,
    /// How a shorter page resumes.
    resume: Resume,
}

/// How a page cut short resumes: after its last record (paged), or after its last place
/// (scanned).
#[derive(Debug)]
enum Resume {
    /// The walk the page came from.
    Paged(Listing),
    /// Each record's place, counted from `offset`.
    Scanned(Vec<usize>),
}

impl Listed {
    /// How many places the page covers, for the `offset` of `Link` `next`: at least its records.
    pub fn returned(&self) -> usize {
        self.spanned.max(self.records.len())
    }

    /// Keeps only the first `kept` records (at least one, when any: paging always moves on), for
    /// a front end whose rendering of the whole page would be too large; the next page then
    /// resumes right after the last record kept, so nothing is skipped or shown twice.
    pub fn cut(&mut self, kept: usize) {
        let kept = kept.max(1);
        if kept >= self.records.len() {
            return;
        }
        self.records.truncate(kept);
        match &self.resume {
            Resume::Paged(listing) => {
                let last = &self.records[kept - 1];
                self.next_cursor = Some(encode_cursor(self.total, &listing.cursor_after(last)));
            }
            Resume::Scanned(places) => self.spanned = places.get(kept - 1).map_or(0, |place| place + 1),
        }
    }
}

/// How an API version reads a stored record's fields when it filters or sorts: what it serves
/// but the store does not hold (1.2's `href`s) put into the record first.
#[derive(Clone, Copy)]
pub struct AsServed<'a>(pub &'a (dyn Fn(&mut Value) + Sync));

impl std::fmt::Debug for AsServed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AsServed")
    }
}

/// Reads for one tenant: lists (planned, paged or scanned) and single records.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    store: TenantStore<'a>,
    served: Option<AsServed<'a>>,
    /// The schools a client is limited to (`None`: every school).
    schools: Option<Schools<'a>>,
}

impl<'a> Reader<'a> {
    /// Reads `tenant`'s records through `store` (one per request: it caches pack heads).
    pub fn new(store: &'a Store, tenant: &'a Tenant) -> Self {
        Self { store: store.tenant(tenant), served: None, schools: None }
    }

    /// The same, seeing only the records of `schools` (a client limited to them; see
    /// [`crate::schools`]): anything else is not found, and lists count only what it sees.
    pub fn limited_to(self, schools: Option<&'a BTreeSet<SourcedId>>) -> Self {
        Self { schools: schools.map(Schools), ..self }
    }

    /// The same, filtering and sorting on records as `served` makes them.
    pub fn serving(self, served: AsServed<'a>) -> Self {
        Self { served: Some(served), ..self }
    }

    /// A record that must exist (in `view`, when given), else [`ServiceError::NotFound`] naming
    /// `what`: a single-record read, or a parent checked.
    pub async fn get(
        &self,
        collection: Collection,
        view: Option<View>,
        id: &str,
        what: &str,
    ) -> Result<StoredRecord, ServiceError> {
        let not_found = || ServiceError::NotFound { what: what.to_owned(), id: id.to_owned() };
        let record = self.store.records().get(collection, id).await?;
        let record = record.filter(|r| !r.gone && view.is_none_or(|v| r.view == Some(v))).ok_or_else(not_found)?;
        match self.schools {
            Some(schools)
                if Box::pin(schools.see(self.store, collection, std::slice::from_ref(&record))).await? != [true] =>
            {
                Err(not_found())
            }
            _ => Ok(record),
        }
    }

    /// A parent record that must exist, else not found under its name.
    async fn parent(&self, parent: Parent, id: &str) -> Result<StoredRecord, ServiceError> {
        self.get(parent.collection, parent.view, id, parent.name).await
    }

    /// Lists a list route: checks the parents the route names where the listing cannot tell
    /// (not found), and lists `request` (what `read.list_request(ids)` gave, its cursor checked).
    pub async fn list_route(
        &self,
        read: Read,
        ids: &[String],
        request: &ListRequest,
        params: &ListParams,
    ) -> Result<Listed, ServiceError> {
        let id = |i: usize| ids.get(i).map(String::as_str).unwrap_or_default();
        match read {
            Read::Related(relation, parent, _) => {
                if let Some(wanted) = parent.view {
                    // The parent's pack head names its view; the parent is read only without a
                    // pack or when the head names another view (to tell which answer is right).
                    if self.schools.is_some() || self.store.lists().parent_view(relation, id(0)).await? != Some(wanted)
                    {
                        self.parent(parent, id(0)).await?;
                    }
                    return self.list_under(relation, request, params).await;
                }
                if self.schools.is_some() {
                    // A limited client's parent must be one it sees, listed or not.
                    self.parent(parent, id(0)).await?;
                    return self.list_under(relation, request, params).await;
                }
                // Entries exist only under parents that exist (references are checked at ingest
                // and records are never removed), so the parent is read only when nothing is
                // listed, to tell an empty list from an unknown parent.
                let listed = self.list(request, params).await?;
                if listed.records.is_empty() {
                    self.parent(parent, id(0)).await?;
                }
                Ok(listed)
            }
            Read::Nested(relation, outer, inner, field) => {
                self.parent(outer, id(0)).await?;
                let record = self.parent(inner, id(1)).await?;
                let body: Value = serde_json::from_str(&record.body)?;
                if body[field]["sourcedId"] != id(0) {
                    return Err(ServiceError::NotFound {
                        what: format!("{} of {} '{}'", inner.name, outer.name, id(0)),
                        id: id(1).to_owned(),
                    });
                }
                self.list_under(relation, request, params).await
            }
            Read::Pair(relation, first, second) => {
                if self.schools.is_some() {
                    for (parent, id) in [(first, id(0)), (second, id(1))] {
                        self.parent(parent, id).await?;
                    }
                    return self.list_under(relation, request, params).await;
                }
                let listed = self.list(request, params).await?;
                if listed.records.is_empty() {
                    for (parent, id) in [(first, id(0)), (second, id(1))] {
                        self.parent(parent, id).await?;
                    }
                }
                Ok(listed)
            }
            Read::All(_) | Read::AllOf(_) | Read::One(..) => self.list(request, params).await,
        }
    }

    /// Lists the children under `relation` of a parent the caller sees: as they are when the
    /// parent vouches for them ([`Schools::parent_vouches`]), else checked one by one.
    async fn list_under(
        &self,
        relation: Relation,
        request: &ListRequest,
        params: &ListParams,
    ) -> Result<Listed, ServiceError> {
        if Schools::parent_vouches(relation) {
            Reader { schools: None, ..*self }.list(request, params).await
        } else {
            self.list(request, params).await
        }
    }

    /// Lists `request` with its parsed parameters, as [`plan`] says: a page of records, the
    /// total and the next cursor. A client limited to schools reads a listing under one of
    /// its schools as it is (O(page); see [`Schools::narrow`]), else scans what the plan would
    /// read, keeping what it sees.
    pub async fn list(&self, request: &ListRequest, params: &ListParams) -> Result<Listed, ServiceError> {
        if let Some(schools) = self.schools {
            if schools.vouch_for(&request.listing) {
                return self.planned(request, params).await;
            }
            let (listing, view) = match plan(request, params) {
                Plan::Paged(listing) => (listing, None),
                Plan::Scan(listing, view) => (listing, view),
            };
            let scanned = self.scan(&listing, view, params).await?;
            return Ok(Listed {
                records: scanned.page,
                total: scanned.total,
                next_cursor: None,
                spanned: scanned.spanned,
                resume: Resume::Scanned(scanned.places),
            });
        }
        self.planned(request, params).await
    }

    /// Lists `request` as [`plan`] says.
    async fn planned(&self, request: &ListRequest, params: &ListParams) -> Result<Listed, ServiceError> {
        Ok(match plan(request, params) {
            Plan::Paged(listing) => {
                let (records, total, next_cursor) = self.paged(&listing, params).await?;
                Listed { records, total, next_cursor, spanned: 0, resume: Resume::Paged(listing) }
            }
            Plan::Scan(listing, view) => {
                let scanned = self.scan(&listing, view, params).await?;
                Listed {
                    records: scanned.page,
                    total: scanned.total,
                    next_cursor: None,
                    spanned: scanned.spanned,
                    resume: Resume::Scanned(scanned.places),
                }
            }
        })
    }

    /// One page from the store. The total is counted only when nobody knows it yet: not when the
    /// cursor carries it, and not when a first page holds the whole listing.
    async fn paged(
        &self,
        listing: &Listing,
        params: &ListParams,
    ) -> Result<(Vec<StoredRecord>, u64, Option<String>), ServiceError> {
        let lists = self.store.lists();
        let page_from = |start: Option<Cursor>| async move {
            match start {
                Some(cursor) => lists.page(listing, params.limit, cursor).await,
                None => Ok(Page { records: Vec::new(), next: None, total: None }),
            }
        };
        let cursor = params.cursor.as_deref().map(|text| decode_cursor(text, listing)).transpose()?;
        let (Page { records, next, .. }, total) = match cursor {
            Some((total, cursor)) => (page_from(Some(cursor)).await?, total),
            None if params.offset == 0 => {
                let page = page_from(Some(Cursor::start())).await?;
                // The walk may have read the kept count on its way.
                let total = match (&page.next, page.total) {
                    (None, _) => page.records.len() as u64,
                    (Some(_), Some(total)) => total,
                    (Some(_), None) => lists.count(listing).await?,
                };
                (page, total)
            }
            None => {
                let page = async { page_from(lists.skip(listing, params.offset).await?).await };
                tokio::try_join!(page, lists.count(listing))?
            }
        };
        let next = next.map(|cursor| encode_cursor(total, &cursor));
        Ok((records, total, next))
    }

    /// Reads a whole listing (only records of `only_view`, when given), filtering each store page
    /// as it arrives; returns the answer's page and how many records match. Holds one store page,
    /// the answer's page, and with a sort the ranks of its first places (see the module's docs).
    async fn scan(
        &self,
        listing: &Listing,
        only_view: Option<View>,
        params: &ListParams,
    ) -> Result<Scanned, ServiceError> {
        let offset = usize::try_from(params.offset).unwrap_or(usize::MAX);
        let wanted = |record: &StoredRecord| -> Result<Option<Option<Value>>, ServiceError> {
            if only_view.is_some_and(|view| record.view != Some(view)) {
                return Ok(None);
            }
            if params.filter.is_none() && params.order.is_none() {
                return Ok(Some(None));
            }
            let mut value: Value = serde_json::from_str(&record.body)?;
            if let Some(AsServed(served)) = self.served {
                served(&mut value);
            }
            Ok(params.filter.as_ref().is_none_or(|f| f.matches(&value)).then_some(Some(value)))
        };
        let mut kept = match &params.order {
            Some(order) => Kept::Ranked(Window::new(order.clone(), offset.saturating_add(params.limit))),
            None => Kept::Page { records: Vec::new(), bytes: 0 },
        };
        let mut total = 0u64;
        let mut cursor = Some(Cursor::start());
        while let Some(at) = cursor.take() {
            let page = self.store.lists().page(listing, SCAN_PAGE, at).await?;
            let seen = self.seen(listing.collection(), &page.records).await?;
            for (record, seen) in page.records.into_iter().zip(seen) {
                if !seen {
                    continue;
                }
                let Some(value) = wanted(&record)? else { continue };
                let place = usize::try_from(total).unwrap_or(usize::MAX);
                total += 1;
                match &mut kept {
                    Kept::Ranked(window) => {
                        if let Some(value) = value {
                            let rank = window.order().rank(&value);
                            window.offer(rank);
                        }
                    }
                    Kept::Page { records, bytes } => {
                        // Past what one body carries the page is cut anyway (see `Listed::cut`).
                        if place >= offset && records.len() < params.limit && *bytes <= MAX_BODY_BYTES {
                            *bytes += record.body.len();
                            records.push(record);
                        }
                    }
                }
            }
            cursor = page.next;
        }
        let window = match kept {
            Kept::Page { records, .. } => {
                let spanned = records.len();
                return Ok(Scanned { places: (0..spanned).collect(), page: records, spanned, total });
            }
            Kept::Ranked(window) => window,
        };
        // The page's places, read again by sourcedId; one that changed meanwhile so that it no
        // longer matches (or was deleted) is left out.
        let ids: Vec<String> = window.into_sorted().into_iter().skip(offset).map(|rank| rank.id).collect();
        let (mut page, mut places) = (Vec::with_capacity(ids.len()), Vec::with_capacity(ids.len()));
        let mut read: HashMap<String, StoredRecord> = self
            .store
            .records()
            .get_many(listing.collection(), &ids)
            .await?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        let seen: HashMap<String, bool> = {
            let records: Vec<StoredRecord> = read.values().cloned().collect();
            let seen = self.seen(listing.collection(), &records).await?;
            records.into_iter().map(|r| r.id).zip(seen).collect()
        };
        for (place, id) in ids.iter().enumerate() {
            let Some(record) = read.remove(id) else { continue };
            if seen.get(id) != Some(&true) {
                continue;
            }
            let listed = !record.gone || matches!(listing, Listing::ModifiedSince { .. });
            if listed && wanted(&record)?.is_some() {
                page.push(record);
                places.push(place);
            }
        }
        Ok(Scanned { page, places, spanned: ids.len(), total })
    }
}

impl Reader<'_> {
    /// Refuses, as not found, a write of a client limited to schools that reaches outside
    /// them: the record a `PUT` replaces or a `DELETE` removes, the parents its path names, and
    /// the schools and records its body's records are of must all be ones the client sees
    /// (`body`: the request's JSON, a record or a set of records under one key).
    pub async fn may_write(&self, write: Write, ids: &[String], body: &[u8]) -> Result<(), ServiceError> {
        let Some(schools) = self.schools else { return Ok(()) };
        let id = ids.first().map(String::as_str).unwrap_or_default();
        let links;
        let (collection, parents): (Collection, &[Parent]) = match write {
            Write::Put(collection, _) | Write::Delete(collection, _) => {
                let stored = self.store.records().get(collection, id).await?.filter(|record| !record.gone);
                if let Some(stored) = stored {
                    if schools.see(self.store, collection, &[stored]).await? != [true] {
                        let what = collection.ref_type().to_owned();
                        return Err(ServiceError::NotFound { what, id: id.to_owned() });
                    }
                }
                (collection, &[])
            }
            Write::Post(collection, under) => (collection, under.parents()),
            Write::Create(collection, creates) => (collection, creates.parents()),
            Write::Link(collection) | Write::Unlink(collection) => {
                links = crate::routes::link_parents(collection);
                (collection, &links)
            }
        };
        for (parent, id) in parents.iter().zip(ids) {
            self.parent(*parent, id).await?;
        }
        let Ok(Value::Object(envelope)) = serde_json::from_slice::<Value>(body) else { return Ok(()) };
        let mut records: Vec<Value> = match envelope.into_iter().next() {
            Some((_, Value::Array(records))) => records,
            Some((_, record @ Value::Object(_))) => vec![record],
            _ => return Ok(()),
        };
        if let (Write::Put(..), [record]) = (write, records.as_mut_slice()) {
            record["sourcedId"] = Value::String(id.to_owned());
        }
        schools.may_write(self.store, collection, &records).await
    }

    /// Whether the caller sees each of `records` (all of them without a school rule).
    async fn seen(&self, collection: Collection, records: &[StoredRecord]) -> Result<Vec<bool>, ServiceError> {
        match self.schools {
            // Boxed: it reads on, and every list and get holds it.
            Some(schools) => Box::pin(schools.see(self.store, collection, records)).await,
            None => Ok(vec![true; records.len()]),
        }
    }
}

/// What a scan keeps while it reads: the page itself, or, with a sort, the first places.
enum Kept {
    /// The records at the page's places (`offset` to `offset + limit`), while they fit a body.
    Page { records: Vec<StoredRecord>, bytes: usize },
    /// The first `offset + limit` places of the order.
    Ranked(Window),
}

/// What a scan found: the answer's page, each record's place (counted from `offset`), how many
/// places the page spans, and how many records match.
struct Scanned {
    page: Vec<StoredRecord>,
    places: Vec<usize>,
    spanned: usize,
    total: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use oneroster_openapi::{Service, Version};
    use oneroster_query::RecordFields;

    fn params(query: &str) -> ListParams {
        let users = RecordFields::of(Version::V1p2, Service::Rostering, "UserDType").expect("users");
        ListParams::parse(Some(query), &users).expect("parses")
    }

    const USERS: Listing = Listing::Collection(Collection::Users);
    const STUDENTS: Listing = Listing::View(View::Students);

    fn active(inner: Listing) -> Listing {
        Listing::Active(Box::new(inner))
    }

    fn since(inclusive: bool) -> Listing {
        let since = params("filter=dateLastModified>'2026-01-15'").filter.expect("a filter").predicates[0]
            .instant()
            .expect("a time");
        Listing::ModifiedSince { collection: Collection::Users, since: Timestamp(since), inclusive }
    }

    fn looked_up(relation: Relation, value: &str) -> Listing {
        Listing::Related { relation, parent: lookup_key(value).to_string() }
    }

    #[test]
    fn each_request_gets_the_cheapest_walk_that_answers_it() {
        let class = Listing::Related { relation: Relation::ClassStudents, parent: "c-1".to_owned() };
        let periods = ListRequest {
            listing: Listing::Related { relation: Relation::SessionChildren, parent: "t-1".to_owned() },
            only_view: Some(View::GradingPeriods),
        };
        let cases: Vec<(&str, ListRequest, &str, Plan)> = vec![
            ("no query pages", USERS.into(), "", Plan::Paged(USERS)),
            ("limit and offset page", USERS.into(), "limit=5&offset=10", Plan::Paged(USERS)),
            ("a time pages from the index", USERS.into(), "filter=dateLastModified%3E'2026-01-15'", {
                Plan::Paged(since(false))
            }),
            ("`>=` includes the time", USERS.into(), "filter=dateLastModified>%3D'2026-01-15'", {
                Plan::Paged(since(true))
            }),
            ("active pages", USERS.into(), "filter=status%3D'active'", Plan::Paged(active(USERS))),
            ("active pages a view", STUDENTS.into(), "filter=status%3D'active'", Plan::Paged(active(STUDENTS))),
            (
                "active and a time page",
                USERS.into(),
                "filter=status%3D'active' AND dateLastModified>'2026-01-15'",
                Plan::Paged(active(since(false))),
            ),
            ("another status scans", USERS.into(), "filter=status%3D'tobedeleted'", Plan::Scan(USERS, None)),
            ("a sort scans", USERS.into(), "sort=familyName", Plan::Scan(USERS, None)),
            ("a sorted time scans", USERS.into(), "filter=status%3D'active'&sort=familyName", Plan::Scan(USERS, None)),
            ("another field scans", USERS.into(), "filter=givenName%3D'Ann'", Plan::Scan(USERS, None)),
            (
                "another field with a time scans the changes",
                USERS.into(),
                "filter=givenName%3D'Ann' AND dateLastModified>'2026-01-15'",
                Plan::Scan(since(false), None),
            ),
            (
                "an OR scans everything",
                USERS.into(),
                "filter=status%3D'active' OR dateLastModified>'2026-01-15'",
                Plan::Scan(USERS, None),
            ),
            (
                "a time on a view scans the changes in the view",
                STUDENTS.into(),
                "filter=dateLastModified>'2026-01-15'",
                Plan::Scan(since(false), Some(View::Students)),
            ),
            (
                "an e-mail is looked up, in the view",
                Listing::View(View::Teachers).into(),
                "filter=email%3D'a@b.org' AND status%3D'active'",
                Plan::Scan(looked_up(Relation::UsersByEmail, "a@b.org"), Some(View::Teachers)),
            ),
            (
                "a username alone pages its lookup",
                USERS.into(),
                "filter=username%3D'jo'",
                Plan::Paged(looked_up(Relation::UsersByUsername, "jo")),
            ),
            ("a partial e-mail scans", USERS.into(), "filter=email~'b.org'", Plan::Scan(USERS, None)),
            ("a relation pages", class.clone().into(), "", Plan::Paged(class.clone())),
            ("a filtered relation scans", class.clone().into(), "filter=status%3D'active'", Plan::Scan(class, None)),
            ("a narrowed relation scans", periods.clone(), "", Plan::Scan(periods.listing, Some(View::GradingPeriods))),
        ];
        for (what, request, query, expected) in cases {
            assert_eq!(plan(&request, &params(query)), expected, "{what}: {query}");
        }
    }

    #[test]
    fn a_day_of_attendance_pages_its_index_and_a_range_of_days_scans() {
        let marks = RecordFields::of(Version::V1p2, Service::Attendance, "AttendanceDType").expect("attendance");
        let all = Listing::Collection(Collection::Attendance);
        let day = looked_up(Relation::AttendanceByDate, "2026-03-02");
        for (query, expected) in [
            ("filter=date%3D'2026-03-02'", Plan::Paged(day.clone())),
            ("filter=date%3D'2026-03-02' AND status%3D'active'", Plan::Scan(day.clone(), None)),
            ("filter=date%3D'2026-03-02'&sort=sourcedId", Plan::Scan(day, None)),
            ("filter=date>%3D'2026-03-02'", Plan::Scan(all.clone(), None)),
        ] {
            let params = ListParams::parse(Some(query), &marks).expect("parses");
            assert_eq!(plan(&all.clone().into(), &params), expected, "{query}");
        }
    }

    #[test]
    fn a_cursor_is_taken_only_for_the_listing_it_was_issued_for() {
        let issued = |listing: &Listing, id: &str| {
            let record = Cursor::decode(&format!("0.{id}")).expect("a cursor");
            assert!(listing.admits(&record), "{listing:?} admits 0.{id}");
            encode_cursor(42, &record)
        };
        let users = issued(&USERS, "u-1");
        let cases: Vec<(&str, ListRequest, String, bool)> = vec![
            ("its own listing", USERS.into(), format!("cursor={users}"), true),
            ("the same listing, active", USERS.into(), format!("cursor={users}&filter=status%3D'active'"), true),
            ("no total", USERS.into(), "cursor=0.u-1".to_owned(), false),
            ("not a number", USERS.into(), "cursor=x~0.u-1".to_owned(), false),
            ("a shard past the listing's", USERS.into(), "cursor=1~99.u-1".to_owned(), false),
            (
                "a time listing's bound",
                USERS.into(),
                format!("cursor={users}&filter=dateLastModified>'2026-01-15'"),
                false,
            ),
            ("no cursor at all", USERS.into(), String::new(), true),
        ];
        for (what, request, query, taken) in cases {
            let checked = request.check_cursor(&params(&query));
            assert_eq!(checked.is_ok(), taken, "{what}: {query}: {checked:?}");
            if let Err(error) = checked {
                assert!(matches!(error, ServiceError::Query(QueryError::Parameter { name: "cursor", .. })), "{what}");
            }
        }
    }

    #[test]
    fn a_cursor_carries_the_total_counted_on_the_first_page() {
        let cursor = Cursor::decode("3.u-9").expect("a cursor");
        let text = encode_cursor(1234, &cursor);
        assert_eq!(decode_cursor(&text, &USERS).expect("taken"), (1234, cursor));
    }

    #[test]
    fn only_a_time_comparison_after_bounds_the_listing() {
        let predicate = |query: &str| params(query).filter.expect("a filter").predicates.remove(0);
        let bound = |query: &str| modified_since(Collection::Users, &predicate(query));
        assert_eq!(bound("filter=dateLastModified>'2026-01-15'"), Some(since(false)));
        assert_eq!(bound("filter=dateLastModified>%3D'2026-01-15'"), Some(since(true)));
        assert_eq!(bound("filter=dateLastModified<'2026-01-15'"), None);
        assert_eq!(bound("filter=givenName>'2026-01-15'"), None);
    }
}

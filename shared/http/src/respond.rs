//! List and single-record answers over the store, with the REST binding's query semantics.
//!
//! # What a list request costs
//! - **Paged** (O(`limit`) reads): no `sort`, and no `filter` or only `dateLastModified>'…'` /
//!   `>=`, `status='active'`, or both joined by `AND`, on a collection (`status='active'` also on
//!   a typed view). The store walks the listing from the `Link` `next` cursor (or skips
//!   `offset` keys when the caller jumps), and `X-Total-Count` comes from the kept count or a
//!   `Select=COUNT` query.
//! - **Looked up** (O(result) reads): `email`, `username` or `identifier` `='…'` on users,
//!   students or teachers, alone or in an `AND` chain: the store's lookup entries name the
//!   matching users, and the rest of the filter is applied to them.
//! - **Scanned** (reads the whole listing): any other filter or a sort. The answer is the same,
//!   only slower for big listings; an `AND` chain holding `dateLastModified>` scans only the
//!   records changed since then.
//!
//! # Memory and time
//! A scan streams: it filters each store page as it arrives and keeps only the answer's page
//! and a count. A sort keeps only the first `offset + limit` places ([`Window`]: each record's
//! sort value and sourcedId), then reads the page's records again by sourcedId; so `offset` is
//! bounded with `sort` ([`oneroster_query::MAX_SORTED_OFFSET`]). A read that does not finish
//! within the deployment's budget is answered 503 (see [`crate::serving::READ_BUDGET`]).
//!
//! # Page size
//! A page never makes a body that the Lambda response could not carry: records are added while
//! the body, counted as the response event carries it (JSON-escaped), stays within
//! [`MAX_BODY_BYTES`]. A page cut short says so only by returning fewer than `limit` records;
//! `Link` `next` resumes right after the last one and `X-Total-Count` stays exact.

use crate::trace::Returned;
use crate::{ApiError, Endpoint};
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use oneroster_model::{lookup_key, Collection, Relation, Status, Timestamp, View};
use oneroster_query::{
    link_header, project, Join, ListParams, Op, PageLinks, Predicate, QueryError, Selection, Window,
};
use oneroster_store::{Cursor, Listing, Store, StoredRecord, Tenant};
use serde_json::Value;
use std::convert::Infallible;

/// Records read per store call while scanning a listing.
const SCAN_PAGE: usize = 1000;

/// The largest list body sent, in bytes as the Lambda response event carries it (each `"` and
/// `\` escaped): Lambda's synchronous response limit is 6 MB (6,291,456 bytes) for the whole
/// event, headers and `Link` included, so this leaves them room.
pub const MAX_BODY_BYTES: usize = 5_800_000;

/// The URL a request came in on, for the `Link` header and absolute `href`s: the deployment's
/// base URL ([`crate::serving`]; never a header the client sent) and the full path (also under
/// nested routers).
#[derive(Debug, Clone)]
pub struct RequestUrl {
    /// Scheme and host (`https://api.example.org`), when the deployment has one.
    pub origin: Option<String>,
    /// Origin and path.
    pub url: String,
    /// The raw query string.
    pub query: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for RequestUrl {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let uri = parts.extensions.get::<OriginalUri>().map_or(&parts.uri, |original| &original.0);
        let origin = crate::serving::origin(&parts.extensions);
        let url = format!("{}{}", origin.as_deref().unwrap_or_default(), uri.path());
        Ok(Self { origin, url, query: uri.query().map(str::to_owned) })
    }
}

impl RequestUrl {
    /// Makes the `href`s of GUIDRefs (stored as paths, since the host is only known per
    /// request) absolute URIs, as the OpenAPI's `format: uri` asks. A quote inside a JSON
    /// string is escaped, so the pattern only meets real `href` members.
    fn absolute_hrefs(&self, body: String) -> String {
        match &self.origin {
            Some(origin) if body.contains("\"href\":\"/") => {
                body.replace("\"href\":\"/", &format!("\"href\":\"{origin}/"))
            }
            _ => body,
        }
    }
}

/// What a list endpoint lists: a store listing, optionally narrowed to one typed view (the
/// grading periods among a term's child sessions).
#[derive(Debug, Clone)]
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

/// How a list request is answered.
#[derive(Debug, PartialEq)]
enum Plan {
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

/// The lookup listing of a users' identity predicate (`email='…'`, `username`, `identifier`).
fn lookup(predicate: &Predicate) -> Option<Listing> {
    let relation = Relation::lookup(&predicate.field).filter(|_| predicate.op == Op::Eq)?;
    Some(Listing::Related { relation, parent: lookup_key(&predicate.value).to_string() })
}

fn plan(request: &ListRequest, params: &ListParams) -> Plan {
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
    if collection == Collection::Users {
        if let Some(found) = filter.predicates.iter().find_map(lookup) {
            return Plan::Scan(found, view);
        }
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

/// Answers a list request (`GET /users`, `GET /classes/{id}/students`, …) with its parsed
/// parameters.
pub async fn list(
    store: &Store,
    tenant: &Tenant,
    endpoint: &Endpoint,
    request: ListRequest,
    params: &ListParams,
    url: &RequestUrl,
) -> Result<Response, ApiError> {
    let (records, total, next_cursor) = match plan(&request, params) {
        Plan::Paged(listing) => {
            let (records, total, next) = paged(store, tenant, &listing, params).await?;
            let mut json = records_json(&records, &params.selection, url)?;
            // Cut short: resume right after the last record sent.
            let next = if fit_body(&mut json) {
                Some(encode_cursor(total, &listing.cursor_after(&records[json.len() - 1])))
            } else {
                next
            };
            (json, total, next)
        }
        Plan::Scan(listing, view) => {
            let (page, total) = scan(store, tenant, &listing, view, params).await?;
            let mut json = records_json(&page, &params.selection, url)?;
            fit_body(&mut json);
            (json, total, None)
        }
    };
    let links = link_header(&PageLinks {
        url: &url.url,
        echo: &params.echo,
        offset: params.offset,
        limit: params.limit,
        returned: records.len(),
        total,
        next_cursor,
    });
    let mut headers = HeaderMap::new();
    headers.insert("x-total-count", HeaderValue::from(total));
    if let Ok(value) = HeaderValue::from_str(&links) {
        headers.insert(header::LINK, value);
    }
    let mut response =
        (headers, envelope(&endpoint.envelope.key, records.iter().map(String::as_str), true)).into_response();
    response.extensions_mut().insert(Returned(records.len()));
    Ok(response)
}

/// Drops the records (JSON, in order) past what one body of at most [`MAX_BODY_BYTES`] carries
/// as the response event carries it, keeping at least one so that paging always moves on;
/// whether it dropped any.
fn fit_body(records: &mut Vec<String>) -> bool {
    let escaped = |text: &str| text.len() + text.bytes().filter(|b| matches!(b, b'"' | b'\\')).count();
    let mut size = 64; // the envelope
    let fitting = records
        .iter()
        .position(|record| {
            size += escaped(record) + 1;
            size > MAX_BODY_BYTES
        })
        .map_or(records.len(), |first_over| first_over.max(1));
    let cut = fitting < records.len();
    records.truncate(fitting);
    cut
}

/// The `cursor` of a `Link` `next`: the store's cursor and the total counted on the walk's
/// first page, so that following pages neither count again nor change `X-Total-Count` midway.
fn encode_cursor(total: u64, cursor: &Cursor) -> String {
    format!("{total}~{}", cursor.encode())
}

/// Refuses a `cursor` that is not one this service issued for the listing the request reads
/// (as planned: a time filter lists from its index): checked before anything is read.
pub fn check_cursor(request: &ListRequest, params: &ListParams) -> Result<(), ApiError> {
    let Some(text) = &params.cursor else { return Ok(()) };
    let (Plan::Paged(listing) | Plan::Scan(listing, _)) = plan(request, params);
    decode_cursor(text, &listing)?;
    Ok(())
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

/// One page from the store. The total is counted only when nobody knows it yet: not when the
/// cursor carries it, and not when a first page holds the whole listing.
async fn paged(
    store: &Store,
    tenant: &Tenant,
    listing: &Listing,
    params: &ListParams,
) -> Result<(Vec<StoredRecord>, u64, Option<String>), ApiError> {
    let page_from = |start: Option<Cursor>| async move {
        match start {
            Some(cursor) => store.page(tenant, listing, params.limit, cursor).await.map(|p| (p.records, p.next)),
            None => Ok((Vec::new(), None)),
        }
    };
    let cursor = params.cursor.as_deref().map(|text| decode_cursor(text, listing)).transpose()?;
    let ((records, next), total) = match cursor {
        Some((total, cursor)) => (page_from(Some(cursor)).await?, total),
        None if params.offset == 0 => {
            let (records, next) = page_from(Some(Cursor::start())).await?;
            let total = match next {
                None => records.len() as u64,
                Some(_) => store.count(tenant, listing).await?,
            };
            ((records, next), total)
        }
        None => {
            let page = async { page_from(store.skip(tenant, listing, params.offset).await?).await };
            tokio::try_join!(page, store.count(tenant, listing))?
        }
    };
    let next = next.map(|cursor| encode_cursor(total, &cursor));
    Ok((records, total, next))
}

/// What a scan keeps while it reads: the page itself, or, with a sort, the first places.
enum Kept {
    /// The records at the page's places (`offset` to `offset + limit`), while they fit a body.
    Page { records: Vec<StoredRecord>, bytes: usize },
    /// The first `offset + limit` places of the order.
    Ranked(Window),
}

/// Reads a whole listing (only records of `only_view`, when given), filtering each store page as
/// it arrives; returns the answer's page and how many records match. Holds one store page, the
/// answer's page, and with a sort the ranks of its first places (see the module's docs).
async fn scan(
    store: &Store,
    tenant: &Tenant,
    listing: &Listing,
    only_view: Option<View>,
    params: &ListParams,
) -> Result<(Vec<StoredRecord>, u64), ApiError> {
    let offset = usize::try_from(params.offset).unwrap_or(usize::MAX);
    let wanted = |record: &StoredRecord| -> Result<Option<Option<Value>>, ApiError> {
        if only_view.is_some_and(|view| record.view != Some(view)) {
            return Ok(None);
        }
        if params.filter.is_none() && params.order.is_none() {
            return Ok(Some(None));
        }
        let value: Value = serde_json::from_str(&record.body)?;
        Ok(params.filter.as_ref().is_none_or(|f| f.matches(&value)).then_some(Some(value)))
    };
    let mut kept = match &params.order {
        Some(order) => Kept::Ranked(Window::new(order.clone(), offset.saturating_add(params.limit))),
        None => Kept::Page { records: Vec::new(), bytes: 0 },
    };
    let mut total = 0u64;
    let mut cursor = Some(Cursor::start());
    while let Some(at) = cursor.take() {
        let page = store.page(tenant, listing, SCAN_PAGE, at).await?;
        for record in page.records {
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
                    // Past what one body carries the page is cut anyway (see `fit_body`).
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
        Kept::Page { records, .. } => return Ok((records, total)),
        Kept::Ranked(window) => window,
    };
    // The page's places, read again by sourcedId; one that changed meanwhile so that it no
    // longer matches (or was deleted) is left out.
    let ids: Vec<String> = window.into_sorted().into_iter().skip(offset).map(|rank| rank.id).collect();
    let mut page = Vec::with_capacity(ids.len());
    for record in store.get_many(tenant, listing.collection(), &ids).await? {
        let listed = !record.gone || matches!(listing, Listing::ModifiedSince { .. });
        if listed && wanted(&record)?.is_some() {
            page.push(record);
        }
    }
    Ok((page, total))
}

/// The records' JSON as served: projected to the selection, `href`s absolute.
fn records_json(records: &[StoredRecord], selection: &Selection, url: &RequestUrl) -> Result<Vec<String>, ApiError> {
    if selection.names().is_none() {
        return Ok(records.iter().map(|r| url.absolute_hrefs(r.body.clone())).collect());
    }
    records
        .iter()
        .map(|record| {
            let mut value: Value = serde_json::from_str(&record.body)?;
            project(&mut value, selection);
            Ok(url.absolute_hrefs(value.to_string()))
        })
        .collect()
}

/// `{"key":[…]}` or `{"key":{…}}` from records' JSON, without parsing it again.
fn envelope<'a>(key: &str, records: impl Iterator<Item = &'a str>, is_list: bool) -> Response {
    let mut body = format!("{{\"{key}\":");
    if is_list {
        body.push('[');
    }
    for (i, record) in records.enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(record);
    }
    if is_list {
        body.push(']');
    }
    body.push('}');
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Gets a record that must exist (in `view`, when given), else 404 naming `what`.
pub async fn require(
    store: &Store,
    tenant: &Tenant,
    collection: Collection,
    view: Option<View>,
    id: &str,
    what: &str,
) -> Result<StoredRecord, ApiError> {
    let record = store.get(tenant, collection, id).await?;
    record
        .filter(|r| !r.gone && view.is_none_or(|v| r.view == Some(v)))
        .ok_or_else(|| ApiError::NotFound { what: what.to_owned(), id: id.to_owned() })
}

/// Answers a single-record request (`GET /users/{id}`, `GET /schools/{id}`) with its parsed
/// `fields`.
#[allow(clippy::too_many_arguments)]
pub async fn one(
    store: &Store,
    tenant: &Tenant,
    endpoint: &Endpoint,
    collection: Collection,
    view: Option<View>,
    id: &str,
    selection: &Selection,
    url: &RequestUrl,
) -> Result<Response, ApiError> {
    let record = require(store, tenant, collection, view, id, &endpoint.envelope.key).await?;
    let body = records_json(std::slice::from_ref(&record), selection, url)?;
    let mut response = envelope(&endpoint.envelope.key, body.iter().map(String::as_str), false);
    response.extensions_mut().insert(Returned(1));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oneroster_openapi::Service;

    fn params(query: &str) -> ListParams {
        let users = oneroster_query::RecordFields::of(Service::Rostering, "UserDType").expect("users");
        ListParams::parse(Some(query), &users).expect("parses")
    }

    fn planned(listing: Listing, query: &str) -> (bool, Listing) {
        match plan(&listing.into(), &params(query)) {
            Plan::Paged(l) => (true, l),
            Plan::Scan(l, _) => (false, l),
        }
    }

    #[test]
    fn default_order_and_time_filters_are_paged() {
        let users = Listing::Collection(Collection::Users);
        assert_eq!(planned(users.clone(), ""), (true, users.clone()));
        let (paged, listing) = planned(users.clone(), "filter=dateLastModified%3E'2026-01-15'");
        assert!(paged);
        assert!(matches!(listing, Listing::ModifiedSince { inclusive: false, .. }));
        let (paged, listing) = planned(users.clone(), "filter=dateLastModified>%3D'2026-01-15'");
        assert!(paged && matches!(listing, Listing::ModifiedSince { inclusive: true, .. }));
    }

    #[test]
    fn other_filters_and_sorts_scan_but_narrow_by_time_when_they_can() {
        let users = Listing::Collection(Collection::Users);
        assert_eq!(planned(users.clone(), "sort=familyName"), (false, users.clone()));
        assert_eq!(planned(users.clone(), "filter=givenName%3D'Ann'"), (false, users.clone()));
        let (paged, listing) = planned(users.clone(), "filter=givenName%3D'Ann' AND dateLastModified>'2026-01-15'");
        assert!(!paged && matches!(listing, Listing::ModifiedSince { .. }));
        let (paged, listing) = planned(users.clone(), "filter=status%3D'active' OR dateLastModified>'2026-01-15'");
        assert_eq!((paged, listing), (false, users));
    }

    #[test]
    fn active_status_pages_alone_and_with_a_time() {
        let users = Listing::Collection(Collection::Users);
        let active = |inner: Listing| Listing::Active(Box::new(inner));
        assert_eq!(planned(users.clone(), "filter=status%3D'active'"), (true, active(users.clone())));
        let students = Listing::View(View::Students);
        assert_eq!(planned(students.clone(), "filter=status%3D'active'"), (true, active(students)));
        let (paged, listing) = planned(users.clone(), "filter=status%3D'active' AND dateLastModified>'2026-01-15'");
        assert!(paged && matches!(listing, Listing::Active(inner) if matches!(*inner, Listing::ModifiedSince { .. })));
        assert_eq!(planned(users.clone(), "filter=status%3D'tobedeleted'"), (false, users));
    }

    #[test]
    fn identity_filters_on_users_are_looked_up() {
        let teachers = ListRequest { listing: Listing::View(View::Teachers), only_view: None };
        let found = plan(&teachers, &params("filter=email%3D'a@b.org' AND status%3D'active'"));
        let key = lookup_key("a@b.org").to_string();
        let expected = Listing::Related { relation: Relation::UsersByEmail, parent: key };
        assert_eq!(found, Plan::Scan(expected, Some(View::Teachers)));
        let (paged, listing) = planned(Listing::Collection(Collection::Users), "filter=username%3D'jo'");
        assert!(!paged && matches!(listing, Listing::Related { relation: Relation::UsersByUsername, .. }));
        let (_, listing) = planned(Listing::Collection(Collection::Users), "filter=email~'b.org'");
        assert_eq!(listing, Listing::Collection(Collection::Users));
    }

    #[test]
    fn a_page_stops_before_the_body_passes_the_limit() {
        let fitting = |records: &[String]| {
            let mut records = records.to_vec();
            let cut = fit_body(&mut records);
            (records.len(), cut)
        };
        let record = format!("{{\"a\":\"{}\"}}", "x".repeat(1_000_000));
        let records = vec![record; 8];
        assert_eq!(fitting(&records), (5, true));
        let quotes = vec!["\"".repeat(1_000_000); 8];
        assert_eq!(fitting(&quotes), (2, true));
        assert_eq!(fitting(&records[..1]), (1, false));
        let huge = vec!["\"".repeat(3_000_000); 3];
        assert_eq!(fitting(&huge), (1, true), "one record always goes, however large");
    }
}

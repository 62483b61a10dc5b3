//! List and single-record answers over the store, with the REST binding's query semantics.
//!
//! # What a list request costs
//! - **Paged** (O(`limit`) reads): no `sort`, and no `filter` or only
//!   `dateLastModified>'…'` / `>=` on a whole collection. The store walks the listing from the
//!   `Link` `next` cursor (or skips `offset` keys when the caller jumps), and `X-Total-Count`
//!   comes from the kept count or a `Select=COUNT` query.
//! - **Scanned** (reads the whole listing): any other filter or a sort. The answer is the same,
//!   only slower for big listings; an `AND` chain holding `dateLastModified>` scans only the
//!   records changed since then.

use crate::trace::Returned;
use crate::{ApiError, Endpoint};
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use oneroster_model::{Collection, TenantId, Timestamp, View};
use oneroster_query::{
    compare_records, link_header, project, Filter, Join, ListParams, Op, PageLinks, QueryError, Selection,
};
use oneroster_store::{Cursor, Listing, Store, StoredRecord};
use serde_json::Value;
use std::convert::Infallible;

/// Records read per store call while scanning a listing.
const SCAN_PAGE: usize = 1000;

/// The URL a request came in on, for the `Link` header and absolute `href`s: scheme and host
/// as the caller used them (`X-Forwarded-Proto` behind API Gateway), the full path (also
/// under nested routers).
#[derive(Debug, Clone)]
pub struct RequestUrl {
    /// Scheme and host (`https://api.example.org`), when the request names its host.
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
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let origin = header("host").map(|host| format!("{}://{host}", header("x-forwarded-proto").unwrap_or("http")));
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
enum Plan {
    /// Page by page from the store.
    Paged(Listing),
    /// Read the listing, then filter and sort in memory.
    Scan(Listing),
}

/// The `dateLastModified>` (or `>=`) predicate of a filter, as a store listing bound.
fn modified_since(collection: Collection, filter: &Filter, alone: bool) -> Option<Listing> {
    if alone && filter.predicates.len() != 1 || filter.join != Join::And {
        return None;
    }
    filter.predicates.iter().find_map(|p| {
        let inclusive = match p.op {
            Op::Gt => false,
            Op::Ge => true,
            _ => return None,
        };
        (p.field == "dateLastModified").then(|| p.instant()).flatten().map(|since| Listing::ModifiedSince {
            collection,
            since: Timestamp(since),
            inclusive,
        })
    })
}

fn plan(request: &ListRequest, params: &ListParams) -> Plan {
    let listing = request.listing.clone();
    if request.only_view.is_some() || params.sort.is_some() {
        return Plan::Scan(listing);
    }
    let Some(filter) = &params.filter else { return Plan::Paged(listing) };
    let Listing::Collection(collection) = listing else { return Plan::Scan(listing) };
    if let Some(narrowed) = modified_since(collection, filter, true) {
        return Plan::Paged(narrowed);
    }
    Plan::Scan(modified_since(collection, filter, false).unwrap_or(listing))
}

/// Answers a list request (`GET /users`, `GET /classes/{id}/students`, …).
pub async fn list(
    store: &Store,
    tenant: &TenantId,
    endpoint: &Endpoint,
    request: ListRequest,
    url: &RequestUrl,
) -> Result<Response, ApiError> {
    let params = ListParams::parse(url.query.as_deref(), &endpoint.catalog)?;
    let (records, total, next_cursor) = match plan(&request, &params) {
        Plan::Paged(listing) => paged(store, tenant, &listing, &params).await?,
        Plan::Scan(listing) => (scan(store, tenant, &listing, request.only_view, &params).await?, 0, None),
    };
    let (records, total) = match records {
        Answer::Stored(records) => (records_json(&records, &params.selection)?, total),
        Answer::Values(values) => {
            let total = values.len() as u64;
            let offset = usize::try_from(params.offset).unwrap_or(usize::MAX);
            let page: Vec<Value> = values.into_iter().skip(offset).take(params.limit).collect();
            (values_json(page, &params.selection), total)
        }
    };
    let links = link_header(&PageLinks {
        url: &url.url,
        pairs: &params.pairs,
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
    let records: Vec<String> = records.into_iter().map(|r| url.absolute_hrefs(r)).collect();
    let mut response =
        (headers, envelope(&endpoint.envelope.key, records.iter().map(String::as_str), true)).into_response();
    response.extensions_mut().insert(Returned(records.len()));
    Ok(response)
}

/// Records found for a list: stored (paged, in store order) or parsed (scanned, every match
/// in answer order, to be sliced).
enum Answer {
    Stored(Vec<StoredRecord>),
    Values(Vec<Value>),
}

/// The `cursor` of a `Link` `next`: the store's cursor and the total counted on the walk's
/// first page, so that following pages neither count again nor change `X-Total-Count` midway.
fn encode_cursor(total: u64, cursor: &Cursor) -> String {
    format!("{total}~{}", cursor.encode())
}

fn decode_cursor(text: &str) -> Result<(u64, Cursor), QueryError> {
    text.split_once('~').and_then(|(total, cursor)| Some((total.parse().ok()?, Cursor::decode(cursor)?))).ok_or_else(
        || QueryError::Parameter {
            name: "cursor",
            reason: "it is not one this service issued (take it from a Link header)".into(),
        },
    )
}

/// One page from the store. The total is counted only when nobody knows it yet: not when the
/// cursor carries it, and not when a first page holds the whole listing.
async fn paged(
    store: &Store,
    tenant: &TenantId,
    listing: &Listing,
    params: &ListParams,
) -> Result<(Answer, u64, Option<String>), ApiError> {
    let page_from = |start: Option<Cursor>| async move {
        match start {
            Some(cursor) => store.page(tenant, listing, params.limit, cursor).await.map(|p| (p.records, p.next)),
            None => Ok((Vec::new(), None)),
        }
    };
    let ((records, next), total) = match params.cursor.as_deref().map(decode_cursor).transpose()? {
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
    Ok((Answer::Stored(records), total, next))
}

async fn scan(
    store: &Store,
    tenant: &TenantId,
    listing: &Listing,
    only_view: Option<View>,
    params: &ListParams,
) -> Result<Answer, ApiError> {
    let mut matches = Vec::new();
    let mut cursor = Some(Cursor::start());
    while let Some(at) = cursor.take() {
        let page = store.page(tenant, listing, SCAN_PAGE, at).await?;
        for record in page.records {
            if only_view.is_some_and(|view| record.view != Some(view)) {
                continue;
            }
            let value: Value = serde_json::from_str(&record.body)?;
            if params.filter.as_ref().is_none_or(|f| f.matches(&value)) {
                matches.push(value);
            }
        }
        cursor = page.next;
    }
    if let Some((field, kind)) = &params.sort {
        matches.sort_by(|a, b| compare_records(a, b, field, *kind, params.descending));
    }
    Ok(Answer::Values(matches))
}

fn records_json(records: &[StoredRecord], selection: &Selection) -> Result<Vec<String>, ApiError> {
    if selection.names().is_none() {
        return Ok(records.iter().map(|r| r.body.clone()).collect());
    }
    let values = records.iter().map(|r| serde_json::from_str(&r.body)).collect::<Result<Vec<Value>, _>>()?;
    Ok(values_json(values, selection))
}

fn values_json(values: Vec<Value>, selection: &Selection) -> Vec<String> {
    values
        .into_iter()
        .map(|mut value| {
            project(&mut value, selection);
            value.to_string()
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
    tenant: &TenantId,
    collection: Collection,
    view: Option<View>,
    id: &str,
    what: &str,
) -> Result<StoredRecord, ApiError> {
    let record = store.get(tenant, collection, id).await?;
    record
        .filter(|r| view.is_none_or(|v| r.view == Some(v)))
        .ok_or_else(|| ApiError::NotFound { what: what.to_owned(), id: id.to_owned() })
}

/// Answers a single-record request (`GET /users/{id}`, `GET /schools/{id}`).
pub async fn one(
    store: &Store,
    tenant: &TenantId,
    endpoint: &Endpoint,
    collection: Collection,
    view: Option<View>,
    id: &str,
    url: &RequestUrl,
) -> Result<Response, ApiError> {
    let selection = Selection::parse(url.query.as_deref(), &endpoint.catalog)?;
    let record = require(store, tenant, collection, view, id, &endpoint.envelope.key).await?;
    let body: Vec<String> =
        records_json(std::slice::from_ref(&record), &selection)?.into_iter().map(|r| url.absolute_hrefs(r)).collect();
    let mut response = envelope(&endpoint.envelope.key, body.iter().map(String::as_str), false);
    response.extensions_mut().insert(Returned(1));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oneroster_openapi::Service;

    fn params(query: &str) -> ListParams {
        ListParams::parse(Some(query), &Service::Rostering.fields("UserDType").expect("users")).expect("parses")
    }

    fn planned(listing: Listing, query: &str) -> (bool, Listing) {
        match plan(&listing.into(), &params(query)) {
            Plan::Paged(l) => (true, l),
            Plan::Scan(l) => (false, l),
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
        assert_eq!(planned(users.clone(), "filter=status%3D'active'"), (false, users.clone()));
        let (paged, listing) = planned(users.clone(), "filter=status%3D'active' AND dateLastModified>'2026-01-15'");
        assert!(!paged && matches!(listing, Listing::ModifiedSince { .. }));
        let (paged, listing) = planned(users.clone(), "filter=status%3D'active' OR dateLastModified>'2026-01-15'");
        assert_eq!((paged, listing), (false, users));
    }
}

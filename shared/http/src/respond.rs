//! List and single-record answers as the REST binding renders them: the records a
//! [`Reader`](oneroster_service::Reader) read, rendered as 1.2 serves them ([`crate::render`]:
//! the `href`s of their references), projected to `fields`, in the operation's envelope, with `X-Total-Count` and `Link`. What is read, and what it costs, is
//! the service's (`oneroster_service::read`).
//!
//! # Page size
//! A page never makes a body that the Lambda response could not carry: records are added while
//! the body, counted as the response event carries it (JSON-escaped), stays within
//! [`MAX_BODY_BYTES`]. A page cut short says so only by returning fewer than `limit` records;
//! `Link` `next` resumes right after the last one ([`Listed::cut`]) and `X-Total-Count` stays
//! exact.

use crate::redact::Redaction;
use crate::trace::Returned;
use crate::{ApiError, Endpoint};
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use oneroster_query::{link_header, ListParams, PageLinks, QueryError, Selection};
use oneroster_service::Listed;
use oneroster_store::StoredRecord;
use std::convert::Infallible;

pub use oneroster_service::read::MAX_BODY_BYTES;

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

/// Answers a list request (`GET /users`, `GET /classes/{id}/students`, …) with what was
/// listed and its parsed parameters: the page cut to what one body carries, without what the
/// caller is not shared.
pub fn list(
    endpoint: &Endpoint,
    mut listed: Listed,
    params: &ListParams,
    url: &RequestUrl,
    redaction: &Redaction,
) -> Result<Response, ApiError> {
    let mut records = records_json(endpoint, &listed.records, &params.selection, url, redaction)?;
    if fit_body(&mut records) {
        listed.cut(records.len());
    }
    let links = link_header(&PageLinks {
        url: &url.url,
        echo: &params.echo,
        offset: params.offset,
        limit: params.limit,
        returned: listed.returned(),
        total: listed.total,
        next_cursor: listed.next_cursor,
    });
    let mut headers = HeaderMap::new();
    headers.insert("x-total-count", HeaderValue::from(listed.total));
    if let Ok(value) = HeaderValue::from_str(&links) {
        headers.insert(header::LINK, value);
    }
    let body = envelope(&endpoint.envelope.key, records.iter().map(String::as_str), true, &params.warnings);
    let mut response = (headers, body).into_response();
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

/// The records' JSON as served: projected to the selection, rendered on the deployment's
/// origin, without what the caller is not shared.
fn records_json(
    endpoint: &Endpoint,
    records: &[StoredRecord],
    selection: &Selection,
    url: &RequestUrl,
    redaction: &Redaction,
) -> Result<Vec<String>, ApiError> {
    records
        .iter()
        .map(|record| {
            let shown = |name: &str| redaction.shows(&record.id, name);
            let rendered =
                endpoint.rendering.render_json_shown(&record.body, selection, url.origin.as_deref(), &shown)?;
            Ok(redaction.apply(&record.id, rendered)?)
        })
        .collect()
}

/// `{"key":[…]}` or `{"key":{…}}` from records' JSON, without parsing it again, with 1.1's
/// `statusInfoSet` of warnings when a query named what was left out (only 1.1 leaves it out).
fn envelope<'a>(key: &str, records: impl Iterator<Item = &'a str>, is_list: bool, left_out: &[QueryError]) -> Response {
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
    if !left_out.is_empty() {
        let warnings: Vec<serde_json::Value> = left_out.iter().map(crate::error::warning_v1p1).collect();
        body.push_str(",\"statusInfoSet\":");
        body.push_str(&serde_json::Value::Array(warnings).to_string());
    }
    body.push('}');
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Answers a single-record request (`GET /users/{id}`, `GET /schools/{id}`) with the record
/// read, its parsed `fields` and what they named that was left out, without what the caller is
/// not shared.
pub fn one(
    endpoint: &Endpoint,
    record: &StoredRecord,
    selection: &Selection,
    left_out: &[QueryError],
    url: &RequestUrl,
    redaction: &Redaction,
) -> Result<Response, ApiError> {
    let body = records_json(endpoint, std::slice::from_ref(record), selection, url, redaction)?;
    let mut response = envelope(&endpoint.envelope.key, body.iter().map(String::as_str), false, left_out);
    response.extensions_mut().insert(Returned(1));
    Ok(response)
}

/// The record a write stored (its JSON as stored), in the operation's envelope with `status`:
/// what an extension's PUT and enrolment answer, without the fields the caller is not shared.
pub fn written(
    endpoint: &Endpoint,
    status: StatusCode,
    body: &str,
    url: &RequestUrl,
    redaction: &Redaction,
) -> Result<Response, ApiError> {
    let record = endpoint.rendering.render_json(body, &Selection::default(), url.origin.as_deref())?;
    let record = redaction.apply("", record)?;
    let mut response = envelope(&endpoint.envelope.key, std::iter::once(record.as_str()), false, &[]);
    *response.status_mut() = status;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

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

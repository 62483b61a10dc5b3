//! The change events feed over HTTP: `GET {BASE}/events?after=&limit=&collections=` behind the
//! token [`Gate`] and the feed's own extension scope (`oneroster_openapi::events`), its OpenAPI
//! file served as the discovery document (public), every failure one `imsx_StatusInfo`. The
//! parameters are checked before any read; what a client is not shared is taken out by
//! `oneroster_service::events`; the feed stops [`EventsSettle`] behind now.

use crate::respond::RequestUrl;
use crate::serving::EventsSettle;
use crate::trace::{Operation, Returned};
use crate::{ApiError, Caller, Gate};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use oneroster_model::{Collection, Timestamp};
use oneroster_openapi::events::{document_text, scope, BASE, DEFAULT_LIMIT, MAX_LIMIT};
use oneroster_query::check_query_length;
use oneroster_service::events::{page, FeedRequest};
use oneroster_store::{EventPosition, Store};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The feed's router: the feed behind the [`Gate`], in a request span, gzip when the caller
/// accepts it; and its discovery document.
pub fn router(store: Store, gate: Arc<Gate>) -> Router {
    let discovery = || async { ([(header::CONTENT_TYPE, "application/json")], document_text()).into_response() };
    Router::new()
        .route(&format!("{BASE}/events"), get(feed))
        .with_state(store)
        .route_layer(axum::middleware::from_fn_with_state(gate, crate::authenticate))
        .layer(axum::middleware::from_fn(crate::trace::request_span))
        .layer(tower_http::compression::CompressionLayer::new().gzip(true))
        .route(&format!("{BASE}/discovery"), get(discovery))
        .route(&format!("{BASE}/discovery/"), get(discovery))
}

/// Every method and path the feed serves (for the check that the template routes them).
pub fn served() -> Vec<(&'static str, String)> {
    vec![("GET", format!("{BASE}/events")), ("GET", format!("{BASE}/discovery"))]
}

async fn feed(
    State(store): State<Store>,
    caller: Caller,
    url: RequestUrl,
    EventsSettle(settle): EventsSettle,
) -> Response {
    let answer = async {
        caller.require_any(&[scope()])?;
        check_query_length(url.query.as_deref())?;
        let request = parse(url.query.as_deref().unwrap_or_default())?;
        let until = Timestamp::from_millis(Timestamp::now().0.timestamp_millis() - settle.as_millis() as i64);
        let store = store.for_request();
        let tenant = caller.tenant();
        let page = page(store.tenant(&tenant), caller.sharing(), &request, until).await?;
        let returned = page.events.len();
        let body = serde_json::json!({ "events": page.events, "next": page.next.to_string() });
        Ok::<_, ApiError>((Json(body), returned))
    };
    let mut response = match answer.await {
        Ok((body, returned)) => {
            let mut response = body.into_response();
            response.extensions_mut().insert(Returned(returned));
            response
        }
        Err(error) => error.into_response(),
    };
    response.extensions_mut().insert(Operation("getAllEvents"));
    response
}

/// Reads the query string: `after` (a cursor of the feed), `limit` (1 to [`MAX_LIMIT`]),
/// `collections` (names, comma separated); anything else, or any of them twice, is refused.
fn parse(query: &str) -> Result<FeedRequest, ApiError> {
    let mut request = FeedRequest { after: None, limit: DEFAULT_LIMIT, collections: None };
    let mut given = BTreeSet::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_encoding::percent_decode_str(&value.replace('+', " ")).decode_utf8_lossy().into_owned();
        if !given.insert(name.to_owned()) {
            return Err(ApiError::Feed(format!("the parameter {} is given twice", shown(name))));
        }
        match name {
            "after" => {
                request.after = Some(EventPosition::parse(&value).map_err(|e| ApiError::Feed(e.to_string()))?);
            }
            "limit" => {
                request.limit = value
                    .parse()
                    .ok()
                    .filter(|limit| (1..=MAX_LIMIT).contains(limit))
                    .ok_or_else(|| ApiError::Feed(format!("limit must be a whole number from 1 to {MAX_LIMIT}")))?;
            }
            "collections" => {
                let names = value.split(',').map(str::trim).filter(|name| !name.is_empty());
                let collections = names
                    .map(|name| {
                        Collection::from_name(name)
                            .ok_or_else(|| ApiError::Feed(format!("{} is not a collection", shown(name))))
                    })
                    .collect::<Result<BTreeSet<_>, _>>()?;
                request.collections = Some(collections);
            }
            other => return Err(ApiError::Feed(format!("the feed takes no parameter {}", shown(other)))),
        }
    }
    Ok(request)
}

/// A client's text, bounded, for an error description.
fn shown(text: &str) -> String {
    format!("'{}'", text.chars().take(64).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parameters_are_read_and_checked_before_any_read() {
        let read = parse("after=1796612645123.0af3&limit=20&collections=users,enrollments").unwrap();
        assert_eq!(read.after.map(|after| after.to_string()), Some("1796612645123.0af3".to_owned()));
        assert_eq!(read.limit, 20);
        assert_eq!(read.collections, Some(BTreeSet::from([Collection::Users, Collection::Enrollments])));
        assert_eq!(parse("").unwrap(), FeedRequest { after: None, limit: DEFAULT_LIMIT, collections: None });
        assert_eq!(parse("collections=users%2Corgs").unwrap().collections.map(|c| c.len()), Some(2));
        for bad in [
            "after=x",
            "after=1796612645123%230af3",
            "limit=0",
            "limit=1001",
            "limit=ten",
            "collections=pupils",
            "filter=status='active'",
            "limit=1&limit=2",
        ] {
            assert!(matches!(parse(bad), Err(ApiError::Feed(_))), "{bad}");
        }
    }

    #[test]
    fn the_documents_collections_are_the_models() {
        let document = oneroster_openapi::events::document();
        let listed = &document["components"]["schemas"]["EventDType"]["properties"]["collection"]["enum"];
        let names: BTreeSet<&str> = listed.as_array().into_iter().flatten().filter_map(|n| n.as_str()).collect();
        assert_eq!(names, Collection::ALL.iter().map(|c| c.name()).collect());
    }
}

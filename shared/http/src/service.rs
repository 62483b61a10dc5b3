//! A service as a table of routes: each OpenAPI path with its operationId and what it reads or
//! writes (an [`Action`] of `oneroster-service`, which the handler hands to its `Reader` or
//! `Writer` and maps the outcome to a response). [`router`] serves a service's table under its
//! base path, behind the token [`Gate`](crate::Gate), with the public discovery document;
//! [`shared_base_router`] serves several services' tables together under the pre-split
//! [`ALIAS_BASE`]; [`route_drift`] checks a table against the OpenAPI file. Each route answers
//! the method its operation has in the OpenAPI file.
//!
//! Paths are matched by their fixed words ([`crate::paths`]), not cut into one segment per id,
//! because sourcedIds may hold `/` and API Gateway hands the function its path decoded: every
//! path below a base goes to one handler, which finds the route. Locally the path is decoded
//! first too (`usr%2F001` is `usr/001`), so that both spellings are served alike, as in AWS.

use crate::paths::{Paths, Template};
use crate::redact::{self, Redaction};
use crate::respond::{self, RequestUrl};
use crate::serving::ReadBudget;
use crate::trace::{Changed, Operation, RecordsOf};
use crate::{ApiError, Caller, Endpoint, Gate};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use oneroster_model::sharing::UNDER_13_FIELDS;
use oneroster_model::{Collection, Timestamp, View};
use oneroster_openapi::{Service, Version};
use oneroster_query::{check_query_length, ListParams, QueryError, Selection};
use oneroster_service::schools::Schools;
use oneroster_service::{Action, AsServed, ListRequest, Read, Reader, Write, Writer, Written};
use oneroster_store::{Store, StoredRecord};
use oneroster_writes::Origin;
use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::sync::Arc;

/// The pre-split base path that serves every service's routes too (some products document it).
pub const ALIAS_BASE: &str = "/ims/oneroster/v1p2";

/// OneRoster 1.1's one base, which serves the operations 1.1 has of the same tables.
pub const V1P1_BASE: &str = oneroster_openapi::v1p1::BASE;

/// The largest request body read, in bytes (2 MiB); a larger one is answered 413 as an
/// `imsx_StatusInfo`. API Gateway would pass up to 10 MB; no OneRoster write needs more.
pub const MAX_REQUEST_BODY_BYTES: usize = 2 * 1024 * 1024;

/// One endpoint: OpenAPI path, operationId, what it reads or writes.
pub type Route = (&'static str, &'static str, Action);

/// Services' route tables served together under one base path.
pub type Tables<'a> = &'a [(Service, &'static [Route])];

/// One operation as the handler serves it, read from the OpenAPI file once.
struct Served {
    operation_id: &'static str,
    method: Method,
    scopes: Vec<String>,
    serves: Serves,
}

/// What the handler does for an operation.
enum Serves {
    /// Reads, and renders in the operation's envelope with its fields.
    Read(Read, Box<Endpoint>),
    /// Writes, and renders the record written in the operation's envelope when the operation
    /// answers with it (the extensions' PUTs and enrolments).
    Write(Write, Option<Box<Endpoint>>),
}

impl Serves {
    /// The route's action, and for a read the operation's envelope and fields in `version`.
    fn new(version: Version, service: Service, operation_id: &str, action: Action) -> Self {
        match action {
            Action::Read(read) => Serves::Read(read, Box::new(Endpoint::new(version, service, operation_id))),
            Action::Write(write) => {
                // A write answering one record (the extensions' PUTs and enrolments), not the
                // sourcedId pairs of a POST nor nothing (the gradebook's PUTs).
                let answers_record = service
                    .operation(operation_id)
                    .and_then(|operation| operation.envelope.as_ref())
                    .is_some_and(|envelope| !envelope.is_list && envelope.body_schema != "GUIDPairSetDType");
                Serves::Write(write, answers_record.then(|| Box::new(Endpoint::new(version, service, operation_id))))
            }
        }
    }

    /// The action, for the checks every request's input goes through.
    fn action(&self) -> Action {
        match self {
            Serves::Read(read, _) => Action::Read(*read),
            Serves::Write(write, _) => Action::Write(*write),
        }
    }
}

/// What the handler of a base path shares: the store and the routes.
struct App {
    store: Store,
    routes: Routes,
}

/// The operations served under one base, in one version, found by path ([`Paths`]) and method.
pub struct Routes {
    base: &'static str,
    version: Version,
    paths: Paths<Vec<Served>>,
}

/// Whether `version` has the operation `operation_id` of `service` (1.1 has fewer).
fn in_version(version: Version, service: Service, operation_id: &str) -> bool {
    version == Version::V1p2 || oneroster_openapi::v1p1::has_operation(service, operation_id)
}

impl Routes {
    /// The operations of the `tables` that `version` has, under `base`. Panics if two
    /// operations answer one method at one path (route tables are fixed at build time; a test
    /// builds every one).
    pub fn new(version: Version, base: &'static str, tables: Tables<'_>) -> Self {
        let mut by_path: BTreeMap<String, (Template, Vec<Served>)> = BTreeMap::new();
        for &(service, routes) in tables {
            for &(path, operation_id, action) in routes.iter().filter(|(_, id, _)| in_version(version, service, id)) {
                let served = Served {
                    operation_id,
                    method: Method::from_bytes(method_of(service, operation_id).as_bytes())
                        .expect("the OpenAPI files name HTTP methods"),
                    scopes: service.operation(operation_id).map(|o| o.scopes.clone()).unwrap_or_default(),
                    serves: Serves::new(version, service, operation_id, action),
                };
                let (_, at_path) =
                    by_path.entry(positional(path)).or_insert_with(|| (Template::parse(path), Vec::new()));
                assert!(
                    at_path.iter().all(|other| other.method != served.method),
                    "{base}{path}: two operations answer {}",
                    served.method
                );
                at_path.push(served);
            }
        }
        Self { base, version, paths: Paths::new(by_path.into_values().collect()) }
    }

    /// The operation `method` and `path` (the whole request path) name, with the path's ids:
    /// 404 when no route has the path, 405 when its route has no such method (`HEAD` is
    /// answered as `GET`). The path is percent-decoded before it is matched, once more when it
    /// was decoded already (API Gateway decodes `rawPath`; a client's `%252F` then means `/`
    /// in AWS and stays `%2F`, an id no record has, locally).
    fn find(&self, method: &Method, path: &str) -> Result<(&Served, Vec<String>), ApiError> {
        let no_route = || ApiError::NoRoute(path.to_owned());
        let below = path.strip_prefix(self.base).ok_or_else(no_route)?;
        let decoded = percent_encoding::percent_decode_str(below).decode_utf8().map_err(|_| no_route())?;
        let (operations, ids) = self.paths.find(&decoded).ok_or_else(no_route)?;
        let wanted = if method == Method::HEAD { &Method::GET } else { method };
        let served = operations.iter().find(|served| served.method == wanted).ok_or_else(|| {
            let allowed: Vec<&str> = operations.iter().map(|served| served.method.as_str()).collect();
            ApiError::MethodNotAllowed { method: method.to_string(), allowed: allowed.join(", ") }
        })?;
        Ok((served, ids))
    }

    /// The operationId and ids `method` and `path` name (see [`Routes::find`]), for tests and
    /// tools that check the routing without serving.
    pub fn operation(&self, method: &Method, path: &str) -> Result<(&'static str, Vec<String>), ApiError> {
        self.find(method, path).map(|(served, ids)| (served.operation_id, ids))
    }
}

/// The method of an operation, from the OpenAPI file.
fn method_of(service: Service, operation_id: &str) -> &'static str {
    service.operation(operation_id).map_or("GET", |operation| operation.method.as_str())
}

/// The path with its parameters named by position (`{p0}`, `{p1}`): two OpenAPI paths that
/// differ only in their parameters' names (`/classes/{sourcedId}` and `/classes/{classSourcedId}`)
/// are one route.
fn positional(path: &str) -> String {
    let mut position = 0;
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                position += 1;
                format!("{{p{}}}", position - 1)
            } else {
                segment.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Every method and path served under `base` in `version` by the `tables` (parameters named by
/// position, `{p0}`), with the discovery document of each service whose own base `base` is.
pub fn served(version: Version, base: &str, tables: Tables<'_>) -> Vec<(&'static str, String)> {
    let mut served: Vec<(&'static str, String)> = tables
        .iter()
        .flat_map(|(service, routes)| {
            routes
                .iter()
                .filter(move |(_, id, _)| in_version(version, *service, id))
                .map(move |(path, id, _)| (method_of(*service, id), format!("{base}{}", positional(path))))
        })
        .collect();
    for (service, _) in tables.iter().filter(|(service, _)| service.base_path() == base) {
        served.extend(discovery_paths(*service).map(|path| ("GET", path)));
    }
    served
}

fn discovery_paths(service: Service) -> [String; 2] {
    let base = service.base_path();
    [format!("{base}/discovery"), format!("{base}/discovery/")]
}

/// The service's router: every route under the service's base behind the token [`Gate`],
/// and the discovery document (public). Paths outside the base are left to the router that
/// serves them (see [`no_route`]), so that several services merge into one local server.
pub fn router(service: Service, routes: &'static [Route], store: Store, gate: Arc<Gate>) -> Router {
    let base = service.base_path();
    let discovery =
        move || async move { ([(header::CONTENT_TYPE, "application/json")], service.discovery_text()).into_response() };
    let [bare, slashed] = discovery_paths(service);
    mount(Version::V1p2, base, &[(service, routes)], store, gate)
        .route(&bare, get(discovery))
        .route(&slashed, get(discovery))
}

/// The router of the shared bases, which carry several services under one head (one function
/// holds their tables, since one API Gateway route takes a whole base): 1.2's pre-split
/// [`ALIAS_BASE`] and 1.1's [`V1P1_BASE`] (the operations 1.1 has, its records viewed as 1.1
/// has them, its error bodies).
pub fn shared_base_router(tables: Tables<'_>, store: Store, gate: Arc<Gate>) -> Router {
    mount(Version::V1p2, ALIAS_BASE, tables, store.clone(), gate.clone()).merge(mount(
        Version::V1p1,
        V1P1_BASE,
        tables,
        store,
        gate,
    ))
}

/// Every path below `base` to one handler that finds its route in `tables`, behind the
/// [`Gate`], in a request span, gzip when the caller accepts it, bodies read up to
/// [`MAX_REQUEST_BODY_BYTES`]; in 1.1, every failure (the gate's too) in 1.1's error body.
fn mount(version: Version, base: &'static str, tables: Tables<'_>, store: Store, gate: Arc<Gate>) -> Router {
    let app = Arc::new(App { store, routes: Routes::new(version, base, tables) });
    let routes = Router::new()
        .route(&format!("{base}/{{*path}}"), any(dispatch))
        .with_state(app)
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY_BYTES))
        .route_layer(axum::middleware::from_fn_with_state(gate, crate::authenticate));
    let routes = match version {
        Version::V1p2 => routes,
        Version::V1p1 => routes.layer(axum::middleware::map_response(crate::error::in_v1p1)),
    };
    routes
        .layer(axum::middleware::from_fn(crate::trace::request_span))
        // gzip when the caller accepts it: a 10,000-record page shrinks about tenfold.
        .layer(tower_http::compression::CompressionLayer::new().gzip(true))
}

/// The answer to a path no route serves: 404 `unknownobject` as `imsx_StatusInfo`.
pub async fn no_route(url: RequestUrl) -> ApiError {
    ApiError::NoRoute(url.url)
}

/// Serves every request below a base: finds the route (404 when none, 405 when it has no
/// such method), checks the operation's scopes, then the request's input (the query string's
/// length, the path's ids, the query's parameters) before anything is read, then reads (within
/// the read budget: 503 past it) or writes; the operation and its collection go on the audit
/// event.
async fn dispatch(
    State(app): State<Arc<App>>,
    caller: Caller,
    url: RequestUrl,
    ReadBudget(budget): ReadBudget,
    method: Method,
    RequestPath(path): RequestPath,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (served, ids) = match app.routes.find(&method, &path) {
        Ok(found) => found,
        Err(error) => return error.into_response(),
    };
    let answer = async {
        caller.require_any(&served.scopes)?;
        if !caller.sharing().reaches(served.serves.action().collection()) {
            return Err(ApiError::Forbidden);
        }
        check_query_length(url.query.as_deref())?;
        served.serves.action().check_ids(&ids)?;
        match &served.serves {
            Serves::Read(read, endpoint) => {
                let query = Query::parse(&app.store, &caller, *read, &ids, endpoint, &url).await?;
                let answer = self::read(&app, &caller, *read, endpoint, &ids, query, &url);
                tokio::time::timeout(budget, answer).await.unwrap_or(Err(ApiError::OverBudget(budget)))
            }
            Serves::Write(write, endpoint) => {
                self::write(&app, &caller, *write, endpoint.as_deref(), &ids, body, &url).await
            }
        }
    };
    let mut response = answer.await.unwrap_or_else(IntoResponse::into_response);
    response.extensions_mut().insert(Operation(served.operation_id));
    response.extensions_mut().insert(RecordsOf(served.serves.action().collection().name()));
    response
}

/// The request's path as API Gateway sent it (`rawPath`, in Lambda), else as the request line
/// has it. Not the URI `lambda_http` rebuilds: it resolves `.` and `..` segments, which ids may
/// hold (`a/../b` would address record `b`).
struct RequestPath(String);

impl<S: Send + Sync> FromRequestParts<S> for RequestPath {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let raw = lambda_http::RequestExt::raw_http_path(&parts.extensions);
        Ok(Self(if raw.is_empty() { parts.uri.path() } else { raw }.to_owned()))
    }
}

/// A read's query, parsed and checked before anything is read.
enum Query {
    /// A list's listing and parameters (its cursor checked against the listing).
    List(ListRequest, ListParams),
    /// A single record of a collection (in a view, when given), its `fields`, and what was
    /// left out of them (1.1: an unknown field is a warning).
    One { collection: Collection, view: Option<View>, selection: Selection, warnings: Vec<QueryError> },
}

impl Query {
    /// Parses and checks the query; a date given alone for a date-time field (`dateLastModified>
    /// '2026-01-15'`) is the start of that day in the caller's district (its settings read
    /// for that, and only then), before the cursor is checked against the listing it names.
    async fn parse(
        store: &Store,
        caller: &Caller,
        read: Read,
        ids: &[String],
        endpoint: &Endpoint,
        url: &RequestUrl,
    ) -> Result<Self, ApiError> {
        let query = url.query.as_deref();
        // What the caller is not shared, it cannot name either.
        let narrowed = endpoint.fields.without(caller.sharing().hidden());
        let fields = narrowed.as_ref().unwrap_or(&endpoint.fields);
        if let Read::One(collection, view) = read {
            let (selection, warnings) = Selection::parse(query, fields)?;
            return Ok(Query::One { collection, view, selection, warnings });
        }
        // Every other read lists; its ids were checked.
        let request = read.list_request(ids).ok_or_else(|| ApiError::NoRoute(url.url.clone()))?;
        // A client of one school lists the district's classes (…) from that school's listing.
        let schools = caller.sharing().schools.as_ref().map(Schools);
        let request = schools.and_then(|schools| schools.narrow(&request)).unwrap_or(request);
        let mut params = ListParams::parse(query, fields)?;
        if params.names_a_day() {
            let zone = store.tenant(&caller.tenant()).settings().await?.timezone;
            params.start_days(|day| zone.start_of(oneroster_model::Date(day)).0);
        }
        request.check_cursor(&params)?;
        Ok(Query::List(request, params))
    }
}

/// Serves a read through the [`Reader`] (one record, or a list route with its parent rules)
/// and renders what it read.
async fn read(
    app: &App,
    caller: &Caller,
    read: Read,
    endpoint: &Endpoint,
    ids: &[String],
    query: Query,
    url: &RequestUrl,
) -> Result<Response, ApiError> {
    let (store, tenant) = (app.store.for_request(), caller.tenant());
    // A filter or sort on what the stored record holds otherwise reads the records as served:
    // a reference's `href` (1.2 as it was stored before the store named records only), a 1.1
    // property made from others (a user's `role`); nothing else needs it.
    let as_served = |record: &mut serde_json::Value| endpoint.rendering.render(record, None);
    let derived = match endpoint.version {
        Version::V1p1 => oneroster_openapi::v1p1::derived(&endpoint.envelope.item_schema),
        Version::V1p2 => &[],
    };
    let reads_served =
        |field: &str| field.ends_with(".href") || derived.contains(&field.split('.').next().unwrap_or_default());
    let reader = Reader::new(&store, &tenant).limited_to(caller.sharing().schools.as_ref());
    let reader = match &query {
        Query::List(_, params) if params.fields_read().any(reads_served) => reader.serving(AsServed(&as_served)),
        _ => reader,
    };
    let collection = Action::Read(read).collection();
    match query {
        Query::One { collection, view, selection, warnings } => {
            let id = ids.first().map(String::as_str).unwrap_or_default();
            let record = reader.get(collection, view, id, &endpoint.envelope.key).await?;
            let redaction = Box::pin(redaction(&app.store, caller, collection, std::slice::from_ref(&record))).await?;
            respond::one(endpoint, &record, &selection, &warnings, url, &redaction)
        }
        Query::List(request, params) => {
            let mut listed = reader.list_route(read, ids, &request, &params).await?;
            let redaction = Box::pin(redaction(&app.store, caller, collection, &listed.records)).await?;
            // A child whose identity fields are withheld is not found by them either.
            let withheld = |field: &str| UNDER_13_FIELDS.contains(&field.split('.').next().unwrap_or_default());
            if params.fields_read().any(withheld) {
                let before = listed.records.len();
                listed.records.retain(|record| !redaction.withholds(&record.id));
                listed.total = listed.total.saturating_sub((before - listed.records.len()) as u64);
            }
            respond::list(endpoint, listed, &params, url, &redaction)
        }
    }
}

/// What `caller` is not shared of `records` (of `collection`): its hidden fields and, when it
/// is not shared those of children, the under-13 fields of the students under 13 among them
/// (by the birth dates their items keep, on the day it is in the district's timezone).
async fn redaction(
    store: &Store,
    caller: &Caller,
    collection: Collection,
    records: &[StoredRecord],
) -> Result<Redaction, ApiError> {
    let redaction = Redaction::of(caller.sharing());
    if !caller.sharing().under_13.withholds() || !redact::holds_people(collection) || records.is_empty() {
        return Ok(redaction);
    }
    let tenant = caller.tenant();
    let district = store.tenant(&tenant);
    let unkept = redact::unkept_births(collection, records);
    let demographics = async {
        match unkept.is_empty() {
            true => Ok(Vec::new()),
            false => district.records().get_many(Collection::Demographics, &unkept).await,
        }
    };
    // Two reads at once (the second only for users stored before their items kept birth
    // dates): a page waits for one round, not two.
    let (settings, demographics) = tokio::try_join!(district.settings(), demographics)?;
    let minors = redact::minors(collection, records, &demographics, Timestamp::now(), settings.timezone);
    Ok(redaction.withholding(minors))
}

/// Serves a write: PUT answers 201 when it created the record and 200 when it replaced it
/// (with the record, when the operation's `endpoint` says so), DELETE 204, POST 201 with the
/// `sourcedIdPairs` (or with the record it made); the change goes on the audit event.
async fn write(
    app: &App,
    caller: &Caller,
    write: Write,
    endpoint: Option<&Endpoint>,
    ids: &[String],
    body: Result<Bytes, BytesRejection>,
    url: &RequestUrl,
) -> Result<Response, ApiError> {
    // The body is read (413 past the limit) before any record is: input first.
    let body = match write {
        Write::Delete(..) | Write::Unlink(_) => Bytes::new(),
        _ => body.map_err(|rejection| match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::BodyTooLarge { limit: MAX_REQUEST_BODY_BYTES },
            status => ApiError::RequestBody(rejection.body_text(), status),
        })?,
    };
    let tenant = caller.tenant();
    // A client limited to schools writes only within them.
    let reader = Reader::new(&app.store, &tenant).limited_to(caller.sharing().schools.as_ref());
    Box::pin(reader.may_write(write, ids, &body)).await?;
    let writer = Writer::new(&app.store, &tenant, Origin(caller.client().to_owned())).speaking(app.routes.version);
    let written = writer.write(write, ids, &body).await?;
    let described: Vec<String> = written.changes().iter().map(oneroster_writes::Change::describe).collect();
    let with_record = |status: StatusCode, change: &oneroster_writes::Change| match (endpoint, &change.body) {
        (Some(endpoint), Some(body)) => respond::written(endpoint, status, body, url, &Redaction::of(caller.sharing())),
        _ => Ok(status.into_response()),
    };
    let mut response = match written {
        Written::Created(change) | Written::Made(change) => with_record(StatusCode::CREATED, &change)?,
        Written::Replaced(change) => with_record(StatusCode::OK, &change)?,
        Written::Deleted(_) => StatusCode::NO_CONTENT.into_response(),
        Written::Posted { pairs, .. } => {
            let pairs: Vec<serde_json::Value> = pairs
                .into_iter()
                .map(|(supplied, allocated)| {
                    serde_json::json!({"suppliedSourcedId": supplied, "allocatedSourcedId": allocated})
                })
                .collect();
            let body = serde_json::json!({ "sourcedIdPairs": pairs }).to_string();
            (StatusCode::CREATED, [(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
    };
    response.extensions_mut().insert(Changed(described.join("; ")));
    Ok(response)
}

/// How a route table and the service's OpenAPI file differ: operations not served, routes not
/// specified, and routes whose target does not fit the operation's envelope (a list read for a
/// single-record operation, or the reverse). Empty when they agree.
pub fn route_drift(service: Service, routes: &[Route]) -> Vec<String> {
    let served: BTreeSet<(&str, &str)> = routes.iter().map(|(path, id, _)| (*path, *id)).collect();
    let specified: BTreeSet<(&str, &str)> =
        service.operations().iter().map(|o| (o.path.as_str(), o.operation_id.as_str())).collect();
    let mut drift: Vec<String> = specified
        .difference(&served)
        .map(|(path, id)| format!("{id} ({path}) is specified but not served"))
        .chain(served.difference(&specified).map(|(path, id)| format!("{id} ({path}) is served but not specified")))
        .collect();
    for (path, id, action) in routes.iter().filter(|(path, id, _)| specified.contains(&(*path, *id))) {
        match action {
            Action::Write(write) => {
                let method = method_of(service, id);
                let fits = matches!(
                    (write, method),
                    (Write::Put(..) | Write::Link(_), "PUT")
                        | (Write::Delete(..) | Write::Unlink(_), "DELETE")
                        | (Write::Post(..) | Write::Create(..), "POST")
                );
                if !fits {
                    drift.push(format!("{id} ({path}) is a {method}, which {write:?} does not serve"));
                }
            }
            Action::Read(read) => {
                let is_list = Endpoint::new(Version::V1p2, service, id).envelope.is_list;
                if is_list == matches!(read, Read::One(..)) {
                    drift.push(format!("{id} ({path}) reads {read:?}, which does not fit its envelope"));
                }
            }
        }
    }
    drift
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn positional_names_parameters_by_position() {
        assert_eq!(
            positional("/schools/{schoolSourcedId}/classes/{classSourcedId}/students"),
            "/schools/{p0}/classes/{p1}/students"
        );
        assert_eq!(positional("/users"), "/users");
    }

    fn gate(store: &Store) -> Arc<Gate> {
        let verifier = oneroster_auth::Verifier::new(&serde_json::json!({"keys": []}), "i");
        Arc::new(Gate::new(verifier, store.clone(), Duration::ZERO))
    }

    fn unused_store() -> Store {
        let aws = aws_config::SdkConfig::builder().behavior_version(aws_config::BehaviorVersion::latest()).build();
        Store::connect(&aws, Some("http://127.0.0.1:9"), "unused")
    }

    async fn status(router: &Router, method: &str, path: &str) -> u16 {
        use tower::ServiceExt;
        let request = axum::http::Request::builder().method(method).uri(path).body(axum::body::Body::empty());
        router.clone().oneshot(request.expect("a request")).await.expect("an answer").status().as_u16()
    }

    #[tokio::test]
    async fn the_router_asks_every_path_for_a_token_but_discovery_and_leaves_other_bases_alone() {
        // Which route a path means is tested over the real tables (the v1p2 crate has them all).
        const ROUTES: [Route; 2] = [
            ("/resources", "getAllResources", Action::Read(Read::All(Collection::Resources))),
            (
                "/classes/{classSourcedId}/resources",
                "getResourcesForClass",
                Action::Read(Read::All(Collection::Resources)),
            ),
        ];
        let store = unused_store();
        let router = router(Service::Resources, &ROUTES, store.clone(), gate(&store));
        let served = served(Version::V1p2, Service::Resources.base_path(), &[(Service::Resources, &ROUTES)]);
        assert_eq!(served.len(), 4, "{served:?}");
        for (_, path) in served {
            // Routes ask for a token first (401), also for ids holding `/`; discovery is public (200).
            for id in ["c-1", "usr/0000000@lu", "usr%2F0000000@lu"] {
                let answer = status(&router, "GET", &path.replace("{p0}", id)).await;
                assert!(answer == 401 || answer == 200, "{path}: {answer}");
            }
        }
        assert_eq!(status(&router, "GET", "/ims/oneroster/v1p2/resources").await, 404, "another base");
    }

    #[tokio::test]
    async fn the_shared_base_carries_every_table_given() {
        const RESOURCES: [Route; 1] =
            [("/resources", "getAllResources", Action::Read(Read::All(Collection::Resources)))];
        const ROSTERING: [Route; 1] = [("/users", "getAllUsers", Action::Read(Read::All(Collection::Users)))];
        let store = unused_store();
        let tables = [(Service::Resources, &RESOURCES[..]), (Service::Rostering, &ROSTERING[..])];
        let router = shared_base_router(&tables, store.clone(), gate(&store));
        assert_eq!(
            served(Version::V1p2, ALIAS_BASE, &tables),
            vec![("GET", format!("{ALIAS_BASE}/resources")), ("GET", format!("{ALIAS_BASE}/users"))],
            "no discovery document under the shared base"
        );
        for path in ["/ims/oneroster/v1p2/resources", "/ims/oneroster/v1p2/users"] {
            assert_eq!(status(&router, "GET", path).await, 401, "{path}");
        }
        assert_eq!(status(&router, "GET", "/ims/oneroster/rostering/v1p2/users").await, 404, "another base");
    }

    #[test]
    fn drift_names_what_is_missing_extra_and_misread() {
        const ROUTES: [Route; 3] = [
            ("/resources", "getAllResources", Action::Read(Read::All(Collection::Resources))),
            ("/resources/{sourcedId}", "getResource", Action::Read(Read::All(Collection::Resources))),
            ("/resources/{sourcedId}/extra", "getExtra", Action::Read(Read::One(Collection::Resources, None))),
        ];
        let drift = route_drift(Service::Resources, &ROUTES);
        assert!(drift.iter().any(|d| d.starts_with("getResourcesForClass") && d.ends_with("not served")), "{drift:?}");
        assert!(drift.iter().any(|d| d.starts_with("getExtra") && d.ends_with("not specified")), "{drift:?}");
        assert!(drift.iter().any(|d| d.starts_with("getResource (") && d.contains("envelope")), "{drift:?}");
        assert!(!drift.iter().any(|d| d.starts_with("getAllResources")), "{drift:?}");
    }
}

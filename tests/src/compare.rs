//! Two tenants compared route by route: every read route of every service answered by both,
//! every page, byte for byte but `dateLastModified` (each tenant's own load time). What an
//! export round trip and a pull from an SIS are held to.

use crate::{Api, Reply};
use local_server::LocalStack;
use oneroster_csv::Version;
use oneroster_model::TenantId;
use oneroster_openapi::Service;
use oneroster_service::routes::Action;
use serde_json::Value;

/// Parent ids tried per path parameter (the collection routes list every record).
const IDS_PER_PARAMETER: usize = 2;

/// Every read route of each service, under its own base.
pub fn read_routes() -> Vec<(Service, &'static str, &'static str)> {
    let tables: [(Service, &[oneroster_http::service::Route]); 4] = [
        (Service::Rostering, &rostering::ROUTES),
        (Service::Gradebook, &gradebook::ROUTES),
        (Service::Resources, &resources::ROUTES),
        (Service::Attendance, &rostering::attendance::ROUTES),
    ];
    let mut routes = Vec::new();
    for (service, table) in tables {
        for (path, operation, action) in table {
            if matches!(action, Action::Read(_)) {
                routes.push((service, *path, *operation));
            }
        }
    }
    routes
}

/// Where the ids a path parameter takes are listed (service, path, envelope key); a record's
/// own `{sourcedId}` from the route's collection.
fn listing_of(service: Service, path: &str, parameter: &str) -> (Service, String, String) {
    let rostering = |path: &str, key: &str| (Service::Rostering, path.to_owned(), key.to_owned());
    match parameter {
        "sourcedId" => {
            let collection = path.trim_end_matches("/{sourcedId}");
            let key = service
                .operation(&format!("getAll{}", upper_first(collection.trim_start_matches('/'))))
                .and_then(|o| o.envelope.as_ref())
                .map(|e| e.key.clone());
            (service, collection.to_owned(), key.unwrap_or_else(|| collection.trim_start_matches('/').to_owned()))
        }
        "academicSessionSourcedId" => rostering("/academicSessions", "academicSessions"),
        "classSourcedId" => rostering("/classes", "classes"),
        "courseSourcedId" => rostering("/courses", "courses"),
        "schoolSourcedId" => rostering("/schools", "orgs"),
        "studentSourcedId" => rostering("/students", "users"),
        "teacherSourcedId" => rostering("/teachers", "users"),
        "termSourcedId" => rostering("/terms", "academicSessions"),
        "userSourcedId" => rostering("/users", "users"),
        "lineItemSourcedId" => (Service::Gradebook, "/lineItems".into(), "lineItems".into()),
        "resourceSourcedId" => (Service::Resources, "/resources".into(), "resources".into()),
        other => panic!("no listing for the path parameter {other}"),
    }
}

fn upper_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
}

/// `value` with every `dateLastModified` masked.
fn masked(mut value: Value) -> Value {
    fn mask(value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (key, value) in map.iter_mut() {
                    if key == "dateLastModified" {
                        *value = Value::String("<masked>".into());
                    } else {
                        mask(value);
                    }
                }
            }
            Value::Array(values) => values.iter_mut().for_each(mask),
            _ => {}
        }
    }
    mask(&mut value);
    value
}

/// One answer as compared: status, `X-Total-Count`, masked body.
fn seen(reply: &Reply) -> String {
    let total = reply.headers.get("x-total-count").and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned();
    format!("{} {total} {}", reply.status, masked(reply.body.clone()))
}

/// Every page of `target` (following `Link` `next`), as compared.
async fn pages(api: &Api, target: &str) -> Vec<String> {
    let mut seen_pages = Vec::new();
    let mut next = Some(target.to_owned());
    while let Some(url) = next.take() {
        let reply = api.get(&url).await;
        seen_pages.push(seen(&reply));
        next = reply.link("next");
    }
    seen_pages
}

/// The first ids a listing of tenant `api` holds.
async fn first_ids(api: &Api, base: &str, listing: &(Service, String, String)) -> Vec<String> {
    let reply = api.get(&format!("{base}{}{}?limit={IDS_PER_PARAMETER}", listing.0.base_path(), listing.1)).await;
    reply.body[&listing.2]
        .as_array()
        .map(|records| records.iter().filter_map(|r| r["sourcedId"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// Every read route of `version` that `compared_route` takes (by its path) answered by
/// `original` and `copy`, each path parameter given the first ids of its listing in
/// `original`; how many answers were compared, and the routes whose answers differ, with both.
pub async fn differences(
    original: &Api,
    copy: &Api,
    version: Version,
    compared_route: impl Fn(&str) -> bool,
) -> (usize, Vec<String>) {
    let v1p1 = version == Version::V1p1;
    let mut compared = 0;
    let mut differ = Vec::new();
    for (service, path, operation) in read_routes() {
        if v1p1 && (service == Service::Attendance || !oneroster_openapi::v1p1::has_operation(service, operation)) {
            continue;
        }
        if !compared_route(path) {
            continue;
        }
        let base = if v1p1 { "/ims/oneroster/v1p1".to_owned() } else { service.base_path().to_owned() };
        let mut targets = vec![path.to_owned()];
        for parameter in path.split('{').skip(1).filter_map(|p| p.split_once('}')).map(|(name, _)| name) {
            let listing = listing_of(service, path, parameter);
            // The ids are listed through 1.2's bases in either version (1.1 lacks some views).
            let ids = first_ids(original, "", &listing).await;
            if ids.is_empty() {
                // Only the assessment collections, which no CSV file carries, are empty.
                assert!(path.contains("assessment"), "{path}: no ids listed for {parameter}");
                targets.clear();
                break;
            }
            let placeholder = format!("{{{parameter}}}");
            targets = targets
                .iter()
                .flat_map(|target| ids.iter().map(|id| target.replacen(&placeholder, &id.replace('/', "%2F"), 1)))
                .collect();
        }
        for target in targets {
            let separator = if target.contains('?') { '&' } else { '?' };
            let url = format!("{base}{target}{separator}limit=500");
            compared += 1;
            let (a, b) = (pages(original, &url).await, pages(copy, &url).await);
            if a != b {
                let first = a.iter().zip(&b).find(|(a, b)| a != b).map(|(a, b)| (a.clone(), b.clone()));
                differ.push(format!("{url}: {} pages vs {}; first difference {first:?}", a.len(), b.len()));
            }
        }
    }
    (compared, differ)
}

/// A client of `tenant` reading every standard service and attendance.
pub async fn reader(stack: &LocalStack, tenant: &TenantId) -> Api {
    let text = format!(
        "{} https://oneroster-provider.example.org/spec/or/ext/scope/attendance.readonly",
        oneroster_auth::Scopes::all().to_text()
    );
    Api::with_scopes(stack, tenant, &oneroster_auth::Scopes::parse(&text).expect("scopes")).await
}

//! CSV export round trips: a generated district (gradebook, resources, attendance) uploaded to
//! tenant A, exported by `oneroster-admin export` and the zip uploaded to an empty tenant; every
//! read route of every service then answers the same, byte for byte but `dateLastModified`
//! (each tenant's own upload time), in 1.2 and, through 1.1's base, in 1.1.

use district_gen::District;
use e2e::{ingest, small_district, stack, tenant, Api, Reply};
use local_server::LocalStack;
use oneroster_csv::{FileKind, Version};
use oneroster_model::TenantId;
use oneroster_openapi::Service;
use oneroster_service::routes::Action;
use oneroster_store::JobState;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// School days of attendance in the district's bulk.
const DAYS: usize = 2;

/// Parent ids tried per path parameter (the collection routes list every record).
const IDS_PER_PARAMETER: usize = 2;

/// Every read route of each service, under its own base.
fn read_routes() -> Vec<(Service, &'static str, &'static str)> {
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

/// Every read route of `version` answered by `original` and `copy`, each path parameter given
/// the first ids of its listing in `original`; the routes whose answers differ, with both.
async fn differences(original: &Api, copy: &Api, version: Version) -> (usize, Vec<String>) {
    let v1p1 = version == Version::V1p1;
    let mut compared = 0;
    let mut differ = Vec::new();
    for (service, path, operation) in read_routes() {
        if v1p1 && (service == Service::Attendance || !oneroster_openapi::v1p1::has_operation(service, operation)) {
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
async fn reader(stack: &LocalStack, tenant: &TenantId) -> Api {
    let text = format!(
        "{} https://oneroster-provider.example.org/spec/or/ext/scope/attendance.readonly",
        oneroster_auth::Scopes::all().to_text()
    );
    Api::with_scopes(stack, tenant, &oneroster_auth::Scopes::parse(&text).expect("scopes")).await
}

/// Exports `from` in `version` with the admin tool and uploads the zip to the empty tenant
/// `to`; the files written, by name.
async fn exported_into(stack: &LocalStack, from: &TenantId, to: &TenantId, version: Version) -> BTreeMap<String, u64> {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let out = dir.path().join("export.zip");
    let exported = admin::export_tenant(stack.store(), from, version, &out).await.expect("exports");
    assert_eq!(exported.version, version.as_str());
    assert!(!dir.path().join("export.zip.partial").exists(), "the partial file is renamed into place");
    let job = ingest(stack, to, "export.zip", std::fs::read(&out).expect("the zip")).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    exported.files.into_iter().map(|(name, rows)| (name.to_owned(), rows)).collect()
}

#[tokio::test]
async fn an_exported_tenant_uploaded_to_an_empty_one_serves_the_same_on_every_route_in_1p2_and_1p1() {
    let stack = stack().await;
    let (a, b, c) = (tenant("export-a"), tenant("export-b"), tenant("export-c"));
    // Smaller than `small_district`: every route is asked of three tenants.
    let district =
        District { students: 40, schools: 2, teachers: 4, parents: 10, classes_per_school: 4, ..small_district() };
    let mut bulk = std::io::Cursor::new(Vec::new());
    district.write_bulk_with_attendance(&mut bulk, district_gen::Binding::V1p2, DAYS).expect("generate");
    let job = ingest(&stack, a.id(), "bulk.zip", bulk.into_inner()).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);

    // 1.2: every file the district has (all of the binding's but userProfiles.csv, which the
    // generator does not write), with attendance.
    let files = exported_into(&stack, a.id(), b.id(), Version::V1p2).await;
    let expected: Vec<&str> =
        FileKind::ALL.into_iter().filter(|kind| *kind != FileKind::UserProfiles).map(FileKind::file_name).collect();
    let mut names: Vec<&str> = files.keys().map(String::as_str).collect();
    names.sort();
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    assert_eq!(names, expected_sorted);
    assert_eq!(files["users.csv"], (district.students + district.teachers + district.parents) as u64);
    let (api_a, api_b) = (reader(&stack, a.id()).await, reader(&stack, b.id()).await);
    let (compared, differ) = differences(&api_a, &api_b, Version::V1p2).await;
    assert!(differ.is_empty(), "{} of {compared} answers differ:\n{}", differ.len(), differ.join("\n"));
    assert!(compared > 100, "{compared} answers compared");
    // 1.1: its files (a user's roles in its row), read back through 1.1's base.
    let files = exported_into(&stack, a.id(), c.id(), Version::V1p1).await;
    assert!(!files.contains_key("roles.csv") && files.contains_key("users.csv") && files.contains_key("results.csv"));
    let api_c = reader(&stack, c.id()).await;
    let (compared, differ) = differences(&api_a, &api_c, Version::V1p1).await;
    assert!(differ.is_empty(), "{} of {compared} 1.1 answers differ:\n{}", differ.len(), differ.join("\n"));
    assert!(compared > 50, "{compared} 1.1 answers compared");
}

#[tokio::test]
async fn the_export_function_writes_to_the_tenants_exports_folder_which_is_never_ingested() {
    let stack = stack().await;
    let t = tenant("export-lambda");
    let job = ingest(&stack, t.id(), "bulk.zip", e2e::bulk_zip(&small_district())).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    let bucket = stack.config.bucket.clone();
    let exporter = export::Exporter::new(stack.store().clone(), stack.s3_client(), bucket.clone());
    let now = oneroster_model::Timestamp::parse("2026-12-07T04:05:06.000Z").expect("a time");
    let asked = export::Request { tenant: Some(t.id().to_string()), version: Some("1.1".into()), ..Default::default() };
    let written = exporter.run(&asked, now).await.expect("exports");
    assert_eq!(written.len(), 1);
    assert_eq!(written[0].location, format!("s3://{bucket}/export-lambda/exports/20261207T040506Z-v1p1.zip"));
    assert!(written[0].exported.files.iter().any(|(name, rows)| *name == "users.csv" && *rows > 0));

    // The zip's notification reaches the queue, as any object's ending .zip; the ingest skips it.
    for delivered in [stack.deliver(Duration::from_secs(5)).await, stack.deliver(Duration::from_secs(2)).await] {
        let delivered = delivered.expect("the queue answers");
        assert!(delivered.iter().all(|(_, outcomes)| outcomes.is_empty()), "{delivered:?}");
    }
    let jobs = stack.store().tenant(&t).jobs().list().await.expect("jobs");
    assert_eq!(jobs.len(), 1, "the export was not taken for an upload: {jobs:#?}");

    let unknown = export::Request { tenant: Some("export-nobody".into()), ..Default::default() };
    assert!(matches!(exporter.run(&unknown, now).await, Err(export::ExportFailed::NoTenant(_))));
    let bad = export::Request { tenant: Some(t.id().to_string()), version: Some("2.0".into()), ..Default::default() };
    assert!(matches!(exporter.run(&bad, now).await, Err(export::ExportFailed::BadRequest(_))));
}

#[tokio::test]
async fn exporting_an_unregistered_tenant_is_refused_and_leaves_no_file() {
    let stack = stack().await;
    let dir = tempfile::tempdir().expect("a temporary folder");
    let out = dir.path().join("export.zip");
    let unknown = TenantId::parse("export-nobody").expect("an id");
    let refused = admin::export_tenant(stack.store(), &unknown, Version::V1p2, &out).await;
    assert!(matches!(refused, Err(admin::AdminError::UnknownTenant(_))), "{refused:?}");
    assert_eq!(std::fs::read_dir(dir.path()).expect("the folder").count(), 0);
}

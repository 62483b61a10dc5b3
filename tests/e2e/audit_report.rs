//! The access report (`oneroster-admin audit`) over a known sequence of requests: two apps of
//! one district and one of another read through the real router, their audit events written
//! by the local server's audit log layer, then added up per app and collection as the command
//! does, the other district's apps left out, `--client` and `--since` narrowing it, and as CSV.

use admin::audit::{Format, Report, Row, Scope};
use chrono::{DateTime, Utc};
use e2e::{bulk_zip, ingest, small_district, stack, tenant, Api, Reply};
use local_server::LocalStack;
use oneroster_auth::Scopes;
use oneroster_model::TenantId;
use std::time::Duration;
use tracing::instrument::WithSubscriber;
use tracing_subscriber::layer::SubscriberExt;

const ROSTERING: &str = "/ims/oneroster/rostering/v1p2";

/// An app of `tenant` holding `scopes`, as an operator makes it: its client id, and the API
/// with a token of its own.
async fn app(stack: &LocalStack, tenant: &TenantId, scopes: &Scopes) -> (String, Api) {
    let (client, secret) = e2e::client(stack, tenant, scopes).await;
    let anonymous = Api::anonymous(stack);
    let reply = anonymous.token("grant_type=client_credentials", Some((&client.id, &secret))).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    (client.id, anonymous.with_bearer(reply.body["access_token"].as_str().expect("a token")))
}

/// `GET` a rostering path that must answer 200; the number of records under `key`.
async fn read(api: &Api, path: &str, key: &str) -> u64 {
    let reply: Reply = api.get(&format!("{ROSTERING}{path}")).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    match &reply.body[key] {
        serde_json::Value::Array(records) => records.len() as u64,
        serde_json::Value::Object(_) => 1,
        other => panic!("{path}: no {key} in {other}"),
    }
}

/// The report's rows less their times: client, collection, requests, records, refused.
fn counts(report: &Report) -> Vec<(String, String, u64, u64, u64)> {
    report.rows.iter().map(|r| (r.client.clone(), r.collection.clone(), r.requests, r.records, r.refused)).collect()
}

/// Rows sorted as the report sorts them (client, then collection).
fn sorted(mut rows: Vec<(String, String, u64, u64, u64)>) -> Vec<(String, String, u64, u64, u64)> {
    rows.sort();
    rows
}

fn row(client: &str, collection: &str, requests: u64, records: u64, refused: u64) -> (String, String, u64, u64, u64) {
    (client.to_owned(), collection.to_owned(), requests, records, refused)
}

/// A day of requests whose audit events went to a local audit log.
struct Day {
    /// The audit log (in `_folder`, removed with it).
    path: std::path::PathBuf,
    _folder: tempfile::TempDir,
    /// The district whose report is read, and the other one.
    ours: TenantId,
    theirs: TenantId,
    /// Our apps (client ids): one holding every scope, one roster-core only; and the other
    /// district's app.
    reader: String,
    roster_only: String,
    neighbour: String,
    /// When the requests began, when the afternoon's began (after the morning's), when they ended.
    began: DateTime<Utc>,
    noon: DateTime<Utc>,
    ended: DateTime<Utc>,
}

#[tokio::test]
async fn the_access_report_adds_up_each_apps_reads_of_each_collection_of_one_district() {
    // Boxed, and the reports checked outside the future: a debug build's request futures are
    // deep, and a long test body's frame would take the rest of the test thread's stack.
    let day = Box::pin(a_day_of_requests()).await;
    check_reports(&day);
}

/// Two districts' apps read through the router, in the morning and in the afternoon, their
/// audit events written to the local audit log.
async fn a_day_of_requests() -> Day {
    let stack = stack().await;
    let (ours, theirs) = (tenant("audited-ours"), tenant("audited-theirs"));
    let district = small_district();
    for t in [&ours, &theirs] {
        // Boxed: the ingest's future is too large for a test thread's stack.
        let job = Box::pin(ingest(&stack, t, "bulk.zip", bulk_zip(&district))).await;
        assert_eq!(job.state, oneroster_store::JobState::Applied, "{:#?}", job.errors);
    }
    let (reader, reader_api) = app(&stack, &ours, &Scopes::all()).await;
    let core = Scopes::parse("roster-core.readonly").expect("a scope");
    let (roster_only, roster_only_api) = app(&stack, &ours, &core).await;
    let (neighbour, neighbour_api) = app(&stack, &theirs, &Scopes::all()).await;

    // The local server's audit log, as `local-server serve --audit-log` writes it (its folder
    // made on the way).
    let folder = tempfile::tempdir().expect("a folder");
    let path = folder.path().join("run").join("audit.log");
    let log = local_server::audit_log(&path).expect("the audit log");
    let audited = tracing::Dispatch::new(tracing_subscriber::registry().with(log));

    let began = Utc::now();
    let morning = async {
        let mut records = Vec::new();
        records.push(read(&reader_api, "/users?limit=3", "users").await);
        records.push(read(&reader_api, "/classes?limit=4", "classes").await);
        records.push(
            read(&reader_api, &format!("/schools/{}/enrollments?limit=5", district.school_id(0)), "enrollments").await,
        );
        records.push(read(&roster_only_api, "/users?limit=2&filter=givenName%3D'Zelda-Secret'", "users").await);
        let refused = roster_only_api.get("/ims/oneroster/gradebook/v1p2/categories").await;
        assert_eq!(refused.status, 403, "roster-core.readonly holds no gradebook scope: {}", refused.body);
        records.push(read(&neighbour_api, "/users?limit=7", "users").await);
        records
    }
    .with_subscriber(audited.clone());
    let morning = Box::pin(morning).await;
    assert_eq!(morning, [3, 4, 5, 0, 7], "each read answered as many records as it asked for");

    tokio::time::sleep(Duration::from_millis(20)).await;
    let noon = Utc::now();
    tokio::time::sleep(Duration::from_millis(20)).await;

    let afternoon = async {
        let mut records = Vec::new();
        records.push(read(&reader_api, &format!("/users/{}", district.student_id(1)), "user").await);
        records.push(read(&reader_api, "/students?limit=6", "users").await);
        records.push(read(&roster_only_api, "/classes?limit=1", "classes").await);
        records.push(read(&neighbour_api, "/classes?limit=2", "classes").await);
        records
    }
    .with_subscriber(audited.clone());
    let afternoon = Box::pin(afternoon).await;
    assert_eq!(afternoon, [1, 6, 1, 2]);
    let ended = Utc::now();
    let (ours, theirs) = (ours.id().clone(), theirs.id().clone());
    Day { path, _folder: folder, ours, theirs, reader, roster_only, neighbour, began, noon, ended }
}

/// The reports of the day: per app and collection, of one district, narrowed, as CSV.
fn check_reports(day: &Day) {
    let Day { path, ours, theirs, reader, roster_only, neighbour, began, noon, ended, .. } = day;
    let (path, began, noon, ended) = (path.as_path(), *began, *noon, *ended);

    // One JSON line per request, nothing else, and never a query's value.
    let text = std::fs::read_to_string(path).expect("the audit log was written");
    assert_eq!(text.lines().count(), 10, "{text}");
    assert!(text.lines().all(|line| admin::audit::Access::parse(line).is_some()), "{text}");
    assert!(!text.contains("Zelda") && !text.contains("limit="), "no query value is logged: {text}");

    let report = |client: Option<&str>, since: Option<&str>| {
        let scope = Scope::new(ours.clone(), client.map(str::to_owned), since).expect("a scope");
        Report::of_log_file(path, &scope).expect("the report")
    };

    // The whole day: each app's requests, records and refusals per collection (a view's reads,
    // `/students`, and a single record's count as the collection's); the other district's app
    // is not in it.
    let whole = report(None, None);
    assert_eq!(
        counts(&whole),
        sorted(vec![
            row(reader, "classes", 1, 4, 0),
            row(reader, "enrollments", 1, 5, 0),
            row(reader, "users", 3, 10, 0),
            row(roster_only, "categories", 1, 0, 1),
            row(roster_only, "classes", 1, 1, 0),
            row(roster_only, "users", 1, 0, 0),
        ])
    );
    let within = |time: Option<DateTime<Utc>>| time.is_some_and(|t| began <= t && t <= ended);
    assert!(whole.rows.iter().all(|r| within(r.first) && within(r.last) && r.first <= r.last), "{whole:?}");
    let users: &Row = whole.rows.iter().find(|r| r.client == *reader && r.collection == "users").expect("a row");
    assert!(users.first.is_some_and(|t| t < noon) && users.last.is_some_and(|t| t > noon), "{users:?}");

    // The other district's report holds only its own app.
    let scope = Scope::new(theirs.clone(), None, None).expect("a scope");
    let theirs_report = Report::of_log_file(path, &scope).expect("the report");
    assert_eq!(counts(&theirs_report), [row(neighbour, "classes", 1, 2, 0), row(neighbour, "users", 1, 7, 0)]);

    // `--client`, `--since`, and both.
    assert_eq!(
        counts(&report(Some(roster_only), None)),
        [
            row(roster_only, "categories", 1, 0, 1),
            row(roster_only, "classes", 1, 1, 0),
            row(roster_only, "users", 1, 0, 0)
        ]
    );
    let since = noon.to_rfc3339();
    assert_eq!(
        counts(&report(None, Some(&since))),
        sorted(vec![row(reader, "users", 2, 7, 0), row(roster_only, "classes", 1, 1, 0)])
    );
    assert_eq!(counts(&report(Some(reader), Some(&since))), [row(reader, "users", 2, 7, 0)]);
    assert_eq!(counts(&report(Some(neighbour), None)), [], "another district's app is not this district's");
    let tomorrow = (ended + chrono::TimeDelta::days(1)).format("%Y-%m-%d").to_string();
    assert_eq!(counts(&report(None, Some(&tomorrow))), []);

    // As CSV: a header, then the rows in the same order, times to the second.
    let csv = whole.render(Format::Csv);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "client,collection,requests,records,refused,first,last");
    assert_eq!(lines.len(), whole.rows.len() + 1);
    for (line, r) in lines[1..].iter().zip(&whole.rows) {
        let second = |t: Option<DateTime<Utc>>| t.expect("a time").to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let expected = format!(
            "{},{},{},{},{},{},{}",
            r.client,
            r.collection,
            r.requests,
            r.records,
            r.refused,
            second(r.first),
            second(r.last)
        );
        assert_eq!(*line, expected);
    }
    let table = whole.render(Format::Table);
    assert!(table.starts_with("client ") && table.lines().count() == whole.rows.len() + 1, "{table}");
}

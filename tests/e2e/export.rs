//! CSV export round trips: a generated district (gradebook, resources, attendance) uploaded to
//! tenant A, exported by `oneroster-admin export` and the zip uploaded to an empty tenant; every
//! read route of every service then answers the same, byte for byte but `dateLastModified`
//! (each tenant's own upload time), in 1.2 and, through 1.1's base, in 1.1.

use district_gen::District;
use e2e::compare::{differences, reader};
use e2e::{ingest, small_district, stack, tenant};
use local_server::LocalStack;
use oneroster_csv::{FileKind, Version};
use oneroster_model::TenantId;
use oneroster_store::JobState;
use std::collections::BTreeMap;
use std::time::Duration;

/// School days of attendance in the district's bulk.
const DAYS: usize = 2;

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
    let (compared, differ) = differences(&api_a, &api_b, Version::V1p2, |_| true).await;
    assert!(differ.is_empty(), "{} of {compared} answers differ:\n{}", differ.len(), differ.join("\n"));
    assert!(compared > 100, "{compared} answers compared");
    // 1.1: its files (a user's roles in its row), read back through 1.1's base.
    let files = exported_into(&stack, a.id(), c.id(), Version::V1p1).await;
    assert!(!files.contains_key("roles.csv") && files.contains_key("users.csv") && files.contains_key("results.csv"));
    let api_c = reader(&stack, c.id()).await;
    let (compared, differ) = differences(&api_a, &api_c, Version::V1p1, |_| true).await;
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

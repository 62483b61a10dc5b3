//! OneRoster 1.1 CSV packages through the real ingest: the two 1.1 samples rejected with their
//! errors located in the 1.1 files, and the same generated district ingested once as a 1.2
//! package and once as a 1.1 package (bulk, then delta), read back through the 1.2 API and
//! compared: the same records but for what the 1.1 → 1.2 mapping documents (a parent's
//! `primaryOrg` is its first org; what 1.1 cannot say is left out).

use district_gen::{Binding, District};
use e2e::{bulk_zip, delta_zip, ingest, sample, small_district, stack, tenant, Api};
use oneroster_openapi::Service;
use oneroster_store::{Job, JobState};
use serde_json::Value;
use std::collections::BTreeMap;

/// The bytes of the district's 1.1 bulk package.
fn bulk_v1p1(district: &District) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    district.write_bulk_as(&mut bytes, Binding::V1p1).expect("generate");
    bytes.into_inner()
}

/// The bytes of the district's 1.1 delta (dated by day, as 1.1 exports often are).
fn delta_v1p1(district: &District, changed: usize) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    district.write_delta_as(&mut bytes, changed, "2026-11-25", Binding::V1p1).expect("generate");
    bytes.into_inner()
}

/// Every record of a list route, by sourcedId, without `dateLastModified` (each job's time).
async fn listed(api: &Api, service: Service, path: &str, key: &str) -> BTreeMap<String, Value> {
    let records = api.walk(&format!("{}{path}?limit=1000", service.base_path()), key).await;
    records
        .into_iter()
        .map(|mut record| {
            record.as_object_mut().expect("an object").remove("dateLastModified");
            (record["sourcedId"].as_str().expect("a sourcedId").to_owned(), record)
        })
        .collect()
}

/// What a 1.2 record of `key` is once its district came as 1.1 (the documented mappings): a
/// user's `primaryOrg` is its first org (1.2's parents have none), demographics' `sex` only
/// `male` or `female`, and what 1.1 has no column for is absent (a category's weight, a line
/// item's score scale and objectives, a result's class, score scale and objectives).
fn as_from_v1p1(key: &str, record: &mut Value) {
    let object = record.as_object_mut().expect("an object");
    match key {
        "users" if !object.contains_key("primaryOrg") => {
            let org = object["roles"][0]["org"].clone();
            object.insert("primaryOrg".into(), org);
        }
        "demographics" if object.get("sex").is_some_and(|sex| sex != "male" && sex != "female") => {
            object.remove("sex");
        }
        "categories" => {
            object.remove("weight");
        }
        "lineItems" => {
            object.remove("scoreScale");
            object.remove("learningObjectiveSet");
        }
        "results" => {
            object.remove("class");
            object.remove("scoreScale");
            object.remove("learningObjectiveSet");
        }
        _ => {}
    }
}

/// The routes compared: service, path, envelope key.
const LISTS: [(Service, &str, &str); 11] = [
    (Service::Rostering, "/orgs", "orgs"),
    (Service::Rostering, "/academicSessions", "academicSessions"),
    (Service::Rostering, "/courses", "courses"),
    (Service::Rostering, "/classes", "classes"),
    (Service::Rostering, "/users", "users"),
    (Service::Rostering, "/enrollments", "enrollments"),
    (Service::Rostering, "/demographics", "demographics"),
    (Service::Resources, "/resources", "resources"),
    (Service::Gradebook, "/categories", "categories"),
    (Service::Gradebook, "/lineItems", "lineItems"),
    (Service::Gradebook, "/results", "results"),
];

/// Compares what the 1.1 tenant serves with what the 1.2 tenant serves, route by route.
async fn assert_same_modulo_mappings(v1p2: &Api, v1p1: &Api, district: &District) {
    for (service, path, key) in LISTS {
        let mut expected = listed(v1p2, service, path, key).await;
        expected.values_mut().for_each(|record| as_from_v1p1(key, record));
        let got = listed(v1p1, service, path, key).await;
        assert_eq!(got.len(), expected.len(), "{path}");
        for (id, record) in &expected {
            assert_eq!(got.get(id), Some(record), "{path} {id}");
        }
    }
    // What 1.1 has no file for is not there.
    assert!(listed(v1p1, Service::Gradebook, "/scoreScales", "scoreScales").await.is_empty());
    let teacher = district.teacher_id(0);
    let path = format!("{}/users/{teacher}/resources", Service::Resources.base_path());
    assert_eq!(v1p1.get(&path).await.ids("resources"), Vec::<String>::new(), "no userResources.csv in 1.1");
    // The views and relations made from the roles are the same.
    let routes = (0..district.schools)
        .flat_map(|s| {
            let school = district.school_id(s);
            [format!("/schools/{school}/students"), format!("/schools/{school}/teachers")]
        })
        .chain((0..district.classes_per_school).map(|c| format!("/classes/{}/students", district.class_id(0, c))))
        .chain(["/students".to_owned(), "/teachers".to_owned()]);
    for route in routes {
        let expected = listed(v1p2, Service::Rostering, &route, "users").await;
        let got = listed(v1p1, Service::Rostering, &route, "users").await;
        assert_eq!(got.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>(), "{route}");
    }
    for c in 0..district.classes_per_school {
        let path = format!("{}/classes/{}/resources", Service::Resources.base_path(), district.class_id(1, c));
        assert_eq!(v1p1.get(&path).await.ids("resources"), v1p2.get(&path).await.ids("resources"), "{path}");
    }
}

fn applied(job: &Job) {
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
}

#[tokio::test]
async fn a_1p1_district_is_stored_as_its_1p2_package_stores_it_bulk_then_delta() {
    let stack = stack().await;
    let district = small_district();
    let (t2, t1) = (tenant("csv-v1p2"), tenant("csv-v1p1"));
    applied(&ingest(&stack, &t2, "bulk.zip", bulk_zip(&district)).await);
    let job = ingest(&stack, &t1, "bulk-1.1.zip", bulk_v1p1(&district)).await;
    applied(&job);
    assert!(
        job.warnings
            .iter()
            .any(|w| w.starts_with("users.csv (OneRoster 1.1, 158 rows): role and orgSourcedIds became roles")),
        "{:?}",
        job.warnings
    );
    let report = stack.report(job.report_key.as_deref().expect("a report key")).await.expect("the report");
    assert_eq!(report["report"]["version"], "1.1");
    let conversions = report["report"]["conversions"].as_array().expect("conversions");
    let line_items = conversions.iter().find(|c| c["file"] == "lineItems.csv").expect("lineItems.csv converted");
    assert_eq!(line_items["rows"], (district.schools * district.classes_per_school * 2) as u64);
    assert!(line_items["changes"]
        .as_array()
        .is_some_and(|c| c.contains(&"gradingPeriodSourcedId became academicSession".into())));

    let (v1p2, v1p1) = (Api::new(&stack, &t2).await, Api::new(&stack, &t1).await);
    assert_same_modulo_mappings(&v1p2, &v1p1, &district).await;
    let parent = v1p1.get(&format!("{}/users/{}", Service::Rostering.base_path(), district.parent_id(0))).await;
    assert_eq!(parent.body["user"]["primaryOrg"]["sourcedId"], district.district_id(), "a 1.1 user's first org");

    applied(&ingest(&stack, &t2, "delta.zip", delta_zip(&district, 5)).await);
    let job = ingest(&stack, &t1, "delta-1.1.zip", delta_v1p1(&district, 5)).await;
    applied(&job);
    assert_eq!(job.files["users.csv"].created, 1, "{:?}", job.files);
    assert_eq!(job.files["users.csv"].updated, 5, "{:?}", job.files);
    assert_eq!(job.files["enrollments.csv"].deleted, 1, "{:?}", job.files);
    assert_same_modulo_mappings(&v1p2, &v1p1, &district).await;
    let newcomer = v1p1.get(&format!("{}/users/{}", Service::Rostering.base_path(), district.newcomer_id())).await;
    assert_eq!(newcomer.body["user"]["roles"][0]["role"], "student", "{}", newcomer.body);
    assert_eq!(newcomer.body["user"]["roles"][0]["roleType"], "primary");
}

#[tokio::test]
async fn the_1p1_samples_are_rejected_with_their_errors_located_in_the_1p1_files() {
    let stack = stack().await;
    let t = tenant("csv-v1p1-samples");
    let job = ingest(&stack, &t, "minimal.zip", sample("Test_minimal_data_set.zip")).await;
    assert_eq!(job.state, JobState::Rejected);
    let mut expected = vec![
        "classes.csv:2 classType: 'Scheduled' is not one of {homeroom | scheduled} or an ext: term".to_owned(),
        "classes.csv:3 schoolSourcedId: 'org-sch-222-456' is not an org of type school".to_owned(),
    ];
    for line in 2..=7 {
        if line <= 4 {
            expected.push(format!("enrollments.csv:{line} classSourcedId: 'cls-222-123456' is not in classes.csv (a bulk file must define everything referenced)"));
        }
        expected
            .push(format!("enrollments.csv:{line} schoolSourcedId: 'org-sch-222-456' is not an org of type school"));
    }
    expected.push(
        "classes.csv:3 courseSourcedId: 'crs-222-2023-456-23456' is neither in this package nor among the stored courses"
            .to_owned(),
    );
    assert_eq!(job.errors, expected);
    assert_eq!(job.error_count, 12);

    let job = ingest(&stack, &t, "full.zip", sample("Test_full_data_set.zip")).await;
    assert_eq!(job.state, JobState::Rejected);
    assert_eq!(job.error_count, 42, "{:#?}", job.errors);
    assert_eq!(job.error_counts.get("not_in_bulk"), Some(&38));
    for error in [
        "academicSessions.csv:4 status: status must be blank in a bulk file (the binding reserves it for delta)",
        "classes.csv:2 subjectCodes: 2 subject codes for 3 subjects; the lists must be parallel",
        "users.csv:3 orgSourcedIds: 'org-sch-222-456' is not in orgs.csv (a bulk file must define everything referenced)",
        "users.csv:3 agentSourcedIds: 'usr-222-123456' is not in users.csv (a bulk file must define everything referenced)",
    ] {
        assert!(job.errors.iter().any(|e| e == error), "{error}: {:#?}", job.errors);
    }
}

//! What a page costs in store calls: a list of a small collection and of a large one, a typed
//! view, a collection the API writes to and the attendance routes (a day of the whole district
//! among them), each in at most two sequential rounds of calls
//! whatever the shard count, reading about one item per record returned (counted by a proxy in
//! front of DynamoDB Local); a client limited to one school pages the district's lists as
//! cheaply.

use e2e::trips::CountedApi;
use e2e::{delta_zip, ingest, small_district, stack_with, tenant, Api};
use oneroster_model::Timestamp;
use oneroster_store::JobState;
use std::time::Duration;

const ROSTERING: &str = "/ims/oneroster/rostering/v1p2";
const GRADEBOOK: &str = "/ims/oneroster/gradebook/v1p2";
const ATTENDANCE: &str = "/ims/oneroster/attendance/v1p2";

#[tokio::test]
async fn every_list_page_costs_at_most_two_rounds_of_calls() {
    // The gate trusts a checked client for a minute, as a deployment's does: the calls counted
    // are the listing's.
    let stack = stack_with(Duration::from_secs(60)).await;
    let tenant = tenant("page-costs");
    let district = small_district();
    let mut bulk = std::io::Cursor::new(Vec::new());
    district.write_bulk_with_attendance(&mut bulk, district_gen::Binding::V1p2, 3).expect("a bulk");
    let job = Box::pin(ingest(&stack, &tenant, "bulk.zip", bulk.into_inner())).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    let counted = CountedApi::start(&stack, tenant.id()).await;
    #[rustfmt::skip]
    let listings = [
        // (start, records' key, whether the page reads about one item per record: a collection
        // or view whose shard sizes are kept, or a time filter whose count is, paged so that
        // pages cross shards)
        (format!("{ROSTERING}/orgs?limit=100"), "orgs", false),
        (format!("{ROSTERING}/terms?limit=100"), "academicSessions", false),
        (format!("{ROSTERING}/schools?limit=1"), "orgs", false),
        (format!("{GRADEBOOK}/categories?limit=100"), "categories", false),
        (format!("{ROSTERING}/users?limit=40"), "users", true),
        (format!("{ROSTERING}/students?limit=30"), "users", true),
        (format!("{ROSTERING}/enrollments?limit=100"), "enrollments", true),
        (format!("{ROSTERING}/users?limit=40&filter=status%3D%27active%27"), "users", false),
        (format!("{ROSTERING}/users?limit=40&filter=dateLastModified%3E%272000-01-01%27"), "users", true),
        (format!("{ROSTERING}/users?limit=40&filter=dateLastModified%3E%272000-01-01T00%3A00%3A00Z%27"), "users", true),
        (format!("{ROSTERING}/users?limit=40&filter=dateLastModified%3E%272000-01-01%27%20AND%20status%3D%27active%27"), "users", true),
        (format!("{ROSTERING}/classes/{}/students?limit=5", district.class_id(0, 0)), "users", false),
        (format!("{ROSTERING}/schools/{}/classes?limit=5", district.school_id(1)), "classes", false),
        (format!("{GRADEBOOK}/classes/{}/results?limit=5", district.class_id(0, 1)), "results", false),
        (format!("{ATTENDANCE}/attendance?limit=50"), "attendance", true),
        (format!("{ATTENDANCE}/attendance?limit=40&filter=date%3D%272026-03-03%27"), "attendance", false),
        (format!("{ATTENDANCE}/students/{}/attendance?limit=2", district.student_id(0)), "attendance", false),
        (format!("{ATTENDANCE}/schools/{}/attendance?limit=40", district.school_id(1)), "attendance", false),
        (format!("{ATTENDANCE}/classes/{}/attendance?limit=5", district.class_id(0, 0)), "attendance", false),
    ];
    for (start, key, one_read_per_record) in &listings {
        let costs = counted.costs(start, key, 6).await;
        assert!(costs.records > 0, "{start}: {costs:?}");
        // A day given alone for a date-time starts where the district is: its settings are
        // read first, one round more.
        let rounds = if start.contains("%272000-01-01%27") { 3 } else { 2 };
        assert!(costs.max_rounds <= rounds, "{start}: {costs:?}");
        if *one_read_per_record {
            // The stats item, once a page, is the rest.
            assert!(costs.reads_per_record() <= 1.1, "{start}: {costs:?}");
        }
    }

    // A client limited to one school pages the district's lists from that school's own
    // listings: about one item read per record, whatever the other schools hold.
    let one_school = admin::SharingChange { schools: Some(district.school_id(1)), ..Default::default() };
    let limited = CountedApi::start_shared(&stack, tenant.id(), one_school).await;
    for (start, key) in [
        (format!("{ROSTERING}/users?limit=20"), "users"),
        (format!("{ROSTERING}/students?limit=20"), "users"),
        (format!("{ROSTERING}/enrollments?limit=50"), "enrollments"),
        (format!("{ROSTERING}/classes?limit=5"), "classes"),
    ] {
        let costs = limited.costs(&start, key, 4).await;
        assert!(costs.records > 0 && costs.max_rounds <= 2, "{start}: {costs:?}");
        assert!(costs.reads_per_record() <= 1.5, "{start}: {costs:?}");
    }

    // What a delta changed, in one large page (School Data Sync's 5,000, in 1.2 and in 1.1):
    // about one item read per record changed.
    let since = Timestamp::now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let job = ingest(&stack, &tenant, "delta.zip", delta_zip(&district, 100)).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    for base in [ROSTERING, "/ims/oneroster/v1p1"] {
        let start = format!("{base}/users?limit=5000&filter=dateLastModified%3E%27{since}%27");
        let costs = counted.costs(&start, "users", 6).await;
        assert_eq!(costs.records, 101, "{start}: the 100 students changed and the newcomer");
        assert!(costs.max_rounds <= 2 && costs.reads_per_record() <= 1.1, "{start}: {costs:?}");
    }

    // A collection the API writes to keeps its shard sizes with every write.
    let api = Api::new(&stack, tenant.id()).await;
    let before = counted.costs(&format!("{GRADEBOOK}/categories?limit=100"), "categories", 6).await;
    for n in 0..5 {
        let body = format!(r#"{{"category": {{"title": "Extra credit {n}", "weight": 1}}}}"#);
        let write = api.send_json("PUT", &format!("{GRADEBOOK}/categories/api-cat-{n}"), &body).await;
        assert_eq!(write.status, 201, "{}", write.body);
    }
    let after = counted.costs(&format!("{GRADEBOOK}/categories?limit=100"), "categories", 6).await;
    assert_eq!(after.records, before.records + 5, "{after:?}");
    assert!(after.max_rounds <= 2, "{after:?}");
    assert!(
        after.calls <= before.calls + 5,
        "only the shards that gained a record are read more: {before:?} {after:?}"
    );
}

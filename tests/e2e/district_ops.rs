//! District operations as an operator runs them: settings set with `oneroster-admin tenant set`
//! change the next upload, and a bulk that would delete a large share of the roster is held
//! until an admin approves or rejects it.

use district_gen::District;
use e2e::{bulk_zip, ingest, small_district, stack, tenant, Api};
use oneroster_ingest::{DecisionError, Outcome};
use oneroster_store::{Job, JobState};

/// The small district less 36 of its 120 students: its bulk marks about a quarter of the users
/// (and more of the enrollments) `tobedeleted`.
fn shrunk() -> District {
    District { students: 84, ..small_district() }
}

/// The tenant's items but its jobs, lock and settings: what an upload that is not applied must
/// leave as it was.
async fn records(stack: &local_server::LocalStack, t: &oneroster_model::TenantId) -> Vec<String> {
    let kept = ["#job\"", "#lock\"", "#settings\""].map(|partition| format!("pk=S(\"{}{partition})", t.as_str()));
    let items = e2e::tenant_items(stack, t).await;
    items.into_iter().filter(|item| !kept.iter().any(|k| item.contains(k.as_str()))).collect()
}

async fn user_ids(api: &Api) -> Vec<String> {
    let mut ids = e2e::ids(&api.walk("/ims/oneroster/rostering/v1p2/users?limit=500", "users").await);
    ids.sort();
    ids
}

/// Uploads the bulk of `district` and waits for its job (boxed: an ingest's future is large,
/// and a test holds several).
async fn bulk(stack: &local_server::LocalStack, t: &oneroster_model::TenantId, name: &str, district: &District) -> Job {
    Box::pin(ingest(stack, t, name, bulk_zip(district))).await
}

fn finished(outcome: Outcome) -> Job {
    outcome.into_job()
}

#[tokio::test]
async fn a_bulk_dropping_a_quarter_of_the_users_is_held_until_an_admin_decides() {
    let stack = stack().await;
    let t = tenant("held-district");
    let full = bulk(&stack, &t, "full.zip", &small_district()).await;
    assert_eq!(full.state, JobState::Applied, "{:?}", full.errors);
    let api = Api::new(&stack, &t).await;
    let (users, items) = (user_ids(&api).await, records(&stack, &t).await);

    // Held: validated and reported, nothing applied.
    let held = bulk(&stack, &t, "shrunk.zip", &shrunk()).await;
    assert_eq!(held.state, JobState::Held, "{:?}", held.errors);
    let hold = held.hold.clone().expect("the hold is recorded");
    assert_eq!(hold.threshold_percent, 10);
    let deleted_users = hold.deletions["users"];
    assert_eq!((deleted_users.active, deleted_users.deleting), (users.len() as u64, 36));
    assert!(deleted_users.over && hold.deletions["enrollments"].over);
    assert!(!hold.deletions["orgs"].over, "no org is dropped");
    assert!(hold.decision.is_none() && held.items_written == 0);
    assert_eq!(records(&stack, &t).await, items, "a held bulk changes nothing");
    let report = stack.report(held.report_key.as_deref().expect("a report")).await.expect("the report");
    assert_eq!(report["job"]["state"], "held");
    assert_eq!(report["job"]["hold"]["deletions"]["users"]["deleting"], 36);

    // A redelivery of the held upload finds it held; a decision on it is taken once.
    let again = Box::pin(stack.ingest.run(&upload_of(&held))).await.expect("a redelivery");
    assert!(matches!(again, Outcome::AlreadyDone(ref j) if j.state == JobState::Held));

    // Approved: applied now, as a new import, against the data as it is.
    let approved = finished(stack.ingest.approve(&t, &held.id).await.expect("approve"));
    assert_eq!(approved.state, JobState::Applied, "{:?}", approved.errors);
    assert!(approved.started > held.started, "its changes carry the time it was approved");
    assert!(approved.hold.as_ref().is_some_and(|h| h.approved()));
    assert_eq!(approved.files["users.csv"].deleted, 36);
    let active = api.get("/ims/oneroster/rostering/v1p2/users?filter=status%3D%27active%27").await;
    assert_eq!(active.total_count(), users.len() as u64 - 36);
    let changed = api.get("/ims/oneroster/rostering/v1p2/users?filter=status%3D%27tobedeleted%27").await;
    assert_eq!(changed.total_count(), 36, "the dropped students are tombstoned");
    assert!(matches!(
        stack.ingest.approve(&t, &held.id).await,
        Err(DecisionError::NotHeld { ref state, .. }) if state == "approved already"
    ));

    // The full roster back (nothing deleted: applied), then the shrunk bulk again, rejected.
    assert_eq!(bulk(&stack, &t, "full-again.zip", &small_district()).await.state, JobState::Applied);
    let items = records(&stack, &t).await;
    let held = bulk(&stack, &t, "shrunk-again.zip", &shrunk()).await;
    assert_eq!(held.state, JobState::Held);
    let rejected = stack.ingest.reject(&t, &held.id).await.expect("reject");
    assert_eq!(rejected.state, JobState::Rejected);
    assert!(rejected.hold.as_ref().and_then(|h| h.decision.as_ref()).is_some_and(|d| !d.approved));
    let report = stack.report(rejected.report_key.as_deref().expect("a report")).await.expect("the report");
    assert_eq!(report["job"]["state"], "rejected", "the report says what the admin decided");
    assert_eq!(report["job"]["hold"]["decision"]["approved"], false);
    assert!(
        report["report"]["files"].as_array().is_some_and(|files| !files.is_empty()),
        "the validation's report kept"
    );
    assert_eq!(records(&stack, &t).await, items, "a rejected bulk changes nothing");
    assert!(matches!(stack.ingest.approve(&t, &held.id).await, Err(DecisionError::NotHeld { .. })));
    assert!(matches!(
        Box::pin(stack.ingest.run(&upload_of(&held))).await,
        Ok(Outcome::AlreadyDone(ref j)) if j.state == JobState::Rejected
    ));
    assert_eq!(user_ids(&api).await, users);

    // The district raises its threshold: the next upload of the same bulk is applied.
    let change = admin::SettingsChange { deletion_threshold: Some(50), ..Default::default() };
    assert_eq!(admin::set_settings(stack.store(), &t, change).await.expect("set").deletion_threshold_percent, 50);
    let applied = bulk(&stack, &t, "shrunk-allowed.zip", &shrunk()).await;
    assert_eq!(applied.state, JobState::Applied);
    assert!(applied.hold.is_none());
}

#[tokio::test]
async fn a_bulk_short_of_what_the_district_expects_is_held() {
    let stack = stack().await;
    let t = tenant("expecting-district");
    e2e::register(&stack, &t).await;
    let district = small_district();
    let change = admin::SettingsChange {
        expect_rows: vec!["users=1000".into(), "classes.csv=10".into()],
        expect_school_rosters: Some(true),
        licensed_schools: Some(format!("{},{}", district.school_id(0), "school-without-roster")),
        ..Default::default()
    };
    admin::set_settings(stack.store(), &t, change).await.expect("settings");
    let shown = admin::show_tenant(stack.store(), &t).await.expect("show");
    assert_eq!(shown["settings"]["expectedRows"]["users.csv"], 1000);
    assert_eq!(shown["settings"]["timezone"], "UTC");
    assert_eq!(shown["settings"]["retentionDays"], 365, "deleted records are kept a year by default");

    // A first load deletes nothing, but misses the expectations.
    let held = bulk(&stack, &t, "bulk.zip", &district).await;
    assert_eq!(held.state, JobState::Held, "{:?}", held.errors);
    let users = district.write_bulk(std::io::Cursor::new(Vec::new())).expect("a package").of("users.csv");
    assert_eq!(
        held.hold.expect("a hold").unmet,
        [
            format!("users.csv has {users} rows; the district expects at least 1000"),
            "school school-without-roster has no classes and no enrolled students in this bulk".to_owned(),
        ]
    );
    assert!(records(&stack, &t).await.is_empty(), "nothing is written");

    for (change, problem) in [
        (admin::SettingsChange { timezone: Some("Mars/Olympus".into()), ..Default::default() }, "timezone"),
        (admin::SettingsChange { deletion_threshold: Some(101), ..Default::default() }, "deletion-threshold"),
        (admin::SettingsChange { expect_rows: vec!["pupils=3".into()], ..Default::default() }, "expect-rows"),
        (admin::SettingsChange { school_year: Some("25-26".into()), ..Default::default() }, "school-year"),
    ] {
        let refused = admin::set_settings(stack.store(), &t, change).await.expect_err("refused");
        assert!(refused.to_string().starts_with(&format!("--{problem}: ")), "{refused}");
    }
}

fn upload_of(job: &Job) -> oneroster_ingest::Upload {
    oneroster_ingest::Upload {
        bucket: job.bucket.clone(),
        key: job.key.clone(),
        tenant: oneroster_store::Tenant::by_operator(job.tenant.clone()),
        job_id: job.id.clone(),
    }
}

#[tokio::test]
async fn the_districts_timezone_decides_where_a_day_given_alone_starts() {
    let stack = stack().await;
    let t = tenant("zoned-district");
    let district = small_district();
    assert_eq!(bulk(&stack, &t, "bulk.zip", &district).await.state, JobState::Applied);
    let api = Api::writer(&stack, &t).await;
    let users = "/ims/oneroster/rostering/v1p2/users";
    let user = api.get(&format!("{users}/{}", district.student_id(0))).await;
    let modified = oneroster_model::Timestamp::parse(user.body["user"]["dateLastModified"].as_str().unwrap()).unwrap();
    let day = modified.date().0;
    // A day that starts after the ingest in UTC but before it in a zone far east (or, for an
    // ingest before 10:00 UTC, far west): the same filter then answers every user.
    let (filter, zone) = match chrono::Timelike::hour(&modified.0) >= 10 {
        true => (format!("dateLastModified>='{}'", day.succ_opt().unwrap()), "Pacific/Kiritimati"),
        false => (format!("dateLastModified<'{day}'"), "Etc/GMT+12"),
    };
    let target = format!("{users}?filter={}", filter.replace('\'', "%27").replace('<', "%3C").replace('>', "%3E"));
    let all = api.get(users).await.total_count();
    assert_eq!(api.get(&target).await.total_count(), 0, "midnight UTC by default");
    let change = admin::SettingsChange { timezone: Some(zone.into()), ..Default::default() };
    admin::set_settings(stack.store(), &t, change).await.expect("set");
    let zoned = api.get(&target).await;
    assert_eq!((zoned.status, zoned.total_count()), (200, all), "the next request starts the day in {zone}");
    let next = zoned.link("next").expect("a next page");
    assert_eq!(api.get(&next).await.status, 200, "its cursor is for the same listing");

    // A write body's date alone for a date-time starts the day there too.
    let change = admin::SettingsChange { timezone: Some("America/Chicago".into()), ..Default::default() };
    admin::set_settings(stack.store(), &t, change).await.expect("set");
    let item = serde_json::json!({"lineItem": {
        "title": "Essay", "assignDate": "2026-12-04", "dueDate": "2026-12-11T17:00:00-06:00",
        "class": {"sourcedId": district.class_id(0, 0)}, "school": {"sourcedId": district.school_id(0)},
        "category": {"sourcedId": District::CATEGORIES[0].0}, "resultValueMin": 0, "resultValueMax": 10
    }});
    let path = "/ims/oneroster/gradebook/v1p2/lineItems/li-zoned";
    assert_eq!(api.send_json("PUT", path, &item.to_string()).await.status, 201);
    let stored = api.get(path).await;
    assert_eq!(stored.body["lineItem"]["assignDate"], "2026-12-04T06:00:00.000Z");
    assert_eq!(stored.body["lineItem"]["dueDate"], "2026-12-11T23:00:00.000Z");
}

#[tokio::test]
async fn only_licensed_schools_are_stored_and_a_licence_brings_a_school_in_or_takes_it_out() {
    let stack = stack().await;
    let t = tenant("licensed-district");
    e2e::register(&stack, &t).await;
    let district = small_district();
    let (east, west) = (district.school_id(0), district.school_id(1));
    let license =
        |schools: &str| admin::SettingsChange { licensed_schools: Some(schools.into()), ..Default::default() };
    admin::set_settings(stack.store(), &t, license(&east)).await.expect("settings");

    let job = bulk(&stack, &t, "bulk.zip", &district).await;
    assert_eq!(job.state, JobState::Applied, "{:?}", job.errors);
    let left_out = |file: &str| job.files[file].left_out;
    assert_eq!((left_out("orgs.csv"), left_out("classes.csv")), (1, 12), "the west school and its classes");
    assert!(left_out("enrollments.csv") > 0 && left_out("users.csv") > 0 && left_out("lineItems.csv") > 0);
    assert!(job.warnings.contains(&format!(
        "classes.csv: 12 rows left out by the district's licensed schools: {}",
        "they belong to schools the district has not licensed, or to users or classes left out"
    )));
    let api = Api::new(&stack, &t).await;
    let rostering = "/ims/oneroster/rostering/v1p2";
    assert_eq!(e2e::ids(&api.walk(&format!("{rostering}/schools"), "orgs").await), std::slice::from_ref(&east));
    assert_eq!(api.get(&format!("{rostering}/schools/{west}")).await.status, 404);
    let classes = api.walk(&format!("{rostering}/classes"), "classes").await;
    assert_eq!(classes.len(), 12);
    assert!(classes.iter().all(|c| c["school"]["sourcedId"] == east.as_str()));
    let westerner = (0..district.students).find(|s| district.school_of_student(*s) == 1).expect("a west student");
    assert_eq!(api.get(&format!("{rostering}/users/{}", district.student_id(westerner))).await.status, 404);
    let students = (0..district.students).filter(|s| district.school_of_student(*s) == 0).count() as u64;
    assert_eq!(api.get(&format!("{rostering}/students")).await.total_count(), students);

    // Licensed: the next upload brings the school's records in.
    admin::set_settings(stack.store(), &t, license("all")).await.expect("settings");
    let job = bulk(&stack, &t, "bulk-all.zip", &district).await;
    assert_eq!(
        (job.state, job.files["classes.csv"].created, job.files["classes.csv"].left_out),
        (JobState::Applied, 12, 0)
    );
    assert_eq!(api.get(&format!("{rostering}/classes")).await.total_count(), 24);
    assert_eq!(api.get(&format!("{rostering}/users/{}", district.student_id(westerner))).await.status, 200);

    // The east school's licence ends: half the enrollments would go, so the bulk is held;
    // approved, the east school's records are marked `tobedeleted`, as if the SIS had dropped them.
    admin::set_settings(stack.store(), &t, license(&west)).await.expect("settings");
    let held = bulk(&stack, &t, "bulk-west.zip", &district).await;
    assert_eq!(held.state, JobState::Held, "{:?}", held.errors);
    let enrollments = held.hold.as_ref().expect("a hold").deletions["enrollments"];
    assert!(enrollments.over && enrollments.deleting * 3 > enrollments.active, "{enrollments:?}");
    let job = finished(stack.ingest.approve(&t, &held.id).await.expect("approve"));
    assert_eq!((job.state, job.files["classes.csv"].deleted), (JobState::Applied, 12));
    let active = api.walk(&format!("{rostering}/classes?filter=status%3D%27active%27"), "classes").await;
    assert!(active.len() == 12 && active.iter().all(|c| c["school"]["sourcedId"] == west.as_str()));
    let school = api.get(&format!("{rostering}/schools/{east}")).await;
    assert_eq!(school.body["org"]["status"], "tobedeleted");
}

//! A district's privacy duties over its stored data: a retention purge removes for good only the
//! deleted records older than the district's retention period (dropped by a delta, deleted
//! through the API), with their entries, lookups, pack places and counts, while recent
//! tombstones and every active record stay; and an erasure of one student removes them from
//! every route that showed them (users, students, classes, schools, enrollments, demographics,
//! results, attendance, resources, e-mail lookup), leaves tombstones holding only sourcedIds in
//! the change feeds, keeps an audit event, does nothing the second time, and is undone by a
//! later bulk that still carries the student, whose report says so.

use district_gen::{Binding, District};
use e2e::{ids, ingest, small_district, stack, tenant, tenant_items, zip_of, Api, Reply};
use futures::future::{BoxFuture, FutureExt};
use local_server::LocalStack;
use oneroster_model::{Collection, Status, TenantId, Timestamp};
use oneroster_store::{Job, JobState};
use serde_json::Value;
use std::collections::BTreeMap;

const ROSTERING: &str = "/ims/oneroster/rostering/v1p2";
const GRADEBOOK: &str = "/ims/oneroster/gradebook/v1p2";
const RESOURCES: &str = "/ims/oneroster/resources/v1p2";
const ATTENDANCE: &str = "/ims/oneroster/attendance/v1p2";

/// Uploads `bytes` for `t` and waits for its job (boxed: an ingest's future is large).
async fn upload(stack: &LocalStack, t: &TenantId, name: &str, bytes: Vec<u8>) -> Job {
    let job = Box::pin(ingest(stack, t, name, bytes)).await;
    assert_eq!(job.state, JobState::Applied, "{name}: {:#?}", job.errors);
    job
}

// The helpers that call the router hand back boxed futures: a test awaiting many router calls
// would otherwise hold each one's state in its own frame, past a test thread's stack.

/// `GET` a path.
fn get<'a>(api: &'a Api, path: String) -> BoxFuture<'a, Reply> {
    async move { api.get(&path).await }.boxed()
}

/// Every record of a list route (all pages; the pages add up to `X-Total-Count`).
fn all<'a>(api: &'a Api, path: &'a str, key: &'a str) -> BoxFuture<'a, Vec<Value>> {
    async move {
        let first = format!("{path}{}limit=50", if path.contains('?') { '&' } else { '?' });
        api.walk_checked(&first, key, |page| assert!(page.body[key].is_array(), "{path}: {}", page.body)).await
    }
    .boxed()
}

/// The ids of a list route's records.
async fn listed(api: &Api, path: &str, key: &str) -> Vec<String> {
    ids(&all(api, path, key).await)
}

/// A change feed's records after `since`, by id.
async fn feed(api: &Api, path: &str, key: &str, since: Timestamp) -> BTreeMap<String, Value> {
    let path = format!("{path}?filter=dateLastModified>'{since}'");
    let records = all(api, &path, key).await;
    records.into_iter().map(|r| (r["sourcedId"].as_str().unwrap_or_default().to_owned(), r)).collect()
}

/// `ids` less `gone`.
fn without(ids: &[String], gone: &str) -> Vec<String> {
    ids.iter().filter(|id| *id != gone).cloned().collect()
}

/// Whether any of the tenant's items (keys and attributes) names `id`.
fn named_anywhere(items: &[String], id: &str) -> bool {
    items.iter().any(|item| item.contains(id))
}

#[tokio::test]
async fn a_purge_removes_only_the_tombstones_older_than_the_retention_period() {
    // On the heap: the test's future is larger than a test thread's stack.
    Box::pin(purge_only_old_tombstones()).await
}

async fn purge_only_old_tombstones() {
    let stack = stack().await;
    let t = tenant("privacy-retention");
    let d = small_district();
    let bulk = upload(&stack, &t, "bulk.zip", e2e::bulk_zip(&d)).await;
    let admin_change = admin::SettingsChange { retention_days: Some("1".into()), ..Default::default() };
    admin::set_settings(stack.store(), &t, admin_change).await.expect("settings");
    let writer = Api::writer(&stack, &t).await;

    // Old tombstones: an enrollment a delta drops, a result the LMS deletes.
    upload(&stack, &t, "delta.zip", e2e::delta_zip(&d, 2)).await;
    let (s0, s1) = (d.student_id(0), d.student_id(1));
    let class_of_old = d.class_id(d.school_of_student(0), d.classes_of_student(0)[0]);
    let old_class =
        format!("{ROSTERING}/schools/{}/classes/{class_of_old}/enrollments", d.school_id(d.school_of_student(0)));
    let old_enrollment = format!("enr-{s0}-{}", d.classes_of_student(0)[0]);
    let (s, c) = (d.school_of_student(0), d.classes_of_student(0)[1]);
    let old_result = District::result_id(&d.line_item_id(s, c, 0), &s0);
    assert_eq!(writer.delete(&format!("{GRADEBOOK}/results/{old_result}")).await.status, 204);
    let cutoff = Timestamp::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;

    // Recent tombstones: an enrollment a later delta drops, a result deleted later.
    let recent_enrollment = format!("enr-{s1}-{}", d.classes_of_student(1)[0]);
    let recent_class = d.class_id(d.school_of_student(1), d.classes_of_student(1)[0]);
    let row = format!(
        "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\n\
         {recent_enrollment},tobedeleted,{},{recent_class},{},{s1},student,false,,\n",
        Timestamp::now(),
        d.school_id(d.school_of_student(1))
    );
    let manifest = district_gen::manifest_as(Binding::V1p2, &[], &["enrollments"]);
    upload(&stack, &t, "later.zip", zip_of(&[("manifest.csv", &manifest), ("enrollments.csv", &row)])).await;
    let (s, c) = (d.school_of_student(1), d.classes_of_student(1)[1]);
    let recent_result = District::result_id(&d.line_item_id(s, c, 0), &s1);
    assert_eq!(writer.delete(&format!("{GRADEBOOK}/results/{recent_result}")).await.status, 204);

    let api = Api::new(&stack, &t).await;
    let enrollments = listed(&api, &format!("{ROSTERING}/enrollments"), "enrollments").await;
    let class_enrollments = listed(&api, &old_class, "enrollments").await;
    let results = listed(&api, &format!("{GRADEBOOK}/results"), "results").await;
    let users = all(&api, &format!("{ROSTERING}/users"), "users").await;
    let enrollment_feed = feed(&api, &format!("{ROSTERING}/enrollments"), "enrollments", bulk.started).await;
    let result_feed = feed(&api, &format!("{GRADEBOOK}/results"), "results", bulk.started).await;
    assert!(enrollments.contains(&old_enrollment) && class_enrollments.contains(&old_enrollment), "listed, marked");
    assert!(enrollment_feed.contains_key(&old_enrollment) && result_feed.contains_key(&old_result), "in the feeds");
    assert!(named_anywhere(&tenant_items(&stack, &t).await, &old_enrollment));

    // A day after the cut-off, with one day's retention: only what was deleted before it goes.
    let now = Timestamp(cutoff.0 + chrono::Duration::days(1));
    let purged = admin::purge_tenant(stack.store(), &t, now).await.expect("a purge");
    assert_eq!(purged.before, Some(cutoff));
    assert_eq!(
        purged.removed,
        BTreeMap::from([("classResources".to_owned(), 1), ("enrollments".to_owned(), 1), ("results".to_owned(), 1)]),
        "the old tombstones alone (the delta also drops a class's app)"
    );
    assert_eq!(
        purged.items,
        3 + 2,
        "the three items, and the two entries the dropped enrollment kept (its class's, its school's)"
    );

    let records = stack.store().tenant(&t).records();
    assert!(records.get(Collection::Enrollments, &old_enrollment).await.expect("a read").is_none());
    assert!(records.get(Collection::Results, &old_result).await.expect("a read").is_none());
    let items = tenant_items(&stack, &t).await;
    for gone in [&old_enrollment, &old_result] {
        assert!(!named_anywhere(&items, gone), "{gone}: an item, entry, lookup or pack still names it");
    }
    for recent in [(Collection::Enrollments, &recent_enrollment), (Collection::Results, &recent_result)] {
        let kept = records.get(recent.0, recent.1).await.expect("a read").expect("a recent tombstone stays");
        assert_eq!(kept.status, Status::ToBeDeleted, "{}", recent.1);
    }

    // Listings, their counts and packs, and the feeds no longer show them; the rest is as it was.
    let enrollments_after = listed(&api, &format!("{ROSTERING}/enrollments"), "enrollments").await;
    assert_eq!(enrollments_after, without(&enrollments, &old_enrollment));
    assert_eq!(listed(&api, &old_class, "enrollments").await, without(&class_enrollments, &old_enrollment), "its pack");
    let reply = get(&api, format!("{old_class}?limit=1")).await;
    assert_eq!(reply.total_count(), class_enrollments.len() as u64 - 1, "the pack's count");
    assert_eq!(listed(&api, &format!("{GRADEBOOK}/results"), "results").await, results, "gone from no list");
    assert_eq!(all(&api, &format!("{ROSTERING}/users"), "users").await, users, "active records untouched");
    let enrollment_feed_after = feed(&api, &format!("{ROSTERING}/enrollments"), "enrollments", bulk.started).await;
    let mut expected = enrollment_feed.clone();
    expected.remove(&old_enrollment);
    assert_eq!(enrollment_feed_after, expected, "the feed without the purged tombstone");
    assert!(expected.contains_key(&recent_enrollment), "the recent tombstone still in the feed");
    let result_feed_after = feed(&api, &format!("{GRADEBOOK}/results"), "results", bulk.started).await;
    assert!(!result_feed_after.contains_key(&old_result) && result_feed_after.contains_key(&recent_result));
    assert_eq!(result_feed_after.len(), result_feed.len() - 1);

    // The purge is in the audit trail; a second one finds nothing more.
    let events = stack.store().tenant(&t).audit().list().await.expect("audit events");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!((events[0].action.as_str(), events[0].by.as_str()), ("purge", "retention"));
    assert_eq!(events[0].records, purged.removed);
    let again = admin::purge_tenant(stack.store(), &t, now).await.expect("a purge");
    assert!(again.removed.is_empty(), "{:?}", again.removed);

    // A district keeping deleted records for ever purges nothing, however late.
    let change = admin::SettingsChange { retention_days: Some("forever".into()), ..Default::default() };
    admin::set_settings(stack.store(), &t, change).await.expect("settings");
    let later = Timestamp(now.0 + chrono::Duration::days(3650));
    let kept = admin::purge_tenant(stack.store(), &t, later).await.expect("a purge");
    assert_eq!((kept.retention_days, kept.before, kept.removed.len()), (None, None, 0));
    assert!(records.get(Collection::Enrollments, &recent_enrollment).await.expect("a read").is_some());
}

/// The attendance service's scope and every scope of the standard.
fn reader_scopes() -> oneroster_auth::Scopes {
    let text = format!(
        "{} https://oneroster-provider.example.org/spec/or/ext/scope/attendance.readonly",
        oneroster_auth::Scopes::all().to_text()
    );
    oneroster_auth::Scopes::parse(&text).expect("the attendance scope")
}

/// The bytes of `d`'s bulk with its gradebook and `days` days of attendance.
fn bulk_with_attendance(d: &District, days: usize) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    d.write_bulk_with_attendance(&mut bytes, Binding::V1p2, days).expect("generate");
    bytes.into_inner()
}

/// The ids of `records` whose reference `field` names `user`.
fn whose(records: &[Value], field: &str, user: &str) -> Vec<String> {
    ids(&records.iter().filter(|r| r[field]["sourcedId"] == user).cloned().collect::<Vec<_>>())
}

/// What the API shows of one student, route by route (status and body), to compare before and
/// after another student's erasure.
async fn shown(api: &Api, d: &District, student: usize) -> Vec<(String, u16, Value)> {
    let id = d.student_id(student);
    let school = d.school_id(d.school_of_student(student));
    let mut shown = Vec::new();
    for path in [
        format!("{ROSTERING}/users/{id}"),
        format!("{ROSTERING}/students/{id}"),
        format!("{ROSTERING}/demographics/{id}"),
        format!("{ROSTERING}/users/{id}/classes"),
        format!("{ROSTERING}/schools/{school}/students/{id}"),
        format!("{ATTENDANCE}/students/{id}/attendance"),
        format!("{RESOURCES}/users/{id}/resources"),
    ] {
        let reply = get(api, path.clone()).await;
        shown.push((path, reply.status, reply.body));
    }
    shown
}

#[tokio::test]
async fn an_erasure_removes_a_student_from_every_route_and_leaves_only_sourced_ids_in_the_feeds() {
    // On the heap: the test's future is larger than a test thread's stack.
    Box::pin(erase_one_student()).await
}

async fn erase_one_student() {
    let stack = stack().await;
    let t = tenant("privacy-erasure");
    let d = small_district();
    let bulk = bulk_with_attendance(&d, 2);
    upload(&stack, &t, "bulk.zip", bulk.clone()).await;
    let api = Api::with_scopes(&stack, &t, &reader_scopes()).await;
    let (student, other) = (d.student_id(0), 1);
    let school = d.school_id(d.school_of_student(0));
    let class = d.class_id(d.school_of_student(0), d.classes_of_student(0)[0]);

    // What the district holds of the student, in every collection that is about them.
    let enrollments = whose(&all(&api, &format!("{ROSTERING}/enrollments"), "enrollments").await, "user", &student);
    let results = whose(&all(&api, &format!("{GRADEBOOK}/results"), "results").await, "student", &student);
    let marks = whose(&all(&api, &format!("{ATTENDANCE}/attendance"), "attendance").await, "student", &student);
    let resources = listed(&api, &format!("{RESOURCES}/users/{student}/resources"), "resources").await;
    assert!(!enrollments.is_empty() && !results.is_empty() && !marks.is_empty(), "a student in every collection");
    assert_eq!(resources.len(), 1, "the student's app");
    assert_eq!(get(&api, format!("{ROSTERING}/demographics/{student}")).await.status, 200);
    let email = d.student_email(0);
    let by_email = format!("{ROSTERING}/users?filter=email='{email}'");
    assert_eq!(listed(&api, &by_email, "users").await, std::slice::from_ref(&student));
    let others_before = shown(&api, &d, other).await;
    let before = Timestamp::now();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    let erasure = Box::pin(admin::erase_user(stack.store(), &t, &student, "dpo-request-17", Timestamp::now()))
        .await
        .expect("erased");
    assert!(!erasure.already_erased);
    let expected: BTreeMap<String, u64> = [
        ("attendance", marks.len()),
        ("demographics", 1),
        ("enrollments", enrollments.len()),
        ("results", results.len()),
        ("userResources", 1),
        ("users", 1),
    ]
    .into_iter()
    .map(|(name, n)| (name.to_owned(), n as u64))
    .collect();
    assert_eq!(erasure.erased, expected, "every record only about the student");

    // No route shows the student any more.
    for path in [
        format!("{ROSTERING}/users/{student}"),
        format!("{ROSTERING}/students/{student}"),
        format!("{ROSTERING}/demographics/{student}"),
        format!("{ROSTERING}/enrollments/{}", enrollments[0]),
        format!("{GRADEBOOK}/results/{}", results[0]),
        format!("{ATTENDANCE}/attendance/{}", marks[0]),
    ] {
        assert_eq!(get(&api, path.clone()).await.status, 404, "{path}");
    }
    for path in [format!("{ROSTERING}/users/{student}/classes"), format!("{RESOURCES}/users/{student}/resources")] {
        let status = get(&api, path.clone()).await.status;
        assert_eq!(status, 404, "{path}: the parent is gone");
    }
    let lists = [
        (format!("{ROSTERING}/users"), "users"),
        (format!("{ROSTERING}/students"), "users"),
        (format!("{ROSTERING}/classes/{class}/students"), "users"),
        (format!("{ROSTERING}/schools/{school}/students"), "users"),
        (format!("{ROSTERING}/enrollments"), "enrollments"),
        (format!("{ROSTERING}/schools/{school}/classes/{class}/enrollments"), "enrollments"),
        (format!("{ROSTERING}/demographics"), "demographics"),
        (format!("{GRADEBOOK}/results"), "results"),
        (format!("{GRADEBOOK}/classes/{class}/results"), "results"),
        (format!("{ATTENDANCE}/attendance"), "attendance"),
        (format!("{ATTENDANCE}/classes/{class}/attendance"), "attendance"),
        (format!("{ATTENDANCE}/schools/{school}/attendance"), "attendance"),
    ];
    let erased: Vec<&String> = [&student].into_iter().chain(&enrollments).chain(&results).chain(&marks).collect();
    for (path, key) in &lists {
        let listed = all(&api, path, key).await;
        let text = serde_json::to_string(&listed).expect("JSON");
        assert!(!text.contains(&format!("\"{student}\"")), "{path} still names the student");
        assert!(erased.iter().all(|id| !ids(&listed).contains(id)), "{path} still lists an erased record");
    }
    assert!(listed(&api, &by_email, "users").await.is_empty(), "the e-mail lookup is gone");
    let attendance = get(&api, format!("{ATTENDANCE}/students/{student}/attendance")).await;
    assert!(attendance.status == 404 || attendance.total_count() == 0, "{}", attendance.body);

    // The change feeds list a tombstone for each, holding its sourcedId and nothing else.
    for (path, key, gone) in [
        (format!("{ROSTERING}/users"), "users", vec![student.clone()]),
        (format!("{ROSTERING}/enrollments"), "enrollments", enrollments.clone()),
        (format!("{ROSTERING}/demographics"), "demographics", vec![student.clone()]),
        (format!("{GRADEBOOK}/results"), "results", results.clone()),
        (format!("{ATTENDANCE}/attendance"), "attendance", marks.clone()),
    ] {
        let changed = feed(&api, &path, key, before).await;
        assert_eq!(changed.keys().cloned().collect::<Vec<_>>(), gone, "{path}: the erased records alone changed");
        for tombstone in changed.values() {
            let mut keys: Vec<&str> = tombstone.as_object().expect("an object").keys().map(String::as_str).collect();
            keys.sort_unstable();
            assert_eq!(keys, ["dateLastModified", "sourcedId", "status"], "{path}: {tombstone}");
            assert_eq!(tombstone["status"], "tobedeleted");
        }
    }
    assert!(!named_anywhere(&tenant_items(&stack, &t).await, &email), "no item holds the e-mail address");

    // Another student of the same school and classes is as they were.
    assert_eq!(shown(&api, &d, other).await, others_before, "another student");

    // The audit event names who erased whom, and how many records went.
    let events = stack.store().tenant(&t).audit().list().await.expect("audit events");
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(
        (event.action.as_str(), event.by.as_str(), event.subject.as_str(), event.at),
        ("erase", "dpo-request-17", student.as_str(), erasure.at)
    );
    assert_eq!(event.records, expected);

    // Erasing again changes nothing and says so.
    let items = tenant_items(&stack, &t).await;
    let again =
        admin::erase_user(stack.store(), &t, &student, "dpo-request-17", Timestamp::now()).await.expect("again");
    assert!(again.already_erased, "{again:?}");
    assert_eq!((again.at, again.erased.len()), (erasure.at, 0));
    assert_eq!(tenant_items(&stack, &t).await, items, "nothing written");
    assert!(matches!(
        admin::erase_user(stack.store(), &t, "stu-9999999", "dpo", Timestamp::now()).await,
        Err(admin::AdminError::Privacy(oneroster_privacy::PrivacyError::UnknownUser(_)))
    ));

    // The SIS still carries the student: the next bulk brings them back, and its report says so.
    let job = upload(&stack, &t, "bulk-again.zip", bulk).await;
    let warning = job.warnings.iter().find(|w| w.starts_with("users.csv:")).expect("a warning of users.csv");
    assert!(warning.contains("erased on request are back") && warning.contains(&student), "{warning}");
    let back = get(&api, format!("{ROSTERING}/users/{student}")).await;
    assert_eq!((back.status, back.body["user"]["sourcedId"].as_str()), (200, Some(student.as_str())));
    assert_eq!(listed(&api, &by_email, "users").await, std::slice::from_ref(&student), "found by e-mail again");
    let path = format!("{ROSTERING}/classes/{class}/students");
    assert!(listed(&api, &path, "users").await.contains(&student), "in the class again");
}

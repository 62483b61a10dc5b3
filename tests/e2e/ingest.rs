//! The ingest as an SIS uses it: bulk, delta, bulk again; rejected packages; redeliveries.

use district_gen::District;
use e2e::{bulk_zip, delta_zip, ingest, register, sample, stack, tenant, zip_of};
use oneroster_model::{Collection, Record, Relation, Status, Timestamp, View};
use oneroster_store::{Commit, Cursor, Encoded, JobState, Listing, Mutation, Named, Store, StoredRecord, Tenant};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};

async fn all(store: &Store, tenant: &Tenant, collection: Collection) -> BTreeMap<String, StoredRecord> {
    let mut records = BTreeMap::new();
    let mut cursor = Cursor::start();
    loop {
        let page =
            store.tenant(tenant).lists().page(&Listing::Collection(collection), 500, cursor).await.expect("a page");
        for record in page.records {
            assert!(records.insert(record.id.clone(), record).is_none(), "a record listed twice");
        }
        match page.next {
            Some(next) => cursor = next,
            None => return records,
        }
    }
}

async fn related(store: &Store, tenant: &Tenant, relation: Relation, parent: &str) -> Vec<String> {
    let mut ids = in_order(store, tenant, relation, parent).await;
    ids.sort();
    ids.dedup();
    ids
}

/// The children of a parent as the pages of its relation list them, in their order.
async fn in_order(store: &Store, tenant: &Tenant, relation: Relation, parent: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor = Cursor::start();
    let listing = Listing::Related { relation, parent: parent.to_owned() };
    loop {
        let page = store.tenant(tenant).lists().page(&listing, 7, cursor).await.expect("a page");
        ids.extend(page.records.into_iter().map(|r| r.id));
        match page.next {
            Some(next) => cursor = next,
            None => return ids,
        }
    }
}

fn json(record: &StoredRecord) -> Value {
    serde_json::from_str(&record.body).expect("stored JSON")
}

#[tokio::test]
async fn the_official_delta_sample_is_applied_with_users_composed_from_roles_and_profiles() {
    let stack = stack().await;
    let t = tenant("sample-district");
    let job = ingest(&stack, &t, "drop/oneroster_test_data.zip", sample("oneroster_test_data.zip")).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    assert!(job.warnings.iter().any(|w| w.contains("upper or mixed case")));
    let user =
        stack.store().tenant(&t).records().get(Collection::Users, "USER_0").await.unwrap().expect("the user is stored");
    let body = json(&user);
    assert_eq!(body["enabledUser"], "true");
    assert_eq!(body["status"], "active");
    assert_eq!(body["roles"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["roles"][0]["org"]["type"], "org");
    assert!(body["userProfiles"].as_array().is_some_and(|p| p.len() == 1), "{body}");
    let class = json(&stack.store().tenant(&t).records().get(Collection::Classes, "CLASS_001").await.unwrap().unwrap());
    assert_eq!(class["course"]["sourcedId"], "COURSE_001");
    assert_eq!(
        class["terms"][0],
        json!({"sourcedId": "ACAD_SESS_1", "type": "academicSession"}),
        "stored without href"
    );
    let report = stack.report(job.report_key.as_deref().expect("a report key")).await.expect("the report");
    assert_eq!(report["job"]["state"], "applied");
}

#[tokio::test]
async fn bulk_then_delta_then_bulk_keeps_history_right_and_costs_little() {
    let stack = stack().await;
    let store = stack.store();
    let t = tenant("springfield");
    let district = District::new(300);
    let bulk = bulk_zip(&district);

    let first = ingest(&stack, &t, "nightly/1.zip", bulk.clone()).await;
    assert_eq!(first.state, JobState::Applied, "{:#?}", first.errors);
    let users = all(store, &t, Collection::Users).await;
    assert_eq!(users.len(), district.students + district.teachers + district.parents);
    assert!(users.values().all(|u| u.status == Status::Active && u.modified == first.started));
    let enrollments = all(store, &t, Collection::Enrollments).await;
    assert_eq!(enrollments.len() as u64, first.files["enrollments.csv"].rows);

    // Relation routes match the package exactly.
    for class in [0, 3, district.classes_per_school - 1] {
        let id = district.class_id(0, class);
        assert_eq!(
            related(store, &t, Relation::ClassStudents, &id).await,
            district.class_students(0, class),
            "class {id}"
        );
        let teacher = district.teacher_id(district.class_teacher(0, class));
        assert_eq!(related(store, &t, Relation::ClassTeachers, &id).await, vec![teacher]);
    }
    let student = 5;
    let mut classes: Vec<String> = district
        .classes_of_student(student)
        .into_iter()
        .map(|c| district.class_id(district.school_of_student(student), c))
        .collect();
    classes.sort();
    assert_eq!(related(store, &t, Relation::UserClasses, &district.student_id(student)).await, classes);
    let school_students = related(store, &t, Relation::SchoolStudents, &district.school_id(0)).await;
    assert_eq!(school_students.len(), (0..district.students).filter(|s| district.school_of_student(*s) == 0).count());
    assert_eq!(related(store, &t, Relation::SessionChildren, "sem-1").await, vec!["gp-1", "gp-2"]);
    assert_eq!(related(store, &t, Relation::SchoolTerms, &district.school_id(0)).await, vec!["sem-1", "sem-2"]);

    // Delta: three e-mails change, one enrollment ends, a student arrives.
    let delta = ingest(&stack, &t, "delta/1.zip", delta_zip(&district, 3)).await;
    assert_eq!(delta.state, JobState::Applied, "{:#?}", delta.errors);
    assert_eq!(delta.files["users.csv"].updated, 3);
    assert_eq!(delta.files["users.csv"].created, 1);
    let since = Listing::ModifiedSince { collection: Collection::Users, since: first.started, inclusive: false };
    let changed = store.tenant(&t).lists().page(&since, 100, Cursor::start()).await.unwrap();
    let mut changed: Vec<String> = changed.records.into_iter().map(|r| r.id).collect();
    changed.sort();
    let mut expected: Vec<String> = (0..3).map(|i| district.student_id(i)).collect();
    expected.push(district.newcomer_id());
    expected.sort();
    assert_eq!(changed, expected, "only what the delta changed is newer than the bulk");
    let unchanged = store.tenant(&t).records().get(Collection::Users, &district.student_id(3)).await.unwrap().unwrap();
    assert_eq!(unchanged.modified, first.started);
    let dropped = format!("enr-{}-{}", district.student_id(0), district.classes_of_student(0)[0]);
    let dropped_record = store.tenant(&t).records().get(Collection::Enrollments, &dropped).await.unwrap().unwrap();
    assert_eq!(dropped_record.status, Status::ToBeDeleted);
    assert_eq!(json(&dropped_record)["status"], "tobedeleted");
    let newcomer =
        json(&store.tenant(&t).records().get(Collection::Users, &district.newcomer_id()).await.unwrap().unwrap());
    assert_eq!(newcomer["roles"][0]["role"], "student");
    assert!(related(store, &t, Relation::ClassStudents, &district.class_id(0, 0))
        .await
        .contains(&district.newcomer_id()));

    // The same bulk again: the newcomer goes (tobedeleted), the dropped enrollment comes back,
    // the three changed e-mails revert, and nothing else is written.
    let second = ingest(&stack, &t, "nightly/2.zip", bulk.clone()).await;
    assert_eq!(second.state, JobState::Applied, "{:#?}", second.errors);
    let newcomer = store.tenant(&t).records().get(Collection::Users, &district.newcomer_id()).await.unwrap().unwrap();
    assert_eq!(newcomer.status, Status::ToBeDeleted);
    assert_eq!(newcomer.modified, second.started);
    let back = store.tenant(&t).records().get(Collection::Enrollments, &dropped).await.unwrap().unwrap();
    assert_eq!((back.status, back.modified), (Status::Active, second.started));
    assert_eq!(second.files["users.csv"].updated, 3);
    assert_eq!(second.files["users.csv"].deleted, 1);
    assert_eq!(second.files["enrollments.csv"].updated, 1);
    assert_eq!(second.files["enrollments.csv"].deleted, 1, "the newcomer's enrollment");
    let unchanged = store.tenant(&t).records().get(Collection::Users, &district.student_id(3)).await.unwrap().unwrap();
    assert_eq!(unchanged.modified, first.started, "an unchanged record keeps its dateLastModified");

    // A third identical bulk writes nothing at all.
    let third = ingest(&stack, &t, "nightly/3.zip", bulk).await;
    assert_eq!(third.state, JobState::Applied);
    assert_eq!(third.items_written, 0, "{:#?}", third.files);
    assert!(first.items_written > 1000);
}

/// A first load finds the children of its many parents by walking the records that make them;
/// a rebuild of one parent queries its entries. Both must make the same packs, in order.
#[tokio::test]
async fn packs_found_by_walking_the_records_equal_packs_found_by_querying_the_entries() {
    let stack = stack().await;
    let store = stack.store();
    let t = tenant("pack-district");
    let district = e2e::small_district();
    let job = ingest(&stack, &t, "drop/bulk.zip", bulk_zip(&district)).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);

    // Relations that enrollments make: on the first load their parents (every user, class and
    // school) outnumber the enrollments a 25th of them would, so they were walked; one parent
    // alone is queried.
    let mut parents: Vec<(Relation, String)> = Vec::new();
    for school in 0..district.schools {
        parents.push((Relation::SchoolEnrollments, district.school_id(school)));
        for class in 0..3 {
            for relation in [Relation::ClassStudents, Relation::ClassTeachers, Relation::ClassEnrollments] {
                parents.push((relation, district.class_id(school, class)));
            }
        }
    }
    parents.extend((0..6).map(|s| (Relation::UserClasses, district.student_id(s))));
    parents.extend((0..3).map(|t| (Relation::UserClasses, district.teacher_id(t))));
    let mut walked = Vec::new();
    for (relation, parent) in &parents {
        let view = store.tenant(&t).lists().parent_view(*relation, parent).await.unwrap();
        walked.push((in_order(store, &t, *relation, parent).await, view));
    }
    assert!(walked.iter().all(|(children, _)| !children.is_empty()));
    assert_eq!(walked[1].0, district.class_students(0, 0));
    // The heads copy their parents' views, walked from the views on the first load too.
    let views: Vec<Option<View>> = walked.iter().rev().take(9).map(|(_, view)| *view).collect();
    assert_eq!(views, [[Some(View::Teachers); 3].as_slice(), &[Some(View::Students); 6]].concat());
    assert_eq!(walked[0].1, Some(View::Schools));
    for parent in &parents {
        store.tenant(&t).upkeep().rebuild_packs([parent.clone()], &Default::default()).await.expect("a rebuilt pack");
    }
    for ((relation, parent), walked) in parents.iter().zip(&walked) {
        let view = store.tenant(&t).lists().parent_view(*relation, parent).await.unwrap();
        assert_eq!(&(in_order(store, &t, *relation, parent).await, view), walked, "{relation:?} of {parent}");
    }
}

/// The stored class `id`.
async fn class(store: &Store, tenant: &Tenant, id: &str) -> StoredRecord {
    store.tenant(tenant).records().get(Collection::Classes, id).await.expect("read").expect("a stored class")
}

/// Classes an API client wrote and deleted, committed as the API commits them: a bulk without
/// one leaves it; rows naming them take them over for the feed, counted in the job and report.
#[tokio::test]
async fn rows_of_the_feed_take_over_what_an_api_client_wrote_and_a_bulk_without_it_leaves() {
    let stack = stack().await;
    let store = stack.store();
    let t = tenant("take-over");
    let district = e2e::small_district();
    let bulk = bulk_zip(&district);
    let first = ingest(&stack, &t, "nightly/1.zip", bulk.clone()).await;
    assert_eq!(first.state, JobState::Applied, "{:#?}", first.errors);

    // The hub writes a class of its own and one of the feed's as it stands, and deletes another.
    let (own, rewritten, deleted) = ("hub-class", district.class_id(0, 0), district.class_id(0, 1));
    let (source, gone) = (class(store, &t, &rewritten).await, class(store, &t, &deleted).await);
    let parse = |body: &str| Record::from_json(Collection::Classes, body).expect("a class");
    let mut hubs = parse(&source.body);
    hubs.base_mut().sourced_id = oneroster_model::SourcedId::parse(own).unwrap();
    let writes = vec![
        (Mutation::put(Encoded::new(hubs), &Named::new()).by("hub"), None),
        (Mutation::put(Encoded::new(parse(&source.body)), &Named::new()).over(Some(&source)).by("hub"), Some(&source)),
        (Mutation::delete(parse(&gone.body), &gone, "hub"), Some(&gone)),
    ];
    store.tenant(&t).records().commit(Commit::Conditional(writes)).await.unwrap();
    let school = district.school_id(0);
    assert!(!related(store, &t, Relation::SchoolClasses, &school).await.contains(&deleted));

    // The same bulk: the hub's own class stays; the two it names are the feed's again.
    let second = ingest(&stack, &t, "nightly/2.zip", bulk.clone()).await;
    assert_eq!(second.state, JobState::Applied, "{:#?}", second.errors);
    let classes = &second.files["classes.csv"];
    assert_eq!((classes.taken_over, classes.deleted, classes.unchanged), (2, 0, classes.rows - 2), "{classes:?}");
    let kept = class(store, &t, own).await;
    assert_eq!((kept.status, kept.origin.as_deref()), (Status::Active, Some("hub")), "left by the bulk");
    for id in [&rewritten, &deleted] {
        let taken = class(store, &t, id).await;
        assert_eq!(
            (taken.status, taken.origin, taken.gone, taken.modified),
            (Status::Active, None, false, second.started)
        );
    }
    assert!(related(store, &t, Relation::SchoolClasses, &school).await.contains(&deleted), "back under its school");
    let report = stack.report(second.report_key.as_deref().expect("a report key")).await.expect("the report");
    assert_eq!(report["job"]["files"]["classes.csv"]["takenOver"], 2, "{}", report["job"]["files"]);

    // A delta row naming the hub's class takes it over as it says; the next bulk without it
    // then marks it `tobedeleted`, as any record of the feed.
    let row = format!(
        "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\n\
         {own},active,2026-01-01T00:00:00.000Z,Extra,,{course},,scheduled,,{school},sem-1,,,\n",
        course = district.course_id(0, 0),
    );
    let manifest = district_gen::manifest(&[], &["classes"]);
    let third = ingest(&stack, &t, "delta/1.zip", zip_of(&[("manifest.csv", &manifest), ("classes.csv", &row)])).await;
    assert_eq!(third.state, JobState::Applied, "{:#?}", third.errors);
    assert_eq!(third.files["classes.csv"].taken_over, 1, "{:?}", third.files);
    let taken = class(store, &t, own).await;
    assert_eq!((taken.origin.as_deref(), json(&taken)["title"].as_str()), (None, Some("Extra")));
    let fourth = ingest(&stack, &t, "nightly/3.zip", bulk).await;
    assert_eq!((fourth.files["classes.csv"].deleted, fourth.files["classes.csv"].taken_over), (1, 0));
    assert_eq!(class(store, &t, own).await.status, Status::ToBeDeleted);
}

#[tokio::test]
async fn a_redelivered_notification_is_applied_once() {
    let stack = stack().await;
    let t = tenant("redelivery");
    let district = District::new(50);
    register(&stack, &t).await;
    let key = stack.upload(&t, "nightly/once.zip", bulk_zip(&district)).await.unwrap();
    let delivered = stack.deliver(std::time::Duration::from_secs(5)).await.unwrap();
    let (body, outcomes) = delivered.into_iter().next().expect("a notification arrived");
    assert!(matches!(&outcomes[0], ingest::Outcome::Finished(job) if job.state == JobState::Applied && job.key == key));
    // S3 delivers at least once: the same notification again does nothing.
    let again = ingest::handle_message(&stack.ingest, &body).await.unwrap();
    assert!(matches!(&again[0], ingest::Outcome::AlreadyDone(job) if job.key == key));
    assert_eq!(stack.store().tenant(&t).jobs().list().await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_upload_waits_while_another_of_its_tenant_runs_and_an_interrupted_job_resumes() {
    let stack = stack().await;
    let t = tenant("busy");
    let district = District::new(40);
    register(&stack, &t).await;
    stack.upload(&t, "a.zip", bulk_zip(&district)).await.unwrap();
    let holder_until = Timestamp::from_millis(Timestamp::now().0.timestamp_millis() + 60_000);
    assert!(stack.store().tenant(&t).jobs().acquire_lock("another-job", holder_until).await.unwrap());
    // The delivery fails (to be retried); nothing is applied meanwhile.
    let delivered = stack.deliver(std::time::Duration::from_secs(5)).await.unwrap();
    assert!(delivered.is_empty(), "a busy tenant's upload is left for redelivery");
    assert!(all(stack.store(), &t, Collection::Users).await.is_empty());
    stack.store().tenant(&t).jobs().release_lock("another-job").await.unwrap();
    let job = stack.wait_for_job(&t, &format!("{t}/a.zip"), true, std::time::Duration::from_secs(60)).await.unwrap();
    assert_eq!(job.state, JobState::Applied);

    // A job left "running" (its Lambda died) is resumed by the redelivery and completes.
    let key = stack.upload(&t, "b.zip", delta_zip(&district, 2)).await.unwrap();
    // (Reports the ingest writes beside uploads notify too; they are skipped.)
    let mut body = None;
    for _ in 0..10 {
        let delivered = stack.deliver(std::time::Duration::from_secs(2)).await.unwrap();
        body = delivered.into_iter().find(|(_, outcomes)| !outcomes.is_empty()).map(|(body, _)| body);
        if body.is_some() {
            break;
        }
    }
    let body = body.expect("the upload's notification");
    let mut job = stack.store().tenant(&t).jobs().list().await.unwrap().into_iter().find(|j| j.key == key).unwrap();
    let applied_at = job.started;
    job.state = JobState::Running;
    stack.store().tenant(&t).jobs().put(&job).await.unwrap();
    // The first attempt also wrote a user and died before recounting: the kept count is stale.
    let users = Listing::Collection(Collection::Users);
    let counted = stack.store().tenant(&t).lists().count(&users).await.unwrap();
    let stored =
        stack.store().tenant(&t).records().get(Collection::Users, &district.student_id(0)).await.unwrap().unwrap();
    let mut late = Record::from_json(Collection::Users, &stored.body).unwrap();
    late.base_mut().sourced_id = oneroster_model::SourcedId::parse("late-user").unwrap();
    late.base_mut().date_last_modified = applied_at;
    let late = Mutation::put(Encoded::new(late), &Named::new());
    stack.store().tenant(&t).records().commit(Commit::Batched(vec![late])).await.unwrap();
    assert_eq!(
        stack.store().tenant(&t).lists().count(&users).await.unwrap(),
        counted,
        "kept counts wait for a recount"
    );
    let outcome = ingest::handle_message(&stack.ingest, &body).await.unwrap();
    assert!(
        matches!(&outcome[0], ingest::Outcome::Finished(j) if j.state == JobState::Applied && j.started == applied_at)
    );
    assert_eq!(outcome.len(), 1);
    assert_eq!(stack.store().tenant(&t).lists().count(&users).await.unwrap(), counted + 1, "the resumed job recounts");
}

/// Uploads a package that must be rejected; checks that it wrote nothing and changed no
/// collection, and that its report counts its errors.
pub(crate) async fn assert_rejected_and_nothing_changed(
    stack: &local_server::LocalStack,
    t: &Tenant,
    name: &str,
    bytes: Vec<u8>,
) -> oneroster_store::Job {
    let mut before = Vec::new();
    for collection in Collection::ALL {
        before.push(all(stack.store(), t, collection).await);
    }
    let job = ingest(stack, t, name, bytes).await;
    assert_eq!(job.state, JobState::Rejected, "{name}");
    assert!(job.error_count > 0);
    assert_eq!(job.items_written, 0);
    for (collection, before) in Collection::ALL.into_iter().zip(before) {
        assert_eq!(all(stack.store(), t, collection).await, before, "{name} changed stored {}", collection.name());
    }
    let report = stack.report(job.report_key.as_deref().expect("a report key")).await.expect("the report");
    assert_eq!(
        report["report"]["errorCount"].as_u64().or(report["report"]["error_count"].as_u64()),
        Some(job.error_count)
    );
    job
}

#[tokio::test]
async fn broken_packages_are_rejected_with_located_errors_and_change_nothing() {
    let stack = stack().await;
    let t = tenant("strict");
    let district = District::new(30);
    assert_eq!(ingest(&stack, &t, "good.zip", bulk_zip(&district)).await.state, JobState::Applied);

    for name in ["v1p2_full_dataset.zip", "Test_full_data_set.zip", "Test_minimal_data_set.zip"] {
        assert_rejected_and_nothing_changed(&stack, &t, name, sample(name)).await;
    }
    let manifest = district_gen::manifest(&[], &["users", "enrollments"]);
    let users_header = "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,preferredGivenName,preferredMiddleName,preferredFamilyName,primaryOrgSourcedId,pronouns";
    let enrollments_header =
        "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate";
    let bad = zip_of(&[
        ("manifest.csv", &manifest),
        ("users.csv", &format!("{users_header}\nu-1,active,2026-01-01T00:00:00.000Z,true,u1,,A,B,,,,,,,,,,,,,,\nu-1,active,2026-01-01T00:00:00.000Z,true,u1,,A,B,,,,,,,,,,,,,,\nu-2,active,2026-01-01T00:00:00.000Z,maybe,u2,,A,B,,,,,,,,,,,,,,\n")),
        ("enrollments.csv", &format!("{enrollments_header}\ne-1,active,2026-01-01,cls-0000-0000,sch-0000,u-1,student,,,\ne-2,active,2026-01-01T00:00:00.000Z,no-such-class,sch-0000,u-1,student,,,\n")),
    ]);
    let job = assert_rejected_and_nothing_changed(&stack, &t, "bad.zip", bad).await;
    let has = |needle: &str| job.errors.iter().any(|e| e.contains(needle));
    assert!(has("users.csv:3 sourcedId: sourcedId 'u-1' is already used on line 2"), "{:#?}", job.errors);
    assert!(has("users.csv:4 enabledUser: 'maybe' is not one of {true | false}"), "{:#?}", job.errors);
    assert!(has("enrollments.csv:2 dateLastModified:"), "{:#?}", job.errors);
    assert!(
        has(
            "enrollments.csv:3 classSourcedId: 'no-such-class' is neither in this package nor among the stored classes"
        ),
        "{:#?}",
        job.errors
    );
    assert_rejected_and_nothing_changed(&stack, &t, "not-a-zip.zip", b"this is not a zip".to_vec()).await;

    // The resources files are held to the same rules.
    let at = "2026-01-01T00:00:00.000Z";
    let bad = zip_of(&[
        ("manifest.csv", &district_gen::manifest(&[], &["resources", "classResources"])),
        ("resources.csv", &format!("sourcedId,status,dateLastModified,vendorResourceId,title,roles,importance,vendorId,applicationId\nr-1,active,{at},,Atlas,\"student,coach\",tertiary,,\n")),
        ("classResources.csv", &format!("sourcedId,status,dateLastModified,title,classSourcedId,resourceSourcedId\ncl-1,active,{at},,cls-0000-0000,no-such-resource\ncl-2,active,{at},,no-such-class,res-app-0\n")),
    ]);
    let job = assert_rejected_and_nothing_changed(&stack, &t, "bad-resources.zip", bad).await;
    let has = |needle: &str| job.errors.iter().any(|e| e.contains(needle));
    assert!(has("resources.csv:2 vendorResourceId:"), "{:#?}", job.errors);
    assert!(has("resources.csv:2 roles: 'coach' is not one of"), "{:#?}", job.errors);
    assert!(has("resources.csv:2 importance: 'tertiary'"), "{:#?}", job.errors);
    assert!(has("classResources.csv:2 resourceSourcedId: 'no-such-resource'"), "{:#?}", job.errors);
    assert!(has("classResources.csv:3 classSourcedId: 'no-such-class'"), "{:#?}", job.errors);
}

#[tokio::test]
async fn what_real_sis_exports_do_is_accepted_with_warnings() {
    let stack = stack().await;
    let t = tenant("lenient");
    let orgs = "\u{feff}sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\r\nd-1,,,District,district,,\r\ns-1,,,School,school,,d-1\r\n";
    let package = zip_of(&[("export/ORGS.CSV", orgs)]);
    let job = ingest(&stack, &t, "export.zip", package).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    for warning in ["no manifest.csv", "sub-folder", "file name taken as orgs.csv", "byte-order mark", "CRLF"] {
        assert!(job.warnings.iter().any(|w| w.contains(warning)), "{warning}: {:?}", job.warnings);
    }
    let school = json(&stack.store().tenant(&t).records().get(Collection::Orgs, "s-1").await.unwrap().unwrap());
    assert_eq!(school["parent"]["sourcedId"], "d-1");
    assert_eq!(school["identifier"], "", "JSON requires identifier; CSV left it empty");
}

#[tokio::test]
async fn tenants_never_see_each_other() {
    let stack = stack().await;
    let (a, b) = (tenant("district-a"), tenant("district-b"));
    let district = District::new(20);
    assert_eq!(ingest(&stack, &a, "bulk.zip", bulk_zip(&district)).await.state, JobState::Applied);
    let id = district.student_id(0);
    assert!(stack.store().tenant(&a).records().get(Collection::Users, &id).await.unwrap().is_some());
    assert!(stack.store().tenant(&b).records().get(Collection::Users, &id).await.unwrap().is_none());
    assert!(all(stack.store(), &b, Collection::Users).await.is_empty());
    assert!(related(stack.store(), &b, Relation::ClassStudents, &district.class_id(0, 0)).await.is_empty());
    // A delta for B cannot reference A's records.
    let job = ingest(&stack, &b, "delta.zip", delta_zip(&district, 1)).await;
    assert_eq!(job.state, JobState::Rejected);
    let ids: HashSet<&str> = job.errors.iter().map(String::as_str).collect();
    assert!(ids.iter().any(|e| e.contains("among the stored")), "{ids:?}");
}

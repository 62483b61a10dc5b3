//! Broken and hostile packages, made in code: each is refused (a rejected job whose report
//! names the fault: the file, and the line where there is one), changes nothing stored, keeps
//! this process far from a gigabyte, frees its tenant at once, and the tenant's next good
//! upload is served.

use crate::ingest::assert_rejected_and_nothing_changed;
use e2e::hostile::{self, RawEntry};
use e2e::{bulk_zip, delta_zip, ingest, peak_rss_mib, small_district, stack, tenant, zip_of, Api};
use local_server::LocalStack;
use oneroster_model::{Collection, Timestamp};
use oneroster_store::{Job, JobState, Tenant, JOB_ERRORS_KEPT, JOB_LINE_BYTES};
use std::time::{Duration, Instant};

/// The memory bound of the corpus: generous (the exact figure is for `make bench`), far below
/// what a bomb would take if it were inflated into memory.
const PEAK_RSS_MIB: f64 = 1024.0;

const ORGS_HEADER: &str = "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId";

/// A tenant holding the small district, applied.
async fn loaded(stack: &LocalStack, name: &str) -> (Tenant, district_gen::District) {
    let t = tenant(name);
    let district = small_district();
    let job = ingest(stack, &t, "good.zip", bulk_zip(&district)).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    (t, district)
}

/// Uploads a hostile package: it must be rejected, change nothing, and name `needles` in its
/// job's errors (each a `file:line column: reason` line); checks that the tenant's lock is
/// free at once and the memory bound. Returns the job.
async fn refused(stack: &LocalStack, t: &Tenant, name: &str, bytes: Vec<u8>, needles: &[&str]) -> Job {
    let job = assert_rejected_and_nothing_changed(stack, t, name, bytes).await;
    for needle in needles {
        assert!(job.errors.iter().any(|e| e.contains(needle)), "{name}: no error has '{needle}': {:#?}", job.errors);
    }
    let item = serde_json::to_string(&job).expect("a job");
    assert!(item.len() < 200 * 1024, "{name}: the job item holds {} bytes", item.len());
    assert!(job.errors.iter().all(|e| e.len() <= JOB_LINE_BYTES));
    // A failed job frees its tenant's lock at once.
    let until = Timestamp::from_millis(Timestamp::now().0.timestamp_millis() + 60_000);
    assert!(
        stack.store().tenant(t).jobs().acquire_lock("next-job", until).await.expect("the lock table answers"),
        "{name}: the tenant is still locked"
    );
    stack.store().tenant(t).jobs().release_lock("next-job").await.expect("the lock table answers");
    let peak = peak_rss_mib();
    assert!(peak < PEAK_RSS_MIB, "{name}: peak RSS {peak:.0} MiB");
    job
}

/// The tenant's next good upload is applied.
async fn next_good_upload_served(stack: &LocalStack, t: &Tenant, district: &district_gen::District, name: &str) {
    let job = ingest(stack, t, name, delta_zip(district, 2)).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    assert!(stack
        .store()
        .tenant(t)
        .records()
        .get(Collection::Users, &district.newcomer_id())
        .await
        .expect("a read")
        .is_some());
}

/// `len` letters that do not deflate much (a small linear congruential generator's).
fn noise(len: usize) -> String {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            char::from(b'a' + ((state >> 33) % 26) as u8)
        })
        .collect()
}

fn stored(name: &str, text: &[u8]) -> RawEntry {
    RawEntry::stored(name, text)
}

#[tokio::test]
async fn a_zip_bomb_is_refused_in_seconds_without_being_inflated() {
    let mut stack = stack().await;
    let (t, district) = loaded(&stack, "bomb").await;

    // A 1 MB zip of one users.csv that inflates to 1 GiB: refused by what it declares.
    let bomb = hostile::bomb(1 << 30);
    assert!(bomb.len() < 4 << 20, "the bomb is {} bytes", bomb.len());
    let started = Instant::now();
    let job = refused(&stack, &t, "bomb.zip", bomb, &["users.csv: inflates to more than 200 times"]).await;
    assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());
    assert_eq!(job.error_counts.get("ratio"), Some(&1));

    // The same bomb, its header saying it inflates to 1,000 bytes: stopped while inflating.
    let started = Instant::now();
    let lying = hostile::lying_bomb(64 << 20);
    refused(
        &stack,
        &t,
        "lying.zip",
        lying,
        &["users.csv:1: the file cannot be inflated: File is larger than its declared"],
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());

    // The cap on the total, from what the zip declares (the reader counts too; a zip that
    // hides its sizes is stopped at the first byte past them, as above).
    stack.ingest.settings.limits.inflated_bytes = 8 << 20;
    stack.ingest.settings.limits.ratio = 1 << 20;
    refused(&stack, &t, "big.zip", hostile::bomb(16 << 20), &["(zip): the package inflates to more than 8 MiB"]).await;
    stack.ingest.settings.limits = Default::default();

    next_good_upload_served(&stack, &t, &district, "delta.zip").await;
}

#[tokio::test]
async fn zips_of_no_files_or_hostile_entries_are_refused_naming_the_entry() {
    let stack = stack().await;
    let (t, district) = loaded(&stack, "entries").await;
    let orgs = format!("{ORGS_HEADER}\nd-1,,,District,district,,\n");
    let plain = |name: &str| RawEntry::deflated(name, orgs.as_bytes());

    refused(&stack, &t, "empty.zip", hostile::zip(&[]), &["(zip): the zip is empty"]).await;
    refused(&stack, &t, "readme.zip", hostile::zip(&[plain("readme.txt")]), &["(zip): the zip holds no file"]).await;
    refused(
        &stack,
        &t,
        "abs.zip",
        hostile::zip(&[plain("/abs/orgs.csv")]),
        &["/abs/orgs.csv: the entry's name is an absolute path"],
    )
    .await;
    refused(
        &stack,
        &t,
        "up.zip",
        hostile::zip(&[plain("../x/orgs.csv")]),
        &["../x/orgs.csv: the entry's name leads out"],
    )
    .await;
    let encrypted = RawEntry { flags: 1, ..plain("orgs.csv") };
    refused(&stack, &t, "enc.zip", hostile::zip(&[encrypted]), &["orgs.csv: the entry is encrypted"]).await;
    let link = RawEntry { unix_mode: Some(0o120_777), ..stored("orgs.csv", b"/etc/passwd") };
    refused(&stack, &t, "link.zip", hostile::zip(&[link]), &["orgs.csv: the entry is a symbolic link"]).await;
    let folder = RawEntry { unix_mode: Some(0o040_755), ..plain("orgs.csv") };
    refused(&stack, &t, "dir.zip", hostile::zip(&[folder]), &["orgs.csv: the entry is a directory posing as a file"])
        .await;
    // A zip of 5,000 entries: refused from its end record, before its directory is read.
    let many: Vec<RawEntry> = (0..5000).map(|i| stored(&format!("junk/{i}.txt"), b"x")).collect();
    let job = refused(
        &stack,
        &t,
        "many.zip",
        hostile::zip(&many),
        &["(zip): the zip has 5000 entries; a package may have at most 100"],
    )
    .await;
    assert_eq!(job.error_counts.get("too_many_entries"), Some(&1));
    // A zip crate's own zip of a manifest that declares nothing.
    let manifest = district_gen::manifest(&[], &[]);
    let nothing = zip_of(&[("manifest.csv", &manifest)]);
    refused(&stack, &t, "nothing.zip", nothing, &["manifest.csv: the manifest declares no file as bulk or delta"])
        .await;

    // Each notification was answered once, for good: none is left to come back.
    assert!(stack.deliver(Duration::from_secs(1)).await.unwrap().iter().all(|(_, outcomes)| outcomes.is_empty()));
    next_good_upload_served(&stack, &t, &district, "delta.zip").await;
}

#[tokio::test]
async fn rows_past_the_caps_are_errors_naming_the_file_and_line_and_every_job_is_saved() {
    let stack = stack().await;
    let (t, district) = loaded(&stack, "caps").await;
    let manifest = district_gen::manifest(&[], &["orgs"]);

    // A header cell of 600 KB.
    let header = format!("{ORGS_HEADER},{}\nd-1,,,District,district,,,\n", "h".repeat(600 << 10));
    let job = refused(&stack, &t, "header.zip", zip_of(&[("orgs.csv", &header)]), &["orgs.csv:1 "]).await;
    assert_eq!(job.error_counts.get("header"), Some(&1));
    let report = stack.report(job.report_key.as_deref().unwrap()).await.unwrap();
    assert!(report.to_string().len() < 64 << 10, "the report quotes the cell whole");

    // A 16 MB file of one line (of text that deflates little, so that the ratio does not
    // refuse it first).
    let line = noise(16 << 20);
    let job = refused(
        &stack,
        &t,
        "line.zip",
        hostile::zip(&[stored("orgs.csv", line.as_bytes())]),
        &["orgs.csv:1: the row starting on line 1 is longer than 1 MiB"],
    )
    .await;
    assert_eq!(job.error_counts.get("line_too_long"), Some(&1));

    // A course whose title is 2 MB: a row longer than a row may be.
    let courses = format!(
        "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes\n\
         c-1,active,2026-01-01T00:00:00.000Z,,Short,,,{school},,\n\
         c-2,active,2026-01-01T00:00:00.000Z,,{title},,,{school},,\n",
        school = district.school_id(0),
        title = noise(2 << 20)
    );
    let delta = district_gen::manifest(&[], &["courses"]);
    refused(
        &stack,
        &t,
        "title.zip",
        hostile::zip(&[stored("manifest.csv", delta.as_bytes()), stored("courses.csv", courses.as_bytes())]),
        &["courses.csv:3: the row starting on line 3 is longer than 1 MiB"],
    )
    .await;

    // A row of 1,500 cells.
    let wide = format!("{ORGS_HEADER}\nd-1,,,District,district,,\n{}\n", vec!["x"; 1500].join(","));
    let job = refused(
        &stack,
        &t,
        "wide.zip",
        zip_of(&[("manifest.csv", &manifest), ("orgs.csv", &wide)]),
        &["orgs.csv:3: the row has 1500 cells; a row may have at most 1000"],
    )
    .await;
    assert_eq!(job.error_counts.get("too_many_cells"), Some(&1));

    // Thousands of errors, each quoting a long cell: the job keeps the first ones and counts
    // them all by code; the report lists a thousand, none whole.
    let mut rows = format!("{ORGS_HEADER}\n");
    for i in 0..3000 {
        rows.push_str(&format!("o-{i},,,Org,{kind},,{parent}\n", kind = noise(1000), parent = "p@#".repeat(50)));
    }
    let job = refused(
        &stack,
        &t,
        "errors.zip",
        hostile::zip(&[stored("manifest.csv", manifest.as_bytes()), stored("orgs.csv", rows.as_bytes())]),
        &["orgs.csv:2 type: '"],
    )
    .await;
    // (A delta file: status and dateLastModified are required too.)
    assert_eq!(job.error_count, 12000, "{:?}", job.error_counts);
    assert_eq!(job.error_counts.get("required"), Some(&6000));
    assert_eq!(job.error_counts.get("bad_value"), Some(&3000));
    assert_eq!(job.error_counts.get("bad_id"), Some(&3000));
    assert_eq!(job.errors.len(), JOB_ERRORS_KEPT);
    let report = stack.report(job.report_key.as_deref().unwrap()).await.unwrap();
    let listed = report["report"]["errors"].as_array().unwrap();
    assert_eq!(listed.len(), 1000);
    assert!(listed.iter().all(|d| d["reason"].as_str().unwrap().len() < 1200 && d["code"].is_string()));
    assert_eq!(report["report"]["error_counts"]["bad_value"], 3000);

    next_good_upload_served(&stack, &t, &district, "delta.zip").await;
}

#[tokio::test]
async fn a_cell_too_long_to_keep_whole_is_cut_with_a_warning() {
    let stack = stack().await;
    let (t, district) = loaded(&stack, "long-cell").await;
    let courses = format!(
        "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes\n\
         c-long,active,2026-01-01T00:00:00.000Z,,{},,,{},,\n",
        "é".repeat(300_000),
        district.school_id(0)
    );
    let manifest = district_gen::manifest(&[], &["courses"]);
    let job = ingest(&stack, &t, "long.zip", zip_of(&[("manifest.csv", &manifest), ("courses.csv", &courses)])).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    assert!(
        job.warnings
            .iter()
            .any(|w| w.contains("courses.csv: text longer than 4096 characters was cut")
                && w.contains("line 2 in title")),
        "{:#?}",
        job.warnings
    );
    let course =
        stack.store().tenant(&t).records().get(Collection::Courses, "c-long").await.unwrap().expect("the course");
    let body: serde_json::Value = serde_json::from_str(&course.body).unwrap();
    assert_eq!(body["title"].as_str().unwrap().chars().count(), 4096);
}

#[tokio::test]
async fn references_must_name_the_kind_of_record_the_binding_says() {
    let stack = stack().await;
    let (t, district) = loaded(&stack, "kinds").await;
    let files = ["orgs", "academicSessions", "courses", "classes"];
    let manifest = district_gen::manifest(&files, &[]);
    let orgs = format!("{ORGS_HEADER}\nd-1,,,District,district,,\ns-1,,,School,school,,d-1\n");
    let sessions = "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear\n\
                    y-1,,,2025-2026,schoolYear,2025-08-15,2026-06-15,,2026\n\
                    t-1,,,Fall,term,2025-08-15,2026-01-15,y-1,2026\n";
    let courses = "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes\n\
                   c-1,,,y-1,Math,,,d-1,,\n\
                   c-2,,,t-1,Art,,,s-1,,\n";
    let classes = "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\n\
                   k-1,,,Math 1,,c-1,,scheduled,,s-1,t-1,,,\n\
                   k-2,,,Math 2,,c-1,,scheduled,,d-1,t-1,,,\n";
    let package = zip_of(&[
        ("manifest.csv", &manifest),
        ("orgs.csv", &orgs),
        ("academicSessions.csv", sessions),
        ("courses.csv", courses),
        ("classes.csv", classes),
    ]);
    let job = refused(
        &stack,
        &t,
        "kinds.zip",
        package,
        &[
            "courses.csv:3 schoolYearSourcedId: 't-1' is not an academic session of type schoolYear",
            "classes.csv:3 schoolSourcedId: 'd-1' is not an org of type school",
        ],
    )
    .await;
    assert_eq!(job.error_counts.get("wrong_kind"), Some(&2), "{:#?}", job.errors);

    // A delta that names the stored district as a class's school, and as an enrollment's.
    let classes = format!(
        "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\n\
         k-9,active,2026-01-01T00:00:00.000Z,Extra,,{course},,scheduled,,{district},sem-1,,,\n",
        course = district.course_id(0, 0),
        district = district.district_id()
    );
    let manifest = district_gen::manifest(&[], &["classes"]);
    let job = refused(
        &stack,
        &t,
        "stored-kind.zip",
        zip_of(&[("manifest.csv", &manifest), ("classes.csv", &classes)]),
        &["classes.csv:2 schoolSourcedId: 'district' is not an org of type school (it is a stored record)"],
    )
    .await;
    assert_eq!(job.error_counts.get("wrong_kind"), Some(&1));

    // The API's writes hold to the same rule: a line item's school is an org of type school.
    let api = Api::new(&stack, &t).await;
    let class = district.class_id(0, 0);
    let body = |school: &str| {
        serde_json::json!({"lineItem": {
            "title": "Essay", "assignDate": "2026-09-01T00:00:00.000Z", "dueDate": "2026-09-08T00:00:00.000Z",
            "class": {"sourcedId": class}, "school": {"sourcedId": school},
            "category": {"sourcedId": district_gen::District::CATEGORIES[0].0},
        }})
        .to_string()
    };
    let put = "/ims/oneroster/gradebook/v1p2/lineItems/li-kind";
    let reply = api.send_json("PUT", put, &body(&district.district_id())).await;
    assert!((400..500).contains(&reply.status), "{}: {}", reply.status, reply.body);
    assert!(reply.body.to_string().contains("is not an org of type school"), "{}", reply.body);
    let reply = api.send_json("PUT", put, &body(&district.school_id(0))).await;
    assert_eq!(reply.status, 201, "{}", reply.body);

    next_good_upload_served(&stack, &t, &district, "delta.zip").await;
}

#[tokio::test]
async fn a_job_whose_runs_keep_stopping_is_failed_and_frees_its_tenant() {
    let stack = stack().await;
    let t = tenant("stopping");
    let district = small_district();
    e2e::register(&stack, &t).await;
    let key = stack.upload(&t, "bulk.zip", bulk_zip(&district)).await.unwrap();
    let mut body = None;
    for _ in 0..10 {
        let delivered = stack.deliver(Duration::from_secs(2)).await.unwrap();
        body = delivered.into_iter().find(|(_, outcomes)| !outcomes.is_empty()).map(|(body, _)| body);
        if body.is_some() {
            break;
        }
    }
    let body = body.expect("the upload's notification");
    let job = stack.store().tenant(&t).jobs().list().await.unwrap().into_iter().find(|j| j.key == key).unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Applied, 1));

    // Its worker died once: the next delivery resumes it, a second run.
    let mut running = Job { state: JobState::Running, ..job.clone() };
    stack.store().tenant(&t).jobs().put(&running).await.unwrap();
    let outcome = ingest::handle_message(&stack.ingest, &body).await.unwrap();
    assert!(matches!(&outcome[0], ingest::Outcome::Finished(j) if j.state == JobState::Applied && j.attempts == 2));

    // Its worker died on every run it was given: the next delivery fails it, for good.
    running.attempts = 3;
    stack.store().tenant(&t).jobs().put(&running).await.unwrap();
    let outcome = ingest::handle_message(&stack.ingest, &body).await.expect("a finished job, not a retry");
    let ingest::Outcome::Finished(failed) = &outcome[0] else { panic!("{outcome:?}") };
    assert_eq!(failed.state, JobState::Failed);
    assert_eq!(failed.error_counts.get("interrupted"), Some(&1));
    assert!(failed.errors[0].contains("the ingest stopped 3 times on this upload"), "{:#?}", failed.errors);
    let report = stack.report(failed.report_key.as_deref().unwrap()).await.unwrap();
    assert_eq!(report["job"]["state"], "failed");
    let again = ingest::handle_message(&stack.ingest, &body).await.unwrap();
    assert!(matches!(&again[0], ingest::Outcome::AlreadyDone(_)));
    let until = Timestamp::from_millis(Timestamp::now().0.timestamp_millis() + 60_000);
    assert!(stack.store().tenant(&t).jobs().acquire_lock("next-job", until).await.unwrap());
    stack.store().tenant(&t).jobs().release_lock("next-job").await.unwrap();
    next_good_upload_served(&stack, &t, &district, "delta.zip").await;
}

#[tokio::test]
async fn a_record_too_large_for_the_store_fails_its_job_at_once_naming_the_record() {
    let stack = stack().await;
    let (t, district) = loaded(&stack, "item-too-large").await;
    // Every row is within the caps, but one user's thousands of roles fold into one item past
    // DynamoDB's 400 KB: no run can store it, so the first run fails the job, saying which.
    let school = district.school_id(0);
    let users = format!(
        "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,preferredGivenName,preferredMiddleName,preferredFamilyName,primaryOrgSourcedId,pronouns\n\
         u-many-roles,active,2026-12-01T00:00:00Z,true,many,,Many,Roles,,,,,,,,,,,,,{school},\n"
    );
    let mut roles = String::from(
        "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId\n",
    );
    for i in 0..5000 {
        let role_type = if i == 0 { "primary" } else { "secondary" };
        roles.push_str(&format!("role-{i},active,2026-12-01T00:00:00Z,u-many-roles,{role_type},student,,,{school},\n"));
    }
    let manifest = district_gen::manifest(&[], &["users", "roles"]);
    let package = zip_of(&[("manifest.csv", &manifest), ("users.csv", &users), ("roles.csv", &roles)]);
    let job = ingest(&stack, &t, "many-roles.zip", package).await;
    assert_eq!((job.state, job.attempts), (JobState::Failed, 1), "{:#?}", job.errors);
    assert_eq!(job.error_counts.get("failed"), Some(&1));
    assert!(job.errors[0].contains("record 'u-many-roles' would make an item of"), "{:#?}", job.errors);
    assert!(stack.store().tenant(&t).records().get(Collection::Users, "u-many-roles").await.unwrap().is_none());
    next_good_upload_served(&stack, &t, &district, "delta.zip").await;
}

#[tokio::test]
async fn a_big_file_within_the_caps_is_read_in_bounded_memory() {
    let mut stack = stack().await;
    // This one deflates far better than real CSV: the ratio cap is lifted to read all of it.
    stack.ingest.settings.limits.ratio = 1 << 20;
    let t = tenant("big-users");
    // 32 MiB of users.csv, every row the same user: refused (duplicates), but only after all of
    // it was read, and what the validation keeps of a row must not outlive it.
    let job = ingest(&stack, &t, "users.zip", hostile::bomb(32 << 20)).await;
    assert_eq!(job.state, JobState::Rejected);
    assert!(job.error_counts.get("duplicate_id").is_some_and(|n| *n > 500_000), "{:?}", job.error_counts);
    assert!(
        job.errors[0].starts_with("users.csv:3 sourcedId: sourcedId 'u-1' is already used on line 2"),
        "{:#?}",
        job.errors
    );
    let peak = peak_rss_mib();
    assert!(peak < PEAK_RSS_MIB, "peak RSS {peak:.0} MiB");
}

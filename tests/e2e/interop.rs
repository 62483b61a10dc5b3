//! The calls of the consumers districts connect, replayed as those consumers make them: Google
//! Classroom, Microsoft School Data Sync and Moodle's enrol_oneroster, over a generated
//! district; large pages under the payload limit; and the tolerance real clients need.

use e2e::{client, delta_zip, form, ids, ingest, loaded, register, stack, tenant, zip_of, Api, Reply};
use oneroster_auth::Scopes;
use oneroster_model::Timestamp;
use oneroster_store::JobState;
use serde_json::Value;
use std::io::Read;

const BASE: &str = "/ims/oneroster/rostering/v1p2";
const SCOPE: &str = "https://purl.imsglobal.org/spec/or/v1p2/scope/";

fn listed(reply: &Reply, key: &str) -> Vec<Value> {
    reply.body[key].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn google_classroom_reads_a_teachers_classes_students_and_grading_periods() {
    let (stack, _, d) = loaded("google").await;
    // The client holds rostering and gradebook reading; Classroom asks for four scopes at once,
    // by their full URIs, authenticating by HTTP Basic, and gets what the client holds.
    let held = Scopes::parse("roster.readonly gradebook.readonly").expect("scopes");
    let (app, secret) = client(&stack, &tenant("google"), &held).await;
    let asked = ["roster.readonly", "gradebook.readonly", "gradebook.createput", "gradebook.delete"]
        .map(|s| format!("{SCOPE}{s}"))
        .join(" ");
    let anonymous = Api::anonymous(&stack);
    let body = form(&[("grant_type", "client_credentials"), ("scope", &asked)]);
    let token = anonymous.token(&body, Some((&app.id, &secret))).await;
    assert_eq!(token.status, 200, "{}", token.body);
    let granted: Vec<&str> = token.body["scope"].as_str().unwrap_or_default().split(' ').collect();
    assert_eq!(granted, [format!("{SCOPE}gradebook.readonly"), format!("{SCOPE}roster.readonly")]);
    let api = anonymous.with_bearer(token.body["access_token"].as_str().expect("a token"));

    let first = api.get(&format!("{BASE}/teachers?limit=1")).await;
    assert_eq!((first.status, listed(&first, "users").len()), (200, 1));
    assert_eq!(first.total_count(), d.teachers as u64);

    // Looked up by e-mail: exactly one teacher, read from the lookup entries (≤ 2 items).
    let teacher = d.teacher_id(1);
    let email = format!("{teacher}@staff.example.org");
    let lookup = format!("{BASE}/teachers?filter=email%3D'{email}'&limit=10000");
    // Items read, measured against a get by sourcedId (one item; the tests' gate also reads the
    // client on every request).
    let reads = |url: String| {
        let (api, store) = (api.clone(), stack.store().clone());
        async move {
            let before = store.items_read();
            let reply = api.get(&url).await;
            (store.items_read() - before, reply)
        }
    };
    let (by_id, _) = reads(format!("{BASE}/teachers/{teacher}")).await;
    let (by_email, found) = reads(lookup.clone()).await;
    assert!(by_email <= by_id + 1, "the lookup read {by_email} items, a get {by_id}");
    let found = listed(&found, "users");
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0]["sourcedId"].as_str(), found[0]["email"].as_str()),
        (Some(teacher.as_str()), Some(email.as_str()))
    );
    // A student's address is not a teacher's; an unknown one finds nobody.
    let student_mail = d.student_email(0);
    assert_eq!(api.get(&format!("{BASE}/teachers?filter=email%3D'{student_mail}'")).await.total_count(), 0);
    assert_eq!(api.get(&format!("{BASE}/users?filter=email%3D'{student_mail}'")).await.total_count(), 1);

    let active_classes = format!("{BASE}/teachers/{teacher}/classes?filter=status%3D'active'&limit=10000");
    let (by_classes, classes) = reads(active_classes).await;
    let classes = listed(&classes, "classes");
    // The pack head (which names the teacher's view) and the classes: the teacher is not read.
    assert!(by_classes <= by_id + classes.len() as u64, "{by_classes} items for {} classes", classes.len());
    let taught: Vec<(usize, usize)> = (0..d.schools)
        .flat_map(|s| (0..d.classes_per_school).map(move |c| (s, c)))
        .filter(|(s, c)| d.class_teacher(*s, *c) == 1)
        .collect();
    assert_eq!(ids(&classes), taught.iter().map(|(s, c)| d.class_id(*s, *c)).collect::<Vec<_>>());
    for (class, (s, c)) in classes.iter().zip(&taught) {
        assert_eq!(class["school"]["sourcedId"], d.school_id(*s).as_str());
        let term = class["terms"][0]["sourcedId"].as_str().expect("a term");
        assert_eq!(term, d.class_term(*c));

        let students = api.get(&format!("{BASE}/classes/{}/students?limit=10000", d.class_id(*s, *c))).await;
        assert_eq!(students.ids("users"), d.class_students(*s, *c));
        // Some of Classroom's GETs carry a form body: it is ignored.
        let periods = api
            .get_with(
                &format!("{BASE}/terms/{term}/gradingPeriods?limit=10000"),
                &[("content-type", "application/x-www-form-urlencoded")],
                "limit=1&filter=x",
            )
            .await;
        let periods = listed(&periods, "academicSessions");
        assert_eq!(periods.len(), 2);
        assert!(periods.iter().all(|p| p["type"] == "gradingPeriod"));
    }
}

#[tokio::test]
async fn school_data_sync_reads_everything_active_then_only_what_a_delta_changed() {
    let (stack, api, d) = loaded("sds").await;
    let walk = |path: &str, key: &'static str| {
        let api = api.clone();
        let url = format!("{BASE}{path}");
        async move { api.walk(&url, key).await }
    };
    let active = "filter=status%3D'active'&limit=5000";
    let users = walk(&format!("/users?{active}"), "users").await;
    assert_eq!(users.len(), d.students + d.teachers + d.parents);
    assert_eq!(walk(&format!("/classes?{active}"), "classes").await.len(), d.schools * d.classes_per_school);
    assert_eq!(walk(&format!("/orgs?{active}"), "orgs").await.len(), d.schools + 1);
    assert_eq!(walk(&format!("/academicSessions?{active}"), "academicSessions").await.len(), 7);
    assert_eq!(walk(&format!("/students?{active}"), "users").await.len(), d.students);
    let enrollments = walk(&format!("/enrollments?{active}"), "enrollments").await;

    let before = Timestamp::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let job = ingest(&stack, &tenant("sds"), "delta.zip", delta_zip(&d, 3)).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    // SDS sends the time with fractional seconds; `before` prints them.
    assert!(before.to_string().contains('.'));
    let since = format!("filter=dateLastModified%3E'{before}'&limit=5000");
    let mut changed: Vec<String> = (0..3).map(|s| d.student_id(s)).collect();
    changed.push(d.newcomer_id());
    assert_eq!(ids(&walk(&format!("/users?{since}"), "users").await), changed);
    let dropped = format!("enr-{}-{}", d.student_id(0), d.classes_of_student(0)[0]);
    let new = format!("enr-{}-0", d.newcomer_id());
    let mut both = vec![dropped.clone(), new.clone()];
    both.sort();
    assert_eq!(ids(&walk(&format!("/enrollments?{since}"), "enrollments").await), both);
    assert!(walk(&format!("/classes?{since}"), "classes").await.is_empty());
    assert!(walk(&format!("/orgs?{since}"), "orgs").await.is_empty());
    // Active and changed: the dropped enrollment is changed but no longer active.
    let both_filters = format!("filter=status%3D'active'%20AND%20dateLastModified%3E'{before}'&limit=5000");
    assert_eq!(ids(&walk(&format!("/enrollments?{both_filters}"), "enrollments").await), std::slice::from_ref(&new));
    let now_active = ids(&walk(&format!("/enrollments?{active}"), "enrollments").await);
    assert_eq!(now_active.len(), enrollments.len());
    assert!(now_active.contains(&new) && !now_active.contains(&dropped));
}

#[tokio::test]
async fn moodle_reads_school_routes_with_a_date_only_delta() {
    let (stack, api, d) = loaded("moodle").await;
    let school = d.school_id(0);
    let today = Timestamp::now().to_string()[..10].to_owned();
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    let route = |path: &str, date: &str| format!("{BASE}/schools/{school}/{path}?filter=dateLastModified%3E'{date}'");
    let all_classes: Vec<String> = (0..d.classes_per_school).map(|c| d.class_id(0, c)).collect();
    assert_eq!(api.walk(&route("classes", &yesterday), "classes").await.len(), all_classes.len());
    assert_eq!(ids(&api.walk(&route("terms", &yesterday), "academicSessions").await), ["sem-1", "sem-2"]);
    assert!(api.walk(&route("classes", &tomorrow), "classes").await.is_empty());
    let enrollments_before = api.walk(&route("enrollments", &yesterday), "enrollments").await.len();

    let job = ingest(&stack, &tenant("moodle"), "delta.zip", delta_zip(&d, 1)).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    // A date alone means that day's midnight (UTC): today's changes are after it.
    let enrollments = ids(&api.walk(&route("enrollments", &today), "enrollments").await);
    assert_eq!(enrollments.len(), enrollments_before + 1);
    assert!(enrollments.contains(&format!("enr-{}-0", d.newcomer_id())));
    assert!(api.walk(&route("enrollments", &tomorrow), "enrollments").await.is_empty());
    let active_today =
        format!("{BASE}/schools/{school}/classes?filter=status%3D'active'%20AND%20dateLastModified%3E'{today}'");
    assert_eq!(api.walk(&active_today, "classes").await.len(), all_classes.len());
}

#[tokio::test]
async fn a_ten_thousand_page_stays_under_the_payload_limit_and_pages_lose_nothing() {
    // 12,000 users with a long extension field: 10,000 of them would make a body of ~12 MB.
    let stack = stack().await;
    let t = tenant("big-pages");
    register(&stack, &t).await;
    let note = "n".repeat(600);
    let mut users = String::from("sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,preferredGivenName,preferredMiddleName,preferredFamilyName,primaryOrgSourcedId,pronouns,metadata.note\n");
    let mut roles = String::from(
        "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId\n",
    );
    for i in 0..12_000 {
        users.push_str(&format!("u-{i:05},,,true,user{i},,Given,Family,,,u{i}@example.org,,,,,,,,,,,,{note}\n"));
        roles.push_str(&format!("r-{i:05},,,u-{i:05},primary,student,,,sch,\n"));
    }
    let package = zip_of(&[
        ("manifest.csv", &district_gen::manifest(&["orgs", "users", "roles"], &[])),
        ("orgs.csv", "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\nsch,,,School,school,,\n"),
        ("users.csv", &users),
        ("roles.csv", &roles),
    ]);
    let job = ingest(&stack, &t, "big.zip", package).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    let api = Api::new(&stack, &t).await;

    let mut seen = Vec::new();
    let mut next = Some(format!("{BASE}/users?limit=10000"));
    let mut pages = 0;
    while let Some(url) = next.take() {
        let page = api.get(&url).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(page.total_count(), 12_000);
        let escaped = page.raw.len() + page.raw.iter().filter(|b| matches!(b, b'"' | b'\\')).count();
        assert!(escaped <= oneroster_http::respond::MAX_BODY_BYTES, "{escaped} bytes");
        let records = listed(&page, "users");
        assert!(records.len() < 10_000, "a page of 10,000 would pass the limit");
        seen.extend(ids(&records));
        next = page.link("next");
        pages += 1;
    }
    assert!(pages >= 3, "{pages} pages");
    let expected: Vec<String> = (0..12_000).map(|i| format!("u-{i:05}")).collect();
    seen.sort();
    assert_eq!(seen, expected, "every user once");

    // The school's 12,000 students: a relation read from its pack (twelve chunks), cut pages
    // and offsets landing in any chunk, in one order.
    let in_order = |records: &[serde_json::Value]| -> Vec<String> {
        records.iter().filter_map(|r| r["sourcedId"].as_str().map(str::to_owned)).collect()
    };
    let walked = in_order(&api.walk(&format!("{BASE}/schools/sch/students?limit=10000"), "users").await);
    let mut sorted = walked.clone();
    sorted.sort();
    assert_eq!(sorted, expected, "every student once");
    for offset in [1, 999, 1000, 4321, 11_998] {
        let page = api.get(&format!("{BASE}/schools/sch/students?offset={offset}&limit=3")).await;
        assert_eq!(page.total_count(), 12_000);
        let end = (offset + 3).min(12_000);
        assert_eq!(in_order(&listed(&page, "users")), walked[offset..end], "offset {offset}");
    }

    // The same page gzip-compressed when asked for, and identical once inflated.
    let plain = api.get(&format!("{BASE}/users?limit=10000")).await;
    let gzipped = api.get_with(&format!("{BASE}/users?limit=10000"), &[("accept-encoding", "gzip")], "").await;
    assert_eq!(gzipped.headers.get("content-encoding").map(|v| v.as_bytes()), Some(&b"gzip"[..]));
    assert!(gzipped.raw.len() * 5 < plain.raw.len(), "gzip: {} of {}", gzipped.raw.len(), plain.raw.len());
    let mut inflated = Vec::new();
    flate2::read::GzDecoder::new(&gzipped.raw[..]).read_to_end(&mut inflated).expect("gzip");
    assert_eq!(inflated, plain.raw);
}

#[tokio::test]
async fn requests_real_clients_send_are_tolerated() {
    let (_stack, api, d) = loaded("tolerant").await;
    let path = format!("{BASE}/users/{}", d.student_id(0));
    let plain = api.get(&path).await;
    for (headers, body) in [
        (vec![("accept", "application/xml")], ""),
        (vec![("accept", "text/html, */*;q=0.1")], ""),
        (vec![("content-type", "application/x-www-form-urlencoded")], "fields=sourcedId"),
        (vec![("content-type", "application/json")], "{\"not\": \"read\"}"),
    ] {
        let reply = api.get_with(&path, &headers, body).await;
        assert_eq!((reply.status, &reply.body), (200, &plain.body), "{headers:?}");
        assert_eq!(reply.headers["content-type"], "application/json");
    }
    let unknown = api.get(&format!("{BASE}/users?limit=2&utm_source=lms&x-debug=1")).await;
    assert_eq!((unknown.status, unknown.ids("users").len()), (200, 2));
}

//! Real-time SIS updates through the provider's extension writes, as an SIS or an integration
//! hub makes them: every rostering and resources write route creates, reads back on every route
//! that lists the record, updates and deletes; deletions refuse records still referred to and
//! take a class's or user's enrollments with them; invalid bodies are refused naming the
//! property and change nothing in the store; the extension scopes are granted only when asked.

use e2e::{assert_matches_schema, client, loaded, tenant_items, Api};
use oneroster_auth::Scopes;
use oneroster_openapi::Service;
use serde_json::{json, Value};

const ROSTERING: &str = "/ims/oneroster/rostering/v1p2";
const RESOURCES: &str = "/ims/oneroster/resources/v1p2";

/// An SIS client of the loaded tenant holding the extension scopes.
async fn sis(stack: &local_server::LocalStack, tenant: &oneroster_model::TenantId) -> Api {
    Api::writer(stack, tenant).await
}

/// POSTs `body` and returns the allocated sourcedId (201 with one pair, as the gradebook's POSTs).
async fn post(api: &Api, path: &str, body: Value) -> String {
    let reply = api.send_json("POST", path, &body.to_string()).await;
    assert_eq!(reply.status, 201, "POST {path}: {}", reply.body);
    let pairs = reply.body["sourcedIdPairs"].as_array().expect("pairs");
    assert_eq!(pairs.len(), 1, "{}", reply.body);
    pairs[0]["allocatedSourcedId"].as_str().expect("an id").to_owned()
}

/// The ids a list route answers (walking every page).
async fn listed(api: &Api, path: &str, key: &str) -> Vec<String> {
    let mut ids = e2e::ids(&api.walk(path, key).await);
    ids.sort();
    ids
}

fn has(ids: &[String], id: &str) -> bool {
    ids.iter().any(|i| i == id)
}

#[tokio::test]
async fn every_rostering_write_route_creates_reads_back_updates_and_deletes() {
    let (stack, _reader, d) = loaded("roster-writes-a").await;
    let t = oneroster_model::TenantId::parse("roster-writes-a").expect("a tenant");
    let api = sis(&stack, &t).await;
    let r = |path: &str| format!("{ROSTERING}{path}");
    let started = oneroster_model::Timestamp::now().to_string();

    // An org and a school: the supplied id kept, or one allocated when none is given.
    let org = json!({"org": {"sourcedId": "api-dept", "name": "Dept", "type": "department", "identifier": "D-1",
        "parent": {"sourcedId": d.district_id()}}});
    assert_eq!(post(&api, &r("/orgs"), org.clone()).await, "api-dept");
    let again = api.send_json("POST", &r("/orgs"), &org.to_string()).await;
    let allocated = again.body["sourcedIdPairs"][0]["allocatedSourcedId"].as_str().expect("an id").to_owned();
    assert_ne!(allocated, "api-dept", "a taken sourcedId gets a new one: {}", again.body);
    let school = post(
        &api,
        &r("/schools"),
        json!({"org": {"name": "API School", "type": "school", "identifier": "NCES-9",
            "parent": {"sourcedId": d.district_id()}, "metadata": {"hub": {"region": "north", "codes": [1, 2]}}}}),
    )
    .await;
    let got = api.get(&r(&format!("/schools/{school}"))).await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_matches_schema(Service::Rostering, "SingleOrgDType", &got.body);
    assert_eq!(got.body["org"]["metadata"], json!({"hub": {"region": "north", "codes": [1, 2]}}), "nested metadata");
    assert!(has(&listed(&api, &r("/schools"), "orgs").await, &school));
    let replaced = api
        .send_json(
            "PUT",
            &r(&format!("/schools/{school}")),
            &json!({"org": {"name": "API School (renamed)", "type": "school", "identifier": "NCES-9"}}).to_string(),
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert_matches_schema(Service::Rostering, "SingleOrgDType", &replaced.body);
    assert_eq!(replaced.body["org"]["name"], "API School (renamed)");

    // Sessions: a school year, a term under it, a grading period under the term.
    let year = post(
        &api,
        &r("/academicSessions"),
        json!({"academicSession": {"title": "2027", "type": "schoolYear",
        "startDate": "2026-08-15", "endDate": "2027-06-15", "schoolYear": "2027"}}),
    )
    .await;
    let term = post(
        &api,
        &r("/terms"),
        json!({"academicSession": {"title": "Fall", "type": "term",
        "startDate": "2026-08-15", "endDate": "2027-01-15", "schoolYear": "2027", "parent": {"sourcedId": year}}}),
    )
    .await;
    let period = post(
        &api,
        &r(&format!("/terms/{term}/gradingPeriods")),
        json!({"academicSession": {"title": "Q1",
        "startDate": "2026-08-15", "endDate": "2026-10-31T00:00:00Z", "schoolYear": "2027"}}),
    )
    .await;
    assert_eq!(
        listed(&api, &r(&format!("/terms/{term}/gradingPeriods")), "academicSessions").await,
        vec![period.clone()]
    );
    assert!(has(&listed(&api, &r("/gradingPeriods"), "academicSessions").await, &period));
    let put = api
        .send_json(
            "PUT",
            &r(&format!("/gradingPeriods/{period}")),
            &json!({"academicSession": {"title": "Quarter 1",
            "type": "gradingPeriod", "startDate": "2026-08-15", "endDate": "2026-10-31", "schoolYear": "2027",
            "parent": {"sourcedId": term}}})
            .to_string(),
        )
        .await;
    assert_eq!((put.status, &put.body["academicSession"]["title"]), (200, &json!("Quarter 1")), "{}", put.body);

    // A course and a class of the new school, in the new term.
    let course = post(
        &api,
        &r("/courses"),
        json!({"course": {"title": "Robotics", "courseCode": "ROB-1",
        "org": {"sourcedId": school}, "schoolYear": {"sourcedId": year}}}),
    )
    .await;
    assert_eq!(listed(&api, &r(&format!("/schools/{school}/courses")), "courses").await, vec![course.clone()]);
    let class = post(
        &api,
        &r("/classes"),
        json!({"class": {"title": "Robotics 1", "classType": "scheduled",
        "course": {"sourcedId": course}, "school": {"sourcedId": school}, "terms": [{"sourcedId": term}]}}),
    )
    .await;
    for path in
        [format!("/courses/{course}/classes"), format!("/schools/{school}/classes"), format!("/terms/{term}/classes")]
    {
        assert_eq!(listed(&api, &r(&path), "classes").await, vec![class.clone()], "{path}");
    }
    assert_matches_schema(
        Service::Rostering,
        "SingleClassDType",
        &api.get(&r(&format!("/classes/{class}"))).await.body,
    );

    // A student and a teacher of the new school; the student enrolled by one call.
    let user = |username: &str, role: &str| {
        json!({"user": {"username": username, "enabledUser": true, "givenName": "Ada", "familyName": "Byron",
            "roles": [{"roleType": "primary", "role": role, "org": {"sourcedId": school}}]}})
    };
    let student = post(&api, &r("/users"), user("ada.b", "student")).await;
    let teacher = post(&api, &r("/users"), user("t.lovelace", "teacher")).await;
    assert_eq!(listed(&api, &r(&format!("/schools/{school}/students")), "users").await, vec![student.clone()]);
    assert_eq!(listed(&api, &r(&format!("/schools/{school}/teachers")), "users").await, vec![teacher.clone()]);
    let mut changed = user("ada.b", "student");
    changed["user"]["email"] = json!("ada@example.org");
    let put = api.send_json("PUT", &r(&format!("/users/{student}")), &changed.to_string()).await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_matches_schema(Service::Rostering, "SingleUserDType", &put.body);
    let by_email = api.get(&r("/users?filter=email%3D%27ada%40example.org%27")).await;
    assert_eq!(by_email.ids("users"), vec![student.clone()], "the email lookup follows the write");

    let enrolled = api
        .send_json(
            "POST",
            &r(&format!("/classes/{class}/students")),
            &json!({"enrollment": {"user": {"sourcedId": student},
            "beginDate": "2026-08-15"}})
            .to_string(),
        )
        .await;
    assert_eq!(enrolled.status, 201, "{}", enrolled.body);
    assert_matches_schema(Service::Rostering, "SingleEnrollmentDType", &enrolled.body);
    let enrollment = enrolled.body["enrollment"]["sourcedId"].as_str().expect("an id").to_owned();
    assert_eq!(enrolled.body["enrollment"]["role"], "student");
    assert_eq!(enrolled.body["enrollment"]["school"]["sourcedId"], json!(school), "the class's school");
    // At once, on every route that lists it.
    assert_eq!(listed(&api, &r(&format!("/classes/{class}/students")), "users").await, vec![student.clone()]);
    assert_eq!(listed(&api, &r(&format!("/students/{student}/classes")), "classes").await, vec![class.clone()]);
    assert_eq!(
        listed(&api, &r(&format!("/schools/{school}/enrollments")), "enrollments").await,
        vec![enrollment.clone()]
    );
    let feed = format!("/enrollments?filter=dateLastModified%3E%27{started}%27");
    assert_eq!(listed(&api, &r(&feed), "enrollments").await, vec![enrollment.clone()]);
    let taught = api
        .send_json(
            "POST",
            &r(&format!("/classes/{class}/teachers")),
            &json!({"enrollment": {"user": {"sourcedId": teacher},
            "primary": true}})
            .to_string(),
        )
        .await;
    assert_eq!((taught.status, &taught.body["enrollment"]["primary"]), (201, &json!("true")), "{}", taught.body);
    assert_eq!(listed(&api, &r(&format!("/classes/{class}/teachers")), "users").await, vec![teacher.clone()]);
    // A plain enrollment POST and PUT, in an SIS class of the district.
    let sis_class = d.class_id(0, 0);
    let other = post(
        &api,
        &r("/enrollments"),
        json!({"enrollment": {"user": {"sourcedId": student},
        "class": {"sourcedId": sis_class}, "school": {"sourcedId": d.school_id(0)}, "role": "student"}}),
    )
    .await;
    let put = api
        .send_json(
            "PUT",
            &r(&format!("/enrollments/{other}")),
            &json!({"enrollment": {"user": {"sourcedId": student},
            "class": {"sourcedId": sis_class}, "school": {"sourcedId": d.school_id(0)}, "role": "student",
            "endDate": "2027-01-01"}})
            .to_string(),
        )
        .await;
    assert_eq!((put.status, &put.body["enrollment"]["endDate"]), (200, &json!("2027-01-01")), "{}", put.body);
    assert!(has(&listed(&api, &r(&format!("/classes/{sis_class}/students")), "users").await, &student));

    // Demographics under the user's sourcedId.
    assert_eq!(
        post(
            &api,
            &r("/demographics"),
            json!({"demographics": {"sourcedId": student, "sex": "female",
            "birthDate": "2013-02-03"}})
        )
        .await,
        student
    );
    let put = api
        .send_json(
            "PUT",
            &r(&format!("/demographics/{student}")),
            &json!({"demographics": {"sex": "female",
            "birthDate": "2013-02-04"}})
            .to_string(),
        )
        .await;
    assert_eq!((put.status, &put.body["demographics"]["birthDate"]), (200, &json!("2013-02-04")), "{}", put.body);

    // A PUT creates (201) under the path's id, replaces (200), and its DELETE removes it, on
    // every collection (the POSTs above made the records the references need).
    let courses_of_school = format!("/schools/{school}/courses");
    // (path, envelope key, body, a list that holds it, that list's key)
    let puts = [
        ("/orgs/api-org", "org", json!({"name": "Org", "type": "local", "identifier": "L-1"}), "/orgs", "orgs"),
        (
            "/academicSessions/api-session",
            "academicSession",
            json!({"title": "Summer", "type": "semester", "startDate": "2027-06-16", "endDate": "2027-08-01",
                "schoolYear": "2027", "parent": {"sourcedId": year}}),
            "/academicSessions",
            "academicSessions",
        ),
        (
            "/terms/api-term",
            "academicSession",
            json!({"title": "Spring", "type": "term", "startDate": "2027-01-16", "endDate": "2027-06-15",
                "schoolYear": "2027", "parent": {"sourcedId": year}}),
            "/terms",
            "academicSessions",
        ),
        (
            "/courses/api-course",
            "course",
            json!({"title": "Chess", "courseCode": "CH-1", "org": {"sourcedId": school}}),
            courses_of_school.as_str(),
            "courses",
        ),
        (
            "/classes/api-class",
            "class",
            json!({"title": "Chess 1", "classType": "homeroom", "course": {"sourcedId": "api-course"},
                "school": {"sourcedId": school}, "terms": [{"sourcedId": "api-term"}]}),
            "/terms/api-term/classes",
            "classes",
        ),
    ];
    for (path, key, body, list, list_key) in &puts {
        let id = path.rsplit('/').next().expect("an id");
        let created = api.send_json("PUT", &r(path), &json!({ *key: body }).to_string()).await;
        assert_eq!((created.status, &created.body[*key]["sourcedId"]), (201, &json!(id)), "{path}: {}", created.body);
        assert!(has(&listed(&api, &r(list), list_key).await, id), "{list}");
        let mut changed = body.clone();
        let renamed = if *key == "org" { "name" } else { "title" };
        changed[renamed] = json!("Renamed");
        let replaced = api.send_json("PUT", &r(path), &json!({ *key: changed }).to_string()).await;
        assert_eq!((replaced.status, &replaced.body[*key][renamed]), (200, &json!("Renamed")), "{path}");
    }
    for (path, _, _, list, list_key) in puts.iter().rev() {
        let id = path.rsplit('/').next().expect("an id");
        assert_eq!(api.delete(&r(path)).await.status, 204, "{path}");
        assert_eq!(api.get(&r(path)).await.status, 404, "{path}");
        assert!(!has(&listed(&api, &r(list), list_key).await, id), "{list}");
    }

    // Deleting what others still refer to is refused, naming them.
    for (path, names) in [
        (format!("/schools/{school}"), "classes"),
        (format!("/courses/{course}"), "classes"),
        (format!("/terms/{term}"), "classes"),
        (format!("/academicSessions/{year}"), "academic sessions"),
    ] {
        let refused = api.delete(&r(&path)).await;
        assert_eq!(refused.status, 409, "{path}: {}", refused.body);
        let description = refused.body["imsx_description"].as_str().unwrap_or_default();
        assert!(description.contains(names), "{path}: {description}");
    }
    // A class takes its enrollments with it.
    assert_eq!(api.delete(&r(&format!("/classes/{class}"))).await.status, 204);
    assert_eq!(api.get(&r(&format!("/classes/{class}"))).await.status, 404);
    assert_eq!(api.get(&r(&format!("/enrollments/{enrollment}"))).await.status, 404, "the enrollment went with it");
    assert!(!has(&listed(&api, &r(&format!("/students/{student}/classes")), "classes").await, &class));
    assert!(listed(&api, &r(&format!("/schools/{school}/enrollments")), "enrollments").await.is_empty());
    assert!(listed(&api, &r(&format!("/courses/{course}/classes")), "classes").await.is_empty());
    let feed = api.walk(&r(&format!("/enrollments?filter=dateLastModified%3E%27{started}%27")), "enrollments").await;
    let gone: Vec<&Value> = feed.iter().filter(|e| e["status"] == "tobedeleted").collect();
    assert_eq!(gone.len(), 2, "the feed lists both enrollments as tobedeleted: {feed:?}");
    // A user takes its enrollments with it (the one in the SIS's class).
    assert_eq!(api.delete(&r(&format!("/users/{student}"))).await.status, 204);
    assert_eq!(api.get(&r(&format!("/enrollments/{other}"))).await.status, 404);
    assert!(!has(&listed(&api, &r(&format!("/classes/{sis_class}/students")), "users").await, &student));
    assert_eq!(api.delete(&r(&format!("/users/{student}"))).await.status, 404, "deleted once");
    // Then the rest, each gone from its lists.
    for path in [
        format!("/demographics/{student}"),
        format!("/users/{teacher}"),
        format!("/courses/{course}"),
        format!("/academicSessions/{period}"),
        format!("/terms/{term}"),
        format!("/academicSessions/{year}"),
        format!("/schools/{school}"),
        "/orgs/api-dept".to_owned(),
    ] {
        let reply = api.delete(&r(&path)).await;
        assert_eq!(reply.status, 204, "{path}: {}", reply.body);
        assert_eq!(api.get(&r(&path)).await.status, 404, "{path}");
    }
    assert!(!has(&listed(&api, &r("/schools"), "orgs").await, &school));
    assert!(!has(&listed(&api, &r("/gradingPeriods"), "academicSessions").await, &period));
    // A school is deleted through /schools only when it is one.
    assert_eq!(api.delete(&r(&format!("/schools/{}", d.district_id()))).await.status, 404);
    let _ = allocated;
}

#[tokio::test]
async fn resources_and_their_links_are_written_and_listed_as_association_collections() {
    let (stack, _reader, d) = loaded("roster-writes-b").await;
    let t = oneroster_model::TenantId::parse("roster-writes-b").expect("a tenant");
    let api = sis(&stack, &t).await;
    let res = |path: &str| format!("{RESOURCES}{path}");
    let resource = post(
        &api,
        &res("/resources"),
        json!({"resource": {"title": "Atlas", "vendorResourceId": "atlas-1",
        "roles": ["student"], "importance": "primary", "metadata": {"lti": {"url": "https://tool.example/launch"}}}}),
    )
    .await;
    let got = api.get(&res(&format!("/resources/{resource}"))).await;
    assert_matches_schema(Service::Resources, "SingleResourceDType", &got.body);
    assert_eq!(got.body["resource"]["metadata"]["lti"]["url"], "https://tool.example/launch");

    let (class, course, user) = (d.class_id(0, 1), d.course_id(0, 0), d.student_id(0));
    let before_class = listed(&api, &res(&format!("/classes/{class}/resources")), "resources").await;
    for (owner, path, key) in [
        ("class", format!("/classes/{class}/resources/{resource}"), "classResource"),
        ("course", format!("/courses/{course}/resources/{resource}"), "courseResource"),
        ("user", format!("/users/{user}/resources/{resource}"), "userResource"),
    ] {
        let linked = api.send_json("PUT", &res(&path), "").await;
        assert_eq!(linked.status, 201, "{path}: {}", linked.body);
        assert_eq!(linked.body[key]["resource"]["sourcedId"], json!(resource), "{owner}");
        assert_eq!(api.send_json("PUT", &res(&path), "").await.status, 200, "{path}: a second PUT replaces");
    }
    assert!(has(&listed(&api, &res(&format!("/classes/{class}/resources")), "resources").await, &resource));
    assert!(has(&listed(&api, &res(&format!("/courses/{course}/resources")), "resources").await, &resource));
    assert!(has(&listed(&api, &res(&format!("/users/{user}/resources")), "resources").await, &resource));

    // The association collections: the CSV's links and the API's alike.
    let links = api.walk(&res("/classResources"), "classResources").await;
    let ours: Vec<&Value> = links.iter().filter(|l| l["resource"]["sourcedId"] == json!(resource)).collect();
    assert_eq!(ours.len(), 1, "{links:?}");
    assert_eq!(ours[0]["class"]["sourcedId"], json!(class));
    assert!(links.len() > 1, "the package's links are listed too");
    let one = api.get(&res(&format!("/classResources/{}", ours[0]["sourcedId"].as_str().expect("an id")))).await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert_matches_schema(Service::Resources, "SingleClassResourceDType", &one.body);
    let page = api.get(&res("/courseResources?limit=2&sort=sourcedId")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_matches_schema(Service::Resources, "CourseResourceSetDType", &page.body);
    assert!(page.total_count() >= 1 && page.link("next").is_some() == (page.total_count() > 2));
    let filtered = api.get(&res(&format!("/courseResources?filter=course.sourcedId%3D%27{course}%27"))).await;
    assert!(filtered.body["courseResources"]
        .as_array()
        .expect("links")
        .iter()
        .any(|l| l["resource"]["sourcedId"] == json!(resource)));

    // Unlinking removes the assignment; deleting the resource removes it.
    assert_eq!(api.delete(&res(&format!("/classes/{class}/resources/{resource}"))).await.status, 204);
    assert_eq!(listed(&api, &res(&format!("/classes/{class}/resources")), "resources").await, before_class);
    assert_eq!(api.delete(&res(&format!("/classes/{class}/resources/{resource}"))).await.status, 404);
    assert_eq!(api.delete(&res(&format!("/resources/{resource}"))).await.status, 204);
    assert_eq!(api.get(&res(&format!("/resources/{resource}"))).await.status, 404);
    assert_eq!(api.send_json("PUT", &res(&format!("/classes/{class}/resources/nope")), "").await.status, 404);
}

#[tokio::test]
async fn invalid_bodies_are_refused_naming_the_property_and_change_nothing() {
    let (stack, _reader, d) = loaded("roster-writes-c").await;
    let t = oneroster_model::TenantId::parse("roster-writes-c").expect("a tenant");
    let api = sis(&stack, &t).await;
    let (school, class, course, student) = (d.school_id(0), d.class_id(0, 0), d.course_id(0, 0), d.student_id(0));
    // A valid body under `key` with the properties of `extra` in place of its own.
    let changed = |key: &str, mut body: Value, extra: Value| {
        body.as_object_mut().expect("an object").extend(extra.as_object().expect("an object").clone());
        json!({ key: body })
    };
    let user = |extra: Value| {
        let body = json!({"username": "new.user", "enabledUser": "true", "givenName": "N", "familyName": "U",
            "roles": [{"roleType": "primary", "role": "student", "org": {"sourcedId": school}}]});
        changed("user", body, extra)
    };
    let class_body = |extra: Value| {
        let body = json!({"title": "C", "classType": "scheduled", "course": {"sourcedId": course},
            "school": {"sourcedId": school}, "terms": [{"sourcedId": "sem-1"}]});
        changed("class", body, extra)
    };
    let cases: Vec<(&str, String, Value, &str)> = vec![
        ("POST", "/users".into(), user(json!({"givenName": null})), "user.givenName"),
        ("POST", "/users".into(), user(json!({"username": null})), "user.username"),
        ("POST", "/users".into(), user(json!({"roles": []})), "user.roles"),
        (
            "POST",
            "/users".into(),
            user(json!({"roles": [{"roleType": "primary", "role": "wizard", "org": {"sourcedId": school}}]})),
            "user.roles",
        ),
        (
            "POST",
            "/users".into(),
            user(json!({"roles": [{"roleType": "primary", "role": "student", "org": {"sourcedId": "no-such-org"}}]})),
            "user.roles",
        ),
        ("POST", "/users".into(), user(json!({"enabledUser": "maybe"})), "user.enabledUser"),
        ("PUT", format!("/users/{student}"), user(json!({"sourcedId": "someone-else"})), "user.sourcedId"),
        ("POST", "/classes".into(), class_body(json!({"classType": "lecture"})), "class.classType"),
        ("POST", "/classes".into(), class_body(json!({"classType": null})), "class.classType"),
        ("POST", "/classes".into(), class_body(json!({"course": {"sourcedId": "no-such-course"}})), "class.course"),
        ("POST", "/classes".into(), class_body(json!({"school": {"sourcedId": d.district_id()}})), "class.school"),
        ("POST", "/classes".into(), class_body(json!({"terms": []})), "class.terms"),
        (
            "POST",
            "/classes".into(),
            class_body(json!({"subjects": ["a", "b"], "subjectCodes": ["1"]})),
            "class.subjectCodes",
        ),
        ("POST", "/orgs".into(), json!({"org": {"name": "No id", "type": "school"}}), "org.identifier"),
        ("POST", "/orgs".into(), json!({"org": {"name": "X", "type": "galaxy", "identifier": "1"}}), "org.type"),
        ("POST", "/schools".into(), json!({"org": {"name": "X", "type": "district", "identifier": "1"}}), "org.type"),
        (
            "POST",
            "/courses".into(),
            json!({"course": {"title": "No code", "org": {"sourcedId": school}}}),
            "course.courseCode",
        ),
        (
            "POST",
            "/academicSessions".into(),
            json!({"academicSession": {"title": "Back", "type": "term",
            "startDate": "2026-09-01", "endDate": "2026-08-01", "schoolYear": "2027"}}),
            "academicSession.endDate",
        ),
        (
            "POST",
            "/academicSessions".into(),
            json!({"academicSession": {"title": "T", "type": "term",
            "startDate": "next week", "endDate": "2026-08-01", "schoolYear": "2027"}}),
            "academicSession.startDate",
        ),
        (
            "POST",
            "/terms/sem-1/gradingPeriods".into(),
            json!({"academicSession": {"title": "Q", "type": "term",
            "startDate": "2025-08-15", "endDate": "2025-10-01", "schoolYear": "2026"}}),
            "academicSession.type",
        ),
        (
            "POST",
            "/enrollments".into(),
            json!({"enrollment": {"user": {"sourcedId": "no-such-user"},
            "class": {"sourcedId": class}, "school": {"sourcedId": school}, "role": "student"}}),
            "enrollment.user",
        ),
        (
            "POST",
            "/enrollments".into(),
            json!({"enrollment": {"user": {"sourcedId": student},
            "class": {"sourcedId": class}, "school": {"sourcedId": school}, "role": "captain"}}),
            "enrollment.role",
        ),
        ("POST", format!("/classes/{class}/students"), json!({"enrollment": {}}), "enrollment.user"),
        (
            "POST",
            format!("/classes/{class}/students"),
            json!({"enrollment": {"user": {"sourcedId": student},
            "role": "teacher"}}),
            "enrollment.role",
        ),
        (
            "POST",
            "/demographics".into(),
            json!({"demographics": {"sourcedId": student, "sex": "x"}}),
            "demographics.sex",
        ),
        (
            "PUT",
            format!("/demographics/{student}"),
            json!({"demographics": {"birthDate": "13/02/2013"}}),
            "demographics.birthDate",
        ),
        ("POST", "/users".into(), json!({"users": []}), "user"),
    ];
    assert!(cases.len() >= 20);
    let before = tenant_items(&stack, &t).await;
    for (method, path, body, field) in &cases {
        let reply = api.send_json(method, &format!("{ROSTERING}{path}"), &body.to_string()).await;
        assert_eq!((reply.status, reply.code_minor()), (422, "invaliddata"), "{method} {path} {body}: {}", reply.body);
        let description = reply.body["imsx_description"].as_str().unwrap_or_default();
        assert!(
            description.starts_with(field) || description.contains(&format!("{field} ")),
            "{method} {path}: {description}"
        );
    }
    let not_json = api.send_json("POST", &format!("{ROSTERING}/users"), "{").await;
    assert_eq!(not_json.status, 400);
    assert_eq!(tenant_items(&stack, &t).await, before, "nothing was written");
}

#[tokio::test]
async fn the_extension_scopes_are_granted_only_when_named() {
    let (stack, reader, d) = loaded("roster-writes-d").await;
    let t = oneroster_model::TenantId::parse("roster-writes-d").expect("a tenant");
    let body = json!({"org": {"name": "X", "type": "school", "identifier": "1"}}).to_string();
    // A client made without naming them (every scope of the standard) may not write.
    let refused = reader.send_json("POST", &format!("{ROSTERING}/schools"), &body).await;
    assert_eq!((refused.status, refused.code_minor()), (403, "forbidden"), "{}", refused.body);
    assert_eq!(reader.delete(&format!("{ROSTERING}/users/{}", d.student_id(0))).await.status, 403);
    // Create-put without delete: writes, but deletes nothing.
    let (writer, secret) =
        client(&stack, &t, &Scopes::parse("roster.readonly roster.createput").expect("scopes")).await;
    let anonymous = Api::anonymous(&stack);
    let token = anonymous.token("grant_type=client_credentials", Some((&writer.id, &secret))).await;
    assert!(token.body["scope"].as_str().unwrap_or_default().contains("roster.createput"), "{}", token.body);
    let api = anonymous.with_bearer(token.body["access_token"].as_str().expect("a token"));
    assert_eq!(api.send_json("POST", &format!("{ROSTERING}/schools"), &body).await.status, 201);
    // The pre-split base serves the extensions too; 1.1's does not.
    assert_eq!(api.send_json("POST", "/ims/oneroster/v1p2/schools", &body).await.status, 201);
    assert_eq!(api.send_json("POST", "/ims/oneroster/v1p1/orgs", &body).await.status, 405);
    assert_eq!(api.delete(&format!("{ROSTERING}/users/{}", d.student_id(0))).await.status, 403);
    // The discovery document marks the extensions and names their scopes.
    let discovery = Api::anonymous(&stack).get(&format!("{ROSTERING}/discovery")).await;
    let put_class = &discovery.body["paths"]["/classes/{sourcedId}"]["put"];
    assert_eq!(put_class["x-provider-extension"], true, "{put_class}");
    let scope = put_class["security"][0]["OAuth2CC"][0].as_str().unwrap_or_default();
    assert!(scope.starts_with(oneroster_auth::scope::EXTENSION_PREFIX) && scope.ends_with("roster.createput"));
    assert!(discovery.body["paths"]["/classes/{sourcedId}"]["get"]["x-provider-extension"].is_null());
}

#[tokio::test]
async fn the_sis_feed_keeps_what_the_api_wrote_until_a_row_of_its_own_takes_it_over() {
    let (stack, _reader, d) = loaded("roster-writes-e").await;
    let t = oneroster_model::TenantId::parse("roster-writes-e").expect("a tenant");
    let api = sis(&stack, &t).await;
    let r = |path: &str| format!("{ROSTERING}{path}");
    let (school, course) = (d.school_id(0), d.course_id(0, 0));
    let class = post(
        &api,
        &r("/classes"),
        json!({"class": {"sourcedId": "api-class", "title": "Written by the hub",
        "classType": "scheduled", "course": {"sourcedId": course}, "school": {"sourcedId": school},
        "terms": [{"sourcedId": "sem-1"}]}}),
    )
    .await;
    let enrolled = api
        .send_json(
            "POST",
            &r(&format!("/classes/{class}/students")),
            &json!({"enrollment": {"sourcedId": "api-enrollment",
            "user": {"sourcedId": d.student_id(0)}}})
            .to_string(),
        )
        .await;
    assert_eq!(enrolled.status, 201, "{}", enrolled.body);

    // The nightly bulk does not know them: it keeps them.
    let job = e2e::ingest(&stack, &e2e::tenant("roster-writes-e"), "bulk-2.zip", e2e::bulk_zip(&d)).await;
    assert_eq!(job.state, oneroster_store::JobState::Applied, "{:#?}", job.errors);
    assert_eq!(api.get(&r("/classes/api-class")).await.status, 200, "kept by a bulk without it");
    assert_eq!(api.get(&r("/enrollments/api-enrollment")).await.status, 200);
    assert!(has(&listed(&api, &r("/classes/api-class/students"), "users").await, &d.student_id(0)));

    // A delta row of the SIS for the same sourcedId takes the class over, even one the same as
    // stored: the SIS is the source of truth.
    let at = "2026-12-01T00:00:00.000Z";
    let header = "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods";
    let row = format!("api-class,active,{at},From the SIS,,{course},,scheduled,,{school},sem-1,,,");
    let delta = e2e::zip_of(&[
        ("manifest.csv", &district_gen::manifest(&[], &["classes"])),
        ("classes.csv", &format!("{header}\n{row}\n")),
    ]);
    let job = e2e::ingest(&stack, &e2e::tenant("roster-writes-e"), "delta.zip", delta).await;
    assert_eq!(job.state, oneroster_store::JobState::Applied, "{:#?}", job.errors);
    assert_eq!(job.files["classes.csv"].taken_over, 1, "{:?}", job.files);
    assert_eq!(api.get(&r("/classes/api-class")).await.body["class"]["title"], "From the SIS");
    // Now the feed's: the next bulk without it marks it `tobedeleted` (as it does the feed's
    // own records); the API's enrollment stays.
    let job = e2e::ingest(&stack, &e2e::tenant("roster-writes-e"), "bulk-3.zip", e2e::bulk_zip(&d)).await;
    assert_eq!(job.state, oneroster_store::JobState::Applied, "{:#?}", job.errors);
    assert_eq!(job.files["classes.csv"].deleted, 1, "{:?}", job.files);
    let dropped = api.get(&r("/classes/api-class")).await;
    assert_eq!(dropped.body["class"]["status"], "tobedeleted", "taken over, then dropped by the SIS: {}", dropped.body);
    assert_eq!(api.get(&r("/enrollments/api-enrollment")).await.status, 200, "still the API's");
}

//! The Rostering API as a consumer uses it, over a district ingested from a generated package:
//! every endpoint against what the package says, paging to the end, the query parameters, the
//! errors, and one district's data out of another's reach.

use e2e::{assert_matches_schema, delta_zip, ids, ingest, loaded, tenant, zip_of, Api, Reply, HOST};
use oneroster_model::Timestamp;
use oneroster_openapi::Service;
use oneroster_store::JobState;
use serde_json::Value;

const BASE: &str = "/ims/oneroster/rostering/v1p2";

/// `GET` a rostering operation, checked against its schema.
async fn call(api: &Api, operation_id: &str, path: &str) -> Reply {
    api.call(Service::Rostering, operation_id, path).await
}

/// Every record of a rostering list operation, paged and checked (see [`Api::walk_ids`]).
async fn walk(api: &Api, operation_id: &str, path: &str) -> Vec<String> {
    api.walk_ids(Service::Rostering, operation_id, path).await
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[tokio::test]
async fn every_endpoint_answers_as_the_package_says_and_as_the_openapi_shapes_it() {
    let (_stack, api, d) = loaded("district-a").await;
    let students = sorted((0..d.students).map(|s| d.student_id(s)).collect());
    let teachers = sorted((0..d.teachers).map(|t| d.teacher_id(t)).collect());
    let parents: Vec<String> = (0..d.parents).map(|p| d.parent_id(p)).collect();
    let schools: Vec<String> = (0..d.schools).map(|s| d.school_id(s)).collect();
    let (school, class) = (0, 3);
    let (school_id, class_id) = (d.school_id(school), d.class_id(school, class));

    // Collections and typed views.
    let users = walk(&api, "getAllUsers", "/users").await;
    assert_eq!(users, sorted([students.clone(), teachers.clone(), parents].concat()));
    assert_eq!(walk(&api, "getAllStudents", "/students").await, students);
    assert_eq!(walk(&api, "getAllTeachers", "/teachers").await, teachers);
    assert_eq!(walk(&api, "getAllSchools", "/schools").await, schools);
    assert_eq!(walk(&api, "getAllOrgs", "/orgs").await, sorted([schools.clone(), vec![d.district_id()]].concat()));
    assert_eq!(walk(&api, "getAllTerms", "/terms").await, ["sem-1", "sem-2"]);
    assert_eq!(walk(&api, "getAllGradingPeriods", "/gradingPeriods").await, ["gp-1", "gp-2", "gp-3", "gp-4"]);
    assert_eq!(walk(&api, "getAllAcademicSessions", "/academicSessions").await.len(), 7);
    let classes = walk(&api, "getAllClasses", "/classes").await;
    assert_eq!(classes.len(), d.schools * d.classes_per_school);
    let courses = walk(&api, "getAllCourses", "/courses").await;
    let enrollments = walk(&api, "getAllEnrollments", "/enrollments").await;
    let expected_enrollments: usize =
        (0..d.students).map(|s| d.classes_of_student(s).len()).sum::<usize>() + classes.len();
    assert_eq!(enrollments.len(), expected_enrollments);
    assert_eq!(walk(&api, "getAllDemographics", "/demographics").await, students);

    // Single records, and typed views refusing records of another type.
    for (operation, path, key, id) in [
        ("getUser", "/users", "user", d.student_id(1)),
        ("getStudent", "/students", "user", d.student_id(1)),
        ("getTeacher", "/teachers", "user", d.teacher_id(1)),
        ("getSchool", "/schools", "org", school_id.clone()),
        ("getOrg", "/orgs", "org", d.district_id()),
        ("getTerm", "/terms", "academicSession", "sem-2".into()),
        ("getGradingPeriod", "/gradingPeriods", "academicSession", "gp-3".into()),
        ("getAcademicSession", "/academicSessions", "academicSession", "sy-2026".into()),
        ("getClass", "/classes", "class", class_id.clone()),
        ("getCourse", "/courses", "course", courses[0].clone()),
        ("getEnrollment", "/enrollments", "enrollment", enrollments[0].clone()),
        ("getDemographics", "/demographics", "demographics", d.student_id(1)),
    ] {
        let reply = call(&api, operation, &format!("{path}/{id}")).await;
        assert_eq!(reply.body[key]["sourcedId"], id.as_str(), "{path}/{id}");
    }
    for path in [
        "/students/tch-000001",
        "/teachers/stu-0000001",
        "/schools/district",
        "/terms/gp-1",
        "/gradingPeriods/sem-1",
        "/users/nobody",
    ] {
        let reply = api.get(&format!("{BASE}{path}")).await;
        assert_eq!((reply.status, reply.code_minor()), (404, "unknownobject"), "{path}");
    }

    // Relation routes, against the package or against a filtered scan of the collection.
    let class_teacher = d.teacher_id(d.class_teacher(school, class));
    let in_school = format!("/schools/{school_id}/classes/{class_id}");
    for (class_path, students_of, teachers_of) in [
        (format!("/classes/{class_id}"), "getStudentsForClass", "getTeachersForClass"),
        (in_school.clone(), "getStudentsForClassInSchool", "getTeachersForClassInSchool"),
    ] {
        let students = walk(&api, students_of, &format!("{class_path}/students")).await;
        assert_eq!(students, d.class_students(school, class));
        assert_eq!(
            walk(&api, teachers_of, &format!("{class_path}/teachers")).await,
            std::slice::from_ref(&class_teacher)
        );
    }
    assert_eq!(
        walk(&api, "getEnrollmentsForClassInSchool", &format!("{in_school}/enrollments")).await,
        walk(&api, "getAllEnrollments", &format!("/enrollments?filter=class.sourcedId%3D'{class_id}'")).await
    );
    let school_students: Vec<String> =
        sorted((0..d.students).filter(|s| d.school_of_student(*s) == school).map(|s| d.student_id(s)).collect());
    assert_eq!(walk(&api, "getStudentsForSchool", &format!("/schools/{school_id}/students")).await, school_students);
    let school_teachers: Vec<String> =
        sorted((0..d.teachers).filter(|t| d.school_of_teacher(*t) == school).map(|t| d.teacher_id(t)).collect());
    assert_eq!(walk(&api, "getTeachersForSchool", &format!("/schools/{school_id}/teachers")).await, school_teachers);
    assert_eq!(
        walk(&api, "getClassesForSchool", &format!("/schools/{school_id}/classes")).await,
        sorted((0..d.classes_per_school).map(|c| d.class_id(school, c)).collect())
    );
    assert_eq!(
        walk(&api, "getCoursesForSchool", &format!("/schools/{school_id}/courses")).await,
        walk(&api, "getAllCourses", &format!("/courses?filter=org.sourcedId%3D'{school_id}'")).await
    );
    assert_eq!(
        walk(&api, "getEnrollmentsForSchool", &format!("/schools/{school_id}/enrollments")).await,
        walk(&api, "getAllEnrollments", &format!("/enrollments?filter=school.sourcedId%3D'{school_id}'")).await
    );
    assert_eq!(walk(&api, "getTermsForSchool", &format!("/schools/{school_id}/terms")).await, ["sem-1", "sem-2"]);
    assert_eq!(
        walk(&api, "getClassesForCourse", &format!("/courses/{}/classes", courses[0])).await,
        walk(&api, "getAllClasses", &format!("/classes?filter=course.sourcedId%3D'{}'", courses[0])).await
    );
    assert_eq!(
        walk(&api, "getClassesForTerm", "/terms/sem-1/classes").await,
        walk(&api, "getAllClasses", "/classes?filter=terms.sourcedId%3D'sem-1'").await
    );
    assert_eq!(walk(&api, "getGradingPeriodsForTerm", "/terms/sem-1/gradingPeriods").await, ["gp-1", "gp-2"]);
    let student_classes: Vec<String> = sorted(d.classes_of_student(0).into_iter().map(|c| d.class_id(0, c)).collect());
    assert_eq!(walk(&api, "getClassesForUser", &format!("/users/{}/classes", d.student_id(0))).await, student_classes);
    assert_eq!(
        walk(&api, "getClassesForStudent", &format!("/students/{}/classes", d.student_id(0))).await,
        student_classes
    );
    let taught: Vec<String> = sorted(
        (0..d.schools)
            .flat_map(|s| (0..d.classes_per_school).map(move |c| (s, c)))
            .filter(|(s, c)| d.class_teacher(*s, *c) == 1)
            .map(|(s, c)| d.class_id(s, c))
            .collect(),
    );
    assert_eq!(walk(&api, "getClassesForTeacher", &format!("/teachers/{}/classes", d.teacher_id(1))).await, taught);

    // Unknown parents, parents of the wrong type, a class of another school: 404.
    let other_school = d.school_id(1);
    for path in [
        "/classes/nope/students".to_owned(),
        "/schools/nope/classes".into(),
        "/schools/district/classes".into(),
        format!("/schools/{other_school}/classes/{class_id}/students"),
        format!("/students/{}/classes", d.teacher_id(0)),
        "/terms/nope/gradingPeriods".into(),
        "/courses/nope/classes".into(),
    ] {
        let reply = api.get(&format!("{BASE}{path}")).await;
        assert_eq!((reply.status, reply.code_minor()), (404, "unknownobject"), "{path}");
        assert_matches_schema(Service::Rostering, "imsx_StatusInfoDType", &reply.body);
    }

    // The pre-split base serves the same; the discovery document is the OpenAPI file.
    let alias = api.get(&format!("/ims/oneroster/v1p2/users/{}", d.student_id(1))).await;
    assert_eq!(alias.body, api.get(&format!("{BASE}/users/{}", d.student_id(1))).await.body);
    let discovery = api.get(&format!("{BASE}/discovery/")).await;
    assert_eq!(discovery.body, *Service::Rostering.discovery());
}

#[tokio::test]
async fn query_parameters_filter_sort_select_and_page() {
    let (_stack, api, d) = loaded("district-b").await;
    let users = format!("{BASE}/users");

    // Filters: every operator, chains, dotted paths into arrays, quoted quotes.
    let count = |reply: Reply| {
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.total_count()
    };
    let filtered = |filter: &str| format!("{users}?filter={}", filter.replace(' ', "%20").replace('=', "%3D"));
    assert_eq!(count(api.get(&filtered(&format!("email='{}'", d.student_email(5)))).await), 1);
    assert_eq!(count(api.get(&filtered("roles.role='teacher'")).await), d.teachers as u64);
    assert_eq!(count(api.get(&filtered("roles.role!='student'")).await), (d.teachers + d.parents) as u64);
    assert_eq!(count(api.get(&filtered("sourcedId~'TCH-'")).await), d.teachers as u64);
    assert_eq!(count(api.get(&filtered("sourcedId>='tch-'")).await), d.teachers as u64);
    assert_eq!(count(api.get(&filtered("sourcedId<'par-9'")).await), d.parents as u64);
    assert_eq!(count(api.get(&filtered("sourcedId>'stu-0000099' AND sourcedId<='stu-0000104'")).await), 5);
    assert_eq!(count(api.get(&filtered("sourcedId='tch-000001' OR sourcedId='tch-000002' OR sourcedId='x'")).await), 2);
    assert_eq!(count(api.get(&filtered("familyName='O''Brien'")).await), 0);
    assert_eq!(count(api.get(&filtered("roles.org.sourcedId='sch-0001' AND roles.role='student'")).await), 60);
    // A reference's href is not stored; a filter reads it as the path it was stored as before.
    let by_href = "roles.org.href='/ims/oneroster/rostering/v1p2/orgs/sch-0001' AND roles.role='student'";
    assert_eq!(count(api.get(&filtered(by_href)).await), 60);

    // Sort, both directions, with the filter and the selection kept in every Link.
    let sorted_url =
        format!("{users}?filter=roles.role%3D'teacher'&sort=sourcedId&orderBy=desc&fields=sourcedId,givenName&limit=3");
    let first = api.get(&sorted_url).await;
    assert_eq!(first.ids("users").len(), 3);
    let page_ids: Vec<&str> =
        first.body["users"].as_array().unwrap().iter().filter_map(|u| u["sourcedId"].as_str()).collect();
    assert_eq!(page_ids, ["tch-000007", "tch-000006", "tch-000005"]);
    assert_eq!(first.body["users"][0].as_object().unwrap().keys().collect::<Vec<_>>(), ["sourcedId", "givenName"]);
    for rel in ["first", "next", "last"] {
        let link = first.link(rel).unwrap_or_else(|| panic!("{rel}"));
        assert!(link.starts_with(&format!("http://{HOST}{BASE}/users?")), "{link}");
        // The other parameters as the client wrote them.
        assert!(
            link.contains("sort=sourcedId")
                && link.contains("orderBy=desc")
                && link.contains("fields=sourcedId,givenName")
        );
        assert!(link.contains("filter=roles.role%3D'teacher'"), "{link}");
    }
    assert!(first.link("prev").is_none());
    let last = api.get(&first.link("last").unwrap()).await;
    assert_eq!(last.ids("users"), ["tch-000000", "tch-000001"]);
    assert!(last.link("next").is_none() && last.link("prev").is_some());
    let by_name = api.get(&format!("{users}?sort=familyName&limit=500&fields=familyName,sourcedId")).await;
    let names: Vec<&str> =
        by_name.body["users"].as_array().unwrap().iter().filter_map(|u| u["familyName"].as_str()).collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "sorted by familyName");

    // Offset paging without a cursor reaches the same records in the same order as the cursor,
    // for a collection, a view (both jump from kept marks) and a relation whose children repeat.
    let with_cursor = api.walk(&format!("{users}?limit=9"), "users").await;
    for (list, key, limit) in [
        (users.clone(), "users", 9),
        (format!("{BASE}/students"), "users", 13),
        (format!("{BASE}/schools/{}/terms", d.school_id(0)), "academicSessions", 1),
    ] {
        let cursor_walk = api.walk(&format!("{list}?limit={limit}"), key).await;
        let mut by_offset = Vec::new();
        for offset in (0..cursor_walk.len()).step_by(limit) {
            let page = api.get(&format!("{list}?limit={limit}&offset={offset}")).await;
            by_offset.extend(page.body[key].as_array().unwrap().clone());
        }
        let order = |records: &[Value]| records.iter().map(|r| r["sourcedId"].clone()).collect::<Vec<_>>();
        assert_eq!(order(&by_offset), order(&cursor_walk), "{list}");
    }
    let beyond = api.get(&format!("{users}?offset=100000")).await;
    assert_eq!((beyond.status, beyond.ids("users").len(), beyond.total_count()), (200, 0, with_cursor.len() as u64));

    // fields on a single record; limit defaults and its maximum.
    let one = api.get(&format!("{users}/{}?fields=email", d.student_id(2))).await;
    assert_eq!(one.body, serde_json::json!({"user": {"email": d.student_email(2)}}));
    assert_eq!(api.get(&users).await.ids("users").len(), 100);
    assert_eq!(api.get(&format!("{users}?limit=99999")).await.ids("users").len(), with_cursor.len());

    // Bad input: 400 with the codeMinor the binding names, never a 500.
    for (query, code) in [
        ("filter=nosuch%3D'x'", "invalid_filter_field"),
        ("filter=email%3D'x' AND email%3D'y' OR email%3D'z'", "invalid_filter_field"),
        ("filter=dateLastModified>'last week'", "invalid_filter_field"),
        ("filter=email%3D", "invalid_filter_field"),
        ("fields=sourcedId,secret", "invalid_selection_field"),
        ("sort=nosuch", "invalid_selection_field"),
        ("limit=0", "invaliddata"),
        ("limit=-5", "invaliddata"),
        ("offset=abc", "invaliddata"),
        ("orderBy=sideways", "invaliddata"),
        ("cursor=garbage", "invaliddata"),
    ] {
        let reply = api.get(&format!("{users}?{}", query.replace(' ', "%20"))).await;
        assert_eq!((reply.status, reply.code_minor()), (400, code), "{query}: {}", reply.body);
        assert_matches_schema(Service::Rostering, "imsx_StatusInfoDType", &reply.body);
    }
    let missing = api.get(&format!("{BASE}/nosuch")).await;
    assert_eq!((missing.status, missing.code_minor()), (404, "unknownobject"));

    // Whatever a client sends as a filter, the answer is never a server error.
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let alphabet: Vec<char> = "ab.'= !<>~%ANDOR()\"\\é\u{0}#&+;".chars().collect();
    for _ in 0..300 {
        let length = (seed % 24) as usize;
        let text: String = (0..length)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                alphabet[(seed % alphabet.len() as u64) as usize]
            })
            .collect();
        let encoded: String = form_encode(&format!("email{text}"));
        let reply = api.get(&format!("{users}?filter={encoded}")).await;
        assert!(reply.status == 200 || reply.status == 400, "{text:?}: {}", reply.status);
    }
}

fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[tokio::test]
async fn a_teacher_whose_primary_role_turns_student_moves_from_the_teachers_routes_to_the_students() {
    let (stack, api, d) = loaded("district-role").await;
    let user = d.teacher_id(1);
    let taught = walk(&api, "getClassesForTeacher", &format!("/teachers/{user}/classes")).await;
    assert!(!taught.is_empty());
    let roles = format!(
        "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId\n\
         role-{user},active,2026-11-25T00:00:00.000Z,{user},primary,student,,,{},\n",
        d.school_id(d.school_of_teacher(1))
    );
    let manifest = district_gen::manifest(&[], &["roles"]);
    let job = ingest(
        &stack,
        &tenant("district-role"),
        "role.zip",
        zip_of(&[("manifest.csv", &manifest), ("roles.csv", &roles)]),
    )
    .await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    // The pack of the user's classes names the view it was built in: the delta rebuilt it.
    for path in [format!("/teachers/{user}/classes"), format!("/teachers/{user}")] {
        let reply = api.get(&format!("{BASE}{path}")).await;
        assert_eq!((reply.status, reply.code_minor()), (404, "unknownobject"), "{path}");
    }
    assert_eq!(walk(&api, "getClassesForStudent", &format!("/students/{user}/classes")).await, taught);
    assert_eq!(call(&api, "getStudent", &format!("/students/{user}")).await.status, 200);
}

#[tokio::test]
async fn a_delta_is_found_by_date_last_modified_as_sds_and_moodle_ask() {
    let (stack, api, d) = loaded("district-c").await;
    let before = Timestamp::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let job = ingest(&stack, &tenant("district-c"), "delta.zip", delta_zip(&d, 4)).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    // The dropped enrollment takes the student out of that class (the enrollment stays, marked).
    let dropped = d.class_id(0, d.classes_of_student(0)[0]);
    assert!(!walk(&api, "getStudentsForClass", &format!("/classes/{dropped}/students"))
        .await
        .contains(&d.student_id(0)));
    assert!(!walk(&api, "getClassesForUser", &format!("/users/{}/classes", d.student_id(0))).await.contains(&dropped));
    let everyone = api.walk(&format!("{BASE}/users?limit=1000"), "users").await;
    let changed: Vec<Value> = everyone
        .into_iter()
        .filter(|u| {
            u["dateLastModified"].as_str().and_then(|t| Timestamp::parse(t).ok()).is_some_and(|t| t.0 > before.0)
        })
        .collect();
    assert!(!changed.is_empty(), "the delta changed users");
    let since = format!("{BASE}/users?filter=dateLastModified>'{before}'&limit=2");
    assert_eq!(ids(&api.walk(&since, "users").await), ids(&changed));
    let with_status =
        format!("{BASE}/users?filter=status%3D'active' AND dateLastModified>'{before}'&limit=2").replace(' ', "%20");
    let active: Vec<Value> = changed.iter().filter(|u| u["status"] == "active").cloned().collect();
    assert_eq!(ids(&api.walk(&with_status, "users").await), ids(&active));
    // The kept counts of a school's students and enrollments follow the delta (a newcomer
    // joins school 0 and one of its classes).
    let school = d.school_id(0);
    let students = api.walk(&format!("{BASE}/schools/{school}/students?limit=50"), "users").await;
    assert!(ids(&students).contains(&d.student_id(d.students)), "the newcomer is listed");
    assert_eq!(students.len(), (0..d.students).filter(|s| d.school_of_student(*s) == 0).count() + 1);
    api.walk(&format!("{BASE}/schools/{school}/enrollments?limit=50"), "enrollments").await;
    // Moodle sends a date alone: everything modified since that midnight (UTC).
    let today = &before.to_string()[..10];
    let all = api.get(&format!("{BASE}/users?filter=dateLastModified>'{today}'")).await.total_count();
    assert_eq!(all, api.get(&format!("{BASE}/users")).await.total_count());
    let tomorrow = api.get(&format!("{BASE}/users?filter=dateLastModified>%3D'2999-01-01'")).await;
    assert_eq!((tomorrow.status, tomorrow.total_count()), (200, 0));
}

#[tokio::test]
async fn one_district_never_sees_another() {
    let (stack, api_a, d) = loaded("district-d").await;
    let api_b = Api::new(&stack, &tenant("district-e")).await;
    assert!(api_a.get(&format!("{BASE}/users")).await.total_count() > 0);
    assert_eq!(api_b.get(&format!("{BASE}/users")).await.total_count(), 0);
    assert_eq!(api_b.get(&format!("{BASE}/students?filter=status%3D'active'")).await.total_count(), 0);
    for path in [format!("/users/{}", d.student_id(0)), format!("/classes/{}/students", d.class_id(0, 0))] {
        assert_eq!(api_b.get(&format!("{BASE}{path}")).await.status, 404, "{path}");
    }
}

#[test]
fn the_schema_check_catches_a_body_off_the_contract() {
    let off_contract = [
        serde_json::json!({"users": [{"sourcedId": 1}]}),
        serde_json::json!({"users": [], "extra": true}),
        serde_json::json!({"users": [{"sourcedId": "u", "dateLastModified": "yesterday"}]}),
    ];
    for body in off_contract {
        let checked = std::panic::catch_unwind(|| assert_matches_schema(Service::Rostering, "UserSetDType", &body));
        assert!(checked.is_err(), "{body}");
    }
}

//! OneRoster 1.1 under `/ims/oneroster/v1p1`, served from the records stored for 1.2: every 1.1
//! read compared with the 1.2 read of the same records (the same records in the same order,
//! every value 1.1 shares with 1.2 alike, what 1.1 makes from 1.2 made by the notes' rules,
//! bodies valid against the 1.1 schemas), and the 1.1 consumers' call sequences replayed as
//! they make them: Google Classroom's 1.1 grade sync (its deprecated notebook, unmodified
//! bodies) and School Data Sync's active-then-delta reads.

use e2e::{assert_matches_v1p1_schema, delta_zip, guid_district, ids, ingest, loaded, stack, tenant, Api, Reply};
use oneroster_model::{v1p1, Timestamp};
use oneroster_openapi::Service;
use oneroster_store::JobState;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const V1P1: &str = "/ims/oneroster/v1p1";
const SCOPE_V1P1: &str = "https://purl.imsglobal.org/spec/or/v1p1/scope/";

fn listed<'r>(reply: &'r Reply, key: &str) -> &'r [Value] {
    reply.body[key].as_array().map(Vec::as_slice).unwrap_or_default()
}

fn check(reply: &Reply, status: u16, what: &str) {
    assert_eq!(reply.status, status, "{what}: {}", reply.body);
}

/// `value` with every 1.2 `href` base put as 1.1's: what 1.1 serves of a value both have.
fn rebased(value: &Value) -> Value {
    let mut text = value.to_string();
    for service in Service::ALL {
        text = text.replace(service.base_path(), V1P1);
    }
    serde_json::from_str(&text).expect("JSON")
}

/// Checks one 1.1 record against the 1.2 record of the same id: 1.1's own values made from
/// 1.2's by the notes' rules, every other 1.1 value 1.2's (with 1.1 `href`s), and nothing of
/// 1.2's that 1.1 has a place for left out.
fn same_record(service: Service, schema: &str, v1p1: &Value, v1p2: &Value, what: &str) {
    let v1p1 = v1p1.as_object().expect("a record");
    let v1p2 = v1p2.as_object().expect("a record");
    let properties =
        oneroster_openapi::v1p1::schema(service, schema).expect(schema)["properties"].as_object().expect("properties");
    let derived = oneroster_openapi::v1p1::derived(schema);
    for (name, value) in v1p1 {
        assert!(properties.contains_key(name), "{what}: {name} is no 1.1 property");
        if derived.contains(&name.as_str()) {
            continue;
        }
        assert_eq!(value, &rebased(&v1p2[name]), "{what}: {name}");
    }
    for name in v1p2.keys().filter(|name| properties.contains_key(*name) && !derived.contains(&name.as_str())) {
        assert!(v1p1.contains_key(name), "{what}: {name} left out");
    }
    match schema {
        "UserDType" => {
            let roles = v1p2["roles"].as_array().expect("roles");
            let primary = roles.iter().find(|r| r["roleType"] == "primary").unwrap_or(&roles[0]);
            let role = oneroster_model::vocab::RoleName::parse(primary["role"].as_str().expect("a role"));
            assert_eq!(
                v1p1.get("role").and_then(Value::as_str),
                role.ok().as_ref().and_then(v1p1::user_role),
                "{what}"
            );
            let mut orgs: Vec<&str> = roles.iter().filter_map(|r| r["org"]["sourcedId"].as_str()).collect();
            orgs.sort_unstable();
            orgs.dedup();
            let mut served: Vec<&str> =
                v1p1["orgs"].as_array().expect("orgs").iter().filter_map(|o| o["sourcedId"].as_str()).collect();
            assert_eq!(
                served[0],
                primary["org"]["sourcedId"].as_str().expect("an org"),
                "{what}: the primary org first"
            );
            served.sort_unstable();
            assert_eq!(served, orgs, "{what}");
        }
        "EnrollmentDType" => {
            let role = v1p2["role"].as_str().expect("a role");
            assert_eq!(v1p1.get("role").and_then(Value::as_str), v1p1::enrollment_role(role), "{what}");
        }
        "LineItemDType" => {
            let period = v1p2.get("gradingPeriod").or(v1p2.get("academicSession")).map(rebased);
            assert_eq!(v1p1.get("gradingPeriod"), period.as_ref(), "{what}");
        }
        _ => {}
    }
}

/// The ids each `{parameter}` of a path is read with, by the collection word before it, all
/// taken from one result of the district (its line item, class, student, …) so that nested
/// routes find something.
async fn ids_by_word(api: &Api) -> BTreeMap<&'static str, String> {
    let first = |path: String, key: &'static str| {
        let api = api.clone();
        async move {
            let reply = api.get(&format!("{V1P1}{path}")).await;
            listed(&reply, key)
                .first()
                .and_then(|r| r["sourcedId"].as_str())
                .unwrap_or_else(|| panic!("{path}: {}", reply.body))
                .to_owned()
        }
    };
    let result = api.get(&format!("{V1P1}/results?limit=1")).await;
    let result = &listed(&result, "results")[0];
    let item =
        api.get(&format!("{V1P1}/lineItems/{}", result["lineItem"]["sourcedId"].as_str().expect("an item"))).await;
    let item = &item.body["lineItem"];
    let class_id = item["class"]["sourcedId"].as_str().expect("a class").to_owned();
    let class = api.get(&format!("{V1P1}/classes/{class_id}")).await;
    let class = &class.body["class"];
    let teachers = api.get(&format!("{V1P1}/classes/{class_id}/teachers")).await;
    let term = class["terms"][0]["sourcedId"].as_str().expect("a term").to_owned();
    let periods = api.get(&format!("{V1P1}/terms/{term}/gradingPeriods")).await;
    let text = |value: &Value| value.as_str().expect("an id").to_owned();
    BTreeMap::from([
        ("academicSessions", term.clone()),
        ("categories", text(&item["category"]["sourcedId"])),
        ("classes", class_id.clone()),
        ("courses", text(&class["course"]["sourcedId"])),
        ("demographics", first("/demographics?limit=1".into(), "demographics").await),
        (
            "enrollments",
            first(
                format!("/schools/{}/classes/{class_id}/enrollments?limit=1", text(&class["school"]["sourcedId"])),
                "enrollments",
            )
            .await,
        ),
        ("gradingPeriods", text(&listed(&periods, "academicSessions")[0]["sourcedId"])),
        ("lineItems", text(&result["lineItem"]["sourcedId"])),
        ("orgs", text(&class["school"]["sourcedId"])),
        ("resources", first("/resources?limit=1".into(), "resources").await),
        ("results", text(&result["sourcedId"])),
        ("schools", text(&class["school"]["sourcedId"])),
        ("students", text(&result["student"]["sourcedId"])),
        ("teachers", text(&listed(&teachers, "users")[0]["sourcedId"])),
        ("terms", term),
        ("users", text(&result["student"]["sourcedId"])),
    ])
}

#[tokio::test]
async fn every_1p1_read_serves_the_1p2_records_as_1p1_has_them() {
    let (_stack, api, _) = loaded("v1p1-reads").await;
    let ids = ids_by_word(&api).await;
    let mut read = 0;
    for (service, operation) in Service::ALL.iter().flat_map(|s| s.operations().iter().map(move |o| (*s, o))) {
        if operation.method != "GET" || !oneroster_openapi::v1p1::has_operation(service, &operation.operation_id) {
            continue;
        }
        let envelope = operation.envelope.as_ref().expect("a read has an envelope");
        let mut segments = operation.path.split('/').peekable();
        let mut path = String::new();
        let mut word = "";
        while let Some(segment) = segments.next() {
            if segment.starts_with('{') {
                path.push_str(ids.get(word).unwrap_or_else(|| panic!("no id for {word} in {}", operation.path)));
            } else {
                path.push_str(segment);
                word = segment;
            }
            if segments.peek().is_some() {
                path.push('/');
            }
        }
        let what = format!("{} {path}", operation.operation_id);
        let query = if envelope.is_list { "?limit=10000" } else { "" };
        let old = api.get(&format!("{V1P1}{path}{query}")).await;
        let new = api.get(&format!("{}{path}{query}", service.base_path())).await;
        check(&old, 200, &what);
        check(&new, 200, &what);
        assert_matches_v1p1_schema(service, &envelope.body_schema, &old.body);
        let key = &envelope.key;
        if envelope.is_list {
            assert_eq!(old.total_count(), new.total_count(), "{what}");
            assert!(old.total_count() > 0, "{what}: the district has something here");
            assert_eq!(old.ids(key), new.ids(key), "{what}");
            for (v1p1, v1p2) in listed(&old, key).iter().zip(listed(&new, key)) {
                same_record(service, &envelope.item_schema, v1p1, v1p2, &what);
            }
            let next = old.link("next").unwrap_or_default();
            assert!(next.is_empty() || next.contains(V1P1), "{what}: {next}");
        } else {
            same_record(service, &envelope.item_schema, &old.body[key], &new.body[key], &what);
        }
        read += 1;
    }
    assert_eq!(read, 41 + 11 + 4, "every 1.1 read");
}

#[tokio::test]
async fn one_point_one_filters_on_its_own_fields_warns_of_unknown_sort_and_fields_and_fails_in_its_own_body() {
    let (_stack, api, d) = loaded("v1p1-queries").await;
    // `role` and `orgs` are 1.1's: filtered on as 1.1 serves them.
    let students = api.walk(&format!("{V1P1}/users?filter=role%3D'student'&limit=1000"), "users").await;
    assert_eq!(students.len(), d.students);
    let school = d.school_id(0);
    let in_school =
        api.walk(&format!("{V1P1}/users?filter=orgs.sourcedId%3D'{school}'%20AND%20role%3D'teacher'"), "users").await;
    assert!(!in_school.is_empty() && in_school.iter().all(|u| u["role"] == "teacher"));
    let teachers = api.get(&format!("{V1P1}/teachers?limit=1000")).await;
    assert!(in_school.len() < teachers.total_count() as usize + 1);
    // An unknown sort field or selected field: 200, the data, and a warning.
    let reply = api.get(&format!("{V1P1}/orgs?sort=nothing&fields=name,nope")).await;
    check(&reply, 200, "unknown sort");
    assert_eq!(listed(&reply, "orgs").len(), d.schools + 1);
    assert!(listed(&reply, "orgs").iter().all(|o| o.as_object().expect("an org").keys().eq(["name"])));
    let warnings = reply.body["statusInfoSet"].as_array().expect("warnings");
    let codes: Vec<&str> = warnings.iter().filter_map(|w| w["imsx_codeMinor"].as_str()).collect();
    assert_eq!(codes, ["invalid_sort_field", "invalid_selection_field"]);
    assert!(warnings.iter().all(|w| w["imsx_codeMajor"] == "success" && w["imsx_severity"] == "warning"));
    // Failures: 1.1's body, 1.1's spelling, the status 1.2 gives.
    let unknown = api.get(&format!("{V1P1}/users/nobody")).await;
    check(&unknown, 404, "unknown id");
    assert_eq!(
        unknown.body["statusInfoSet"][0],
        json!({"imsx_codeMajor": "failure", "imsx_severity": "error", "imsx_codeMinor": "unknown object",
               "imsx_description": unknown.body["statusInfoSet"][0]["imsx_description"]})
    );
    let bad_filter = api.get(&format!("{V1P1}/users?filter=roles.role%3D'student'")).await;
    check(&bad_filter, 400, "a 1.2 field");
    assert_eq!(bad_filter.body["statusInfoSet"][0]["imsx_codeMinor"], "invalid_filter_field");
    let anonymous = Api::anonymous(&_stack).get(&format!("{V1P1}/users")).await;
    check(&anonymous, 401, "no token");
    assert_eq!(anonymous.body["statusInfoSet"][0]["imsx_codeMinor"], "unauthorized");
    let post = api.send_json("POST", &format!("{V1P1}/classes/{}/lineItems", d.class_id(0, 0)), "{}").await;
    check(&post, 405, "1.1 has no POST");
}

/// Google Classroom's 1.1 notebook, cell by cell, its bodies as it sends them.
#[tokio::test]
async fn classroom_1p1_syncs_grades_with_the_bodies_it_sends() {
    let stack = stack().await;
    let api = guid_district::classroom(&stack, "guid-district-v1p1", SCOPE_V1P1).await;
    let url = |rest: String| format!("{V1P1}{rest}");

    check(&api.get(&url("/teachers?limit=1".into())).await, 200, "GetAllTeachers");
    let reply = api.get(&url(format!("/teachers?filter=email='{}'&limit=10000", guid_district::TEACHER_EMAIL))).await;
    check(&reply, 200, "GetAllTeachers w/ email filter");
    let teachers = listed(&reply, "users");
    assert_eq!(teachers.len(), 1);
    assert_eq!(
        (teachers[0]["sourcedId"].as_str(), teachers[0]["role"].as_str()),
        (Some(guid_district::TEACHER), Some("teacher"))
    );
    let teacher = guid_district::TEACHER;
    let reply = api.get(&url(format!("/teachers/{teacher}/classes?limit=10000&filter=status='active'"))).await;
    check(&reply, 200, "GetClassesForTeacher");
    let class = listed(&reply, "classes")[0]["sourcedId"].as_str().expect("a class").to_owned();
    let reply = api.get(&url(format!("/classes/{class}/students?limit=10000"))).await;
    check(&reply, 200, "GetStudentsForClass");
    let student = listed(&reply, "users")[0]["sourcedId"].as_str().expect("a student").to_owned();
    assert!(listed(&reply, "users").iter().all(|u| u["role"] == "student" && u.get("email").is_some()));

    // A line item as 1.1 PUTs it: no status, no category, no grading period, the class by id.
    let line_item = uuid::Uuid::new_v4().to_string();
    let assign_date = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let due_date = (chrono::Utc::now() + chrono::Duration::minutes(1)).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let body = |title: &str, category: Option<&str>| {
        let mut item = json!({
            "sourcedId": line_item, "title": title, "description": "Test Line Item", "resultValueMin": 0,
            "resultValueMax": 100, "assignDate": assign_date, "dueDate": due_date, "class": {"sourcedId": class}
        });
        if let Some(category) = category {
            item["category"] = json!({"sourcedId": category});
        }
        json!({ "lineItem": item }).to_string()
    };
    let item_path = url(format!("/lineItems/{line_item}"));
    check(&api.send_json("PUT", &item_path, &body("New test item", None)).await, 201, "PutLineItem Create");
    let class_items = url(format!("/classes/{class}/lineItems?limit=10000"));
    let reply = api.get(&class_items).await;
    check(&reply, 200, "GetLineItemsForClass");
    assert_matches_v1p1_schema(Service::Gradebook, "LineItemSetDType", &reply.body);
    let created = listed(&reply, "lineItems").iter().find(|i| i["sourcedId"] == line_item.as_str()).cloned();
    let created = created.expect("the created line item is listed");
    let default = oneroster_writes::v1p1::DEFAULT_CATEGORY;
    assert_eq!(created["category"]["sourcedId"], default, "the tenant's default category");
    assert!(created.get("school").is_none(), "1.1 has no school on a line item");
    let long = "[Amended] Reallllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllly Long Google Test Line Item Title";
    let edit = api.send_json("PUT", &item_path, &body(long, None)).await;
    check(&edit, 200, "PutLineItem Edit");
    let reply = api.get(&class_items).await;
    let edited = listed(&reply, "lineItems").iter().find(|i| i["sourcedId"] == line_item.as_str()).cloned();
    assert_eq!(edited.expect("listed")["title"], long, "Assignment Title Limit");
    // The 1.2 API serves the same line item with the school 1.2 requires, from its class.
    let as_1p2 = api.get(&format!("/ims/oneroster/gradebook/v1p2/lineItems/{line_item}")).await;
    check(&as_1p2, 200, "the line item in 1.2");
    assert_eq!(as_1p2.body["lineItem"]["school"]["sourcedId"], guid_district::SCHOOL);
    let category = api.get(&format!("/ims/oneroster/gradebook/v1p2/categories/{default}")).await;
    assert_eq!(category.body["category"]["title"], "Uncategorized");

    // Results: create, extra credit, exempt, each read back.
    let result = uuid::Uuid::new_v4().to_string();
    let result_body = |score: u32, status: &str| {
        json!({"result": {
            "sourcedId": result, "score": score, "comment": "", "scoreStatus": status, "scoreDate": assign_date,
            "lineItem": {"sourcedId": line_item}, "student": {"sourcedId": student}
        }})
        .to_string()
    };
    let result_path = url(format!("/results/{result}"));
    let item_results = url(format!("/classes/{class}/lineItems/{line_item}/results?limit=10000"));
    let read_result = || async {
        let reply = api.get(&item_results).await;
        check(&reply, 200, "GetResultsForLineItem");
        assert_matches_v1p1_schema(Service::Gradebook, "ResultSetDType", &reply.body);
        listed(&reply, "results").iter().find(|r| r["sourcedId"] == result.as_str()).cloned()
    };
    check(&api.send_json("PUT", &result_path, &result_body(80, "fully graded")).await, 201, "PutResult Create");
    assert_eq!(read_result().await.expect("listed")["score"], 80.0);
    check(&api.send_json("PUT", &result_path, &result_body(300, "fully graded")).await, 200, "PutResult Edit");
    assert_eq!(read_result().await.expect("listed")["score"], 300.0, "Result extra credit OK");
    check(&api.send_json("PUT", &result_path, &result_body(80, "exempt")).await, 200, "PutResult Create Exempt");
    assert_eq!(read_result().await.expect("listed")["scoreStatus"], "exempt", "Returned excused state");

    // Deletes; the lists re-read after each are 200s with lists, possibly empty.
    check(&api.delete(&result_path).await, 204, "DeleteResult");
    assert!(read_result().await.is_none(), "Result deleted");
    check(&api.delete(&item_path).await, 204, "DeleteLineItem");
    let reply = api.get(&class_items).await;
    check(&reply, 200, "GetLineItemsForClass (Deleted)");
    assert!(!listed(&reply, "lineItems").iter().any(|i| i["sourcedId"] == line_item.as_str()));

    // Categories: all, then the class's (a GET carrying the last PUT's JSON as its body).
    let reply = api.get(&url("/categories?limit=10000".into())).await;
    check(&reply, 200, "GetAllCategories");
    assert_matches_v1p1_schema(Service::Gradebook, "CategoriesSetDType", &reply.body);
    let reply =
        api.get_with(&url(format!("/classes/{class}/categories?limit=10000")), &[], &result_body(80, "exempt")).await;
    check(&reply, 200, "GetCategoriesForClass");
    let category = listed(&reply, "categories")[0]["sourcedId"].as_str().expect("a category").to_owned();
    let line_item_2 = uuid::Uuid::new_v4().to_string();
    let item_path = url(format!("/lineItems/{line_item_2}"));
    let with_category = body("Google Test Line Item Title", Some(&category)).replace(&line_item, &line_item_2);
    check(&api.send_json("PUT", &item_path, &with_category).await, 201, "PutLineItem w/ Category");
    let reply = api.get(&class_items).await;
    let created = listed(&reply, "lineItems").iter().find(|i| i["sourcedId"] == line_item_2.as_str()).cloned();
    assert_eq!(created.expect("listed")["category"]["sourcedId"], category.as_str(), "Line item created with category");
    check(&api.delete(&item_path).await, 204, "DeleteLineItem");

    let reply = api.get(&url(format!("/classes?filter=sourcedId='{class}'&limit=10000"))).await;
    check(&reply, 200, "GetAllClasses w/ filter");
    let classes = listed(&reply, "classes");
    assert_eq!(classes.len(), 1);
    let term = classes[0]["terms"][0]["sourcedId"].as_str().expect("a term").to_owned();
    let reply = api.get(&url(format!("/terms/{term}/gradingPeriods?limit=10000"))).await;
    check(&reply, 200, "GetGradingPeriodsForTerm");
    let periods = listed(&reply, "academicSessions");
    assert_eq!(ids(periods), guid_district::GRADING_PERIODS);
    for period in periods {
        assert_eq!(period["type"], "gradingPeriod");
        for key in ["sourcedId", "title", "startDate", "endDate", "schoolYear"] {
            assert!(period.get(key).is_some(), "{key}");
        }
    }
}

/// A 1.1 line item PUT names its class; a class the tenant lacks is refused naming it.
#[tokio::test]
async fn a_1p1_line_item_of_an_unknown_class_is_refused_naming_the_class() {
    let (_stack, api, _) = loaded("v1p1-refused").await;
    let body = json!({"lineItem": {"title": "T", "assignDate": "2026-01-01", "dueDate": "2026-01-02",
        "resultValueMin": 0, "resultValueMax": 1, "class": {"sourcedId": "no-such-class"}}});
    let reply = api.send_json("PUT", &format!("{V1P1}/lineItems/li-x"), &body.to_string()).await;
    check(&reply, 422, "unknown class");
    let info = &reply.body["statusInfoSet"][0];
    assert_eq!(info["imsx_codeMinor"], "invalid data");
    assert!(info["imsx_description"].as_str().unwrap_or_default().contains("no-such-class"), "{info}");
    assert_eq!(api.get(&format!("{V1P1}/lineItems/li-x")).await.status, 404, "nothing stored");
}

/// School Data Sync's 1.1 pattern: everything active, 5,000 a page, then what a delta changed.
#[tokio::test]
async fn school_data_sync_reads_1p1_active_then_what_a_delta_changed() {
    let (stack, api, d) = loaded("v1p1-sds").await;
    let walk = |path: String, key: &'static str| {
        let api = api.clone();
        async move { api.walk(&format!("{V1P1}{path}"), key).await }
    };
    let active = "offset=0&limit=5000&filter=status%3D'active'";
    for (path, key, count) in [
        ("/academicSessions", "academicSessions", 7),
        ("/orgs", "orgs", d.schools + 1),
        ("/users", "users", d.students + d.teachers + d.parents),
        ("/classes", "classes", d.schools * d.classes_per_school),
    ] {
        assert_eq!(walk(format!("{path}?{active}"), key).await.len(), count, "{path}");
    }
    let before_reads = stack.store().items_read();
    let users = walk(format!("/users?{active}"), "users").await;
    let reads = stack.store().items_read() - before_reads;
    assert!(reads as f64 <= 1.5 * users.len() as f64 + 2.0, "{reads} items read for {} users", users.len());
    assert!(users.iter().all(|u| u.get("role").is_some() && u["orgs"].as_array().is_some_and(|o| !o.is_empty())));
    let enrollments = walk(format!("/enrollments?{active}"), "enrollments").await;

    let before = Timestamp::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let job = ingest(&stack, &tenant("v1p1-sds"), "delta.zip", delta_zip(&d, 3)).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    let since = format!("filter=dateLastModified%3E'{before}'&limit=5000");
    let mut changed: Vec<String> = (0..3).map(|s| d.student_id(s)).collect();
    changed.push(d.newcomer_id());
    assert_eq!(ids(&walk(format!("/users?{since}"), "users").await), changed);
    assert!(walk(format!("/classes?{since}"), "classes").await.is_empty());
    let now_active = walk(format!("/enrollments?{active}"), "enrollments").await;
    assert_eq!(now_active.len(), enrollments.len());
}

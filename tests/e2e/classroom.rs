//! Google Classroom's grade sync, replayed call by call as its published acceptance notebook
//! makes it (googleworkspace/oneroster-integration-conformance-tests,
//! `oneroster_1_2_test_suite.ipynb`), with its exact bodies: references as a bare
//! `{"sourcedId"}`, `scoreDate` as a date-time, `comment: ""`, extra credit 300, `exempt`,
//! deletes without a body, a GET carrying the token request's form as its body. The district's
//! ids hold the binding's whole GUID set (`/` above all), and so do the line item and result
//! Classroom creates; the notebook puts ids into paths unencoded, and a client that does encode
//! them must be served alike, so the sequence runs twice: ids as they are, then percent-encoded.

use e2e::{assert_matches_schema, form, guid_district, stack, unique, Api, Reply};
use oneroster_openapi::Service;
use serde_json::{json, Value};

/// What the notebook's `one_roster_url` is set to ("…/ims/oneroster"; it appends
/// `/rostering/v1p2/…` and `/gradebook/v1p2/…`).
const ONE_ROSTER_URL: &str = "/ims/oneroster";
const SCOPE: &str = "https://purl.imsglobal.org/spec/or/v1p2/scope/";

/// How a client puts an id into a path.
type Spelling = fn(&str) -> String;

fn as_is(id: &str) -> String {
    id.to_owned()
}

fn percent_encoded(id: &str) -> String {
    id.replace('/', "%2F").replace('@', "%40")
}

fn check(reply: &Reply, status: u16, what: &str) {
    assert_eq!(reply.status, status, "{what}: {}", reply.body);
}

fn listed<'r>(reply: &'r Reply, key: &str) -> &'r [Value] {
    reply.body[key].as_array().map(Vec::as_slice).unwrap_or_default()
}

/// The notebook, cell by cell, with ids spelled into paths by `spell`.
async fn replay(api: &Api, spell: Spelling) {
    let path = |service: &str, rest: String| format!("{ONE_ROSTER_URL}/{service}/v1p2{rest}");
    let schema = |service: Service, name: &str, reply: &Reply| assert_matches_schema(service, name, &reply.body);

    // GetAllTeachers, then one by e-mail address.
    let reply = api.get(&path("rostering", "/teachers?limit=1".into())).await;
    check(&reply, 200, "GetAllTeachers");
    let filter = format!("/teachers?filter=email='{}'&limit=10000", guid_district::TEACHER_EMAIL);
    let reply = api.get(&path("rostering", filter)).await;
    check(&reply, 200, "GetAllTeachers with email filter");
    let teachers = listed(&reply, "users");
    assert_eq!(teachers.len(), 1, "{}", reply.body);
    let teacher = teachers[0]["sourcedId"].as_str().expect("a sourcedId").to_owned();
    assert_eq!(teacher, guid_district::TEACHER);

    // GetClassesForTeacher: the class, its school and its term.
    let rest = format!("/teachers/{}/classes?limit=10000&filter=status='active'", spell(&teacher));
    let reply = api.get(&path("rostering", rest)).await;
    check(&reply, 200, "GetClassesForTeacher");
    schema(Service::Rostering, "ClassSetDType", &reply);
    let class = &listed(&reply, "classes")[0];
    let class_id = class["sourcedId"].as_str().expect("a class").to_owned();
    let school_id = class["school"]["sourcedId"].as_str().expect("a school").to_owned();
    let term_id = class["terms"][0]["sourcedId"].as_str().expect("a term").to_owned();
    assert_eq!((class_id.as_str(), term_id.as_str()), (guid_district::CLASS, guid_district::TERM));
    let href = class["school"]["href"].as_str().unwrap_or_default();
    assert!(href.ends_with("/schools/org%2Fsch.01@lu") || href.ends_with("/orgs/org%2Fsch.01@lu"), "{href}");

    // GetStudentsForClass.
    let reply = api.get(&path("rostering", format!("/classes/{}/students?limit=10000", spell(&class_id)))).await;
    check(&reply, 200, "GetStudentsForClass");
    let students = listed(&reply, "users");
    assert_eq!(students.len(), guid_district::STUDENTS.len());
    assert!(students[0].get("email").is_some());
    let student_id = students[0]["sourcedId"].as_str().expect("a student").to_owned();

    // GetCategoriesForClass: a GET that carries the token request's form as its body.
    let token_form = form(&[("grant_type", "client_credentials"), ("scope", &format!("{SCOPE}roster.readonly"))]);
    let headers = [("content-type", "application/x-www-form-urlencoded")];
    let target = path("gradebook", format!("/classes/{}/categories?limit=10000", spell(&class_id)));
    let reply = api.get_with(&target, &headers, &token_form).await;
    check(&reply, 200, "GetCategoriesForClass");
    let category_id = listed(&reply, "categories")[0]["sourcedId"].as_str().expect("a category").to_owned();

    // GetGradingPeriodsForTerm.
    let reply = api.get(&path("rostering", format!("/terms/{}/gradingPeriods?limit=10000", spell(&term_id)))).await;
    check(&reply, 200, "GetGradingPeriodsForTerm");
    let periods = listed(&reply, "academicSessions");
    assert_eq!(periods.len(), 2);
    for period in periods {
        assert_eq!(period["type"], "gradingPeriod");
        for key in ["sourcedId", "title", "startDate", "endDate", "schoolYear"] {
            assert!(period.get(key).is_some(), "{key}");
        }
    }

    // LineItem: create (201), listed, edit (200), the long title kept.
    let line_item_id = format!("li/{}@classroom", unique("x"));
    let assign_date = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let due_date = (chrono::Utc::now() + chrono::Duration::minutes(1)).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let line_item = |title: &str| {
        json!({"lineItem": {
            "sourcedId": line_item_id, "title": title, "description": "Test Line Item",
            "resultValueMin": 0, "resultValueMax": 100, "assignDate": assign_date, "dueDate": due_date,
            "class": {"sourcedId": class_id}, "category": {"sourcedId": category_id},
            "school": {"sourcedId": school_id}
        }})
        .to_string()
    };
    let item_path = path("gradebook", format!("/lineItems/{}", spell(&line_item_id)));
    check(&api.send_json("PUT", &item_path, &line_item("New test item")).await, 201, "PutLineItem Create");
    let class_items = path("gradebook", format!("/classes/{}/lineItems?limit=10000", spell(&class_id)));
    let reply = api.get(&class_items).await;
    check(&reply, 200, "GetLineItemsForClass");
    schema(Service::Gradebook, "LineItemSetDType", &reply);
    let created = listed(&reply, "lineItems").iter().find(|i| i["sourcedId"] == line_item_id.as_str()).cloned();
    let created = created.expect("the created line item is listed");
    assert_eq!(created["class"]["type"], "class", "references served in full");
    assert!(created["class"]["href"].as_str().unwrap_or_default().ends_with("/classes/2024%2FMATH-101.a_b@lu"));
    assert_eq!(created["school"]["type"], "org");
    assert_eq!(created["assignDate"], assign_date.as_str());
    let long = "[Amended] Reallllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllly Long Google Test Line Item Title";
    check(&api.send_json("PUT", &item_path, &line_item(long)).await, 200, "PutLineItem Edit");
    let reply = api.get(&class_items).await;
    let edited = listed(&reply, "lineItems").iter().find(|i| i["sourcedId"] == line_item_id.as_str()).cloned();
    assert_eq!(edited.expect("listed")["title"], long, "Assignment Title Limit");

    // Result: create, extra credit 300, exempt; each read back from the line item's results.
    let result_id = format!("res/{}@classroom", unique("x"));
    let result = |score: u32, status: &str| {
        json!({"result": {
            "sourcedId": result_id, "score": score, "comment": "", "scoreStatus": status,
            "scoreDate": assign_date, "lineItem": {"sourcedId": line_item_id},
            "student": {"sourcedId": student_id}
        }})
        .to_string()
    };
    let result_path = path("gradebook", format!("/results/{}", spell(&result_id)));
    let item_results = path(
        "gradebook",
        format!("/classes/{}/lineItems/{}/results?limit=10000", spell(&class_id), spell(&line_item_id)),
    );
    let read_result = || async {
        let reply = api.get(&item_results).await;
        check(&reply, 200, "GetResultsForLineItem");
        schema(Service::Gradebook, "ResultSetDType", &reply);
        listed(&reply, "results").iter().find(|r| r["sourcedId"] == result_id.as_str()).cloned()
    };
    check(&api.send_json("PUT", &result_path, &result(80, "fully graded")).await, 201, "PutResult Create");
    let created = read_result().await.expect("the created result is listed");
    // Not in the notebook: the student's results in the class, a route of two ids with `/`.
    let pair = path("gradebook", format!("/classes/{}/students/{}/results", spell(&class_id), spell(&student_id)));
    let reply = api.get(&pair).await;
    check(&reply, 200, "GetResultsForStudentForClass");
    assert!(listed(&reply, "results").iter().any(|r| r["sourcedId"] == result_id.as_str()), "{}", reply.body);
    assert_eq!(created["scoreDate"], &assign_date[..10], "a date-time scoreDate is kept as its UTC date");
    assert_eq!((&created["comment"], &created["student"]["type"]), (&json!(""), &json!("user")));
    check(&api.send_json("PUT", &result_path, &result(300, "fully graded")).await, 200, "PutResult Edit");
    assert_eq!(read_result().await.expect("listed")["score"], 300.0, "Result extra credit");
    check(&api.send_json("PUT", &result_path, &result(80, "exempt")).await, 200, "PutResult Exempt");
    assert_eq!(read_result().await.expect("listed")["scoreStatus"], "exempt", "Returned excused state");

    // Deletes: 204, then gone from the lists.
    check(&api.delete(&result_path).await, 204, "DeleteResult");
    assert!(read_result().await.is_none(), "Result deleted");
    check(&api.delete(&item_path).await, 204, "DeleteLineItem");
    let reply = api.get(&class_items).await;
    assert!(!listed(&reply, "lineItems").iter().any(|i| i["sourcedId"] == line_item_id.as_str()), "Line item deleted");
}

#[tokio::test]
async fn classroom_syncs_grades_in_a_district_whose_ids_hold_slashes_spelled_either_way() {
    let stack = stack().await;
    // Authorization: the four scopes by their full URIs, the client by HTTP Basic.
    let api = guid_district::classroom(&stack, "guid-district", SCOPE).await;

    replay(&api, as_is).await;
    replay(&api, percent_encoded).await;
}

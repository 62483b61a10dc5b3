//! The Gradebook API as an SIS and an LMS use it, over a district whose package carries the
//! gradebook files: every GET route against the package; grade sync as an LMS does it (PUT
//! creates 201 and replaces 200, values kept as sent, 422s store nothing, POST pairs, DELETE
//! then 404 and gone from lists but in the change feed); a later bulk keeps what the LMS wrote;
//! scopes.

use district_gen::District;
use e2e::{assert_matches_schema, bulk_zip, ingest, loaded, tenant, Api};
use oneroster_openapi::Service;
use oneroster_store::JobState;
use serde_json::{json, Value};

const BASE: &str = "/ims/oneroster/gradebook/v1p2";

async fn walk(api: &Api, operation_id: &str, path: &str) -> Vec<String> {
    api.walk_ids(Service::Gradebook, operation_id, path).await
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

/// The results the package holds for a class, or for one line item of it.
fn class_results(d: &District, school: usize, class: usize, only: Option<usize>) -> Vec<String> {
    let mut ids = Vec::new();
    for student in d.class_students(school, class) {
        for k in (0..d.line_items_per_class).filter(|k| only.is_none_or(|o| o == *k)) {
            ids.push(District::result_id(&d.line_item_id(school, class, k), &student));
        }
    }
    sorted(ids)
}

#[tokio::test]
async fn every_read_route_answers_as_the_package_says() {
    let (_stack, api, d) = loaded("gradebook-a").await;
    let classes: Vec<(usize, usize)> =
        (0..d.schools).flat_map(|s| (0..d.classes_per_school).map(move |c| (s, c))).collect();

    let categories: Vec<String> = District::CATEGORIES.iter().map(|(id, _)| id.to_string()).collect();
    assert_eq!(walk(&api, "getAllCategories", "/categories").await, sorted(categories.clone()));
    let all_items = sorted(
        classes.iter().flat_map(|&(s, c)| (0..d.line_items_per_class).map(move |k| d.line_item_id(s, c, k))).collect(),
    );
    assert_eq!(walk(&api, "getAllLineItems", "/lineItems").await, all_items);
    let all_results = sorted(classes.iter().flat_map(|&(s, c)| class_results(&d, s, c, None)).collect());
    assert_eq!(walk(&api, "getAllResults", "/results").await, all_results);
    let scales = sorted(classes.iter().map(|&(s, c)| d.score_scale_id(s, c)).collect());
    assert_eq!(walk(&api, "getAllScoreScales", "/scoreScales").await, scales);

    for &(s, c) in classes.iter().take(6) {
        let class = d.class_id(s, c);
        let items: Vec<String> = (0..d.line_items_per_class).map(|k| d.line_item_id(s, c, k)).collect();
        assert_eq!(walk(&api, "getLineItemsForClass", &format!("/classes/{class}/lineItems")).await, sorted(items));
        // Results naming no class (odd line items) are found through their line item's class.
        let path = format!("/classes/{class}/results");
        assert_eq!(walk(&api, "getResultsForClass", &path).await, class_results(&d, s, c, None), "{path}");
        let item = d.line_item_id(s, c, 1);
        let path = format!("/classes/{class}/lineItems/{item}/results");
        assert_eq!(walk(&api, "getResultsForLineItemForClass", &path).await, class_results(&d, s, c, Some(1)));
        let student = d.class_students(s, c)[0].clone();
        let path = format!("/classes/{class}/students/{student}/results");
        let expected: Vec<String> =
            (0..d.line_items_per_class).map(|k| District::result_id(&d.line_item_id(s, c, k), &student)).collect();
        assert_eq!(walk(&api, "getResultsForStudentForClass", &path).await, sorted(expected));
        let expected = categories[..d.line_items_per_class.min(3)].to_vec();
        assert_eq!(walk(&api, "getCategoriesForClass", &format!("/classes/{class}/categories")).await, expected);
        let path = format!("/classes/{class}/scoreScales");
        assert_eq!(walk(&api, "getScoreScalesForClass", &path).await, vec![d.score_scale_id(s, c)]);
    }
    let school_scales = sorted((0..d.classes_per_school).map(|c| d.score_scale_id(1, c)).collect());
    let path = format!("/schools/{}/scoreScales", d.school_id(1));
    assert_eq!(walk(&api, "getScoreScalesForSchool", &path).await, school_scales);

    // Single records in the OpenAPI shape, CSV dates as date-times.
    let item = api.call(Service::Gradebook, "getLineItem", &format!("/lineItems/{}", d.line_item_id(0, 0, 0))).await;
    let item = &item.body["lineItem"];
    assert_eq!(
        (&item["assignDate"], &item["category"]["type"]),
        (&json!("2025-09-01T00:00:00.000Z"), &json!("category"))
    );
    // The part files: a line item's objectives (grouped by source) and score scale.
    let scale = d.score_scale_id(0, 0);
    assert_eq!(item["scoreScale"]["sourcedId"], json!(scale));
    assert_eq!(
        item["learningObjectiveSet"],
        json!([{"source": "unknown", "learningObjectiveIds": District::OBJECTIVES}])
    );
    let student = d.class_students(0, 0)[0].clone();
    let result = District::result_id(&d.line_item_id(0, 0, 0), &student);
    let reply = api.call(Service::Gradebook, "getResult", &format!("/results/{result}")).await;
    let result = &reply.body["result"];
    assert_eq!(result["scoreStatus"], "fully graded");
    assert_eq!(result["scoreScale"]["sourcedId"], json!(scale));
    let number: usize = student.trim_start_matches(|c: char| !c.is_ascii_digit()).parse().unwrap_or(0);
    let objective = &result["learningObjectiveSet"][0]["learningObjectiveResults"][0];
    assert_eq!(objective["learningObjectiveId"], District::OBJECTIVES[0]);
    assert_eq!(objective["score"].as_f64(), Some(f64::from(District::score(number, 0))));
    api.call(Service::Gradebook, "getCategory", "/categories/cat-quiz").await;
    api.call(Service::Gradebook, "getScoreScale", &format!("/scoreScales/{}", d.score_scale_id(0, 0))).await;
    let empty = api.call(Service::Gradebook, "getAllAssessmentLineItems", "/assessmentLineItems").await;
    assert_eq!(empty.total_count(), 0);
    api.call(Service::Gradebook, "getAllAssessmentResults", "/assessmentResults").await;

    // Unknown records and parents: 404; a line item of another class: 404.
    let other = d.line_item_id(0, 1, 0);
    for path in [
        "/results/nope".to_owned(),
        "/classes/nope/lineItems".to_owned(),
        format!("/classes/nope/students/{}/results", d.student_id(0)),
        format!("/classes/{}/lineItems/{other}/results", d.class_id(0, 0)),
        "/schools/nope/scoreScales".to_owned(),
    ] {
        let reply = api.get(&format!("{BASE}{path}")).await;
        assert_eq!((reply.status, reply.code_minor()), (404, "unknownobject"), "{path}");
    }
}

pub(crate) fn line_item(d: &District, id: &str, title: &str) -> Value {
    json!({"lineItem": {
        "sourcedId": id, "status": "active", "dateLastModified": "2026-01-01T00:00:00.000Z",
        "title": title, "assignDate": "2026-02-01T08:00:00.000Z", "dueDate": "2026-02-08T08:00:00.000Z",
        "class": {"href": "x", "sourcedId": d.class_id(0, 0), "type": "class"},
        "school": {"href": "x", "sourcedId": d.school_id(0), "type": "org"},
        "category": {"href": "x", "sourcedId": "cat-test", "type": "category"},
        "resultValueMin": 0.0, "resultValueMax": 100.0
    }})
}

pub(crate) fn result(d: &District, line_item: &str, score: f64, status: &str) -> Value {
    json!({
        "status": "active", "dateLastModified": "2026-01-01T00:00:00.000Z",
        "lineItem": {"href": "x", "sourcedId": line_item, "type": "lineItem"},
        "student": {"href": "x", "sourcedId": d.class_students(0, 0)[0], "type": "user"},
        "scoreStatus": status, "score": score, "scoreDate": "2026-02-09", "comment": ""
    })
}

#[tokio::test]
async fn an_lms_syncs_grades_and_the_sis_keeps_them() {
    let (stack, api, d) = loaded("gradebook-b").await;
    let put = |path: String, body: Value| {
        let api = api.clone();
        async move { api.send_json("PUT", &format!("{BASE}{path}"), &body.to_string()).await }
    };

    // Create 201, replace 200; a long title kept; the server's status and time.
    let title = "Essay ".repeat(200);
    let created = put("/lineItems/lms-essay".into(), line_item(&d, "lms-essay", &title)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let replaced = put("/lineItems/lms-essay".into(), line_item(&d, "lms-essay", "Essay (final)")).await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    let stored = api.call(Service::Gradebook, "getLineItem", "/lineItems/lms-essay").await.body["lineItem"].clone();
    assert_eq!((&stored["title"], &stored["status"]), (&json!("Essay (final)"), &json!("active")));
    assert_ne!(stored["dateLastModified"], "2026-01-01T00:00:00.000Z");
    let class_items = walk(&api, "getLineItemsForClass", &format!("/classes/{}/lineItems", d.class_id(0, 0))).await;
    assert!(class_items.contains(&"lms-essay".to_owned()));
    // The class's list serves the replaced body, not the first one.
    let listed =
        api.get(&format!("{BASE}/classes/{}/lineItems?filter=sourcedId%3D'lms-essay'", d.class_id(0, 0))).await;
    assert_eq!(listed.body["lineItems"][0]["title"], "Essay (final)");
    let class_results = format!("{BASE}/classes/{}/results?limit=1", d.class_id(0, 0));
    let results_before = api.get(&class_results).await.total_count();

    // Extra credit and exempt kept as sent; the result is in its class's lists.
    let body = json!({"result": result(&d, "lms-essay", 104.5, "exempt")});
    assert_eq!(put("/results/lms-r1".into(), body).await.status, 201);
    assert_eq!(api.get(&class_results).await.total_count(), results_before + 1, "the class counts its new result");
    let kept = api.call(Service::Gradebook, "getResult", "/results/lms-r1").await.body["result"].clone();
    assert_eq!((&kept["score"], &kept["scoreStatus"], &kept["comment"]), (&json!(104.5), &json!("exempt"), &json!("")));
    let path = format!("/classes/{}/students/{}/results", d.class_id(0, 0), d.class_students(0, 0)[0]);
    assert!(walk(&api, "getResultsForStudentForClass", &path).await.contains(&"lms-r1".to_owned()));

    // 422s name the property and store nothing; not JSON is 400.
    let mut missing = line_item(&d, "lms-bad", "Bad");
    missing["lineItem"].as_object_mut().unwrap().remove("dueDate");
    let mut bad_enum = json!({"result": result(&d, "lms-essay", 1.0, "graded")});
    bad_enum["result"]["sourcedId"] = json!("lms-bad");
    let mut unknown_class = line_item(&d, "lms-bad", "Bad");
    unknown_class["lineItem"]["class"]["sourcedId"] = json!("no-such-class");
    for (path, body, names) in [
        ("/lineItems/lms-bad", missing, "dueDate"),
        ("/results/lms-bad", bad_enum, "scoreStatus"),
        ("/lineItems/lms-bad", unknown_class, "no-such-class"),
        ("/lineItems/lms-other", line_item(&d, "lms-bad", "Bad"), "sourcedId"),
    ] {
        let reply = put(path.into(), body).await;
        assert_eq!((reply.status, reply.code_minor()), (422, "invaliddata"), "{path}: {}", reply.body);
        assert!(reply.body["imsx_description"].as_str().unwrap().contains(names), "{}", reply.body);
        assert_matches_schema(Service::Gradebook, "imsx_StatusInfoDType", &reply.body);
    }
    let not_json = api.send_json("PUT", &format!("{BASE}/lineItems/lms-bad"), "{title:").await;
    assert_eq!(not_json.status, 400);
    assert_eq!(api.get(&format!("{BASE}/lineItems/lms-bad")).await.status, 404, "nothing stored");

    // POST: supplied ids kept, a taken one replaced by a new one.
    let posted = api
        .send_json(
            "POST",
            &format!("{BASE}/lineItems/lms-essay/results"),
            &json!({"results": [merge(result(&d, "lms-essay", 80.0, "fully graded"), "lms-r2")]}).to_string(),
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    assert_matches_schema(Service::Gradebook, "GUIDPairSetDType", &posted.body);
    assert_eq!(posted.body["sourcedIdPairs"][0]["allocatedSourcedId"], "lms-r2");
    let taken = api
        .send_json(
            "POST",
            &format!("{BASE}/lineItems/lms-essay/results"),
            &json!({"results": [merge(result(&d, "lms-essay", 70.0, "fully graded"), "lms-r1")]}).to_string(),
        )
        .await;
    assert_eq!(taken.status, 201, "{}", taken.body);
    let allocated = taken.body["sourcedIdPairs"][0]["allocatedSourcedId"].as_str().unwrap().to_owned();
    assert_ne!(allocated, "lms-r1");
    assert_eq!(
        api.call(Service::Gradebook, "getResult", &format!("/results/{allocated}")).await.body["result"]["score"],
        70.0
    );
    assert_eq!(api.call(Service::Gradebook, "getResult", "/results/lms-r1").await.body["result"]["score"], 104.5);

    // DELETE: 204, then 404 and gone from lists; the change feed still shows the tombstone.
    let before = api.get(&format!("{BASE}/results?limit=1")).await.total_count();
    let class_before = api.get(&class_results).await.total_count();
    let deleted = api.send_json("DELETE", &format!("{BASE}/results/lms-r2"), "").await;
    assert_eq!(deleted.status, 204);
    assert_eq!(api.get(&class_results).await.total_count(), class_before - 1, "and no longer counts it");
    assert_eq!(api.get(&format!("{BASE}/results/lms-r2")).await.status, 404);
    assert_eq!(api.send_json("DELETE", &format!("{BASE}/results/lms-r2"), "").await.status, 404);
    assert!(!walk(&api, "getAllResults", "/results").await.contains(&"lms-r2".to_owned()));
    assert!(!walk(
        &api,
        "getResultsForLineItemForClass",
        &format!("/classes/{}/lineItems/lms-essay/results", d.class_id(0, 0))
    )
    .await
    .contains(&"lms-r2".to_owned()));
    assert_eq!(api.get(&format!("{BASE}/results?limit=1")).await.total_count(), before - 1);
    let feed = api.get(&format!("{BASE}/results?filter=dateLastModified%3E'2026-01-01T00:00:00Z'&limit=1000")).await;
    let tombstone = feed.body["results"].as_array().unwrap().iter().find(|r| r["sourcedId"] == "lms-r2").cloned();
    assert_eq!(tombstone.expect("the tombstone is in the change feed")["status"], "tobedeleted");

    // The SIS's next bulk does not carry the LMS's records: they stay; its own stay too.
    let job = ingest(&stack, &tenant("gradebook-b"), "bulk-2.zip", bulk_zip(&d)).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    // A delta of a part file drops one objective of one line item, and changes nothing else.
    let item = d.line_item_id(0, 0, 0);
    let objective = District::OBJECTIVES[0];
    let delta = e2e::zip_of(&[
        ("manifest.csv", &district_gen::manifest(&[], &["lineItemLearningObjectiveIds"])),
        (
            "lineItemLearningObjectiveIds.csv",
            &format!(
                "sourcedId,status,dateLastModified,lineItemSourcedId,source,learningObjectiveId\n\
                 lo-{item}-{objective},tobedeleted,2026-11-25T00:00:00.000Z,{item},unknown,{objective}\n"
            ),
        ),
    ]);
    let job = ingest(&stack, &tenant("gradebook-b"), "delta.zip", delta).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    let changed = api.call(Service::Gradebook, "getLineItem", &format!("/lineItems/{item}")).await;
    let expected = json!([{"source": "unknown", "learningObjectiveIds": [District::OBJECTIVES[1]]}]);
    assert_eq!(changed.body["lineItem"]["learningObjectiveSet"], expected);
    let other = api.call(Service::Gradebook, "getLineItem", &format!("/lineItems/{}", d.line_item_id(0, 0, 1))).await;
    assert_eq!(other.body["lineItem"]["learningObjectiveSet"][0]["learningObjectiveIds"], json!(District::OBJECTIVES));

    let essay = api.call(Service::Gradebook, "getLineItem", "/lineItems/lms-essay").await;
    assert_eq!(essay.body["lineItem"]["status"], "active");
    assert_eq!(api.call(Service::Gradebook, "getResult", "/results/lms-r1").await.body["result"]["status"], "active");
}

/// A result body with its sourcedId.
fn merge(mut result: Value, id: &str) -> Value {
    result["sourcedId"] = json!(id);
    result
}

#[tokio::test]
async fn writes_need_their_scopes() {
    let (stack, api, d) = loaded("gradebook-c").await;
    let t = tenant("gradebook-c");
    let scopes = |s: &str| oneroster_auth::Scopes::parse(s).unwrap();
    let reader = Api::with_scopes(&stack, &t, &scopes("gradebook.readonly")).await;
    let writer = Api::with_scopes(&stack, &t, &scopes("gradebook.createput")).await;
    let body = line_item(&d, "lms-x", "X").to_string();
    let path = format!("{BASE}/lineItems/lms-x");
    let refused = reader.send_json("PUT", &path, &body).await;
    assert_eq!((refused.status, refused.code_minor()), (403, "forbidden"));
    assert_eq!(writer.send_json("PUT", &path, &body).await.status, 201);
    assert_eq!(writer.send_json("DELETE", &path, "").await.status, 403, "deleting needs gradebook.delete");
    let post = writer.send_json("POST", &format!("{BASE}/classes/{}/lineItems", d.class_id(0, 0)), "{}").await;
    assert_eq!(post.status, 403, "posting needs gradebook.createpost");
    assert_eq!(api.send_json("DELETE", &path, "").await.status, 204);
    assert_eq!(reader.get(&path).await.status, 404);
}

#[tokio::test]
async fn concurrent_writes_of_one_record_leave_one_whole_body() {
    let (_stack, api, d) = loaded("gradebook-d").await;
    let classes = [d.class_id(0, 0), d.class_id(0, 1)];
    let mut writers = tokio::task::JoinSet::new();
    for i in 0..12 {
        let mut body = line_item(&d, "race", &format!("Writer {i}"));
        body["lineItem"]["class"]["sourcedId"] = json!(classes[i % 2]);
        let api = api.clone();
        writers.spawn(async move { api.send_json("PUT", &format!("{BASE}/lineItems/race"), &body.to_string()).await });
    }
    let mut created = 0;
    while let Some(reply) = writers.join_next().await {
        let reply = reply.expect("a writer");
        assert!(matches!(reply.status, 200 | 201 | 429), "{}: {}", reply.status, reply.body);
        created += usize::from(reply.status == 201);
    }
    assert_eq!(created, 1, "one writer created the record, the others replaced it");
    let stored = api.call(Service::Gradebook, "getLineItem", "/lineItems/race").await.body["lineItem"].clone();
    let writer: usize = stored["title"].as_str().unwrap().trim_start_matches("Writer ").parse().unwrap();
    assert_eq!(stored["class"]["sourcedId"], json!(classes[writer % 2]), "title and class come from one body");
    for (i, class) in classes.iter().enumerate() {
        let listed = walk(&api, "getLineItemsForClass", &format!("/classes/{class}/lineItems")).await;
        assert_eq!(listed.contains(&"race".to_owned()), i == writer % 2, "{class}: entries follow the body");
    }
}

#[tokio::test]
async fn bad_gradebook_files_are_rejected_with_located_errors_and_change_nothing() {
    let (stack, _api, d) = loaded("gradebook-e").await;
    let item = d.line_item_id(0, 0, 0);
    let student = d.student_id(0);
    let delta = e2e::zip_of(&[
        ("manifest.csv", &district_gen::manifest(&[], &["results", "lineItemScoreScales"])),
        (
            "results.csv",
            &format!(
                "sourcedId,status,dateLastModified,lineItemSourcedId,studentSourcedId,scoreStatus,score,scoreDate,comment,textScore,classSourcedId,inProgress,incomplete,late,missing\n\
                 new-r1,active,2026-11-25T00:00:00.000Z,{item},{student},graded,90,2026-11-20,,,,,,,\n\
                 new-r2,active,2026-11-25T00:00:00.000Z,{item},{student},submitted,ninety,2026-11-20,,,,,,,\n\
                 new-r3,active,2026-11-25T00:00:00.000Z,no-such-item,{student},submitted,90,2026-11-20,,,,,,,\n"
            ),
        ),
        (
            "lineItemScoreScales.csv",
            &format!(
                "sourcedId,status,dateLastModified,title,lineItemSourcedId,scoreScaleSourcedId\n\
                 lss-new,active,2026-11-25T00:00:00.000Z,,{item},no-such-scale\n"
            ),
        ),
    ]);
    let job =
        crate::ingest::assert_rejected_and_nothing_changed(&stack, &tenant("gradebook-e"), "bad.zip", delta).await;
    let errors = job.errors.join("\n");
    for expected in [
        "results.csv:2 scoreStatus: 'graded' is not one of",
        "results.csv:3 score: 'ninety' is not a number",
        "results.csv:4 lineItemSourcedId: 'no-such-item' is neither in this package",
        "lineItemScoreScales.csv:2 scoreScaleSourcedId: 'no-such-scale' is neither",
    ] {
        assert!(errors.contains(expected), "{expected} in:\n{errors}");
    }
}

#[tokio::test]
async fn assessments_score_scales_and_categories_are_written_read_and_deleted() {
    let (_stack, api, d) = loaded("gradebook-f").await;
    let put = |path: &str, body: Value| {
        let api = api.clone();
        let path = format!("{BASE}{path}");
        async move { api.send_json("PUT", &path, &body.to_string()).await }
    };
    let class = json!({"href": "x", "sourcedId": d.class_id(0, 0), "type": "class"});
    let scale = json!({"scoreScale": {
        "title": "Pass/fail", "type": "passfail", "class": class,
        "scoreScaleValue": [{"itemValueLHS": "Pass", "itemValueRHS": "50"}]
    }});
    assert_eq!(put("/scoreScales/lms-pf", scale).await.status, 201);
    let assessment = json!({"assessmentLineItem": {
        "title": "State test", "class": class, "resultValueMax": 400.0,
        "scoreScale": {"href": "x", "sourcedId": "lms-pf", "type": "scoreScale"}
    }});
    assert_eq!(put("/assessmentLineItems/lms-state", assessment).await.status, 201);
    let outcome = json!({"assessmentResult": {
        "assessmentLineItem": {"href": "x", "sourcedId": "lms-state", "type": "assessmentLineItem"},
        "student": {"href": "x", "sourcedId": d.student_id(0), "type": "user"},
        "score": 388.0, "scorePercentile": 97.5, "scoreDate": "2026-05-01", "scoreStatus": "fully graded"
    }});
    assert_eq!(put("/assessmentResults/lms-state-0", outcome).await.status, 201);
    let unknown = json!({"assessmentResult": {
        "assessmentLineItem": {"href": "x", "sourcedId": "no-such-test", "type": "assessmentLineItem"},
        "student": {"href": "x", "sourcedId": d.student_id(0), "type": "user"},
        "scoreDate": "2026-05-01", "scoreStatus": "submitted"
    }});
    let refused = put("/assessmentResults/lms-state-1", unknown).await;
    assert_eq!((refused.status, refused.code_minor()), (422, "invaliddata"));

    let read = api.call(Service::Gradebook, "getAssessmentResult", "/assessmentResults/lms-state-0").await;
    assert_eq!(read.body["assessmentResult"]["scorePercentile"], 97.5);
    let item = api.call(Service::Gradebook, "getAssessmentLineItem", "/assessmentLineItems/lms-state").await;
    assert_eq!(item.body["assessmentLineItem"]["scoreScale"]["sourcedId"], "lms-pf");
    assert_eq!(walk(&api, "getAllAssessmentLineItems", "/assessmentLineItems").await, ["lms-state"]);
    assert_eq!(walk(&api, "getAllAssessmentResults", "/assessmentResults").await, ["lms-state-0"]);
    let scales = walk(&api, "getScoreScalesForClass", &format!("/classes/{}/scoreScales", d.class_id(0, 0))).await;
    assert_eq!(scales, sorted(vec![d.score_scale_id(0, 0), "lms-pf".to_owned()]));
    let school = walk(&api, "getScoreScalesForSchool", &format!("/schools/{}/scoreScales", d.school_id(0))).await;
    assert!(school.contains(&"lms-pf".to_owned()), "a score scale belongs to its class's school");

    for path in [
        "/assessmentResults/lms-state-0",
        "/assessmentLineItems/lms-state",
        "/scoreScales/lms-pf",
        "/categories/cat-quiz",
    ] {
        assert_eq!(api.send_json("DELETE", &format!("{BASE}{path}"), "").await.status, 204, "{path}");
        assert_eq!(api.get(&format!("{BASE}{path}")).await.status, 404, "{path}");
    }
    assert!(walk(&api, "getAllAssessmentResults", "/assessmentResults").await.is_empty());
    let scales = walk(&api, "getScoreScalesForClass", &format!("/classes/{}/scoreScales", d.class_id(0, 0))).await;
    assert_eq!(scales, vec![d.score_scale_id(0, 0)]);
}

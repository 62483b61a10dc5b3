//! The Resources API as a learning app uses it, over a district whose package carries the four
//! resources files: every route against the package, paging, unknown parents, and a delta
//! that removes one class's link to a resource.

use e2e::{assert_matches_schema, delta_zip, ingest, loaded, tenant, Api};
use oneroster_openapi::Service;
use oneroster_store::JobState;

const BASE: &str = "/ims/oneroster/resources/v1p2";

async fn walk(api: &Api, operation_id: &str, path: &str) -> Vec<String> {
    api.walk_ids(Service::Resources, operation_id, path).await
}

#[tokio::test]
async fn every_route_answers_as_the_package_says() {
    let (_stack, api, d) = loaded("resources-a").await;

    assert_eq!(walk(&api, "getAllResources", "/resources").await, d.resource_ids());
    let app = api.call(Service::Resources, "getResource", &format!("/resources/{}", d.app_id(2))).await;
    let resource = &app.body["resource"];
    assert_eq!(
        (&resource["vendorResourceId"], &resource["roles"], &resource["importance"], &resource["status"]),
        (&"APP-2".into(), &serde_json::json!(["student", "teacher"]), &"secondary".into(), &"active".into())
    );

    for school in 0..d.schools {
        for class in 0..d.classes_per_school {
            let path = format!("/classes/{}/resources", d.class_id(school, class));
            assert_eq!(walk(&api, "getResourcesForClass", &path).await, d.class_resources(school, class), "{path}");
        }
        for course in 0..district_gen::COURSES_PER_SCHOOL {
            let path = format!("/courses/{}/resources", d.course_id(school, course));
            assert_eq!(walk(&api, "getResourcesForCourse", &path).await, d.course_resources(school, course), "{path}");
        }
    }
    for student in [0, 1, 10, 11] {
        let path = format!("/users/{}/resources", d.student_id(student));
        assert_eq!(walk(&api, "getResourcesForUser", &path).await, d.student_resources(student), "{path}");
    }
    let path = format!("/users/{}/resources", d.teacher_id(3));
    assert_eq!(walk(&api, "getResourcesForUser", &path).await, d.teacher_resources(3));

    // Paging one record at a time through a relation, as through the collection.
    let class = d.class_id(0, 3);
    let first = api.get(&format!("{BASE}/classes/{class}/resources?limit=1")).await;
    assert_eq!((first.total_count(), first.ids("resources").len()), (2, 1));
    let second = api.get(&first.link("next").expect("a next page")).await;
    assert_eq!([first.ids("resources"), second.ids("resources")].concat(), d.class_resources(0, 3));
    let filtered = api.get(&format!("{BASE}/resources?filter=importance%3D'primary'&fields=sourcedId,title")).await;
    assert_eq!(filtered.total_count(), (d.schools * district_gen::COURSES_PER_SCHOOL) as u64);
    assert_eq!(filtered.body["resources"][0].as_object().map(|o| o.len()), Some(2));

    // Unknown ids and parents: 404 unknownobject; the pre-split base and discovery work.
    for path in ["/resources/nope", "/classes/nope/resources", "/courses/nope/resources", "/users/nope/resources"] {
        let reply = api.get(&format!("{BASE}{path}")).await;
        assert_eq!((reply.status, reply.code_minor()), (404, "unknownobject"), "{path}");
        assert_matches_schema(Service::Resources, "imsx_StatusInfoDType", &reply.body);
    }
    let alias = api.get(&format!("/ims/oneroster/v1p2/classes/{class}/resources")).await;
    assert_eq!(alias.body, api.get(&format!("{BASE}/classes/{class}/resources")).await.body);
    assert_eq!(api.get(&format!("{BASE}/discovery/")).await.body, *Service::Resources.discovery());
}

#[tokio::test]
async fn resources_need_a_resources_scope() {
    let (stack, _api, _d) = loaded("resources-b").await;
    let roster_only = oneroster_auth::Scopes::parse("https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly")
        .expect("a scope");
    let api = Api::with_scopes(&stack, &tenant("resources-b"), &roster_only).await;
    let reply = api.get(&format!("{BASE}/resources")).await;
    assert_eq!((reply.status, reply.code_minor()), (403, "forbidden"));
    let core = oneroster_auth::Scopes::parse("https://purl.imsglobal.org/spec/or/v1p2/scope/resource-core.readonly")
        .expect("a scope");
    let api = Api::with_scopes(&stack, &tenant("resources-b"), &core).await;
    assert_eq!(api.get(&format!("{BASE}/resources")).await.status, 200);
    assert_eq!(api.get(&format!("{BASE}/classes/cls-0000-0000/resources")).await.status, 403);
}

#[tokio::test]
async fn a_deleted_class_link_leaves_the_class_and_nothing_else() {
    let (stack, api, d) = loaded("resources-c").await;
    let class = d.class_id(0, 0);
    let app = d.app_id(0);
    let before_user = walk(&api, "getResourcesForUser", &format!("/users/{}/resources", d.teacher_id(0))).await;
    let before_course = walk(&api, "getResourcesForCourse", &format!("/courses/{}/resources", d.course_id(0, 0))).await;
    let job = ingest(&stack, &tenant("resources-c"), "delta.zip", delta_zip(&d, 2)).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);

    let now: Vec<String> = d.class_resources(0, 0).into_iter().filter(|r| *r != app).collect();
    assert_eq!(walk(&api, "getResourcesForClass", &format!("/classes/{class}/resources")).await, now);
    // The resource itself stays, active, and so do its other links.
    let resource = api.call(Service::Resources, "getResource", &format!("/resources/{app}")).await;
    assert_eq!(resource.body["resource"]["status"], "active");
    assert_eq!(walk(&api, "getAllResources", "/resources").await, d.resource_ids());
    let other = d.class_id(0, 4);
    assert_eq!(
        walk(&api, "getResourcesForClass", &format!("/classes/{other}/resources")).await,
        d.class_resources(0, 4)
    );
    assert_eq!(walk(&api, "getResourcesForUser", &format!("/users/{}/resources", d.teacher_id(0))).await, before_user);
    assert_eq!(
        walk(&api, "getResourcesForCourse", &format!("/courses/{}/resources", d.course_id(0, 0))).await,
        before_course
    );
}

//! The change events feed end to end: uploads and API writes change records, DynamoDB Local's
//! stream is read into the events function (`LocalStack::settle_changes`),
//! and the feed (`GET /ims/oneroster/events/v1p2/events`) serves exactly the events of each
//! change, none for a bulk that changes nothing, pages that lose and repeat nothing, and only
//! what a client's sharing rules let it see; every answer matches the feed's OpenAPI file.

use admin::SharingChange;
use e2e::{
    bulk_zip, delta_zip, feed_scopes, ingest, stack, stack_with_changes, tenant, tiny_district, zip_of, Api, Reply,
    HOST,
};
use local_server::LocalStack;
use oneroster_http::serving::Serving;
use oneroster_model::{TenantId, Timestamp};
use oneroster_store::{Author, ChangeEvent, EventAction, JobState};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

const FEED: &str = "/ims/oneroster/events/v1p2/events";
const ROSTERING: &str = "/ims/oneroster/rostering/v1p2";

/// `api`'s client over a router whose feed does not wait for events to settle: each test
/// stores its events (one stream round after another) before it reads them.
fn settled(stack: &LocalStack, api: &Api) -> Api {
    let serving = Serving::at(format!("http://{HOST}")).with_events_settle(Duration::ZERO);
    Api::over(stack.api_serving(serving)).with_bearer(api.bearer().expect("a token"))
}

/// Reads the table's stream into the events function until every change made so far is
/// stored as events.
async fn store_events(stack: &LocalStack) {
    stack.settle_changes(Duration::from_secs(120)).await.expect("the stream is read");
}

/// Checks `body` against schema `name` of the feed's OpenAPI file.
fn assert_matches(name: &str, body: &Value) {
    let components = oneroster_openapi::events::document()["components"].clone();
    let schema = json!({"$ref": format!("#/components/schemas/{name}"), "components": components});
    let validator = jsonschema::validator_for(&schema).expect("the feed's schemas compile");
    let errors: Vec<String> = validator.iter_errors(body).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}\n{body}");
}

/// One page of the feed after `after`, checked against the OpenAPI file.
async fn page(api: &Api, query: &str) -> Reply {
    let reply = api.get(&format!("{FEED}?{query}")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_matches("EventSetDType", &reply.body);
    reply
}

/// Every event after `after` (`None`: from the oldest), page by page; and the cursor after them.
async fn events_after(api: &Api, after: Option<&str>, extra: &str) -> (Vec<ChangeEvent>, String) {
    let mut events = Vec::new();
    let mut cursor = after.map(str::to_owned);
    loop {
        let after = cursor.as_ref().map(|c| format!("after={c}&")).unwrap_or_default();
        let reply = page(api, &format!("{after}limit=500{extra}")).await;
        let read: Vec<ChangeEvent> = serde_json::from_value(reply.body["events"].clone()).expect("events");
        let next = reply.body["next"].as_str().expect("a cursor").to_owned();
        let done = read.is_empty();
        events.extend(read);
        if done {
            return (events, next);
        }
        cursor = Some(next);
    }
}

/// The events by (collection, action), counted.
fn counted(events: &[ChangeEvent]) -> BTreeMap<(String, EventAction), usize> {
    let mut counts = BTreeMap::new();
    for event in events {
        *counts.entry((event.collection.clone(), event.action)).or_default() += 1;
    }
    counts
}

fn key(collection: &str, action: EventAction) -> (String, EventAction) {
    (collection.to_owned(), action)
}

/// A tenant holding a tiny district, its events stored, an API client holding the feed's
/// scope (over the unsettled feed), and the cursor after the first load's events.
async fn loaded(name: &str) -> (LocalStack, TenantId, Api, district_gen::District, String) {
    let stack = stack_with_changes().await;
    let t = tenant(name);
    let district = tiny_district();
    let job = Box::pin(ingest(&stack, &t, "bulk.zip", bulk_zip(&district))).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    store_events(&stack).await;
    let api = settled(&stack, &Api::with_scopes(&stack, &t, &feed_scopes()).await);
    let (first, cursor) = events_after(&api, None, "").await;
    assert!(first.iter().all(|e| e.action == EventAction::Created), "a first load only creates");
    assert!(first.iter().all(|e| e.by == Author::Job(job.id.clone())), "every event names the job");
    assert_eq!(
        counted(&first)[&key("users", EventAction::Created)],
        district.write_bulk(std::io::Cursor::new(Vec::new())).expect("bulk").of("users.csv") as usize
    );
    (stack, t.id().clone(), api, district, cursor)
}

#[tokio::test]
async fn a_delta_an_api_put_and_an_api_delete_each_make_exactly_their_events() {
    Box::pin(exactly_their_events()).await;
}

async fn exactly_their_events() {
    let (stack, t, api, district, cursor) = Box::pin(loaded("events-exact")).await;

    // The same bulk again changes nothing, so it makes no event.
    let again = Box::pin(ingest(&stack, &t, "bulk-again.zip", bulk_zip(&district))).await;
    assert_eq!(again.state, JobState::Applied, "{:#?}", again.errors);
    store_events(&stack).await;
    let (none, cursor) = events_after(&api, Some(&cursor), "").await;
    assert_eq!(none, Vec::new(), "an unchanged bulk makes no event");

    // A delta: two students' e-mails, a dropped enrollment, a newcomer with an enrollment, a
    // class's app link dropped.
    let delta = Box::pin(ingest(&stack, &t, "delta.zip", delta_zip(&district, 2))).await;
    assert_eq!(delta.state, JobState::Applied, "{:#?}", delta.errors);
    store_events(&stack).await;
    let (events, cursor) = events_after(&api, Some(&cursor), "").await;
    let expected = BTreeMap::from([
        (key("users", EventAction::Updated), 2),
        (key("users", EventAction::Created), 1),
        (key("enrollments", EventAction::Deleted), 1),
        (key("enrollments", EventAction::Created), 1),
        (key("classResources", EventAction::Deleted), 1),
    ]);
    assert_eq!(counted(&events), expected, "{events:#?}");
    for event in events.iter().filter(|e| e.action == EventAction::Updated) {
        assert_eq!(event.changed, ["email"], "{event:?}");
    }
    assert!(events.iter().all(|e| e.by == Author::Job(delta.id.clone()) && e.tenant == t.as_str()));

    // An API PUT that changes a name.
    let writer = settled(&stack, &Api::with_scopes(&stack, &t, &feed_scopes()).await);
    let student = district.student_id(5);
    let mut user = writer.get(&format!("{ROSTERING}/users/{student}")).await.body["user"].clone();
    user["givenName"] = json!("Renamed");
    let put =
        writer.send_json("PUT", &format!("{ROSTERING}/users/{student}"), &json!({ "user": user }).to_string()).await;
    assert_eq!(put.status, 200, "{}", put.body);
    store_events(&stack).await;
    let (events, cursor) = events_after(&api, Some(&cursor), "").await;
    assert_eq!(events.len(), 1, "{events:#?}");
    let event = &events[0];
    assert_eq!(
        (event.collection.as_str(), event.sourced_id.as_str(), event.action),
        ("users", student.as_str(), EventAction::Updated)
    );
    assert_eq!(event.changed, ["givenName"]);
    assert!(matches!(&event.by, Author::Client(client) if client.starts_with(t.as_str())), "{event:?}");

    // An API DELETE of an active enrollment (the delta marked one `tobedeleted`: deleting it
    // again would change nothing, and make no event).
    let active = format!("{ROSTERING}/enrollments?filter=status%3D%27active%27&limit=1");
    let enrollment = writer.get(&active).await.ids("enrollments")[0].clone();
    assert_eq!(writer.delete(&format!("{ROSTERING}/enrollments/{enrollment}")).await.status, 204);
    store_events(&stack).await;
    let (events, _) = events_after(&api, Some(&cursor), "").await;
    let deleted: Vec<(&str, &str, EventAction)> =
        events.iter().map(|e| (e.collection.as_str(), e.sourced_id.as_str(), e.action)).collect();
    assert_eq!(deleted, [("enrollments", enrollment.as_str(), EventAction::Deleted)]);
}

#[tokio::test]
async fn a_users_role_change_is_an_event_of_the_user() {
    Box::pin(role_change()).await;
}

async fn role_change() {
    let (stack, t, api, district, cursor) = Box::pin(loaded("events-roles")).await;
    let (student, school) = (district.student_id(0), district.school_id(district.school_of_student(0)));
    let roles = format!(
        "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId\n\
         role-{student},active,2026-11-25T00:00:00.000Z,{student},primary,student,2026-09-01,,{school},\n"
    );
    let manifest = district_gen::manifest(&[], &["roles"]);
    let package = zip_of(&[("manifest.csv", &manifest), ("roles.csv", &roles)]);
    let job = Box::pin(ingest(&stack, &t, "roles.zip", package)).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    store_events(&stack).await;
    let (events, _) = events_after(&api, Some(&cursor), "").await;
    let seen: Vec<(&str, &str, EventAction, Vec<String>)> =
        events.iter().map(|e| (e.collection.as_str(), e.sourced_id.as_str(), e.action, e.changed.clone())).collect();
    assert_eq!(seen, [("users", student.as_str(), EventAction::Updated, vec!["roles".to_owned()])]);
}

#[tokio::test]
async fn paging_ten_thousand_events_loses_and_repeats_nothing() {
    let stack = stack().await;
    let t = tenant("events-paging");
    e2e::register(&stack, &t).await;
    let written: Vec<ChangeEvent> = (0..10_000)
        .map(|i| ChangeEvent {
            id: format!("{i:032x}"),
            time: Timestamp::now(),
            tenant: t.to_string(),
            collection: "users".into(),
            sourced_id: format!("u-{i}"),
            action: EventAction::Created,
            changed: vec!["givenName".into()],
            by: Author::Job("j-paging".into()),
        })
        .collect();
    // Stored from four writers at once, as concurrent stream shards store them.
    let store = stack.store().clone();
    let writers = written.chunks(2_500).map(|chunk| {
        let (store, t, chunk) = (store.clone(), t.clone(), chunk.to_vec());
        tokio::spawn(async move { store.tenant(&t).events().store(&chunk).await })
    });
    for writer in futures::future::join_all(writers).await {
        writer.expect("a writer").expect("events stored");
    }
    let api = settled(&stack, &Api::with_scopes(&stack, &t, &feed_scopes()).await);
    let mut first: Vec<String> = Vec::new();
    for limit in [1000, 997] {
        let (mut ids, mut cursor, mut pages) = (Vec::new(), None::<String>, 0);
        loop {
            let after = cursor.as_ref().map(|c| format!("after={c}&")).unwrap_or_default();
            let reply = api.get(&format!("{FEED}?{after}limit={limit}")).await;
            assert_eq!(reply.status, 200, "{}", reply.body);
            let read = reply.body["events"].as_array().expect("events").clone();
            assert!(read.len() <= limit);
            if read.is_empty() {
                break;
            }
            ids.extend(read.iter().map(|e| e["id"].as_str().expect("an id").to_owned()));
            cursor = reply.body["next"].as_str().map(str::to_owned);
            pages += 1;
        }
        assert_eq!(pages, 10_000usize.div_ceil(limit), "limit {limit}");
        let distinct: BTreeSet<&String> = ids.iter().collect();
        assert_eq!((ids.len(), distinct.len()), (10_000, 10_000), "limit {limit}: none lost, none repeated");
        let all: BTreeSet<&String> = written.iter().map(|e| &e.id).collect();
        assert_eq!(distinct, all);
        first = ids;
    }
    // One event a page, across the eight shards events are kept in: the same order.
    let mut cursor = None::<String>;
    for (nth, expected) in first.iter().take(40).enumerate() {
        let after = cursor.as_ref().map(|c| format!("after={c}&")).unwrap_or_default();
        let reply = api.get(&format!("{FEED}?{after}limit=1")).await;
        assert_eq!(reply.body["events"][0]["id"].as_str(), Some(expected.as_str()), "event {nth}");
        cursor = reply.body["next"].as_str().map(str::to_owned);
    }
}

#[tokio::test]
async fn the_feed_checks_its_parameters_and_scope_and_filters_by_collection() {
    Box::pin(parameters()).await;
}

async fn parameters() {
    let (stack, t, api, district, cursor) = Box::pin(loaded("events-params")).await;
    let delta = Box::pin(ingest(&stack, &t, "delta.zip", delta_zip(&district, 2))).await;
    assert_eq!(delta.state, JobState::Applied, "{:#?}", delta.errors);
    store_events(&stack).await;
    let (only, _) = events_after(&api, Some(&cursor), "&collections=enrollments,classResources").await;
    let collections: BTreeSet<&str> = only.iter().map(|e| e.collection.as_str()).collect();
    assert_eq!(collections, BTreeSet::from(["enrollments", "classResources"]));
    assert_eq!(only.len(), 3);

    for bad in ["after=yesterday", "limit=0", "limit=5000", "collections=pupils", "filter=x", "after=1&after=2"] {
        let reply = api.get(&format!("{FEED}?{bad}")).await;
        assert_eq!(reply.status, 400, "{bad}: {}", reply.body);
        assert_matches("imsx_StatusInfoDType", &reply.body);
    }
    let without = settled(&stack, &Api::with_scopes(&stack, &t, &e2e::writer_scopes()).await);
    let refused = without.get(FEED).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_matches("imsx_StatusInfoDType", &refused.body);
    assert_eq!(Api::anonymous(&stack).get(FEED).await.status, 401);

    let discovery = Api::anonymous(&stack).get("/ims/oneroster/events/v1p2/discovery").await;
    assert_eq!(discovery.status, 200);
    assert_eq!(&discovery.body, oneroster_openapi::events::document());
}

#[tokio::test]
async fn a_client_limited_by_sharing_rules_sees_only_what_it_is_shared() {
    Box::pin(sharing()).await;
}

async fn sharing() {
    let (stack, t, _, district, cursor) = Box::pin(loaded("events-sharing")).await;
    let change = SharingChange {
        schools: Some(district.school_id(0)),
        collections: Some("users,enrollments".into()),
        hide_fields: Some("email".into()),
        ..SharingChange::default()
    };
    let (limited, _) = Api::shared(&stack, &t, &feed_scopes(), change).await;
    let limited = settled(&stack, &limited);
    let delta = Box::pin(ingest(&stack, &t, "delta.zip", delta_zip(&district, 40))).await;
    assert_eq!(delta.state, JobState::Applied, "{:#?}", delta.errors);
    store_events(&stack).await;
    let (events, _) = events_after(&limited, Some(&cursor), "").await;
    assert!(!events.is_empty());
    let school = district.school_id(0);
    let operator = tenant("events-sharing");
    for event in &events {
        assert!(["users", "enrollments"].contains(&event.collection.as_str()), "{event:?}");
        assert!(!event.changed.iter().any(|name| name == "email"), "{event:?}");
        let collection = oneroster_model::Collection::from_name(&event.collection).expect("a collection");
        let ids = [event.sourced_id.clone()];
        let stored = stack.store().tenant(&operator).records().get_many(collection, &ids).await.expect("read");
        let body = stored.first().map(|record| record.body.clone()).unwrap_or_default();
        assert!(body.contains(&school), "{} {} is of school 0: {body}", event.collection, event.sourced_id);
    }
    // The e-mail changes alone are not news to a client not shared e-mails.
    assert!(events.iter().all(|e| e.action != EventAction::Updated), "{events:#?}");
}

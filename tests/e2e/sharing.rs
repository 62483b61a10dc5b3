//! What a district shares with each app (`oneroster-admin client create|update --schools
//! --hide-fields --collections --under-13`), as the apps see it through every service: a
//! one-school client, hidden fields, a client limited to some collections, the under-13 rule
//! and consent, and an API key held to the same rules.

use admin::SharingChange;
use e2e::{ids, loaded, register, stack_with, tenant, Api};
use local_server::LocalStack;
use oneroster_auth::Scopes;
use serde_json::json;
use std::collections::BTreeSet;
use std::time::Duration;

const R: &str = "/ims/oneroster/rostering/v1p2";
const G: &str = "/ims/oneroster/gradebook/v1p2";
const RES: &str = "/ims/oneroster/resources/v1p2";

/// A client of `t` with every scope and the rules `change` sets, and its id.
async fn shared_client(stack: &LocalStack, t: &oneroster_model::TenantId, change: SharingChange) -> (Api, String) {
    Api::shared(stack, t, &Scopes::all(), change).await
}

fn set(ids: Vec<String>) -> BTreeSet<String> {
    ids.into_iter().collect()
}

#[tokio::test]
async fn a_one_school_client_sees_its_school_on_every_service_and_nothing_of_the_other() {
    // Boxed: the steps' futures together pass a test thread's stack.
    Box::pin(a_one_school_client_sees_its_school_on_every_service_and_nothing_of_the_other_steps()).await;
}

async fn a_one_school_client_sees_its_school_on_every_service_and_nothing_of_the_other_steps() {
    let (stack, full, d) = Box::pin(loaded("sharing-schools")).await;
    let t = tenant("sharing-schools");
    let (mine, theirs) = (d.school_id(0), d.school_id(1));
    let change = SharingChange { schools: Some(mine.clone()), ..SharingChange::default() };
    let (api, id) = shared_client(&stack, &t, change).await;
    let shown = admin::shown(&admin::get_client(stack.store(), &id).await.expect("the client"));
    assert_eq!(shown["sharing"]["schools"], json!([mine]), "{shown}");

    // Lists: what the school's own routes list, counted alike.
    for (all, of_school, key) in [
        ("/classes", format!("/schools/{mine}/classes"), "classes"),
        ("/enrollments", format!("/schools/{mine}/enrollments"), "enrollments"),
        ("/students", format!("/schools/{mine}/students"), "users"),
        ("/teachers", format!("/schools/{mine}/teachers"), "users"),
        ("/courses", format!("/schools/{mine}/courses"), "courses"),
    ] {
        let expected = set(ids(&full.walk(&format!("{R}{of_school}"), key).await));
        assert!(!expected.is_empty(), "{of_school}");
        let seen = set(ids(&api.walk(&format!("{R}{all}?limit=7"), key).await));
        assert_eq!(seen, expected, "{all}");
        let first = api.get(&format!("{R}{all}?limit=3")).await;
        assert_eq!((first.status, first.total_count()), (200, expected.len() as u64), "{all}");
    }
    // Users: those with a role in the school, the others' absent and their records not found.
    let users = api.walk(&format!("{R}/users"), "users").await;
    let everyone = full.walk(&format!("{R}/users"), "users").await;
    let in_school = |user: &serde_json::Value| {
        user["roles"].as_array().into_iter().flatten().any(|role| role["org"]["sourcedId"] == json!(mine))
    };
    assert_eq!(set(ids(&users)), set(ids(&everyone.iter().filter(|u| in_school(u)).cloned().collect::<Vec<_>>())));
    let other_student = (0..d.students).find(|s| d.school_of_student(*s) == 1).map(|s| d.student_id(s)).expect("one");
    let our_student = (0..d.students).find(|s| d.school_of_student(*s) == 0).map(|s| d.student_id(s)).expect("one");
    // Orgs: the district and the school, not the other school; sessions are everyone's.
    let orgs = set(ids(&api.walk(&format!("{R}/orgs"), "orgs").await));
    assert!(orgs.contains(&d.district_id()) && orgs.contains(&mine) && !orgs.contains(&theirs), "{orgs:?}");
    assert_eq!(
        api.get(&format!("{R}/academicSessions")).await.total_count(),
        full.get(&format!("{R}/academicSessions")).await.total_count()
    );
    let other_class = d.class_id(1, 0);
    for (path, status) in [
        (format!("{R}/schools/{theirs}"), 404),
        (format!("{R}/orgs/{theirs}"), 404),
        (format!("{R}/schools/{mine}"), 200),
        (format!("{R}/orgs/{}", d.district_id()), 200),
        (format!("{R}/classes/{other_class}"), 404),
        (format!("{R}/classes/{}", d.class_id(0, 0)), 200),
        (format!("{R}/users/{other_student}"), 404),
        (format!("{R}/students/{other_student}"), 404),
        (format!("{R}/users/{our_student}"), 200),
        (format!("{R}/demographics/{other_student}"), 404),
        (format!("{R}/demographics/{our_student}"), 200),
        (format!("{R}/schools/{theirs}/classes"), 404),
        (format!("{R}/classes/{other_class}/students"), 404),
        (format!("{R}/schools/{theirs}/classes/{other_class}/students"), 404),
        (format!("{R}/users/{other_student}/classes"), 404),
        (format!("{G}/classes/{other_class}/lineItems"), 404),
        (format!("{G}/lineItems/{}", d.line_item_id(1, 0, 0)), 404),
        (format!("{G}/lineItems/{}", d.line_item_id(0, 0, 0)), 200),
        (format!("{RES}/classes/{other_class}/resources"), 404),
        (format!("/ims/oneroster/v1p1/classes/{other_class}"), 404),
    ] {
        let reply = api.get(&path).await;
        assert_eq!(reply.status, status, "{path}: {}", reply.body);
    }
    // A student's classes are only those of the school.
    let classes = api.walk(&format!("{R}/users/{our_student}/classes"), "classes").await;
    assert!(classes.iter().all(|c| c["school"]["sourcedId"] == json!(mine)));
    // Filters and sorts count only what is seen; the other school's filter finds nothing.
    let filtered = api.get(&format!("{R}/classes?filter=school.sourcedId%3D%27{theirs}%27")).await;
    assert_eq!((filtered.status, filtered.total_count()), (200, 0), "{}", filtered.body);
    let sorted = api.walk(&format!("{R}/users?sort=familyName&limit=50"), "users").await;
    assert_eq!(sorted.len(), users.len());
    // The gradebook: the school's line items and their results only.
    let items = api.walk(&format!("{G}/lineItems"), "lineItems").await;
    assert!(!items.is_empty() && items.iter().all(|i| i["school"]["sourcedId"] == json!(mine)));
    let item_ids = set(ids(&items));
    let results = api.walk(&format!("{G}/results"), "results").await;
    assert!(!results.is_empty());
    assert!(results.iter().all(|r| item_ids.contains(r["lineItem"]["sourcedId"].as_str().unwrap_or_default())));
    // The 1.1 view holds to it as well.
    let v1p1 = set(ids(&api.walk("/ims/oneroster/v1p1/classes", "classes").await));
    assert_eq!(v1p1, set(ids(&full.walk(&format!("{R}/schools/{mine}/classes"), "classes").await)));

    // An API key limited to the other school sees that one.
    let (key, text) = admin::create_api_key(stack.store(), &t, "export", &Scopes::all()).await.expect("a key");
    admin::share_with_key(
        stack.store(),
        &key.id,
        SharingChange { schools: Some(theirs.clone()), ..SharingChange::default() },
    )
    .await
    .expect("rules set");
    let keyed = Api::anonymous(&stack);
    let header = [("x-api-key", text.expose())];
    let classes = keyed.get_with(&format!("{R}/classes?limit=100"), &header, "").await;
    assert_eq!(classes.status, 200);
    assert!(classes.body["classes"]
        .as_array()
        .expect("classes")
        .iter()
        .all(|c| c["school"]["sourcedId"] == json!(theirs)));
    assert_eq!(keyed.get_with(&format!("{R}/classes/{}", d.class_id(0, 0)), &header, "").await.status, 404);
}

#[tokio::test]
async fn hidden_fields_are_absent_from_every_body_and_cannot_be_named() {
    // Boxed: the steps' futures together pass a test thread's stack.
    Box::pin(hidden_fields_are_absent_from_every_body_and_cannot_be_named_steps()).await;
}

async fn hidden_fields_are_absent_from_every_body_and_cannot_be_named_steps() {
    let (stack, writer_api, d) = Box::pin(loaded("sharing-fields")).await;
    let t = tenant("sharing-fields");
    let student = d.student_id(0);
    // An SIS sends a password; the default rule hides it from every client.
    let writer = Api::writer(&stack, &t).await;
    let mut user = writer_api.get(&format!("{R}/users/{student}")).await.body["user"].clone();
    user["password"] = json!("hunter2");
    let put = writer.send_json("PUT", &format!("{R}/users/{student}"), &json!({"user": user}).to_string()).await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert!(put.body["user"].get("password").is_none(), "not even in what the write answers: {}", put.body);

    let change = SharingChange { hide_fields: Some("email,phone,sms".into()), ..SharingChange::default() };
    let (api, _) = shared_client(&stack, &t, change).await;
    let class = d.class_id(0, 0);
    for (path, key) in [
        (format!("{R}/users?limit=500"), "users"),
        (format!("{R}/students?limit=500"), "users"),
        (format!("{R}/classes/{class}/students"), "users"),
        ("/ims/oneroster/v1p1/users?limit=500".to_owned(), "users"),
    ] {
        let reply = api.get(&path).await;
        assert_eq!(reply.status, 200, "{path}");
        let text = reply.raw.iter().map(|b| *b as char).collect::<String>();
        for hidden in ["\"email\"", "\"phone\"", "\"sms\"", "\"password\"", "hunter2"] {
            assert!(!text.contains(hidden), "{path} holds {hidden}");
        }
        assert!(!reply.body[key].as_array().expect("records").is_empty());
    }
    let one = api.get(&format!("{R}/users/{student}")).await;
    assert_eq!(one.status, 200);
    assert!(one.body["user"].get("email").is_none() && one.body["user"].get("givenName").is_some());
    // Naming a hidden field is naming an unknown one: 400, in fields, filter and sort.
    for query in ["fields=sourcedId,email", "filter=email%3D%27x%40y%27", "sort=phone", "filter=password%3D%27x%27"] {
        let reply = api.get(&format!("{R}/users?{query}")).await;
        assert_eq!(reply.status, 400, "{query}: {}", reply.body);
    }
    assert_eq!(api.get(&format!("{R}/users?fields=sourcedId,givenName")).await.status, 200);
    // A client without the rule still sees the email, never the password.
    let plain = writer_api.get(&format!("{R}/users/{student}")).await;
    assert!(plain.body["user"]["email"].is_string() && plain.body["user"].get("password").is_none(), "{}", plain.body);
    // A field every record needs cannot be hidden.
    let (client, _) = e2e::client(&stack, &t, &Scopes::all()).await;
    let refused = admin::share_with_client(
        stack.store(),
        &client.id,
        SharingChange { hide_fields: Some("sourcedId".into()), ..SharingChange::default() },
    )
    .await;
    assert!(matches!(refused, Err(admin::AdminError::BadSetting { .. })), "{refused:?}");
}

#[tokio::test]
async fn a_client_limited_to_collections_is_refused_the_others() {
    let (stack, _, d) = Box::pin(loaded("sharing-collections")).await;
    let t = tenant("sharing-collections");
    let change = SharingChange { collections: Some("classes,courses".into()), ..SharingChange::default() };
    let (api, _) = shared_client(&stack, &t, change).await;
    assert_eq!(api.get(&format!("{R}/classes")).await.status, 200);
    assert_eq!(api.get(&format!("{R}/schools/{}/courses", d.school_id(0))).await.status, 200);
    for path in [
        format!("{R}/users"),
        format!("{R}/demographics"),
        format!("{R}/classes/{}/students", d.class_id(0, 0)),
        format!("{G}/results"),
    ] {
        let reply = api.get(&path).await;
        assert_eq!((reply.status, reply.code_minor()), (403, "forbidden"), "{path}: {}", reply.body);
    }
}

#[tokio::test]
async fn a_childs_identity_fields_are_withheld_until_the_district_records_consent() {
    // Boxed: the steps' futures together pass a test thread's stack.
    Box::pin(a_childs_identity_fields_are_withheld_until_the_district_records_consent_steps()).await;
}

async fn a_childs_identity_fields_are_withheld_until_the_district_records_consent_steps() {
    let recheck = Duration::from_millis(300);
    let stack = stack_with(recheck).await;
    let t = tenant("sharing-coppa");
    register(&stack, &t).await;
    let d = e2e::small_district();
    let job = Box::pin(e2e::ingest(&stack, &t, "bulk.zip", e2e::bulk_zip(&d))).await;
    assert_eq!(job.state, oneroster_store::JobState::Applied);
    let writer = Api::writer(&stack, &t).await;
    let (child, teen) = (d.student_id(0), d.student_id(1));
    // Ten and fourteen today, whatever today is.
    let year = oneroster_model::Timestamp::now().date().0.format("%Y").to_string().parse::<i32>().expect("a year");
    for (student, born) in [(&child, format!("{}-01-01", year - 10)), (&teen, format!("{}-01-01", year - 14))] {
        let body = json!({"demographics": {"sex": "female", "birthDate": born}}).to_string();
        let put = writer.send_json("PUT", &format!("{R}/demographics/{student}"), &body).await;
        assert!(put.status == 200 || put.status == 201, "{}", put.body);
    }
    let change = SharingChange { under_13: Some("withheld".into()), ..SharingChange::default() };
    let (api, id) = shared_client(&stack, &t, change).await;
    let user = |reply: e2e::Reply| reply.body["user"].clone();
    let kid = user(api.get(&format!("{R}/users/{child}")).await);
    assert!(kid.get("email").is_none() && kid.get("username").is_none() && kid.get("userIds").is_none(), "{kid}");
    assert!(kid["givenName"].is_string(), "only the identity fields go: {kid}");
    let older = user(api.get(&format!("{R}/users/{teen}")).await);
    assert!(older["email"].is_string(), "{older}");
    let listed = api.walk(&format!("{R}/students"), "users").await;
    let listed_kid = listed.iter().find(|u| u["sourcedId"] == json!(child)).expect("listed");
    assert!(listed_kid.get("email").is_none(), "{listed_kid}");
    assert!(listed.iter().find(|u| u["sourcedId"] == json!(teen)).expect("listed")["email"].is_string());
    // Nor is the child found by them: a filter on the e-mail finds the teenager, not the child.
    for (student, found) in [(&child, 0), (&teen, 1)] {
        let email = writer.get(&format!("{R}/users/{student}")).await.body["user"]["email"].as_str().map(str::to_owned);
        let email = email.expect("an e-mail").replace('@', "%40");
        let reply = api.get(&format!("{R}/users?filter=email%3D%27{email}%27")).await;
        assert_eq!((reply.status, reply.total_count(), reply.ids("users").len()), (200, found, found as usize));
    }
    let birth = api.get(&format!("{R}/demographics/{child}")).await;
    assert!(birth.body["demographics"].get("birthDate").is_none(), "{}", birth.body);
    assert!(api.get(&format!("{R}/demographics/{teen}")).await.body["demographics"]["birthDate"].is_string());

    // Birth dates follow the SIS feed too: a delta makes the fourteen-year-old ten and deletes
    // the child's demographics, which leaves no birth date to withhold the child's fields by.
    let header = "sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,asian,\
                  blackOrAfricanAmerican,nativeHawaiianOrOtherPacificIslander,white,demographicRaceTwoOrMoreRaces,\
                  hispanicOrLatinoEthnicity,countryOfBirthCode,stateOfBirthAbbreviation,cityOfBirth,\
                  publicSchoolResidenceStatus";
    let (when, empty) = ("2026-11-30T00:00:00.000Z", ",".repeat(11));
    let rows = format!(
        "{header}\n{teen},active,{when},{}-06-01,female{empty}\n{child},tobedeleted,{when},,{empty}\n",
        year - 10
    );
    let manifest = district_gen::manifest(&[], &["demographics"]);
    let delta = e2e::zip_of(&[("manifest.csv", &manifest), ("demographics.csv", &rows)]);
    let job = Box::pin(e2e::ingest(&stack, &t, "births.zip", delta)).await;
    assert_eq!(job.state, oneroster_store::JobState::Applied, "{:#?}", job.errors);
    let email_of = |reply: e2e::Reply| reply.body["user"].get("email").cloned();
    assert!(email_of(api.get(&format!("{R}/users/{teen}")).await).is_none(), "ten now");
    assert!(email_of(api.get(&format!("{R}/users/{child}")).await).is_some(), "no birth date known");
    let listed = api.walk(&format!("{R}/students"), "users").await;
    let email_listed =
        |id: &str| listed.iter().find(|u| u["sourcedId"] == json!(id)).expect("listed").get("email").cloned();
    assert_eq!((email_listed(&teen).is_some(), email_listed(&child).is_some()), (false, true));
    // A write of the user itself keeps the birth date its demographics hold.
    let mut renamed = writer.get(&format!("{R}/users/{teen}")).await.body["user"].clone();
    renamed["givenName"] = json!("Renamed");
    let put = writer.send_json("PUT", &format!("{R}/users/{teen}"), &json!({"user": renamed}).to_string()).await;
    assert_eq!(put.status, 200, "{}", put.body);
    let kept = user(api.get(&format!("{R}/users/{teen}")).await);
    assert_eq!((kept["givenName"].as_str(), kept.get("email")), (Some("Renamed"), None), "{kept}");
    // A user stored before items kept birth dates is judged by its demographics.
    let key = oneroster_store::keys::record_key(&t, oneroster_model::Collection::Users, &teen);
    e2e::raw_dynamodb(&stack)
        .await
        .update_item()
        .table_name(&stack.config.table)
        .set_key(Some(key.into_item()))
        .update_expression("REMOVE born")
        .send()
        .await
        .expect("an item as stored before");
    assert!(email_of(api.get(&format!("{R}/users/{teen}")).await).is_none(), "read from its demographics");

    // The district records consent for this app: the children's fields come back.
    admin::share_with_client(
        stack.store(),
        &id,
        SharingChange { under_13: Some("consented".into()), ..SharingChange::default() },
    )
    .await
    .expect("consent recorded");
    tokio::time::sleep(recheck * 2).await;
    let kid = user(api.get(&format!("{R}/users/{teen}")).await);
    assert!(kid["email"].is_string(), "{kid}");
}

#[tokio::test]
async fn a_one_school_client_writes_only_within_its_school() {
    let (stack, _, d) = Box::pin(loaded("sharing-writes")).await;
    let t = tenant("sharing-writes");
    let change = SharingChange { schools: Some(d.school_id(0)), ..SharingChange::default() };
    let (api, _) = Api::shared(&stack, &t, &e2e::writer_scopes(), change).await;
    let line_item = |id: &str, school: usize| {
        json!({"lineItem": {
            "title": "Essay", "assignDate": "2026-02-01T08:00:00.000Z", "dueDate": "2026-02-08T08:00:00.000Z",
            "class": {"sourcedId": d.class_id(school, 0)}, "school": {"sourcedId": d.school_id(school)},
            "category": {"sourcedId": "cat-test"}, "sourcedId": id,
        }})
        .to_string()
    };
    let ours = api.send_json("PUT", &format!("{G}/lineItems/li-ours"), &line_item("li-ours", 0)).await;
    assert_eq!(ours.status, 201, "{}", ours.body);
    let theirs = api.send_json("PUT", &format!("{G}/lineItems/li-theirs"), &line_item("li-theirs", 1)).await;
    assert_eq!((theirs.status, theirs.code_minor()), (404, "unknownobject"), "{}", theirs.body);
    let posted =
        api.send_json("POST", &format!("{G}/classes/{}/lineItems", d.class_id(1, 0)), &line_item("li-x", 1)).await;
    assert_eq!(posted.status, 404, "{}", posted.body);
    // Another school's records can be neither replaced nor deleted; nothing was written.
    let other_item = d.line_item_id(1, 0, 0);
    assert_eq!(api.delete(&format!("{G}/lineItems/{other_item}")).await.status, 404);
    assert_eq!(api.delete(&format!("{R}/classes/{}", d.class_id(1, 0))).await.status, 404);
    let full = Api::new(&stack, &t).await;
    assert_eq!(full.get(&format!("{G}/lineItems/li-theirs")).await.status, 404, "not written");
    assert_eq!(full.get(&format!("{G}/lineItems/{other_item}")).await.status, 200, "not deleted");
    assert_eq!(full.get(&format!("{R}/classes/{}", d.class_id(1, 0))).await.status, 200, "not deleted");
}

//! The one write path: a record committed through the API's conditional commit, alone, is
//! served at once on every route that lists it: its relation entries, the packs of its parents
//! (the ingest built them), the kept counts and the kept modification times all agree.

use e2e::{bulk_zip, ingest, small_district, stack, tenant, Api};
use oneroster_model::{Collection, Record};
use oneroster_store::{Action, Commit, Encoded, JobState, Mutation, Written};

#[tokio::test]
async fn an_enrollment_committed_alone_is_listed_at_once_on_every_route_that_lists_it() {
    let stack = stack().await;
    let t = tenant("commit-enrollment");
    let district = small_district();
    let job = ingest(&stack, &t, "bulk.zip", bulk_zip(&district)).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    let api = Api::new(&stack, &t).await;

    // A student of the class's school who is not in the class.
    let (school, class) = (district.school_id(0), district.class_id(0, 0));
    let members = district.class_students(0, 0);
    let student = (0..district.students)
        .filter(|s| district.school_of_student(*s) == 0)
        .map(|s| district.student_id(s))
        .find(|id| !members.contains(id))
        .expect("a student outside the class");
    let base = "/ims/oneroster/rostering/v1p2";
    let routes = [
        (format!("{base}/classes/{class}/students"), "users", student.clone()),
        (format!("{base}/users/{student}/classes"), "classes", class.clone()),
        (format!("{base}/students/{student}/classes"), "classes", class.clone()),
        (format!("{base}/schools/{school}/enrollments"), "enrollments", "enr-committed".to_owned()),
        (format!("{base}/schools/{school}/classes/{class}/enrollments"), "enrollments", "enr-committed".to_owned()),
        (format!("{base}/enrollments"), "enrollments", "enr-committed".to_owned()),
    ];
    let mut totals = Vec::new();
    for (route, key, id) in &routes {
        let reply = api.get(&format!("{route}?limit=1000")).await;
        assert_eq!(reply.status, 200, "{route}: {}", reply.body);
        assert!(!reply.ids(key).contains(id), "{route} lists {id} before the write");
        totals.push(reply.total_count());
    }
    let since = oneroster_model::Timestamp::now().to_string();
    let changed = format!("{base}/enrollments?filter=dateLastModified>'{since}'");
    assert_eq!(api.get(&changed).await.total_count(), 0);

    // The enrollment, as an SIS writing in real time would send it, committed on its own.
    let sample = api.get(&format!("{base}/schools/{school}/classes/{class}/enrollments?limit=1")).await;
    let mut body = sample.body["enrollments"][0].clone();
    body["sourcedId"] = "enr-committed".into();
    body["user"]["sourcedId"] = student.clone().into();
    body["user"]["href"] = format!("{base}/users/{student}").into();
    body["role"] = "student".into();
    body["primary"] = "false".into();
    let mut record = Record::from_json(Collection::Enrollments, &body.to_string()).expect("an enrollment");
    record.base_mut().date_last_modified = oneroster_model::Timestamp::now();
    let store = stack.store();
    let named = record.link_dependency().map(|(c, id)| (c, id.to_string()));
    let named = store.tenant(&t).records().get_named(named).await.unwrap();
    let mutation = Mutation::put(Encoded::new(record), &named).by("sis-realtime");
    let committed = store.tenant(&t).records().commit(Commit::Conditional(vec![(mutation, None)])).await.unwrap();
    assert_eq!(committed.written, Written::Done);
    assert_eq!(committed.changes.iter().map(|c| c.action).collect::<Vec<_>>(), [Action::Created]);

    for ((route, key, id), before) in routes.iter().zip(totals) {
        let reply = api.get(&format!("{route}?limit=1000")).await;
        assert_eq!(reply.status, 200, "{route}: {}", reply.body);
        assert!(reply.ids(key).contains(id), "{route} does not list {id} at once: {:?}", reply.ids(key));
        assert_eq!(reply.total_count(), before + 1, "{route}: X-Total-Count");
        // A page of one, from the start and from the record's place, agrees with the list.
        let page = api.get(&format!("{route}?limit=1&offset={before}")).await;
        assert_eq!(page.ids(key).len(), 1, "{route}: the last page");
    }
    assert_eq!(api.get(&changed).await.total_count(), 1, "dateLastModified> counts the write");
    let one = api.get(&format!("{base}/enrollments/enr-committed")).await;
    assert_eq!((one.status, one.body["enrollment"]["user"]["sourcedId"].as_str()), (200, Some(student.as_str())));
}

//! Faults lose nothing. An ingest whose worker dies at 20 points of a bulk (between batches,
//! mid-batch, while packs or counts are rebuilt; the point is a call to the store, whose
//! answer is lost and after which nothing gets through) is finished by the redelivery, and the
//! district then serves exactly what a clean run serves. So does a bulk ingested through a
//! store that answers one call in ten with throttling or an internal error, retried as SQS
//! would redeliver it; and a bulk through a table that takes only so many calls a second is
//! taken in one delivery, its writers slowed to the table's pace.

use district_gen::District;
use e2e::faults::{FaultyStore, Policy};
use e2e::{bulk_zip, register, stack, tenant, Api};
use ingest::{Coordinator, Ingest};
use local_server::LocalStack;
use oneroster_store::{Job, JobState, Store};

/// A district with every kind of record and relation, small enough that 20 interrupted
/// ingests and their comparisons take seconds.
fn district() -> District {
    District { students: 30, schools: 2, teachers: 4, parents: 6, classes_per_school: 3, line_items_per_class: 2 }
}

/// The seed of the crash points and of the flaky calls (printed, so a failure can be replayed).
const SEED: u64 = 0x5eed_2024;

/// Calls a second the throttled table takes.
const CAPACITY: u64 = 40;

/// An ingest whose store calls go through a proxy failing them as `policy` says.
async fn ingest_through(stack: &LocalStack, policy: Policy) -> (Ingest, FaultyStore) {
    let proxy = FaultyStore::start(&stack.config.dynamodb_endpoint, policy).await;
    // Retried as a deployment's store is, but backing off briefly: the proxy's failures are
    // instant, so the test need not wait as a deployment would for a real store to recover.
    let retries = Store::retries().with_initial_backoff(std::time::Duration::from_millis(5));
    let store = proxy.store(&stack.config.table, retries).await;
    // The apply's steps are retried as the state machine says, but as briefly.
    (Ingest { store, coordinator: Coordinator::Local { pace: 0.01 }, ..stack.ingest.clone() }, proxy)
}

/// The S3 notification of an upload, as SQS delivers it to the ingest.
fn notification(stack: &LocalStack, key: &str) -> String {
    serde_json::json!({"Records": [{
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": stack.config.bucket}, "object": {"key": key, "eTag": "e-1", "sequencer": "01"}}
    }]})
    .to_string()
}

/// Uploads the small district's bulk for `name`; the notification's body.
async fn upload(stack: &LocalStack, name: &str) -> String {
    let t = tenant(name);
    register(stack, t.id()).await;
    let key = stack.upload(t.id(), "bulk.zip", bulk_zip(&district())).await.expect("upload");
    notification(stack, &key)
}

/// Delivers `message` to `ingest` until it is taken (at most `attempts` times); the job.
async fn deliver(ingest: &Ingest, message: &str, attempts: usize) -> Job {
    let mut refusals = Vec::new();
    for _ in 0..attempts {
        match ingest::handle_message(ingest, message).await {
            Ok(outcomes) => match outcomes.into_iter().next() {
                Some(outcome) => return outcome.into_job(),
                None => refusals.push("no outcome".to_string()),
            },
            Err(e) => refusals.push(e.to_string()),
        }
    }
    panic!("the upload was not taken in {attempts} deliveries: {refusals:#?}");
}

/// Everything a tenant serves: every collection, and the relation routes of every school,
/// class, term and teacher, each page's records in order with `X-Total-Count`; the job's start
/// time (every record's `dateLastModified`) masked, since two runs start at different times.
async fn served(stack: &LocalStack, name: &str, job: &Job) -> Vec<String> {
    let api = Api::new(stack, tenant(name).id()).await;
    let d = district();
    let rostering = "/ims/oneroster/rostering/v1p2";
    let gradebook = "/ims/oneroster/gradebook/v1p2";
    let mut routes: Vec<(String, &str)> = [
        ("orgs", "orgs"),
        ("academicSessions", "academicSessions"),
        ("courses", "courses"),
        ("classes", "classes"),
        ("users", "users"),
        ("students", "users"),
        ("teachers", "users"),
        ("enrollments", "enrollments"),
        ("demographics", "demographics"),
    ]
    .into_iter()
    .map(|(path, key)| (format!("{rostering}/{path}"), key))
    .collect();
    routes.push(("/ims/oneroster/resources/v1p2/resources".into(), "resources"));
    for path in ["categories", "lineItems", "results", "scoreScales"] {
        routes.push((format!("{gradebook}/{path}"), path));
    }
    for s in 0..d.schools {
        let school = d.school_id(s);
        for (path, key) in
            [("classes", "classes"), ("students", "users"), ("teachers", "users"), ("terms", "academicSessions")]
        {
            routes.push((format!("{rostering}/schools/{school}/{path}"), key));
        }
        routes.push((format!("{rostering}/schools/{school}/enrollments"), "enrollments"));
        routes.push((format!("{rostering}/schools/{school}/courses"), "courses"));
        for c in 0..d.classes_per_school {
            let class = d.class_id(s, c);
            routes.push((format!("{rostering}/classes/{class}/students"), "users"));
            routes.push((format!("{rostering}/classes/{class}/teachers"), "users"));
            routes.push((format!("{gradebook}/classes/{class}/lineItems"), "lineItems"));
            routes.push((format!("{gradebook}/classes/{class}/results"), "results"));
            routes.push((format!("/ims/oneroster/resources/v1p2/classes/{class}/resources"), "resources"));
        }
    }
    for term in ["sem-1", "sem-2"] {
        routes.push((format!("{rostering}/terms/{term}/classes"), "classes"));
    }
    for t in 0..d.teachers {
        routes.push((format!("{rostering}/teachers/{}/classes", d.teacher_id(t)), "classes"));
    }
    let started = job.started.to_string();
    let mut lines = Vec::new();
    for (route, key) in routes {
        let records = api.walk(&format!("{route}?limit=1000"), key).await;
        lines.push(format!("{route} {}", records.len()));
        lines.extend(records.iter().map(|r| r.to_string().replace(&started, "<job start>")));
    }
    lines
}

#[tokio::test]
async fn a_worker_dying_at_twenty_points_of_a_bulk_loses_nothing() {
    let stack = stack().await;
    // A clean run through the proxy, to count the calls an ingest makes.
    let (clean, counter) = ingest_through(&stack, Policy::Healthy).await;
    let message = upload(&stack, "faults-clean").await;
    let job = deliver(&clean, &message, 1).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    let expected = served(&stack, "faults-clean", &job).await;
    let calls = counter.calls();
    assert!(calls > 100, "a bulk makes many calls: {calls}");

    // Twenty points spread over the run, each moved by a seeded step within its twentieth.
    let points: Vec<u64> = (0..20u64)
        .map(|i| {
            let step = xxhash_rust::xxh3::xxh3_64_with_seed(&i.to_le_bytes(), SEED) % (calls / 20).max(1);
            i * calls / 20 + step
        })
        .collect();
    println!("crash points (seed {SEED:#x}) of {calls} calls: {points:?}");
    for chunk in points.chunks(5) {
        let runs = chunk.iter().map(|&point| {
            let stack = &stack;
            async move {
                let name = format!("faults-dies-at-{point}");
                let message = upload(stack, &name).await;
                let (dying, proxy) = ingest_through(stack, Policy::DiesAt(point)).await;
                let interrupted = ingest::handle_message(&dying, &message).await;
                assert!(proxy.failed() > 0, "the worker died at call {point}");
                // The redelivery, on a worker that lives.
                let job = deliver(&stack.ingest, &message, 3).await;
                assert_eq!(job.state, JobState::Applied, "died at {point} ({interrupted:?}): {:#?}", job.errors);
                (point, served(stack, &name, &job).await)
            }
        });
        for (point, got) in futures::future::join_all(runs).await {
            assert!(got == expected, "after dying at call {point} the district serves something else");
        }
    }
}

/// What the small district's bulk serves once taken by the stack's own ingest, as `name`: what a
/// run through a failing store must end serving too.
async fn served_clean(stack: &LocalStack, name: &str) -> Vec<String> {
    let message = upload(stack, name).await;
    let job = deliver(&stack.ingest, &message, 1).await;
    served(stack, name, &job).await
}

#[tokio::test]
async fn a_bulk_through_a_store_failing_one_call_in_ten_ends_as_a_clean_one() {
    let stack = stack().await;
    let expected = served_clean(&stack, "flaky-clean").await;

    let message = upload(&stack, "flaky").await;
    let (flaky, proxy) = ingest_through(&stack, Policy::Flaky { per_mille: 100, seed: SEED }).await;
    let job = deliver(&flaky, &message, 10).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    assert!(
        proxy.failed() * 20 > proxy.calls(),
        "about one call in ten failed: {} of {}",
        proxy.failed(),
        proxy.calls()
    );
    assert!(served(&stack, "flaky", &job).await == expected, "the flaky store's district serves something else");
}

#[tokio::test]
async fn a_bulk_through_a_table_at_its_capacity_is_taken_in_one_delivery() {
    let stack = stack().await;
    let expected = served_clean(&stack, "capped-clean").await;

    // Far fewer calls a second than the ingest's 16 batches in flight would make: the writers
    // slow down to what the table takes rather than spend their retries and fail the job.
    // Retried exactly as a deployment's store is (not [`ingest_through`]'s brief backoff): how
    // it paces itself is what is tested.
    let message = upload(&stack, "capped").await;
    let proxy = FaultyStore::start(&stack.config.dynamodb_endpoint, Policy::Capacity(CAPACITY)).await;
    let capped = Ingest { store: proxy.store(&stack.config.table, Store::retries()).await, ..stack.ingest.clone() };
    let job = deliver(&capped, &message, 1).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    assert!(proxy.failed() > 0, "the table throttled: {} of {} calls", proxy.failed(), proxy.calls());
    assert!(served(&stack, "capped", &job).await == expected, "the throttled district serves something else");
}

//! The apply fanned out (issue 31): the state machine of `infra/ingest-apply.asl.json` run by
//! the local runner with K workers against DynamoDB Local. The same package applied with 1, 4,
//! 16 and 32 workers (32: each file cut finer than the record shards) leaves every item of the
//! tenant the same; a unit whose run dies midway is run
//! again alone and the job completes with the state of a clean run; a second identical bulk
//! writes next to nothing.

use district_gen::District;
use e2e::faults::{FaultyStore, Policy};
use e2e::{bulk_zip, register, stack, tenant, tenant_items};
use futures::future::BoxFuture;
use futures::FutureExt;
use ingest::{Coordinator, Ingest, Outcome};
use local_server::LocalStack;
use oneroster_ingest::fanout::Steps;
use oneroster_store::{Job, JobState, Store};
use serde_json::Value;
use states_local::{Failure, Tasks};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Every kind of record, several units' worth of each big file.
fn district() -> District {
    District { students: 90, schools: 3, teachers: 6, parents: 12, classes_per_school: 4, line_items_per_class: 2 }
}

/// The tenant every stack of these tests loads (each stack has a table of its own, so the
/// items' keys compare as they are).
const TENANT: &str = "fanout-district";

/// The S3 notification of an upload, as SQS delivers it.
fn notification(stack: &LocalStack, key: &str, etag: &str) -> String {
    serde_json::json!({"Records": [{
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": stack.config.bucket}, "object": {"key": key, "eTag": etag, "sequencer": "01"}}
    }]})
    .to_string()
}

/// `stack`'s ingest with `workers` and `coordinator`.
fn ingest_of(stack: &LocalStack, workers: u64, coordinator: Coordinator) -> Ingest {
    let mut ingest = Ingest { coordinator, ..stack.ingest.clone() };
    ingest.settings.workers = workers;
    ingest
}

/// Uploads the district's bulk (again, as `etag` says) and delivers it to `ingest`.
async fn load(stack: &LocalStack, ingest: &Ingest, etag: &str) -> Outcome {
    let t = tenant(TENANT);
    let key = stack.upload(t.id(), &format!("bulk-{etag}.zip"), bulk_zip(&district())).await.expect("upload");
    let outcomes = ingest::handle_message(ingest, &notification(stack, &key, etag)).await.expect("taken");
    outcomes.into_iter().next().expect("one upload")
}

/// The tenant's items, its jobs' own left out, the job's id and start time (which differ from
/// run to run) masked.
async fn items(stack: &LocalStack, job: &Job) -> Vec<String> {
    let started = job.started.to_string();
    let millis = job.started.0.timestamp_millis().to_string();
    let jobs = [format!("S(\"{TENANT}#job\")"), format!("S(\"{TENANT}#job-units#")];
    tenant_items(stack, tenant(TENANT).id())
        .await
        .into_iter()
        .filter(|item| !jobs.iter().any(|j| item.contains(&format!("pk={j}"))))
        .map(|item| item.replace(&job.id, "<job>").replace(&started, "<started>").replace(&millis, "<ms>"))
        .collect()
}

/// Compares two runs' items, naming the first that differs.
fn assert_same(left: &[String], right: &[String], what: &str) {
    if let Some((l, r)) = left.iter().zip(right).find(|(l, r)| l != r) {
        panic!("{what}: the first item that differs:\n  {l}\n  {r}");
    }
    assert_eq!(left.len(), right.len(), "{what}: items");
}

#[tokio::test]
async fn a_package_applied_by_1_4_16_and_32_workers_leaves_every_item_the_same() {
    let mut runs: Vec<(u64, Vec<String>, Job)> = Vec::new();
    for workers in [1, 4, 16, 32] {
        let stack = stack().await;
        register(&stack, tenant(TENANT).id()).await;
        let ingest = ingest_of(&stack, workers, Coordinator::Local { pace: 1.0 });
        let job = load(&stack, &ingest, "first").await.into_job();
        assert_eq!(job.state, JobState::Applied, "{workers} workers: {job:?}");
        let units = stack.store().tenant(&tenant(TENANT)).jobs().units(&job.id).await.unwrap();
        let parts = workers as usize;
        assert!(
            units.len() >= 10 * parts && units.iter().all(|u| u.done.is_some()),
            "{workers}: {} units",
            units.len()
        );
        assert!(units.iter().any(|u| u.unit == format!("users.csv#{}-of-{parts}", parts - 1)), "{workers} workers");
        if workers == 16 {
            // A second identical bulk: every record unchanged, next to nothing written.
            let again = load(&stack, &ingest, "second").await.into_job();
            assert_eq!(again.state, JobState::Applied);
            assert!(
                again.items_written * 100 < job.items_written,
                "the second bulk wrote {} items of the first's {}",
                again.items_written,
                job.items_written
            );
            assert!(again.files.values().all(|f| f.created + f.updated + f.deleted == 0), "{:?}", again.files);
        }
        runs.push((workers, items(&stack, &job).await, job));
    }
    let (_, one, first) = &runs[0];
    assert!(one.len() > 1000, "{} items", one.len());
    for (workers, items, job) in &runs[1..] {
        assert_same(one, items, &format!("1 worker against {workers}"));
        assert_eq!(job.items_written, first.items_written, "{workers} workers");
        assert_eq!(job.files, first.files, "{workers} workers: the counts of every file");
    }
}

/// The ingest's own steps, but the first run of one unit goes to an ingest whose store dies
/// midway through it; every step run is counted by name.
struct DiesOnce<'a> {
    steps: Steps<'a>,
    dying: Steps<'a>,
    unit: &'static str,
    runs: Mutex<BTreeMap<String, u32>>,
}

impl Tasks for DiesOnce<'_> {
    fn invoke<'a>(&'a self, resource: &'a str, input: Value) -> BoxFuture<'a, Result<Value, Failure>> {
        async move {
            let name = match (&input["unit"], &input["upkeep"]) {
                (Value::Object(unit), _) => {
                    format!("{}#{}-of-{}", unit["file"].as_str().unwrap_or_default(), unit["part"], unit["parts"])
                }
                (_, Value::Null) => input["step"].as_str().unwrap_or_default().to_owned(),
                (_, upkeep) => format!("upkeep {upkeep}"),
            };
            let runs = {
                let mut runs = self.runs.lock().expect("the counts");
                let n = runs.entry(name.clone()).or_default();
                *n += 1;
                *n
            };
            match name == self.unit && runs == 1 {
                true => self.dying.invoke(resource, input).await,
                false => self.steps.invoke(resource, input).await,
            }
        }
        .boxed()
    }
}

#[tokio::test]
async fn a_unit_whose_run_dies_midway_is_run_again_alone_and_the_job_completes_as_a_clean_one() {
    // The clean run to compare with.
    let clean_stack = stack().await;
    register(&clean_stack, tenant(TENANT).id()).await;
    let clean_job =
        load(&clean_stack, &ingest_of(&clean_stack, 4, Coordinator::Local { pace: 1.0 }), "first").await.into_job();
    let clean = items(&clean_stack, &clean_job).await;

    let stack = stack().await;
    register(&stack, tenant(TENANT).id()).await;
    let ingest = ingest_of(&stack, 4, Coordinator::Deferred);
    let Outcome::Applying(job) = load(&stack, &ingest, "first").await else { panic!("the apply is left to the test") };
    assert_eq!(job.state, JobState::Running);
    // The store dies at its 12th call of the unit's run: after reading the job, the lock, the
    // unit's mark, the settings and the digests, amid its writes.
    let proxy = FaultyStore::start(&stack.config.dynamodb_endpoint, Policy::DiesAt(12)).await;
    let retries = Store::retries().with_initial_backoff(std::time::Duration::from_millis(5)).with_max_attempts(2);
    let dying = Ingest { store: proxy.store(&stack.config.table, retries).await, ..ingest.clone() };
    let tasks =
        DiesOnce { steps: Steps(&ingest), dying: Steps(&dying), unit: "users.csv#1-of-4", runs: Mutex::default() };
    let job = ingest.apply_locally(&job, &tasks).await.expect("applied");
    assert_eq!(job.state, JobState::Applied, "{job:?}");
    assert!(proxy.failed() > 0, "the unit's first run died");

    let runs = tasks.runs.into_inner().unwrap();
    assert_eq!(runs["users.csv#1-of-4"], 2, "{runs:?}");
    assert!(runs.iter().filter(|(name, _)| *name != "users.csv#1-of-4").all(|(_, n)| *n == 1), "{runs:?}");
    let units = stack.store().tenant(&tenant(TENANT)).jobs().units(&job.id).await.unwrap();
    let restarted: Vec<&str> = units.iter().filter(|u| u.restarted).map(|u| u.unit.as_str()).collect();
    assert_eq!(restarted, ["users.csv#1-of-4"]);
    assert_same(&clean, &items(&stack, &job).await, "a clean run against one whose unit died");
    assert_eq!(job.files["users.csv"].rows, clean_job.files["users.csv"].rows);
}

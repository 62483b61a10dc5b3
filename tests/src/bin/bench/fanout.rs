//! Figure 14: the apply fanned out (`oneroster_ingest::fanout`): the package's first load
//! applied by 1, 2, 4 and 8 workers, each into a fresh table on a fresh DynamoDB Local table
//! (the ingest's of the run before deleted first: DynamoDB Local slows as it fills), timed from
//! the valid job to its end (the one validation pass left out: it is the same for all), with
//! the speed-up over one worker. Against DynamoDB Local on this machine the figure is bounded by
//! the server's own pace (one Java process on the machine's cores); on AWS, by the table's write
//! throughput (README, "How big a district").

use e2e::{register, stack, tenant};
use ingest::{Coordinator, Outcome};
use oneroster_ingest::fanout::Steps;
use oneroster_store::JobState;
use std::path::Path;
use std::time::Instant;

/// The workers of each run.
const WORKERS: [u64; 4] = [1, 2, 4, 8];

/// Applies the package at `path` once per [`WORKERS`]; prints a line each and the ratios.
pub async fn run(path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let mut seconds = Vec::new();
    for workers in WORKERS {
        let local = stack().await;
        let t = tenant("bench-fanout");
        register(&local, &t).await;
        let mut ingest = ingest::Ingest { coordinator: Coordinator::Deferred, ..local.ingest.clone() };
        ingest.settings.workers = workers;
        let key = local.upload(&t, "bench/bulk.zip", std::fs::read(path)?).await?;
        let notification = serde_json::json!({"Records": [{
            "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": local.config.bucket}, "object": {"key": key, "eTag": "e", "sequencer": "01"}}
        }]});
        let outcomes = ingest::handle_message(&ingest, &notification.to_string()).await?;
        let Some(Outcome::Applying(job)) = outcomes.into_iter().next() else {
            return Err("the package was not valid".into());
        };
        let started = Instant::now();
        let job = ingest.apply_locally(&job, &Steps(&ingest)).await?;
        let elapsed = started.elapsed().as_secs_f64();
        assert_eq!(job.state, JobState::Applied, "{:?}", job.errors);
        println!(
            "apply by {workers} workers: {} items in {elapsed:.1}s = {:.0} items/s",
            job.items_written,
            job.items_written as f64 / elapsed
        );
        seconds.push(elapsed);
        local.store().delete_table().await?;
    }
    let ratios: Vec<String> =
        WORKERS.iter().zip(&seconds).map(|(w, s)| format!("{w}: {:.2}×", seconds[0] / s)).collect();
    println!("apply speed-up over one worker: {}", ratios.join(", "));
    Ok(())
}

//! Gradebook figures: a 10,000-student tenant with 5 line items per class and a result for
//! each enrolled student on each; p50/p99 of `PUT /results/{id}` and of the three result
//! routes, DynamoDB items read per record returned, and writes/s of a loop of result PUTs.

use crate::api::{measure, print_header, Figures, Requests, REQUESTS};
use district_gen::District;
use e2e::{bulk_zip, ingest, tenant, Api};
use local_server::LocalStack;
use oneroster_store::JobState;
use std::time::Instant;

const BASE: &str = "/ims/oneroster/gradebook/v1p2";

/// Students of the gradebook tenant, and line items per class.
const STUDENTS: usize = 10_000;
const LINE_ITEMS: usize = 5;

/// Loads the gradebook tenant into `stack` and prints its figures.
pub async fn run(stack: &LocalStack) -> Result<(), Box<dyn std::error::Error>> {
    let district = District { line_items_per_class: LINE_ITEMS, ..District::new(STUDENTS) };
    let t = tenant("bench-gradebook");
    let zip = bulk_zip(&district);
    let started = Instant::now();
    let job = ingest(stack, &t, "bench/gradebook.zip", zip).await;
    assert_eq!(job.state, JobState::Applied, "{:?}", job.errors);
    let api = Api::new(stack, &t).await;
    let results = api.get(&format!("{BASE}/results?limit=1")).await.total_count();
    println!(
        "gradebook tenant: {STUDENTS} students, {LINE_ITEMS} line items per class, {results} results, ingested in {:.1}s",
        started.elapsed().as_secs_f64()
    );

    let classes: Vec<(usize, usize)> =
        (0..district.schools).flat_map(|s| (0..district.classes_per_school).map(move |c| (s, c))).step_by(5).collect();
    let class_results = classes.iter().map(|&(s, c)| format!("{BASE}/classes/{}/results", district.class_id(s, c)));
    let item_results = classes.iter().map(|&(s, c)| {
        format!("{BASE}/classes/{}/lineItems/{}/results", district.class_id(s, c), district.line_item_id(s, c, 2))
    });
    let student_results = classes.iter().filter_map(|&(s, c)| {
        let student = district.class_students(s, c).into_iter().next()?;
        Some(format!("{BASE}/classes/{}/students/{student}/results", district.class_id(s, c)))
    });
    let patterns = [
        ("GET /classes/{id}/results (limit 100, first page)", Requests::Each(class_results.collect())),
        ("GET /classes/{c}/lineItems/{id}/results", Requests::Each(item_results.collect())),
        ("GET /classes/{c}/students/{id}/results", Requests::Each(student_results.collect())),
    ];
    print_header();
    for (name, requests) in patterns {
        let figures = measure(stack, &api, "results", requests, REQUESTS).await;
        figures.print(name);
    }

    // PUT /results/{id}: each replaces an ingested result with a new score.
    let targets: Vec<(String, String)> = classes
        .iter()
        .flat_map(|&(s, c)| {
            let item = district.line_item_id(s, c, 0);
            district.class_students(s, c).into_iter().map(move |student| (item.clone(), student))
        })
        .take(REQUESTS)
        .collect();
    let mut latencies = Vec::with_capacity(targets.len());
    let loop_started = Instant::now();
    for (i, (item, student)) in targets.iter().enumerate() {
        let id = District::result_id(item, student);
        let body = serde_json::json!({"result": {
            "lineItem": {"href": "x", "sourcedId": item, "type": "lineItem"},
            "student": {"href": "x", "sourcedId": student, "type": "user"},
            "scoreStatus": "fully graded", "score": (i % 100) as f64 + 0.5, "scoreDate": "2026-03-01"
        }});
        let started = Instant::now();
        let reply = api.send_json("PUT", &format!("{BASE}/results/{id}"), &body.to_string()).await;
        latencies.push(started.elapsed());
        assert_eq!(reply.status, 200, "{id}: {}", reply.body);
    }
    let elapsed = loop_started.elapsed();
    Figures { latencies, items_read: 0, returned: 0 }.print("PUT /results/{id} (replacing, one after another)");
    println!(
        "  a loop of {} result PUTs: {:.0} writes/s (each: one transaction of the record and its entries)",
        targets.len(),
        targets.len() as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

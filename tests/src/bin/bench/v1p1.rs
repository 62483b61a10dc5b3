//! OneRoster 1.1 figures: School Data Sync's pattern under `/ims/oneroster/v1p1` (every
//! collection it reads, active, 5,000 a page, then what a delta changed), with the same
//! measures as the 1.2 patterns, and the CPU cost of serving a record through the 1.1 view
//! beside serving it as 1.2, per record and as a share of the 1.1 page's time.

use crate::api::{measure, print_header, Requests, REQUESTS};
use e2e::Api;
use local_server::LocalStack;
use oneroster_http::render::Rendering;
use oneroster_model::{TenantId, Timestamp};
use oneroster_openapi::{Service, Version};
use oneroster_query::Selection;
use std::time::{Duration, Instant};

const V1P1: &str = "/ims/oneroster/v1p1";

/// Runs the 1.1 figures on `tenant`, whose last delta was applied after `before`.
pub async fn run(stack: &LocalStack, tenant: &TenantId, before: Timestamp) -> Result<(), Box<dyn std::error::Error>> {
    let api = Api::new(stack, tenant).await;

    let active = "offset=0&limit=5000&filter=status%3D'active'";
    let walk = |path: &str, query: &str| Requests::Walk(format!("{V1P1}{path}?{query}"));
    let since = format!("limit=5000&filter=dateLastModified%3E'{before}'");
    let patterns = [
        ("GET /academicSessions?…status='active'", "academicSessions", walk("/academicSessions", active)),
        ("GET /orgs?…status='active'", "orgs", walk("/orgs", active)),
        ("GET /users?offset=0&limit=5000&filter=status='active', paging", "users", walk("/users", active)),
        ("GET /classes?…status='active', paging", "classes", walk("/classes", active)),
        ("GET /enrollments?…status='active', paging", "enrollments", walk("/enrollments", active)),
        ("GET /users?limit=5000&filter=dateLastModified>(before a delta)", "users", walk("/users", &since)),
    ];
    // Pages of 5,000: a fifth of the requests of the 1.2 patterns' pages of 100.
    let requests = REQUESTS / 5;
    println!("OneRoster 1.1, School Data Sync's pattern under {V1P1} ({requests} requests each):");
    print_header();
    let mut users_page = None;
    for (name, key, kind) in patterns {
        let figures = measure(stack, &api, key, kind, requests).await;
        figures.print(name);
        if name.starts_with("GET /users?offset") {
            users_page = Some(figures.median_per_record());
        }
    }
    view_cost(&api, users_page.unwrap_or_default()).await;
    Ok(())
}

/// The CPU time of rendering a page of users as 1.1 serves them and as 1.2 does, per record,
/// and the 1.1 rendering's share of the 1.1 page's time per record (`page_per_record`).
async fn view_cost(api: &Api, page_per_record: Duration) {
    // The 1.2 answer's records stand in for stored bodies (their `href`s are replaced as a
    // stored `href` is): a little more work than the stored form, never less.
    let page = api.get("/ims/oneroster/rostering/v1p2/users?limit=5000").await;
    let bodies: Vec<String> =
        page.body["users"].as_array().into_iter().flatten().map(serde_json::Value::to_string).collect();
    let per_record = |version: Version| {
        let rendering = Rendering::of(version, Service::Rostering, "UserDType").expect("users");
        let rounds = 5;
        let started = Instant::now();
        for _ in 0..rounds {
            for body in &bodies {
                let rendered = rendering.render_json(body, &Selection::default(), Some("https://api.example.org"));
                std::hint::black_box(rendered.expect("renders"));
            }
        }
        started.elapsed() / (rounds * bodies.len().max(1)) as u32
    };
    let (v1p2, v1p1) = (per_record(Version::V1p2), per_record(Version::V1p1));
    let share = |cost: Duration| 100.0 * cost.as_secs_f64() / page_per_record.as_secs_f64().max(f64::MIN_POSITIVE);
    let view = v1p1.saturating_sub(v1p2);
    println!(
        "  CPU per user: 1.2 rendering {:.1} µs; 1.1 view + rendering {:.1} µs, the view {:.1} µs = {:.1}% of the \
         1.1 page's time per user ({:.1} µs at p50; all of 1.1's rendering {:.1}%)",
        v1p2.as_secs_f64() * 1e6,
        v1p1.as_secs_f64() * 1e6,
        view.as_secs_f64() * 1e6,
        share(view),
        page_per_record.as_secs_f64() * 1e6,
        share(v1p1)
    );
}

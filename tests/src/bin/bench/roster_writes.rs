//! Rostering write figures (the provider's extensions, issue 27) on the benchmark tenant, by a
//! client holding the extension scopes, through the full router: p50/p99 of a user PUT and of
//! an enrollment POST one after another, writes/s of enrollment POSTs by several writers at
//! once, and what one write costs the store: the items its transaction wrote (as the API's
//! audit event says), store calls and their sequential rounds (through a proxy, as [`trips`]
//! counts a page's) and items read.
//!
//! [`trips`]: crate::trips

use crate::api::{print_header, Figures};
use district_gen::District;
use e2e::faults::{sequential_rounds, FaultyStore, Policy};
use e2e::Api;
use local_server::LocalStack;
use oneroster_model::TenantId;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::field::{Field, Visit};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, Layer};

const BASE: &str = "/ims/oneroster/rostering/v1p2";

/// Writes of each kind measured one after another.
const REQUESTS: usize = 300;
/// Writers at once, and the enrollment POSTs they make together.
const WRITERS: usize = 8;
const LOOP: usize = 2000;
/// Writes of each kind sent through the counting proxy, and the round trip it gives each store
/// call (as `trips` does), so that calls made together overlap and calls made in turn do not.
const COUNTED: usize = 20;
const LATENCY: Duration = Duration::from_millis(20);

/// Counts the API's writes and the items their transactions wrote, from the audit event of each
/// request (its `change` ends `; N items)` or `; 1 item)`, one per change): what the API did, read where it
/// says so. A tracing layer, installed once for the process.
#[derive(Clone, Default)]
pub struct AuditedItems {
    /// Writes (audit events with a change) and items, since the last [`AuditedItems::take`].
    counts: Arc<(AtomicU64, AtomicU64)>,
}

impl AuditedItems {
    /// The layer that counts, given only the audit events (no other callsite is enabled for it).
    pub fn layer<S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>>(
        &self,
    ) -> impl Layer<S> {
        self.clone().with_filter(Targets::new().with_target("audit", tracing::Level::INFO))
    }

    /// Writes and items counted since the last take.
    fn take(&self) -> (u64, u64) {
        (self.counts.0.swap(0, Ordering::Relaxed), self.counts.1.swap(0, Ordering::Relaxed))
    }
}

impl<S: tracing::Subscriber> Layer<S> for AuditedItems {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        event.record(&mut &*self);
    }
}

impl Visit for &AuditedItems {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() != "change" {
            return;
        }
        // `…; 1 item)` or `…; 9 items)`, once per change.
        let items: u64 = value.split(" item").filter_map(|part| part.rsplit(' ').next()?.parse::<u64>().ok()).sum();
        self.counts.0.fetch_add(1, Ordering::Relaxed);
        self.counts.1.fetch_add(items, Ordering::Relaxed);
    }

    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

/// One write request and the status it must be answered with.
struct Write {
    method: &'static str,
    path: String,
    body: String,
    status: u16,
}

impl Write {
    /// `PUT /users/{id}` of the student `student` (round the district's students) as stored,
    /// with another e-mail address.
    async fn user(api: &Api, district: &District, student: usize) -> Self {
        let id = district.student_id(student % district.students);
        let path = format!("{BASE}/users/{id}");
        let mut body = api.get(&path).await.body;
        body["user"]["email"] = format!("{id}@mail.example.org").into();
        Self { method: "PUT", path, body: body.to_string(), status: 200 }
    }

    /// The `i`th `POST /classes/{id}/students`: a student (each in turn) in a class of their
    /// school they are not in (another each time round), so that no two make the same pair.
    fn enrollment(district: &District, i: usize) -> Self {
        let student = i % district.students;
        let taken = district.classes_of_student(student);
        let n = district.classes_per_school;
        let after = taken.last().map_or(0, |last| last + 1);
        let class = (0..n).map(|k| (after + k) % n).filter(|c| !taken.contains(c)).nth(i / district.students);
        let class = district.class_id(district.school_of_student(student), class.unwrap_or(0));
        let body = serde_json::json!({"enrollment": {"user": {"sourcedId": district.student_id(student)}}});
        Self { method: "POST", path: format!("{BASE}/classes/{class}/students"), body: body.to_string(), status: 201 }
    }

    /// Sends the write and checks its status.
    async fn send(&self, api: &Api) {
        let reply = api.send_json(self.method, &self.path, &self.body).await;
        assert_eq!(reply.status, self.status, "{} {}: {}", self.method, self.path, reply.body);
    }
}

/// A user PUT of each student of `students`.
async fn user_puts(api: &Api, district: &District, students: impl Iterator<Item = usize>) -> Vec<Write> {
    let mut puts = Vec::new();
    for student in students {
        puts.push(Write::user(api, district, student).await);
    }
    puts
}

/// Sends `writes` one after another; their latencies.
async fn one_after_another(api: &Api, writes: &[Write]) -> Figures {
    let mut latencies = Vec::with_capacity(writes.len());
    for write in writes {
        let started = Instant::now();
        write.send(api).await;
        latencies.push(started.elapsed());
    }
    Figures { latencies, items_read: 0, returned: 0 }
}

/// Sends `writes` by [`WRITERS`] tasks at once (each its share in turn); the time they took.
async fn at_once(api: &Api, writes: Vec<Write>) -> Result<Duration, tokio::task::JoinError> {
    let mut shares: Vec<Vec<Write>> = (0..WRITERS).map(|_| Vec::new()).collect();
    for (i, write) in writes.into_iter().enumerate() {
        shares[i % WRITERS].push(write);
    }
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for share in shares {
        let api = api.clone();
        tasks.spawn(async move {
            for write in share {
                write.send(&api).await;
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done?;
    }
    Ok(started.elapsed())
}

/// Runs the write figures on `tenant`, loaded from `district`; `audited` is the process's
/// audit layer.
pub async fn run(
    stack: &LocalStack,
    tenant: &TenantId,
    district: &District,
    audited: &AuditedItems,
) -> Result<(), Box<dyn std::error::Error>> {
    let api = Api::writer(stack, tenant).await;
    let puts = user_puts(&api, district, 0..REQUESTS).await;
    let posts: Vec<Write> = (0..REQUESTS).map(|i| Write::enrollment(district, i)).collect();
    println!("rostering writes on the same tenant ({REQUESTS} requests each, by a client with the extension scopes):");
    print_header();
    one_after_another(&api, &puts).await.print("PUT /users/{id} (a student's email changed, one after another)");
    one_after_another(&api, &posts).await.print("POST /classes/{id}/students (a student, one after another)");

    let looped = (REQUESTS..REQUESTS + LOOP).map(|i| Write::enrollment(district, i)).collect();
    audited.take();
    let elapsed = at_once(&api, looped).await?;
    let (writes, items) = audited.take();
    println!(
        "  a loop of {LOOP} enrollment POSTs by {WRITERS} writers at once: {:.0} writes/s ({:.1} items written per write)",
        LOOP as f64 / elapsed.as_secs_f64(),
        items as f64 / writes.max(1) as f64
    );

    // Through the proxy: students and enrollments none of the above wrote, the first of each
    // kind a warm-up.
    let puts = user_puts(&api, district, REQUESTS..=REQUESTS + COUNTED).await;
    let posts = (REQUESTS + LOOP..=REQUESTS + LOOP + COUNTED).map(|i| Write::enrollment(district, i)).collect();
    let proxy = FaultyStore::start(&stack.config.dynamodb_endpoint, Policy::Slow(LATENCY)).await;
    let mut counted = stack.clone();
    counted.ingest.store = proxy.store(&stack.config.table, aws_config::retry::RetryConfig::standard()).await;
    let api = Api::writer(&counted, tenant).await;
    println!(
        "store work per write, through a proxy holding each store call {} ms ({COUNTED} writes each):",
        LATENCY.as_millis()
    );
    println!(
        "  {:<32} {:>14} {:>14} {:>12} {:>12}",
        "request", "items written", "store calls", "max rounds", "items read"
    );
    for (name, writes) in [("PUT /users/{id}", puts), ("POST /classes/{id}/students", posts)] {
        let (first, rest) = writes.split_first().ok_or("no writes")?;
        // The first write reads the client's record for the token check, which is then kept.
        first.send(&api).await;
        proxy.take_spans();
        audited.take();
        let read_before = counted.store().items_read();
        let (mut calls, mut rounds) = (0, 0);
        for write in rest {
            write.send(&api).await;
            let spans = proxy.take_spans();
            calls += spans.len();
            rounds = rounds.max(sequential_rounds(&spans));
        }
        let (writes, items) = audited.take();
        let per_write = |n: f64| n / rest.len().max(1) as f64;
        println!(
            "  {name:<32} {:>14.1} {:>14.1} {rounds:>12} {:>12.1}",
            items as f64 / writes.max(1) as f64,
            per_write(calls as f64),
            per_write((counted.store().items_read() - read_before) as f64)
        );
    }
    Ok(())
}

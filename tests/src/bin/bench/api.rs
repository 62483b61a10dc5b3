//! API figures over the benchmark tenant: for each access pattern the REST binding promises in
//! O(page), the latency of the full router (routes, middleware, handler, store, DynamoDB Local)
//! and the DynamoDB items read per record returned; then requests/s of the local server's HTTP
//! listener under a loopback load of keep-alive connections.

use district_gen::District;
use e2e::{delta_zip, ingest, Api};
use local_server::LocalStack;
use oneroster_model::{TenantId, Timestamp};
use oneroster_store::JobState;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

const BASE: &str = "/ims/oneroster/rostering/v1p2";
const RESOURCES: &str = "/ims/oneroster/resources/v1p2";

/// Requests per pattern.
pub const REQUESTS: usize = 200;
/// Connections and duration of the loopback load.
const CONNECTIONS: usize = 16;
const LOAD_SECONDS: u64 = 10;

/// How a pattern picks its next request.
pub enum Requests {
    /// Follow `Link` `next` from a start URL (restarting at the end).
    Walk(String),
    /// These URLs in turn.
    Each(Vec<String>),
}

/// What a pattern's requests cost.
pub struct Figures {
    /// Latency of each request.
    pub latencies: Vec<Duration>,
    /// DynamoDB items read in all.
    pub items_read: u64,
    /// Records returned in all.
    pub returned: u64,
}

/// The header of the lines [`Figures::print`] prints.
pub fn print_header() {
    println!(
        "  {:<66} {:>8} {:>8} {:>18} {:>18}",
        "request", "p50 ms", "p99 ms", "reads per record", "reads per request"
    );
}

impl Figures {
    /// One line: latency percentiles and items read per record and per request (left out for
    /// requests that return no records: writes).
    pub fn print(&self, name: &str) {
        let latency = format!("  {name:<66} {:>8.1} {:>8.1}", self.percentile(0.5), self.percentile(0.99));
        if self.returned == 0 {
            println!("{latency}");
            return;
        }
        println!(
            "{latency} {:>18.2} {:>18.1}",
            self.items_read as f64 / self.returned as f64,
            self.items_read as f64 / self.latencies.len().max(1) as f64
        );
    }

    /// The median request's latency divided by the records a request returned on average.
    pub fn median_per_record(&self) -> Duration {
        let per_request = self.returned as f64 / self.latencies.len().max(1) as f64;
        Duration::from_secs_f64(self.percentile(0.5) / 1000.0 / per_request.max(1.0))
    }

    /// The latency at percentile `p` (0 to 1), in milliseconds.
    fn percentile(&self, p: f64) -> f64 {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted.get(index).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    }
}

/// Sends `count` requests of a pattern and measures them.
pub async fn measure(stack: &LocalStack, api: &Api, key: &str, requests: Requests, count: usize) -> Figures {
    let store = stack.store();
    let mut figures = Figures { latencies: Vec::with_capacity(count), items_read: 0, returned: 0 };
    let mut next: Option<String> = None;
    for i in 0..count {
        let url = match &requests {
            Requests::Walk(start) => next.take().unwrap_or_else(|| start.clone()),
            Requests::Each(urls) => urls[i % urls.len()].clone(),
        };
        let read_before = store.items_read();
        let started = Instant::now();
        let reply = api.get(&url).await;
        figures.latencies.push(started.elapsed());
        assert_eq!(reply.status, 200, "{url}: {}", reply.body);
        figures.items_read += store.items_read() - read_before;
        figures.returned += reply.body[key].as_array().map_or(0, |a| a.len() as u64);
        next = reply.link("next");
    }
    figures
}

/// Runs the API figures on the tenant `stack` holds for `district`; returns the time just
/// before the delta it applies (what a consumer's next delta read asks for changes after).
pub async fn run(
    stack: &LocalStack,
    tenant: &TenantId,
    district: &District,
) -> Result<Timestamp, Box<dyn std::error::Error>> {
    // A delta, so that the time filter has something to find: 1% of the students change.
    let before = Timestamp::now();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let job = ingest(stack, tenant, "bench/delta.zip", delta_zip(district, (district.students / 100).max(1))).await;
    assert_eq!(job.state, JobState::Applied, "{:?}", job.errors);

    let api = Api::new(stack, tenant).await;
    let users = api.get(&format!("{BASE}/users?limit=1")).await.total_count();
    let classes: Vec<String> = (0..district.schools)
        .flat_map(|s| (0..district.classes_per_school).map(move |c| (s, c)))
        .step_by(7)
        .map(|(s, c)| format!("{BASE}/classes/{}/students", district.class_id(s, c)))
        .collect();
    let deep = users * 9 / 10;
    let teachers = || (0..district.teachers).step_by(31).map(|t| district.teacher_id(t));
    let emails: Vec<String> =
        teachers().map(|t| format!("{BASE}/teachers?filter=email%3D'{t}@staff.example.org'")).collect();
    let teacher_classes: Vec<String> =
        teachers().map(|t| format!("{BASE}/teachers/{t}/classes?filter=status%3D'active'&limit=10000")).collect();
    let today = before.to_string()[..10].to_owned();
    let resources_of = |kind: &str, ids: Vec<String>| -> Vec<String> {
        ids.into_iter().step_by(7).map(|id| format!("{RESOURCES}/{kind}/{id}/resources")).collect()
    };
    let class_ids =
        (0..district.schools).flat_map(|s| (0..district.classes_per_school).map(move |c| district.class_id(s, c)));
    let course_ids = (0..district.schools)
        .flat_map(|s| (0..district_gen::COURSES_PER_SCHOOL).map(move |c| district.course_id(s, c)));
    let user_ids = (0..district.teachers)
        .map(|t| district.teacher_id(t))
        .chain((0..district.students).step_by(10).map(|s| district.student_id(s)));
    let patterns = [
        ("GET /users?limit=100, paging by Link next", "users", Requests::Walk(format!("{BASE}/users?limit=100"))),
        (
            "GET /users?limit=100&offset=(90% in), no cursor",
            "users",
            Requests::Each(vec![format!("{BASE}/users?limit=100&offset={deep}")]),
        ),
        (
            "GET /users?filter=dateLastModified>(before the delta)&limit=100",
            "users",
            Requests::Walk(format!("{BASE}/users?filter=dateLastModified%3E'{before}'&limit=100")),
        ),
        ("GET /classes/{id}/students", "users", Requests::Each(classes)),
        (
            "GET /schools/{id}/students?limit=100, paging",
            "users",
            Requests::Walk(format!("{BASE}/schools/{}/students?limit=100", district.school_id(0))),
        ),
        ("GET /teachers?filter=email='…' (one match)", "users", Requests::Each(emails)),
        ("GET /teachers/{id}/classes?filter=status='active'&limit=10000", "classes", Requests::Each(teacher_classes)),
        (
            "GET /users?filter=dateLastModified>'(today, date only)'&limit=100",
            "users",
            Requests::Walk(format!("{BASE}/users?filter=dateLastModified%3E'{today}'&limit=100")),
        ),
        (
            "GET /users?filter=status='active'&limit=5000, paging",
            "users",
            Requests::Walk(format!("{BASE}/users?filter=status%3D'active'&limit=5000")),
        ),
        (
            "GET /classes/{id}/resources (1-2 each)",
            "resources",
            Requests::Each(resources_of("classes", class_ids.collect())),
        ),
        (
            "GET /courses/{id}/resources (1 each)",
            "resources",
            Requests::Each(resources_of("courses", course_ids.collect())),
        ),
        ("GET /users/{id}/resources (1 each)", "resources", Requests::Each(resources_of("users", user_ids.collect()))),
    ];
    println!("API over the {users}-user tenant ({REQUESTS} requests each, through the full router):");
    print_header();
    for (name, key, requests) in patterns {
        measure(stack, &api, key, requests, REQUESTS).await.print(name);
    }

    large_pages(&api).await;
    auth_figures(stack, &api);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let router = stack.api();
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let token = api.bearer().unwrap_or_default().to_owned();
    for path in [format!("/users/{}", district.student_id(1)), "/users?limit=100".to_owned()] {
        let served = load(address, &format!("{BASE}{path}"), &token).await?;
        println!(
            "local server, {CONNECTIONS} keep-alive connections for {LOAD_SECONDS}s, GET {path}: {:.0} requests/s",
            served as f64 / LOAD_SECONDS as f64
        );
    }
    server.abort();
    Ok(before)
}

/// A 10,000-user page, plain and gzip-compressed: body bytes and latency.
async fn large_pages(api: &Api) {
    const PAGES: usize = 20;
    let url = format!("{BASE}/users?limit=10000");
    let plain = api.get(&url).await;
    println!(
        "GET /users?limit=10000 returns {} records (the page stops before the payload limit)",
        plain.body["users"].as_array().map_or(0, Vec::len)
    );
    for encoding in ["identity", "gzip"] {
        let mut latencies = Vec::with_capacity(PAGES);
        let mut bytes = 0;
        for _ in 0..PAGES {
            let started = Instant::now();
            let reply = api.get_with(&url, &[("accept-encoding", encoding)], "").await;
            latencies.push(started.elapsed());
            assert_eq!(reply.status, 200);
            bytes = reply.raw.len();
        }
        let figures = Figures { latencies, items_read: 0, returned: 0 };
        println!(
            "  {encoding:<8}: body {:.2} MB, p50 {:.0} ms, p99 {:.0} ms",
            bytes as f64 / 1e6,
            figures.percentile(0.5),
            figures.percentile(0.99)
        );
    }
}

/// What authentication costs: verifying a token (every request) and checking a client secret
/// (the token endpoint only).
fn auth_figures(stack: &LocalStack, api: &Api) {
    let verifier = oneroster_auth::Verifier::new(&stack.issuer.jwks(), local_server::LOCAL_ISSUER);
    let token = api.bearer().unwrap_or_default();
    let rounds = 20_000;
    let started = Instant::now();
    for _ in 0..rounds {
        assert!(verifier.verify(token).is_ok());
    }
    let verify = started.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);
    let (secret, hash) = oneroster_auth::secret::generate();
    let started = Instant::now();
    for _ in 0..10 {
        assert!(oneroster_auth::secret::verify(&secret, &hash));
    }
    let check = started.elapsed().as_secs_f64() * 1000.0 / 10.0;
    println!("token verification (EdDSA, claims checked): {verify:.1} µs per request; client secret check at the token endpoint (argon2id m=19 MiB, t=2, p=1): {check:.1} ms");
}

/// Keeps `CONNECTIONS` connections busy with `GET path` for `LOAD_SECONDS`; returns the
/// number of 200 answers.
async fn load(address: std::net::SocketAddr, path: &str, token: &str) -> std::io::Result<u64> {
    let deadline = Instant::now() + Duration::from_secs(LOAD_SECONDS);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CONNECTIONS {
        let request = format!("GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\r\n");
        tasks.spawn(async move {
            let mut stream = BufReader::new(tokio::net::TcpStream::connect(address).await?);
            let mut ok = 0u64;
            while Instant::now() < deadline {
                stream.get_mut().write_all(request.as_bytes()).await?;
                let mut status = String::new();
                stream.read_line(&mut status).await?;
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    stream.read_line(&mut line).await?;
                    if line == "\r\n" || line.is_empty() {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':') {
                        if name.eq_ignore_ascii_case("content-length") {
                            length = value.trim().parse().unwrap_or(0);
                        }
                    }
                }
                let mut body = vec![0; length];
                stream.read_exact(&mut body).await?;
                ok += u64::from(status.contains(" 200 "));
            }
            Ok::<u64, std::io::Error>(ok)
        });
    }
    let mut served = 0;
    while let Some(done) = tasks.join_next().await {
        served += done.map_err(std::io::Error::other)??;
    }
    Ok(served)
}

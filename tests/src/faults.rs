//! A proxy in front of DynamoDB Local that fails calls on purpose, so that tests can see what
//! an ingest does when the store throttles (at random, or at a fixed capacity), errs, or the
//! worker dies part-way: the calls reach
//! the real server through it, or are answered with the errors DynamoDB itself sends. It also
//! keeps when each call started and ended, so that the bench can count a request's calls and
//! how many of them came one after another ([`sequential_rounds`]).

use aws_sdk_dynamodb::config::retry::{RetryConfig, RetryPartition};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use oneroster_store::Store;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Which calls fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// None: every call reaches the server.
    Healthy,
    /// None, but every answer is held back this long, as a network's round trip would: calls
    /// made together then overlap however fast the local server answers, so that
    /// [`sequential_rounds`] counts rounds, not the server's speed.
    Slow(std::time::Duration),
    /// The worker dies at call `n` (counting from 0): that call reaches the server but its
    /// answer is lost, and every later call fails, as if the process were gone.
    DiesAt(u64),
    /// About `per_mille` calls in a thousand, chosen by `seed`, are answered with throttling or
    /// an internal error instead of reaching the server.
    Flaky {
        /// Failed calls per thousand.
        per_mille: u64,
        /// Makes the choice of calls repeatable.
        seed: u64,
    },
    /// A table that takes this many calls a second (a burst of as many, as DynamoDB allows a
    /// partition's unused capacity to be spent at once) and answers every call past that with
    /// `ProvisionedThroughputExceededException`, as a table at its throughput does.
    Capacity(u64),
}

struct Inner {
    upstream: String,
    policy: Policy,
    /// The calls a [`Policy::Capacity`] table can take now, and when that was counted.
    bucket: Mutex<(f64, Instant)>,
    calls: AtomicU64,
    failed: AtomicU64,
    spans: Mutex<Vec<Span>>,
    client: Client<HttpConnector, Body>,
}

/// When a call started and when its answer came.
pub type Span = (Instant, Instant);

/// A running proxy; it stops when the test's runtime ends.
#[derive(Clone)]
pub struct FaultyStore {
    inner: Arc<Inner>,
    endpoint: String,
}

/// DynamoDB's error answers, as the SDK reads them.
fn dynamodb_error(status: StatusCode, kind: &str) -> Response {
    let body = format!(r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{kind}","message":"injected by the test"}}"#);
    (status, [("content-type", "application/x-amz-json-1.0")], body).into_response()
}

impl FaultyStore {
    /// Starts a proxy to `upstream` (DynamoDB Local's URL) failing calls as `policy` says.
    pub async fn start(upstream: &str, policy: Policy) -> Self {
        let inner = Arc::new(Inner {
            upstream: upstream.trim_end_matches('/').to_owned(),
            policy,
            bucket: Mutex::new((0.0, Instant::now())),
            calls: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            spans: Mutex::new(Vec::new()),
            client: Client::builder(TokioExecutor::new()).build_http(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let endpoint = format!("http://{}", listener.local_addr().expect("an address"));
        let router = axum::Router::new().fallback(forward).with_state(inner.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { inner, endpoint }
    }

    /// A store over `table` whose calls go through this proxy, retried as `retries` says.
    ///
    /// Its client has a retry partition of its own: the SDK shares one retry token bucket per
    /// partition across the process, and a proxy failing every call (a dead worker) would
    /// otherwise drain the retries of every other store in the test binary.
    pub async fn store(&self, table: &str, retries: RetryConfig) -> Store {
        let aws =
            aws_config::from_env().region(aws_config::Region::new("us-east-1")).retry_config(retries).load().await;
        let config = aws_sdk_dynamodb::config::Builder::from(&aws)
            .endpoint_url(&self.endpoint)
            .retry_partition(RetryPartition::new(format!("faulty-store-{}", self.endpoint)))
            .build();
        Store::new(aws_sdk_dynamodb::Client::from_conf(config), table)
    }

    /// Calls received so far.
    pub fn calls(&self) -> u64 {
        self.inner.calls.load(Ordering::SeqCst)
    }

    /// Calls failed so far.
    pub fn failed(&self) -> u64 {
        self.inner.failed.load(Ordering::SeqCst)
    }

    /// The spans of the calls answered since the last take.
    pub fn take_spans(&self) -> Vec<Span> {
        std::mem::take(&mut *self.inner.spans.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

/// How many rounds of calls `spans` took one after another: the longest chain of calls each
/// started after the one before it was answered (calls in flight together are one round).
pub fn sequential_rounds(spans: &[Span]) -> usize {
    let mut sorted = spans.to_vec();
    sorted.sort();
    let mut depth: Vec<usize> = Vec::with_capacity(sorted.len());
    for (i, (start, _)) in sorted.iter().enumerate() {
        let before = sorted[..i].iter().zip(&depth).filter(|((_, end), _)| end <= start).map(|(_, d)| *d);
        depth.push(before.max().unwrap_or(0) + 1);
    }
    depth.into_iter().max().unwrap_or(0)
}

/// Whether call `n` is one of the flaky ones (a hash of seed and call: repeatable, spread).
fn flaky(n: u64, per_mille: u64, seed: u64) -> Option<bool> {
    let roll = xxhash_rust::xxh3::xxh3_64_with_seed(&n.to_le_bytes(), seed);
    (roll % 1000 < per_mille).then_some(roll.is_multiple_of(2))
}

impl Inner {
    /// Whether a table taking `per_second` calls a second takes one more now.
    fn takes(&self, per_second: u64) -> bool {
        let mut bucket = self.bucket.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (tokens, counted) = *bucket;
        let now = Instant::now();
        let rate = per_second as f64;
        let tokens = (tokens + now.duration_since(counted).as_secs_f64() * rate).min(rate);
        let taken = tokens >= 1.0;
        *bucket = (if taken { tokens - 1.0 } else { tokens }, now);
        taken
    }
}

async fn forward(State(proxy): State<Arc<Inner>>, request: Request) -> Response {
    let n = proxy.calls.fetch_add(1, Ordering::SeqCst);
    let fail = |response: Response| {
        proxy.failed.fetch_add(1, Ordering::SeqCst);
        response
    };
    let internal = || dynamodb_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError");
    match proxy.policy {
        Policy::DiesAt(at) if n > at => return fail(internal()),
        Policy::Flaky { per_mille, seed } => match flaky(n, per_mille, seed) {
            Some(true) => return fail(dynamodb_error(StatusCode::BAD_REQUEST, "ThrottlingException")),
            Some(false) => return fail(internal()),
            None => {}
        },
        Policy::Capacity(per_second) if !proxy.takes(per_second) => {
            return fail(dynamodb_error(StatusCode::BAD_REQUEST, "ProvisionedThroughputExceededException"));
        }
        _ => {}
    }
    let (mut parts, body) = request.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let Ok(uri) = format!("{}{path}", proxy.upstream).parse::<Uri>() else { return internal() };
    parts.uri = uri;
    let started = Instant::now();
    let answer = proxy.client.request(Request::from_parts(parts, body)).await;
    if let Policy::Slow(latency) = proxy.policy {
        tokio::time::sleep(latency).await;
    }
    proxy.spans.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((started, Instant::now()));
    if proxy.policy == Policy::DiesAt(n) {
        // The call was made; the worker died before it heard the answer.
        return fail(internal());
    }
    match answer {
        Ok(response) => response.map(Body::new),
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn calls_in_flight_together_are_one_round() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        assert_eq!(sequential_rounds(&[]), 0);
        assert_eq!(sequential_rounds(&[(at(0), at(5))]), 1);
        // Two at once, then one after both.
        assert_eq!(sequential_rounds(&[(at(0), at(5)), (at(1), at(6)), (at(7), at(9))]), 2);
        // Three one after another, with a call beside the first.
        let chain = [(at(0), at(2)), (at(0), at(1)), (at(3), at(4)), (at(5), at(6))];
        assert_eq!(sequential_rounds(&chain), 3);
    }
}

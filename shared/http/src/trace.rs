//! One span per request, carrying its id, tenant and client so that every log line of the
//! request can be found together; and one audit event when it ends (FERPA: who read what):
//! time, tenant, client, operation, the collection its records are of, status, records
//! returned, what a write changed, latency, as a JSON line with the target `audit`. Never the
//! query's values or a body: user records hold personal data. [`audit_log_layer`] writes those
//! events alone as JSON lines (the local server's audit log), which `oneroster-admin audit`
//! reads, as it reads the functions' logs in CloudWatch.

use crate::Caller;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use std::sync::atomic::{AtomicU64, Ordering};
use tracing::Instrument;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// The request's id: Lambda's request id, else the caller's `x-request-id`, else a fresh one.
fn request_id(request: &Request) -> String {
    if let Some(context) = request.extensions().get::<lambda_http::Context>() {
        return context.request_id.clone();
    }
    if let Some(id) = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()) {
        return id.chars().take(64).collect();
    }
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&[seed.to_le_bytes().as_slice(), &n.to_le_bytes()].concat()))
}

/// The operation a response answered (its operationId), set by the handler.
#[derive(Debug, Clone, Copy)]
pub struct Operation(pub &'static str);

/// The collection whose records an operation reads or writes (`users`, `enrollments`), set by
/// the handler beside [`Operation`]: the access report groups by it.
#[derive(Debug, Clone, Copy)]
pub struct RecordsOf(pub &'static str);

/// How many records a response carries, set by the handler.
#[derive(Debug, Clone, Copy)]
pub struct Returned(pub usize);

/// What a write changed (collection, id, kind, property names; never values), set by the
/// handler of a write.
#[derive(Debug, Clone)]
pub struct Changed(pub String);

/// Notes the verified caller on the request's span (and so on its audit event).
pub fn record_caller(caller: &Caller) {
    let span = tracing::Span::current();
    span.record("tenant", tracing::field::display(caller.grant().tenant()));
    span.record("client", caller.grant().client());
}

/// Middleware: runs the request inside its span and emits its audit event. Put it outside
/// authentication, so that refused requests are audited too.
pub async fn request_span(request: Request, next: Next) -> Response {
    let span = tracing::info_span!(
        "request",
        request_id = %request_id(&request),
        tenant = tracing::field::Empty,
        client = tracing::field::Empty,
        method = %request.method(),
        path = %request.uri().path(),
    );
    async move {
        let started = std::time::Instant::now();
        let response = next.run(request).await;
        tracing::info!(
            target: AUDIT_TARGET,
            operation = response.extensions().get::<Operation>().map_or("none", |o| o.0),
            collection = response.extensions().get::<RecordsOf>().map(|c| c.0),
            status = response.status().as_u16(),
            records = response.extensions().get::<Returned>().map_or(0, |r| r.0),
            change = response.extensions().get::<Changed>().map(|c| c.0.as_str()),
            millis = started.elapsed().as_millis() as u64,
            "api access"
        );
        response
    }
    .instrument(span)
    .await
}

/// Audit events alone, as JSON lines to `writer`, in the shape of the functions' JSON logs
/// ([`crate::lambda::init_json_logs`]: the event's fields under `fields`, the request span's
/// under `span`) with the time each line lacks there (CloudWatch stamps those): the local
/// server's audit log, which `oneroster-admin audit` reads with the same parser.
pub fn audit_log_layer<S, W>(writer: W) -> impl Layer<S>
where
    S: tracing::Subscriber + for<'span> LookupSpan<'span>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(writer)
        // The request spans too: a layer sees only the spans its filter lets through, and the
        // event's tenant and client are on its span.
        .with_filter(filter_fn(|metadata| {
            metadata.target() == AUDIT_TARGET || (metadata.is_span() && metadata.target() == module_path!())
        }))
}

/// The target of the audit events.
pub const AUDIT_TARGET: &str = "audit";

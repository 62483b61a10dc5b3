//! One span per request, carrying its id, tenant and client so that every log line of the
//! request can be found together; and one audit event when it ends (FERPA: who read what):
//! time, tenant, client, operation, status, records returned, what a write changed, latency,
//! as a JSON line with the
//! target `audit`. Never the query's values or a body: user records hold personal data.

use crate::Caller;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use std::sync::atomic::{AtomicU64, Ordering};
use tracing::Instrument;

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
    span.record("tenant", tracing::field::display(caller.0.tenant()));
    span.record("client", caller.0.client());
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
            target: "audit",
            operation = response.extensions().get::<Operation>().map_or("none", |o| o.0),
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

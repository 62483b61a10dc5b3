//! One span per request, carrying its id and tenant so that every log line of the request can
//! be found together; one log line when it ends with status and latency. Never the query's
//! values or a body: user records hold personal data.

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

/// Middleware: runs the request inside its span and logs its outcome.
pub async fn request_span(request: Request, next: Next) -> Response {
    let (tenant, client) =
        request.extensions().get::<Caller>().map(|c| (c.0.tenant.to_string(), c.0.client.clone())).unwrap_or_default();
    let span = tracing::info_span!(
        "request",
        request_id = %request_id(&request),
        tenant = %tenant,
        client = %client,
        method = %request.method(),
        path = %request.uri().path(),
    );
    async move {
        let started = std::time::Instant::now();
        let response = next.run(request).await;
        tracing::info!(status = response.status().as_u16(), millis = started.elapsed().as_millis() as u64, "served");
        response
    }
    .instrument(span)
    .await
}

//! One span per request, carrying its id, tenant and client so that every log line of the
//! request can be found together; and one audit event when it ends (FERPA: who read what):
//! time, tenant, client, operation, status, records returned, latency, as a JSON line with the
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

/// Notes the verified caller on the request's span (and so on its audit event).
pub fn record_caller(caller: &Caller) {
    let span = tracing::Span::current();
    span.record("tenant", tracing::field::display(&caller.0.tenant));
    span.record("client", caller.0.client.as_str());
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
            millis = started.elapsed().as_millis() as u64,
            "api access"
        );
        response
    }
    .instrument(span)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use std::sync::{Arc, Mutex};
    use tower::ServiceExt;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn every_request_emits_one_audit_event_without_payload() {
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber =
            tracing_subscriber::fmt().json().with_current_span(true).with_writer(move || sink.clone()).finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let router = axum::Router::new()
            .route(
                "/users",
                get(|| async {
                    let mut response =
                        axum::response::IntoResponse::into_response("{\"users\":[{\"givenName\":\"Ada\"}]}");
                    response.extensions_mut().insert(Operation("getAllUsers"));
                    response.extensions_mut().insert(Returned(1));
                    response
                }),
            )
            .layer(axum::middleware::from_fn(request_span));
        let request = axum::http::Request::get("/users?filter=givenName%3D%27Ada%27")
            .header("x-request-id", "req-1")
            .body(axum::body::Body::empty())
            .expect("request");
        router.oneshot(request).await.expect("response");
        let text = String::from_utf8(captured.0.lock().expect("log").clone()).expect("utf-8");
        let events: Vec<serde_json::Value> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
        assert_eq!(events.len(), 1, "{text}");
        let event = &events[0];
        assert_eq!(event["target"], "audit");
        assert_eq!(event["fields"]["operation"], "getAllUsers");
        assert_eq!(event["fields"]["records"], 1);
        assert_eq!(event["fields"]["status"], 200);
        assert_eq!(event["span"]["request_id"], "req-1");
        assert!(!text.contains("Ada"), "no payload or query values in the log: {text}");
    }
}

//! Running a service's router as a Lambda function behind API Gateway.

use axum::Router;

/// Logs as JSON lines (what CloudWatch Logs Insights queries), level from `RUST_LOG`.
pub fn init_json_logs() {
    tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .without_time()
        .init();
}

/// Serves `router` to API Gateway events until the runtime stops the function.
pub async fn run(router: Router) -> Result<(), lambda_http::Error> {
    lambda_http::run(router).await
}

//! The rostering Lambda: configuration from the environment, then the router.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    oneroster_http::lambda::run_service(rostering::router).await
}

//! The shared-base Lambda: configuration from the environment, then the router.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    oneroster_http::lambda::run_service(v1p2::router).await
}

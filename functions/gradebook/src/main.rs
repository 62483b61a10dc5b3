//! The gradebook Lambda: configuration from the environment, then the router.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    oneroster_http::lambda::run_service(gradebook::router).await
}

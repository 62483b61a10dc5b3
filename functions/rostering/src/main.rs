//! The rostering Lambda: configuration from the environment, then the router.

use oneroster_auth::Verifier;
use oneroster_http::Gate;
use oneroster_store::Store;
use std::sync::Arc;
use std::time::Duration;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    oneroster_http::lambda::init_json_logs();
    let aws = aws_config::load_from_env().await;
    let store = Store::connect(&aws, None, std::env::var("TABLE_NAME")?);
    // The public keys (JWKS) and the issuer of the auth function, from the deployment.
    let jwks: serde_json::Value = serde_json::from_str(&std::env::var("JWKS")?)?;
    let verifier = Verifier::new(&jwks, &std::env::var("ISSUER")?);
    let gate = Arc::new(Gate::new(verifier, store.clone(), Duration::from_secs(60)));
    oneroster_http::lambda::run(rostering::router(store, gate)).await
}
